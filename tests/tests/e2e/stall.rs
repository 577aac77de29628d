//! A stalled Ollama: no first token (a stuck model load), or tokens that stop mid-reply. Each
//! chat ends with `backend_timeout` instead of hanging, watchers hear `loading` meanwhile,
//! what came is kept, and the code survives in the store.

use crate::{chat, setup_with_timeouts};
use chinwag_protocol::{ClientMsg, ErrorCode, MessageStatus, ServerMsg};
use chinwag_tests::client::{TestClient, assembled};
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwagd::config::Timeouts;
use std::time::Duration;

fn short_backend_deadlines() -> Timeouts {
    Timeouts {
        first_token: Duration::from_millis(400),
        between_tokens: Duration::from_millis(300),
        loading_notice: Duration::from_millis(20),
        ..Timeouts::default()
    }
}

fn done_error(msgs: &[ServerMsg]) -> (MessageStatus, ErrorCode) {
    match msgs.last() {
        Some(ServerMsg::Done {
            status,
            error: Some(e),
            ..
        }) => (*status, e.code),
        other => panic!("expected a failed done, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_against_a_backend_that_never_answers_end_with_backend_timeout() {
    let (_dir, fake, daemon) = setup_with_timeouts(short_backend_deadlines()).await;
    const CHATS: usize = 4; // as many as may be in flight to the backend at once
    for _ in 0..CHATS {
        fake.script(Script::Hang);
    }
    let mut c = TestClient::connect(&daemon.socket).await;
    for i in 0..CHATS {
        let mut msg = chat(&format!("c{i}"), "hello?");
        if let ClientMsg::Chat {
            idempotency_key, ..
        } = &mut msg
        {
            *idempotency_key = Some(format!("k{i}"));
        }
        c.send(&msg).await;
    }
    let mut ended = 0;
    let mut loading = 0;
    while ended < CHATS {
        match c.recv().await {
            ServerMsg::Loading { model, .. } => {
                assert_eq!(model, "llama3.2:latest");
                loading += 1;
            }
            ServerMsg::Done { status, error, .. } => {
                assert_eq!(status, MessageStatus::Error);
                let e = error.expect("an error");
                assert_eq!(e.code, ErrorCode::BackendTimeout);
                assert!(e.message.contains("first token"), "{}", e.message);
                ended += 1;
            }
            ServerMsg::ChatStarted { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(loading, CHATS, "every watcher heard `loading` first");
    fake.wait_for("the daemon hung up on every stuck request", |s| {
        s.hangups == CHATS
    })
    .await;

    // The code is stored: a resend of the same turn ends the same way.
    let mut again = chat("r", "hello?");
    if let ClientMsg::Chat {
        idempotency_key, ..
    } = &mut again
    {
        *idempotency_key = Some("k0".into());
    }
    c.send(&again).await;
    let msgs = c
        .until(|m| m.id() == "r" && matches!(m, ServerMsg::Done { .. }))
        .await;
    assert_eq!(
        done_error(&msgs),
        (MessageStatus::Error, ErrorCode::BackendTimeout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_whose_tokens_stop_ends_with_backend_timeout_and_keeps_its_text() {
    let (_dir, fake, daemon) = setup_with_timeouts(short_backend_deadlines()).await;
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "Hello", false).into_bytes()),
        Part::Bytes(line("llama3.2", " there", false).into_bytes()),
        Part::Gate, // never released: the model stalls
    ]));
    let mut c = TestClient::connect(&daemon.socket).await;
    c.send(&chat("c", "hi")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert_eq!(assembled(&msgs), "Hello there");
    assert_eq!(
        done_error(&msgs),
        (MessageStatus::Error, ErrorCode::BackendTimeout)
    );
    assert!(
        !msgs.iter().any(|m| matches!(m, ServerMsg::Loading { .. })),
        "no `loading` once text flows"
    );
    let id = c.conversations().await[0].id.clone();
    match c
        .call(ClientMsg::GetConversation {
            id: "g".into(),
            conversation: id,
        })
        .await
    {
        ServerMsg::Conversation { messages, .. } => {
            assert_eq!(messages[1].content, "Hello there");
            assert_eq!(messages[1].status, MessageStatus::Error);
            assert_eq!(messages[1].error_code, Some(ErrorCode::BackendTimeout));
        }
        other => panic!("{other:?}"),
    }
}
