//! The network edge over loopback TCP: every peer needs a bearer token, refused with 401 (and
//! `WWW-Authenticate`) before the 101 when it is missing, wrong, expired or revoked; foreign
//! `Origin`s and non-local `Host`s get 403. Non-loopback addresses are refused at start-up.

use chinwag_protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, make_token, test_config};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};

/// What the upgrade answers with these headers: the user the daemon greets, or the HTTP
/// status and `WWW-Authenticate` of its refusal.
async fn upgrade(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> Result<(String, Option<String>), (u16, Option<String>)> {
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    for (k, v) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes())
            .expect("header name");
        req.headers_mut()
            .insert(name, v.parse().expect("header value"));
    }
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tcp connect");
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((mut ws, resp)) => {
            let protocol = resp
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let hello = ClientMsg::Hello {
                id: "h".into(),
                protocol: PROTOCOL_VERSION,
                client: None,
            };
            ws.send(Message::text(
                serde_json::to_string(&hello).expect("encode"),
            ))
            .await
            .expect("send");
            match ws.next().await {
                Some(Ok(Message::Text(t))) => match serde_json::from_str(t.as_str()) {
                    Ok(ServerMsg::Hello { user, .. }) => Ok((user, protocol)),
                    other => panic!("expected hello, got {other:?}"),
                },
                other => panic!("expected hello, got {other:?}"),
            }
        }
        Err(Error::Http(resp)) => Err((
            resp.status().as_u16(),
            resp.headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        )),
        Err(e) => panic!("unexpected upgrade failure: {e}"),
    }
}

#[tokio::test]
async fn tcp_peers_need_a_valid_token_and_a_local_host_and_no_origin() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let db = config.database.clone();
    let good = make_token(&db, "alice", "chat", None).await;
    let revoked = make_token(&db, "alice", "chat", None).await;
    let expired = make_token(&db, "alice", "chat", Some("1s")).await;
    {
        let store = chinwagd::admin::open_store(&db).expect("store");
        store.revoke_token(&revoked[..15]).await.expect("revoke");
        store.close().await;
    }
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("a tcp listener");
    let bearer = |t: &str| format!("Bearer {t}");

    // The token names the user.
    let (user, _) = upgrade(addr, &[("authorization", &bearer(&good))])
        .await
        .expect("let in");
    assert_eq!(user, "alice");
    // The browser form: the token as a subprotocol; the answer picks `chinwag`.
    let offered = format!("chinwag, bearer.{good}");
    let (_, protocol) = upgrade(addr, &[("sec-websocket-protocol", &offered)])
        .await
        .expect("let in");
    assert_eq!(protocol.as_deref(), Some("chinwag"));

    // No token, a wrong one, a revoked one, an expired one: 401 with a challenge.
    let wrong = format!("{}{}", &good[..good.len() - 4], "0000");
    let refusals = [
        vec![],
        vec![("authorization", bearer(&wrong))],
        vec![("authorization", bearer(&revoked))],
        vec![("authorization", bearer("not-a-token"))],
        vec![("authorization", format!("Basic {good}"))],
    ];
    for headers in refusals {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, challenge) = upgrade(addr, &h).await.expect_err("refused");
        assert_eq!(status, 401, "{headers:?}");
        assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{headers:?}"
        );
    }
    // The expired one (it lived 1 s): refused once it is past.
    chinwag_tests::harness::wait_until("the short token expires", || async {
        upgrade(addr, &[("authorization", &bearer(&expired))])
            .await
            .is_err()
    })
    .await;

    // A valid token does not excuse a foreign Origin or a non-local Host.
    let auth = bearer(&good);
    assert_eq!(
        upgrade(
            addr,
            &[("authorization", &auth), ("origin", "http://evil.example")]
        )
        .await
        .map_err(|e| e.0),
        Err(403)
    );
    assert_eq!(
        upgrade(
            addr,
            &[("authorization", &auth), ("host", "evil.example:7878")]
        )
        .await
        .map_err(|e| e.0),
        Err(403)
    );
    daemon.stop().await;
}

#[tokio::test]
async fn a_non_loopback_listen_address_without_tls_is_refused_at_start_naming_the_setting() {
    let err = chinwagd::bind_tcp("0.0.0.0:0".parse().expect("addr"), false, false)
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("[tls] cert and key"), "{text}");
    assert!(text.contains("trust_proxy"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_declared_proxy_plain_tcp_may_listen_wide_and_the_public_host_passes() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    // Everywhere, in plain: allowed only because the proxy in front is named.
    config.listen = Some("0.0.0.0:0".parse().expect("addr"));
    config.trust_proxy = vec!["127.0.0.1".parse().expect("ip")];
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let port = daemon.tcp.expect("tcp").port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let auth = format!("Bearer {token}");
    // The proxy forwards the public Host and the client's address; the token still decides.
    let forwarded = [
        ("authorization", auth.as_str()),
        ("host", "chat.example.com"),
        ("x-forwarded-for", "203.0.113.9"),
    ];
    assert!(upgrade(addr, &forwarded).await.is_ok());
    assert_eq!(
        upgrade(addr, &forwarded[1..]).await.map_err(|e| e.0),
        Err(401),
        "no token, no entry, proxy or not"
    );
    daemon.stop().await;
}

/// The HTTP status and `Retry-After` of a refused upgrade over `stream`.
async fn refused_with<S>(stream: S, url: &str, token: Option<&str>) -> (u16, Option<String>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut req = url.into_client_request().expect("request");
    if let Some(t) = token {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {t}").parse().expect("header"),
        );
    }
    match tokio_tungstenite::client_async(req, stream).await {
        Err(Error::Http(resp)) => (
            resp.status().as_u16(),
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ),
        Ok(_) => panic!("expected a refusal, got an upgrade"),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_caps_get_429_or_503_with_retry_after() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.caps.max_connections_per_user = 2;
    config.caps.max_connections = 4;
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    use chinwag_tests::client::TestClient;

    // Per user: two are fine, the third waits.
    let a = TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("first");
    let b = TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("second");
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let (status, retry) = refused_with(tcp, &format!("ws://{addr}/"), Some(&token)).await;
    assert_eq!((status, retry.as_deref()), (429, Some("5")));

    // In all: with four open (two TCP, two local), the fifth is told the daemon is full.
    // (The refused socket keeps its place until the daemon has closed it: wait for that.)
    let room = || async { TestClient::try_connect(&daemon.socket).await.ok() };
    let c = chinwag_tests::harness::wait_for("room for a third", room).await;
    let d = chinwag_tests::harness::wait_for("room for a fourth", room).await;
    let unix = tokio::net::UnixStream::connect(&daemon.socket)
        .await
        .expect("unix");
    let (status, retry) = refused_with(unix, "ws://localhost/", None).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")));
    // A freed place counts again.
    drop(a);

    chinwag_tests::harness::wait_until("a place frees up", || async {
        let unix = tokio::net::UnixStream::connect(&daemon.socket)
            .await
            .expect("unix");
        tokio_tungstenite::client_async("ws://localhost/", unix)
            .await
            .is_ok()
    })
    .await;
    drop((b, c, d));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_half_open_handshakes_do_not_keep_a_client_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    // A thousand connections that start an upgrade and never finish it.
    let mut half_open = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("tcp");
        use tokio::io::AsyncWriteExt;
        s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .expect("half a request");
        half_open.push(s);
    }
    let mut c = chinwag_tests::client::TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("a normal client still gets in");
    assert!(matches!(
        c.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
    drop(half_open);
    daemon.stop().await;
}
