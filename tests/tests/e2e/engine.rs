//! The engine's promise about ends: the code a reply's `done` carried is stored with it and
//! comes back unchanged after a restart, in `get_conversation` and on a resend.

use chinwag_protocol::{ClientMsg, ErrorCode, MessageStatus, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, Script};
use chinwag_tests::harness::{TestDaemon, test_config};
use serde_json::json;

fn keyed(id: &str, key: &str) -> ClientMsg {
    let mut msg = chinwag_tests::client::chat(id, "hello");
    if let ClientMsg::Chat {
        idempotency_key, ..
    } = &mut msg
    {
        *idempotency_key = Some(key.into());
    }
    msg
}

fn done_code(msgs: &[ServerMsg]) -> (MessageStatus, Option<ErrorCode>) {
    match msgs.last() {
        Some(ServerMsg::Done { status, error, .. }) => (*status, error.as_ref().map(|e| e.code)),
        other => panic!("expected done, got {other:?}"),
    }
}

#[tokio::test]
async fn error_codes_survive_a_restart_in_the_store_and_on_resend() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let daemon = TestDaemon::start(dir.path(), test_config(dir.path(), &fake.host())).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(Script::Status(503, json!({"error": "server busy"})));
    c.send(&keyed("a", "busy-1")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let before = done_code(&msgs);
    assert_eq!(before, (MessageStatus::Error, Some(ErrorCode::BackendBusy)));
    drop(c);
    daemon.stop().await;

    let daemon = TestDaemon::start(dir.path(), test_config(dir.path(), &fake.host())).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let conv = c.conversations().await[0].id.clone();
    let stored = c.stored(&conv).await;
    assert_eq!(stored[1].error_code, Some(ErrorCode::BackendBusy));
    c.send(&keyed("b", "busy-1")).await;
    let again = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert!(matches!(
        again[0],
        ServerMsg::ChatStarted { resumed: true, .. }
    ));
    assert_eq!(done_code(&again), before, "the same end, not a made-up one");
    assert_eq!(fake.chats().len(), 1, "nothing asked again");
}
