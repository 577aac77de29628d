//! Points of the contract a client written from PROTOCOL.md relies on: an over-long message
//! is `message_too_large` and the socket stays open; a reused idempotency key with other words
//! is `conflict`; `limit: 0` is `invalid_request`; and a stopping daemon sends every watcher
//! its `done` (incomplete, shutting_down) before the 1001 close.

use crate::{chat, setup};
use chinwag_protocol::{ClientMsg, ErrorCode, MessageStatus, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::harness::{TestDaemon, test_config};
use tokio_tungstenite::tungstenite::Message;

fn code(m: &ServerMsg) -> Option<ErrorCode> {
    match m {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn an_over_long_message_is_message_too_large_and_the_socket_stays_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = chinwag_tests::fake_ollama::FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.max_content_chars = 100;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let reply = c.call(chat("long", &"é".repeat(101))).await;
    assert_eq!(code(&reply), Some(ErrorCode::MessageTooLarge), "{reply:?}");
    // 100 characters (200 bytes) are fine: the limit counts characters.
    c.send(&chat("ok", &"é".repeat(100))).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert!(matches!(msgs[0], ServerMsg::ChatStarted { .. }));
    assert_eq!(c.conversations().await.len(), 1, "only the one that fit");
    daemon.stop().await;
}

#[tokio::test]
async fn a_reused_idempotency_key_with_other_words_is_a_conflict() {
    let (_dir, _fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let keyed = |id: &str, content: &str| {
        let mut m = chat(id, content);
        if let ClientMsg::Chat {
            idempotency_key, ..
        } = &mut m
        {
            *idempotency_key = Some("k".into());
        }
        m
    };
    c.send(&keyed("1", "first words")).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert_eq!(
        code(&c.call(keyed("2", "other words")).await),
        Some(ErrorCode::Conflict)
    );
    let conv = c.conversations().await[0].id.clone();
    assert_eq!(c.stored(&conv).await.len(), 2, "nothing new stored");
    daemon.stop().await;
}

#[tokio::test]
async fn a_zero_limit_is_invalid() {
    let (_dir, _fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let list = ClientMsg::ListConversations {
        id: "l".into(),
        limit: Some(0),
        offset: None,
        cursor: None,
    };
    let search = ClientMsg::Search {
        id: "s".into(),
        query: "x".into(),
        limit: Some(0),
    };
    for msg in [list, search] {
        assert_eq!(code(&c.call(msg).await), Some(ErrorCode::InvalidRequest));
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_daemon_sends_every_watcher_its_done_before_the_close() {
    let (_dir, fake, daemon) = setup().await;
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "half", false).into_bytes()),
        Part::Gate,
    ]));
    let mut asker = TestClient::connect(&daemon.socket).await;
    asker.send(&chat("c", "go")).await;
    let head = asker.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let conv = match &head[0] {
        ServerMsg::ChatStarted { conversation, .. } => conversation.clone(),
        other => panic!("{other:?}"),
    };
    let mut watcher = TestClient::connect(&daemon.socket).await;
    watcher
        .send(&ClientMsg::Attach {
            id: "a".into(),
            conversation: conv,
        })
        .await;
    watcher
        .until(|m| matches!(m, ServerMsg::Replay { .. }))
        .await;

    let stopping = tokio::spawn(daemon.stop());
    for c in [&mut asker, &mut watcher] {
        let mut saw_done = false;
        loop {
            match c.recv_frame().await {
                Some(Message::Text(t)) => {
                    if let Ok(ServerMsg::Done { status, error, .. }) =
                        serde_json::from_str(t.as_str())
                    {
                        assert_eq!(status, MessageStatus::Incomplete);
                        assert_eq!(error.map(|e| e.code), Some(ErrorCode::ShuttingDown));
                        saw_done = true;
                    }
                }
                Some(Message::Close(Some(f))) => {
                    assert!(saw_done, "done came before the close");
                    assert_eq!(u16::from(f.code), 1001);
                    break;
                }
                other => panic!("expected done then a 1001 close, got {other:?}"),
            }
        }
    }
    stopping.await.expect("stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_beyond_the_backend_places_and_the_queue_are_backend_busy() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = chinwag_tests::fake_ollama::FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.max_generations = 1;
    config.max_queued_generations = 1;
    let daemon = TestDaemon::start(dir.path(), config).await;
    // One reply holds the only place (its stream waits), a second waits for it.
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "first", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", "", true).into_bytes()),
    ]));
    let mut c = TestClient::connect(&daemon.socket).await;
    c.send(&chat("one", "first")).await;
    c.until(|m| m.id() == "one" && matches!(m, ServerMsg::Delta { .. }))
        .await;
    c.send(&chat("two", "second")).await;
    c.until(|m| m.id() == "two" && matches!(m, ServerMsg::ChatStarted { .. }))
        .await;
    // Ollama was asked once: the second reply waits for the place, not in Ollama's queue.
    assert_eq!(fake.chats().len(), 1);
    match c.call(chat("three", "third")).await {
        ServerMsg::Error {
            code,
            retry_after_ms,
            ..
        } => {
            assert_eq!(code, ErrorCode::BackendBusy);
            assert!(retry_after_ms.is_some());
        }
        other => panic!("expected backend_busy, got {other:?}"),
    }
    // When the first ends, the second goes to Ollama and completes.
    fake.release();
    let rest = c
        .until(|m| m.id() == "two" && matches!(m, ServerMsg::Done { .. }))
        .await;
    match rest.last() {
        Some(ServerMsg::Done { status, .. }) => assert_eq!(*status, MessageStatus::Complete),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.chats().len(), 2);
    daemon.stop().await;
}
