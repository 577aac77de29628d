//! chinwag-edge: measures the network edge of a real daemon process on loopback, and prints
//! the figures for BENCHMARKS.md: memory per idle connection over the Unix socket and over
//! wss://, wss handshakes per second, and the time to first token that TLS adds. Bounded:
//! fixed counts, then it stops.
//!
//! Usage: `chinwag-edge [PATH-TO-chinwag] [CONNECTIONS] [CHATS]`
//! (defaults: the debug build, 10000, 200).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

use chinwag_protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{make_token, rss_kib};
use futures_util::{SinkExt, StreamExt};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = WebSocketStream<Box<dyn chinwag_tests::client::Stream>>;

async fn recv(ws: &mut Ws) -> anyhow::Result<ServerMsg> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
            Some(Ok(_)) => {}
            other => anyhow::bail!("connection ended: {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, msg: &ClientMsg) -> anyhow::Result<()> {
    ws.send(Message::text(serde_json::to_string(msg)?)).await?;
    Ok(())
}

async fn hello(mut ws: Ws) -> anyhow::Result<Ws> {
    let h = ClientMsg::Hello {
        id: "h".into(),
        protocol: PROTOCOL_VERSION,
        client: Some("edge".into()),
    };
    send(&mut ws, &h).await?;
    match recv(&mut ws).await? {
        ServerMsg::Hello { .. } => Ok(ws),
        other => anyhow::bail!("expected hello, got {other:?}"),
    }
}

async fn unix(socket: &std::path::Path) -> anyhow::Result<Ws> {
    let s: Box<dyn chinwag_tests::client::Stream> =
        Box::new(tokio::net::UnixStream::connect(socket).await?);
    let (ws, _) = tokio_tungstenite::client_async("ws://localhost/", s).await?;
    hello(ws).await
}

async fn wss(
    addr: std::net::SocketAddr,
    connector: &tokio_rustls::TlsConnector,
    token: &str,
) -> anyhow::Result<Ws> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let tls: Box<dyn chinwag_tests::client::Stream> = Box::new(connector.connect(name, tcp).await?);
    let mut req = format!("wss://localhost:{}/", addr.port()).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio_tungstenite::client_async(req, tls).await?;
    hello(ws).await
}

/// Milliseconds from sending a chat to its first delta, `n` times on one connection.
async fn ttft(ws: &mut Ws, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let chat = ClientMsg::Chat {
            id: format!("c{i}"),
            conversation: None,
            bot: None,
            model: Some("llama3.2".into()),
            content: "hi".into(),
            options: Default::default(),
            idempotency_key: None,
            replace_from: None,
            tools: None,
            attachments: Vec::new(),
            ephemeral: false,
        };
        let start = Instant::now();
        send(ws, &chat).await?;
        let mut first = None;
        loop {
            match recv(ws).await? {
                ServerMsg::Delta { .. } if first.is_none() => {
                    first = Some(start.elapsed().as_secs_f64() * 1000.0);
                }
                ServerMsg::Done { .. } => break,
                ServerMsg::Error { message, .. } => anyhow::bail!("chat refused: {message}"),
                _ => {}
            }
        }
        out.push(first.unwrap_or(f64::NAN));
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

use chinwag_tests::bench::percentile as pct;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let exe = chinwag_tests::bench::exe();
    let conns: usize = chinwag_tests::bench::arg(2, 10_000);
    let chats: usize = chinwag_tests::bench::arg(3, 200);
    chinwag_tests::bench::raise_fd_limit();
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;
    let (files, print) =
        chinwagd::tls::write_self_signed(&dir.path().join("tls"), &["localhost".into()])?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let config_dir = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        format!(
            "listen = \"{addr}\"\nmax_connections = {}\nmax_connections_per_user = {}\n\
             [tls]\ncert = {:?}\nkey = {:?}\n\
             [limits]\nmessages_per_minute = 100000\noutput_tokens_per_minute = 100000000\n\
             [limits.local]\nmessages_per_minute = 100000\noutput_tokens_per_minute = 100000000\n",
            conns * 2 + 100,
            conns + 10,
            files.cert.display().to_string(),
            files.key.display().to_string()
        ),
    )?;
    let db = dir.path().join("data/chinwag/history.db");
    let token = make_token(&db, "bench", "chat", None).await;
    let (mut daemon, socket) =
        chinwag_tests::bench::start_daemon(&exe, dir.path(), &fake.host(), Stdio::inherit())
            .await?;
    let pid = daemon.id();
    let (connector, _) = chinwag::tls::connector(&chinwag::tls::Trust {
        fingerprint: Some(print),
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;

    // Warm up both paths once.
    drop(unix(&socket).await?);
    drop(wss(addr, &connector, &token).await?);
    let idle = rss_kib(pid);
    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        held.push(unix(&socket).await?);
    }
    let with_unix = rss_kib(pid);
    drop(held);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_unix = rss_kib(pid);
    let mut held = Vec::with_capacity(conns);
    let start = Instant::now();
    for _ in 0..conns {
        held.push(wss(addr, &connector, &token).await?);
    }
    let wss_secs = start.elapsed().as_secs_f64();
    let with_wss = rss_kib(pid);
    drop(held);

    let mut u = unix(&socket).await?;
    let mut w = wss(addr, &connector, &token).await?;
    let unix_ttft = ttft(&mut u, chats).await?;
    let wss_ttft = ttft(&mut w, chats).await?;
    let _ = daemon.kill();
    let _ = daemon.wait();

    let per = |from: u64, to: u64| (to.saturating_sub(from)) as f64 * 1024.0 / conns as f64;
    println!("binary {}", exe.display());
    println!(
        "idle RSS {idle} KiB; with {conns} Unix connections {with_unix} KiB ({:.0} bytes each)",
        per(idle, with_unix)
    );
    println!(
        "with {conns} wss connections {with_wss} KiB ({:.0} bytes each, from {after_unix} KiB)",
        per(after_unix, with_wss)
    );
    println!(
        "wss connect + TLS + upgrade + hello, one after another: {:.0} a second ({conns} in {wss_secs:.1} s)",
        conns as f64 / wss_secs
    );
    println!(
        "time to first token over {chats} chats: Unix median {:.2} ms, p99 {:.2} ms; wss median {:.2} ms, p99 {:.2} ms",
        pct(&unix_ttft, 0.5),
        pct(&unix_ttft, 0.99),
        pct(&wss_ttft, 0.5),
        pct(&wss_ttft, 0.99)
    );
    Ok(())
}
