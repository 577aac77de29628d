//! PROTOCOL.md § Transport. Also tested through the bare wire, with raw bytes: the HTTP
//! front's answers and the per-address cap (`front.rs`), the caps' 429/503 (`edge.rs`), RFC
//! close codes 1007/1002, the 1001 close of a silent connection and the 1008 close of a
//! client that never reads (`connection.rs`); and revocation's 1008 (`auth.rs`).

use super::Rig;
use chinwag_tests::wire::{Ended, Wire, chat, last};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Upgrades over TCP with these headers; the HTTP status of the refusal, with the header
/// `wanted`, or 101 and the answer's `wanted` header.
async fn upgrade_status(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
    wanted: &str,
) -> (u16, Option<String>) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    for (k, v) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes())
            .expect("name");
        req.headers_mut().insert(name, v.parse().expect("value"));
    }
    let header = |h: &tokio_tungstenite::tungstenite::http::HeaderMap| {
        h.get(wanted)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((_, resp)) => (resp.status().as_u16(), header(resp.headers())),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            (resp.status().as_u16(), header(resp.headers()))
        }
        Err(e) => panic!("no HTTP answer: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unix_socket_needs_no_token_names_the_os_user_and_takes_any_path() {
    let rig = Rig::start().await;
    let stream = tokio::net::UnixStream::connect(&rig.daemon.socket)
        .await
        .expect("unix");
    let (ws, _) = tokio_tungstenite::client_async("ws://localhost/any/path?x=1", stream)
        .await
        .expect("any path upgrades");
    drop(ws);
    let mut w = Wire::unix(&rig.daemon.socket).await;
    let hello = w.hello().await;
    let uid = rustix::process::getuid().as_raw();
    assert_eq!(hello["user"], chinwagd::auth::login_name(uid), "{hello}");
    // Every scope: an admin request is answered, not forbidden.
    let status = w.call(json!({"type": "status", "id": "s"})).await;
    assert_eq!(status["type"], "status");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_is_refused_with_403_and_on_tcp_host_must_name_this_machine() {
    let rig = Rig::with(&[("alice", "chat")], |_| {}).await;
    let bearer = format!("Bearer {}", rig.tokens["alice"]);
    let auth = ("authorization", bearer.as_str());
    let addr = rig.addr();
    assert_eq!(upgrade_status(addr, &[auth], "x").await.0, 101);
    assert_eq!(
        upgrade_status(addr, &[auth, ("origin", "https://evil.example")], "x")
            .await
            .0,
        403
    );
    assert_eq!(
        upgrade_status(addr, &[auth, ("host", "evil.example:80")], "x")
            .await
            .0,
        403,
        "DNS rebinding"
    );
    let unix = tokio::net::UnixStream::connect(&rig.daemon.socket)
        .await
        .expect("unix");
    let mut req = "ws://localhost/".into_client_request().expect("request");
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().expect("value"));
    match tokio_tungstenite::client_async(req, unix).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403);
        }
        other => panic!("expected 403, got {other:?}"),
    }
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_tcp_every_peer_needs_a_bearer_token_refused_with_401_before_any_frame() {
    let rig = Rig::with(&[("alice", "chat")], |_| {}).await;
    let addr = rig.addr();
    let token = rig.tokens["alice"].clone();
    let challenge = Some(r#"Bearer realm="chinwag""#.to_string());
    for bad in [
        vec![],
        vec![("authorization", "Bearer cw_nonsense")],
        vec![("authorization", "Basic YWxpY2U6eA==")],
    ] {
        assert_eq!(
            upgrade_status(addr, &bad, "www-authenticate").await,
            (401, challenge.clone()),
            "{bad:?}"
        );
    }
    // In the URL it is not a token at all.
    let in_url = format!("ws://{addr}/?token={token}");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    match tokio_tungstenite::client_async(in_url, stream).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 401);
        }
        other => panic!("expected 401, got {other:?}"),
    }
    // The browsers' form: the answer picks `chinwag`.
    let offered = format!("chinwag, bearer.{token}");
    assert_eq!(
        upgrade_status(
            addr,
            &[("sec-websocket-protocol", offered.as_str())],
            "sec-websocket-protocol"
        )
        .await,
        (101, Some("chinwag".into()))
    );
    let mut w = Wire::tcp(addr, &token).await;
    assert_eq!(w.hello().await["user"], "alice");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_outside_the_tokens_scopes_gets_forbidden() {
    let rig = Rig::with(&[("ops", "exec"), ("bob", "chat")], |_| {}).await;
    let mut ops = rig.remote("ops").await;
    for request in [
        chat("c", "hi"),
        json!({"type": "list_conversations", "id": "l"}),
        json!({"type": "list_models", "id": "m"}),
    ] {
        let answer = ops.call(request).await;
        assert_eq!(
            (&answer["type"], &answer["code"]),
            (&json!("error"), &json!("forbidden")),
            "{answer}"
        );
    }
    let mut bob = rig.remote("bob").await;
    for admin in ["reload", "shutdown"] {
        let answer = bob.call(json!({"type": admin, "id": admin})).await;
        assert_eq!(answer["code"], "forbidden", "{answer}");
    }
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_json_object_per_text_frame_and_binary_frames_are_an_error() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    w.send_frame(Message::binary(
        b"{\"type\":\"ping\",\"id\":\"b\"}".to_vec(),
    ))
    .await;
    let answer = w.recv().await;
    assert_eq!(
        (&answer["type"], &answer["id"]),
        (&json!("error"), &json!(""))
    );
    let pong = w.call(json!({"type": "ping", "id": "p"})).await;
    assert_eq!(pong["type"], "pong", "the socket stays open");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_announced_limit_closes_with_1009() {
    let rig = Rig::with(&[], |c| c.max_message_bytes = 4096).await;
    let mut w = Wire::unix(&rig.daemon.socket).await;
    let hello = w.hello().await;
    assert_eq!(hello["max_message_bytes"], 4096);
    let big = chat("big", &"x".repeat(5000));
    w.send(big).await;
    assert_eq!(w.ended().await, Ended::Closed(1009));
    let mut again = rig.local().await;
    let list = again
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_pings_and_a_client_that_answers_outlives_the_idle_limit() {
    let rig = Rig::with(&[], |c| {
        c.timeouts.ping_every = std::time::Duration::from_millis(50);
        c.timeouts.client_idle = std::time::Duration::from_millis(400);
    })
    .await;
    // Pings come and are answered (by the WebSocket library, as any client's would be), so
    // the connection outlives the idle limit several times over.
    let mut w = rig.local().await;
    let mut pings = 0;
    while pings < 20 {
        match w.raw_frame().await {
            Some(Message::Ping(_)) => pings += 1,
            Some(_) => {}
            None => panic!("closed while answering pings"),
        }
    }
    let pong = w.call(json!({"type": "ping", "id": "p"})).await;
    assert_eq!(pong["type"], "pong");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_frame_exceeds_1_mib_and_long_replies_come_in_deltas_of_32_kib() {
    let rig = Rig::start().await;
    let piece = "y".repeat(64 * 1024);
    rig.fake.script(chinwag_tests::fake_ollama::long_reply(
        "llama3.2", &piece, 24,
    ));
    let mut w = rig.local().await;
    let frames = w.chat(chat("long", "a long one")).await;
    assert_eq!(last(&frames)["status"], "complete", "{}", last(&frames));
    let mut total = 0;
    for f in &frames {
        assert!(f.to_string().len() <= 1024 * 1024);
        if f["type"] == "delta" {
            let n = f["content"].as_str().expect("content").len();
            assert!(n <= 32 * 1024, "a delta of {n} bytes");
            total += n;
        }
    }
    assert_eq!(total, 24 * 64 * 1024, "every byte arrived");
    rig.stop().await;
}
