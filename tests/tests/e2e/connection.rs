//! Connections that misbehave: a client that never reads, one that writes without reading,
//! one that goes silent, and frames that break the WebSocket rules. Each is closed with the
//! code PROTOCOL.md names, and never holds the daemon or a generation.

use crate::{chat, setup_with_timeouts};
use chinwag_protocol::{ClientMsg, MessageStatus, ServerMsg};
use chinwag_tests::client::{FRAME_TIMEOUT, TestClient};
use chinwag_tests::fake_ollama::{Script, long_reply};
use chinwag_tests::harness::wait_until;
use chinwagd::config::Timeouts;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn short_write_deadline() -> Timeouts {
    Timeouts {
        client_write: Duration::from_millis(300),
        ..Timeouts::default()
    }
}

/// A reply far bigger than any socket buffer: 48 lines of 64 KiB.
fn big_reply() -> Script {
    long_reply("llama3.2", &"x".repeat(64 * 1024), 48)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_off_and_its_reply_completes() {
    let (_dir, fake, daemon) = setup_with_timeouts(short_write_deadline()).await;
    fake.script(big_reply());
    let mut watcher = TestClient::connect(&daemon.socket).await;
    let mut deaf = TestClient::connect(&daemon.socket).await;
    deaf.send(&chat("c", "tell me everything")).await;
    watcher.wait_connections(2).await;
    // The deaf client never reads another frame; the daemon lets it go.
    watcher.wait_connections(1).await;
    // ...and the reply it asked for went on without it.
    let list = watcher.conversations().await;
    assert_eq!(list.len(), 1);
    let id = list[0].id.clone();
    let stored = || async {
        let mut c = TestClient::connect(&daemon.socket).await;
        match c
            .call(ClientMsg::History {
                id: "h".into(),
                conversation: id.clone(),
                before: None,
                limit: Some(2),
            })
            .await
        {
            ServerMsg::Messages { items, .. } => items[1].status == MessageStatus::Complete,
            other => panic!("{other:?}"),
        }
    };
    wait_until("the reply is stored complete", stored).await;
    drop(deaf);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_writes_without_reading_is_cut_off() {
    let (_dir, _fake, daemon) = setup_with_timeouts(short_write_deadline()).await;
    let mut watcher = TestClient::connect(&daemon.socket).await;
    let mut flood = TestClient::connect(&daemon.socket).await;
    let writer = tokio::spawn(async move {
        let ping = serde_json::to_string(&ClientMsg::Ping { id: "p".into() }).expect("encode");
        for _ in 0..1_000_000 {
            if flood.try_send_text(&ping).await.is_err() {
                return true;
            }
        }
        false
    });
    watcher.wait_connections(2).await;
    watcher.wait_connections(1).await;
    let cut = tokio::time::timeout(FRAME_TIMEOUT, writer)
        .await
        .expect("the flooding client's writes fail once it is cut off")
        .expect("writer task");
    assert!(cut, "the daemon closed the flooding connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_closed_with_1001_and_an_active_one_stays() {
    let timeouts = Timeouts {
        ping_every: Duration::from_millis(100),
        client_idle: Duration::from_millis(400),
        ..Timeouts::default()
    };
    let (_dir, _fake, daemon) = setup_with_timeouts(timeouts).await;
    let mut active = TestClient::connect(&daemon.socket).await;
    // Silent: upgraded, then never a byte more (reading raw bytes answers no ping).
    let mut silent = raw_upgraded(&daemon.socket).await;
    active.wait_connections(2).await;
    active.wait_connections(1).await;
    // The silent one finds the daemon's pings, then the close with its code.
    let mut bytes = Vec::new();
    tokio::time::timeout(FRAME_TIMEOUT, silent.read_to_end(&mut bytes))
        .await
        .expect("closed")
        .expect("read");
    let frames = server_frames(&bytes);
    assert!(
        frames.iter().any(|(op, _)| *op == 0x9),
        "pinged first: {frames:?}"
    );
    match frames.last() {
        Some((0x8, payload)) => assert_eq!(payload[..2], [0x03, 0xE9], "1001"),
        other => panic!("expected a close frame last, got {other:?}"),
    }
    assert!(matches!(
        active.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
}

/// Upgrades by hand, so the test can write frames no WebSocket library would.
async fn raw_upgraded(socket: &std::path::Path) -> tokio::net::UnixStream {
    let mut s = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect");
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .expect("write upgrade");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(FRAME_TIMEOUT, s.read(&mut b))
            .await
            .expect("upgrade reply in time")
            .expect("read");
        assert_eq!(n, 1, "the daemon hung up during the upgrade");
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    s
}

/// The (opcode, payload) of each small unmasked frame the daemon sent.
fn server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 2 {
        let len = usize::from(bytes[1] & 0x7F);
        assert!(
            len < 126 && bytes.len() >= 2 + len,
            "a short frame: {bytes:?}"
        );
        out.push((bytes[0] & 0x0F, bytes[2..2 + len].to_vec()));
        bytes = &bytes[2 + len..];
    }
    out
}

/// A client frame: `first` byte (FIN, RSV, opcode), masked unless told otherwise.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask = [0x11u8, 0x22, 0x33, 0x44];
    let len = u8::try_from(payload.len()).expect("short payload");
    let mut f = vec![first, if masked { 0x80 | len } else { len }];
    if masked {
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

/// Sends `bytes` and returns the close code the daemon answers with.
async fn close_code_for(socket: &std::path::Path, bytes: &[u8]) -> u16 {
    let mut s = raw_upgraded(socket).await;
    s.write_all(bytes).await.expect("write frame");
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(FRAME_TIMEOUT, s.read_to_end(&mut reply))
        .await
        .expect("the daemon answers and closes");
    match server_frames(&reply).last() {
        Some((0x8, payload)) if payload.len() >= 2 => u16::from_be_bytes([payload[0], payload[1]]),
        other => panic!("expected a close frame, got {other:?} of {reply:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_that_break_the_websocket_rules_close_with_their_rfc_codes() {
    let (_dir, _fake, daemon) = setup_with_timeouts(Timeouts::default()).await;
    let bad_utf8 = frame(0x81, b"{\"type\":\"ping\",\"id\":\"\xff\xfe\"}", true);
    assert_eq!(close_code_for(&daemon.socket, &bad_utf8).await, 1007);
    let rsv1 = frame(0xC1, b"{}", true);
    assert_eq!(close_code_for(&daemon.socket, &rsv1).await, 1002);
    let reserved_opcode = frame(0x83, b"{}", true);
    assert_eq!(close_code_for(&daemon.socket, &reserved_opcode).await, 1002);
    let unmasked = frame(0x81, b"{}", false);
    assert_eq!(close_code_for(&daemon.socket, &unmasked).await, 1002);
    // The daemon is fine afterwards.
    let mut c = TestClient::connect(&daemon.socket).await;
    assert!(matches!(
        c.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
}
