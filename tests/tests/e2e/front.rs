//! The HTTP front of the listeners: a request that is not an upgrade gets an HTTP answer (not
//! a closed socket), a handshake the daemon cannot complete gets 400 or 426, and connections
//! per client address are capped, behind a trusted proxy by the forwarded address.

use chinwag_tests::client::{HttpRefusal, TestClient};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, make_token, test_config};
use chinwag_tests::http::exchange;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UPGRADE_HEADERS: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_requests_get_an_http_answer_on_every_listener() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let tcp = || async { tokio::net::TcpStream::connect(addr).await.expect("tcp") };

    // A browser or curl pointed at the daemon learns what it is.
    let get = exchange(tcp().await, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(get.status, 426, "{get:?}");
    assert_eq!(get.header("upgrade"), Some("websocket"));
    assert!(get.body.contains("chinwag --url"), "{}", get.body);
    let unix = tokio::net::UnixStream::connect(&daemon.socket)
        .await
        .expect("unix");
    let local = exchange(unix, "GET /anything HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(local.status, 426, "the Unix socket has the same front");

    let post = exchange(
        tcp().await,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(
        (post.status, post.header("allow")),
        (405, Some("GET, HEAD"))
    );

    // Handshakes the daemon cannot complete say why.
    let old = exchange(
        tcp().await,
        &format!(
            "GET / HTTP/1.1\r\nHost: localhost\r\n{UPGRADE_HEADERS}Sec-WebSocket-Version: 8\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(
        (old.status, old.header("sec-websocket-version")),
        (426, Some("13"))
    );
    let keyless = exchange(
        tcp().await,
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert_eq!(keyless.status, 400, "{keyless:?}");
    assert!(
        keyless.body.contains("Sec-WebSocket-Key"),
        "{}",
        keyless.body
    );

    // A complete handshake without a token: 401 with the challenge, as plain HTTP.
    let anonymous = exchange(
        tcp().await,
        &format!("GET / HTTP/1.1\r\nHost: localhost\r\n{UPGRADE_HEADERS}Sec-WebSocket-Version: 13\r\n\r\n"),
    )
    .await;
    assert_eq!(
        (anonymous.status, anonymous.header("www-authenticate")),
        (401, Some(r#"Bearer realm="chinwag""#))
    );

    // A head too big to be a request is refused, not buffered.
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let mut s = tcp().await;
    let _ = s.write_all(huge.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_client_address_are_capped_by_the_forwarded_address_behind_a_proxy() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.trust_proxy = vec!["127.0.0.1".parse().expect("ip")];
    config.caps.max_connections_per_ip = 2;
    let alice = make_token(&config.database, "alice", "chat", None).await;
    let bob = make_token(&config.database, "bob", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let (alice, bob) = (format!("Bearer {alice}"), format!("Bearer {bob}"));
    let from = |auth: &str, client: &'static str| {
        [
            ("authorization", auth.to_string()),
            ("x-forwarded-for", client.to_string()),
        ]
    };
    let open = |headers: [(&'static str, String); 2]| async move {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        TestClient::try_connect_tcp_with(addr, &h).await
    };

    // Two from one address, whoever they are; the third is told to wait, another user too.
    let a1 = open(from(&alice, "203.0.113.9")).await.expect("first");
    let b1 = open(from(&bob, "203.0.113.9")).await.expect("second");
    let over = HttpRefusal {
        status: 429,
        retry_after: Some("5".into()),
    };
    assert_eq!(open(from(&alice, "203.0.113.9")).await.err(), Some(over));
    // Another client behind the same proxy is not affected.
    let a2 = open(from(&alice, "198.51.100.4"))
        .await
        .expect("another address");
    // A place given back counts again.
    drop(a1);
    chinwag_tests::harness::wait_until("the address has a place again", || async {
        open(from(&bob, "203.0.113.9")).await.is_ok()
    })
    .await;
    drop((b1, a2));
    daemon.stop().await;
}
