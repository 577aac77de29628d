//! chinwag-ops: the operations figures of a real daemon process on loopback, for
//! BENCHMARKS.md: `/metrics` scrape time with many connections open, and the time from
//! SIGTERM to exit with many replies in flight (cut at once, or finishing within the grace).
//! Bounded: fixed counts, then it stops.
//!
//! Usage: `chinwag-ops [PATH-TO-chinwag] [CONNECTIONS] [REPLIES] [SCRAPES]`
//! (defaults: the debug build, 1000, 100, 200).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

use chinwag_protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use chinwag_tests::bench::{arg, exe, percentile, raise_fd_limit, start_daemon};
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line};
use futures_util::{SinkExt, StreamExt};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = WebSocketStream<tokio::net::UnixStream>;

async fn connect(socket: &std::path::Path) -> anyhow::Result<Ws> {
    let s = tokio::net::UnixStream::connect(socket).await?;
    let (mut ws, _) = tokio_tungstenite::client_async("ws://localhost/", s).await?;
    let hello = ClientMsg::Hello {
        id: "h".into(),
        protocol: PROTOCOL_VERSION,
        client: Some("ops".into()),
    };
    ws.send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    next(&mut ws).await?;
    Ok(ws)
}

async fn next(ws: &mut Ws) -> anyhow::Result<ServerMsg> {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await? {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
            Some(Ok(_)) => {}
            other => anyhow::bail!("connection ended: {other:?}"),
        }
    }
}

/// One `GET /metrics` over a new TCP connection; the milliseconds it took and the body size.
async fn scrape(addr: std::net::SocketAddr) -> anyhow::Result<(f64, usize)> {
    let start = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut body = Vec::new();
    s.read_to_end(&mut body).await?;
    anyhow::ensure!(body.starts_with(b"HTTP/1.1 200"), "scrape refused");
    Ok((start.elapsed().as_secs_f64() * 1000.0, body.len()))
}

/// A daemon under `dir` with `grace` seconds of shutdown grace and room for `replies` at once.
async fn daemon(
    dir: &std::path::Path,
    fake: &FakeOllama,
    grace: u64,
    replies: usize,
    conns: usize,
) -> anyhow::Result<(
    std::process::Child,
    std::path::PathBuf,
    std::net::SocketAddr,
)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let config_dir = dir.join("config/chinwag");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        format!(
            "listen = \"{addr}\"\nmax_connections = {}\nmax_generations = {replies}\n\
             [timeouts]\nshutdown_grace_secs = {grace}\n\
             [limits.local]\nmessages_per_minute = 100000\nburst = {replies}\n\
             concurrent_generations = {replies}\n",
            conns + 100
        ),
    )?;
    let (child, socket) = start_daemon(&exe(), dir, &fake.host(), Stdio::inherit()).await?;
    Ok((child, socket, addr))
}

/// Starts one held reply on each connection; returns once each has its first delta.
async fn start_replies(fake: &FakeOllama, held: &mut [Ws]) -> anyhow::Result<()> {
    for (i, ws) in held.iter_mut().enumerate() {
        fake.script(Script::Stream(vec![
            Part::Bytes(line("llama3.2", "first ", false).into_bytes()),
            Part::Gate,
            Part::Bytes(line("llama3.2", "last", true).into_bytes()),
        ]));
        let chat = ClientMsg::Chat {
            id: format!("c{i}"),
            conversation: None,
            bot: None,
            model: Some("llama3.2".into()),
            content: "hold on".into(),
            options: Default::default(),
            idempotency_key: None,
            replace_from: None,
            tools: None,
            attachments: Vec::new(),
            ephemeral: false,
        };
        ws.send(Message::text(serde_json::to_string(&chat)?))
            .await?;
        loop {
            match next(ws).await? {
                ServerMsg::Delta { .. } => break,
                ServerMsg::Error { message, .. } => anyhow::bail!("refused: {message}"),
                _ => {}
            }
        }
    }
    Ok(())
}

/// SIGTERM, then seconds until the process has exited.
fn stop(child: &mut std::process::Child) -> anyhow::Result<f64> {
    let pid = rustix::process::Pid::from_raw(child.id() as i32)
        .ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let start = Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "the daemon exited with {status}");
    Ok(start.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let conns: usize = arg(2, 1000);
    let replies: usize = arg(3, 100);
    let scrapes: usize = arg(4, 200);
    raise_fd_limit();
    let fake = FakeOllama::start().await;
    println!("binary {}", exe().display());

    // Scrapes with `conns` connections open, `replies` of them mid-reply.
    let dir = tempfile::tempdir()?;
    let (mut child, socket, addr) = daemon(dir.path(), &fake, 0, replies, conns).await?;
    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        held.push(connect(&socket).await?);
    }
    start_replies(&fake, &mut held[..replies]).await?;
    let mut times = Vec::with_capacity(scrapes);
    let mut size = 0;
    for _ in 0..scrapes {
        let (ms, bytes) = scrape(addr).await?;
        times.push(ms);
        size = bytes;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "/metrics with {conns} connections and {replies} replies in flight, {scrapes} scrapes: \
         median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({size} bytes)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0)
    );
    // SIGTERM with a grace of 0: every reply is cut and stored, every client told.
    let cut = stop(&mut child)?;
    drop(held);
    println!("SIGTERM to exit, {replies} replies cut at once (grace 0): {cut:.2} s");

    // SIGTERM with a grace of 30 s, the replies finishing as soon as it arrives.
    let dir = tempfile::tempdir()?;
    let (mut child, socket, _) = daemon(dir.path(), &fake, 30, replies, conns).await?;
    let mut held = Vec::with_capacity(replies);
    for _ in 0..replies {
        held.push(connect(&socket).await?);
    }
    start_replies(&fake, &mut held).await?;
    let releaser = {
        let fake = fake.clone();
        tokio::spawn(async move {
            // Let the signal land first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            for _ in 0..replies {
                fake.release();
            }
        })
    };
    let finished = tokio::task::spawn_blocking(move || stop(&mut child)).await??;
    releaser.await?;
    drop(held);
    println!(
        "SIGTERM to exit, {replies} replies finishing within the grace (released 50 ms after): \
         {finished:.2} s"
    );
    Ok(())
}
