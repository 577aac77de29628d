//! Bad input and broken backends: each gets a clear error code, loses nothing that was
//! acknowledged, and stores nothing it should not.

use crate::{chat, setup};
use chinwag_protocol::{ClientMsg, ErrorCode, MessageStatus, PROTOCOL_VERSION, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::harness::{TestDaemon, test_config};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn error_code(m: &ServerMsg) -> ErrorCode {
    match m {
        ServerMsg::Error { code, .. } => *code,
        other => panic!("expected an error frame, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_frames_get_precise_error_codes_and_the_connection_stays_usable() {
    let (_dir, _fake, daemon) = setup().await;
    let mut c = TestClient::connect_raw(&daemon.socket).await;

    c.send_text(r#"{"type":"ping","id":"early"}"#).await;
    let m = c.recv().await;
    assert_eq!(error_code(&m), ErrorCode::HelloRequired);
    assert_eq!(m.id(), "early");

    c.send_text(&json!({"type":"hello","id":"h","protocol":PROTOCOL_VERSION + 1}).to_string())
        .await;
    let m = c.recv().await;
    assert_eq!(error_code(&m), ErrorCode::UnsupportedVersion);
    assert_eq!(m.id(), "h");

    c.send_text(&json!({"type":"hello","id":"h2","protocol":PROTOCOL_VERSION}).to_string())
        .await;
    assert!(matches!(c.recv().await, ServerMsg::Hello { .. }));

    c.send_text("{this is not json").await;
    assert_eq!(error_code(&c.recv().await), ErrorCode::InvalidJson);

    c.send_text(r#"{"type":"dance","id":"d1"}"#).await;
    let m = c.recv().await;
    assert_eq!(error_code(&m), ErrorCode::UnknownType);
    assert_eq!(
        m.id(),
        "d1",
        "the id is echoed even when the type is unknown"
    );

    c.send_text(r#"{"type":"chat","id":"c1","model":"llama3.2"}"#)
        .await;
    match c.recv().await {
        ServerMsg::Error {
            code, message, id, ..
        } => {
            assert_eq!(code, ErrorCode::InvalidRequest);
            assert!(message.contains("content"), "{message}");
            assert_eq!(id, "c1");
        }
        other => panic!("{other:?}"),
    }

    c.send_text(r#"{"type":"chat","id":"c2","model":"llama3.2","content":"   "}"#)
        .await;
    assert_eq!(error_code(&c.recv().await), ErrorCode::InvalidRequest);

    c.send_text(r#"[1,2,3]"#).await;
    assert_eq!(error_code(&c.recv().await), ErrorCode::InvalidRequest);

    c.send_text(r#"{"type":"chat","id":"c3","model":"llama3.2","content":"hi","options":{"keep_alive":"forever"}}"#).await;
    assert_eq!(error_code(&c.recv().await), ErrorCode::InvalidRequest);

    // Still usable, and nothing was stored by any of the above.
    assert!(matches!(
        c.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
    assert_eq!(c.conversations().await.len(), 0);
    daemon.stop().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009_and_stores_nothing() {
    let (_dir, _fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let huge = "x".repeat(chinwag_protocol::DEFAULT_MAX_MESSAGE_BYTES + 1);
    // The daemon may close before it has read the whole frame, so the send itself can fail.
    let sent = c
        .try_send_text(
            &json!({"type":"chat","id":"big","model":"llama3.2","content":huge}).to_string(),
        )
        .await;
    match c.recv_frame().await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        None => assert!(sent.is_err(), "the connection ended without a close frame"),
        other => panic!("expected close 1009, got {other:?}"),
    }
    let mut c = TestClient::connect(&daemon.socket).await;
    assert_eq!(c.conversations().await.len(), 0);
    daemon.stop().await;
}

/// Sends a chat and returns its `done` error code and the stored turn.
async fn failed_turn(
    c: &mut TestClient,
    model: &str,
) -> (ErrorBodyView, Vec<chinwag_protocol::StoredMessage>) {
    let mut msg = chat("f", "hello?");
    if let ClientMsg::Chat { model: m, .. } = &mut msg {
        *m = Some(model.into());
    }
    c.send(&msg).await;
    let msgs = c
        .until(|m| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. }))
        .await;
    let conv = msgs.iter().find_map(|m| match m {
        ServerMsg::ChatStarted { conversation, .. } => Some(conversation.clone()),
        _ => None,
    });
    let (code, retry, status) = match msgs.last() {
        Some(ServerMsg::Done {
            status,
            error: Some(e),
            ..
        }) => (e.code, e.retry_after_ms, Some(*status)),
        other => panic!("expected a failed done, got {other:?}"),
    };
    let conv = conv.expect("the turn was acknowledged before Ollama was called");
    let stored = match c
        .call(ClientMsg::GetConversation {
            id: "g".into(),
            conversation: conv,
        })
        .await
    {
        ServerMsg::Conversation { messages, .. } => messages,
        other => panic!("{other:?}"),
    };
    (
        ErrorBodyView {
            code,
            retry,
            status,
        },
        stored,
    )
}

#[derive(Debug)]
struct ErrorBodyView {
    code: ErrorCode,
    retry: Option<u64>,
    status: Option<MessageStatus>,
}

#[tokio::test]
async fn backend_failures_keep_the_users_message_and_mark_the_reply() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;

    // A model that went away between the daemon's check and the chat: Ollama's 404.
    fake.script(Script::Status(
        404,
        json!({"error":"model 'llama3.2' not found"}),
    ));
    let (e, stored) = failed_turn(&mut c, "llama3.2").await;
    assert_eq!(e.code, ErrorCode::ModelNotFound);
    assert_eq!(stored[0].content, "hello?");
    assert_eq!(stored[1].status, MessageStatus::Error);
    assert_eq!(stored[1].error_code, Some(ErrorCode::ModelNotFound));
    assert!(
        stored[1]
            .error
            .as_deref()
            .is_some_and(|m| m.contains("ollama pull llama3.2")),
        "{stored:?}"
    );

    // Queue full: 503 with a retry hint.
    fake.script(Script::Status(
        503,
        json!({"error":"server busy, please try again.  maximum pending requests exceeded"}),
    ));
    let (e, stored) = failed_turn(&mut c, "llama3.2").await;
    assert_eq!(e.code, ErrorCode::BackendBusy);
    assert!(e.retry.is_some_and(|ms| ms > 0));
    assert_eq!(stored[1].status, MessageStatus::Error);

    // Dropped mid-stream: what arrived is kept, marked error.
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "half", false).into_bytes()),
        Part::Drop,
    ]));
    let (e, stored) = failed_turn(&mut c, "llama3.2").await;
    assert_eq!(e.code, ErrorCode::BackendError);
    assert_eq!(e.status, Some(MessageStatus::Error));
    assert_eq!(stored[1].content, "half");
    assert_eq!(stored[1].status, MessageStatus::Error);

    // An error line mid-stream (status stays 200).
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "so far", false).into_bytes()),
        Part::Bytes(b"{\"error\":\"an error was encountered while running the model\"}\n".to_vec()),
    ]));
    let (e, stored) = failed_turn(&mut c, "llama3.2").await;
    assert_eq!(e.code, ErrorCode::BackendError);
    assert_eq!(stored[1].content, "so far");
    assert_eq!(stored[1].status, MessageStatus::Error);
    assert!(
        stored[1]
            .error
            .as_deref()
            .is_some_and(|m| m.contains("encountered while running"))
    );
    daemon.stop().await;
}

#[tokio::test]
async fn an_unknown_model_is_refused_before_anything_is_stored_with_the_closest_name() {
    let (_dir, fake, daemon) = setup().await;
    fake.state().models = vec!["llama3.2".into(), "qwen2.5-coder".into()];
    let mut c = TestClient::connect(&daemon.socket).await;
    let mut typo = chat("t", "hello?");
    if let ClientMsg::Chat { model, .. } = &mut typo {
        *model = Some("lama3.2".into());
    }
    match c.call(typo).await {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::ModelNotFound);
            assert!(message.contains("did you mean llama3.2?"), "{message}");
        }
        other => panic!("expected model_not_found, got {other:?}"),
    }
    assert_eq!(c.conversations().await.len(), 0, "nothing stored");
    assert!(fake.chats().is_empty(), "Ollama was never asked to chat");
    // The typo never becomes the default: a chat with no model uses a model Ollama has.
    let mut plain = chat("p", "hi");
    if let ClientMsg::Chat { model, .. } = &mut plain {
        *model = None;
    }
    c.send(&plain).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert!(
        matches!(&msgs[0], ServerMsg::ChatStarted { model, .. } if model == "llama3.2:latest"),
        "{msgs:?}"
    );
    // `llama3.2` and `llama3.2:latest` are one model: the default is marked in the list.
    match c.call(ClientMsg::ListModels { id: "l".into() }).await {
        ServerMsg::Models {
            models,
            default_model,
            ..
        } => {
            let d = default_model.expect("a default");
            assert!(models.iter().any(|m| m.name == d), "{d} is listed as-is");
        }
        other => panic!("{other:?}"),
    }
    daemon.stop().await;
}

#[tokio::test]
async fn ollama_down_is_backend_unavailable_with_the_fix_in_the_message() {
    let dir = tempfile::tempdir().expect("tmp");
    // A port with nothing behind it: bind, note, drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let daemon = TestDaemon::start(
        dir.path(),
        test_config(dir.path(), &format!("127.0.0.1:{port}")),
    )
    .await;
    let mut c = TestClient::connect(&daemon.socket).await;
    // With no model given, configured or used before, the daemon asks Ollama for its list:
    // the failure comes before anything is stored.
    let reply = c
        .call(ClientMsg::Chat {
            id: "n".into(),
            conversation: None,
            bot: None,
            model: None,
            content: "hi".into(),
            options: Default::default(),
            idempotency_key: None,
            replace_from: None,
            tools: None,
            attachments: Vec::new(),
            ephemeral: false,
        })
        .await;
    assert_eq!(error_code(&reply), ErrorCode::BackendUnavailable);
    assert_eq!(c.conversations().await.len(), 0);

    // With a model named, the daemon still checks it with Ollama before storing anything:
    // a chat while Ollama is down leaves no conversation behind to hijack `--continue`.
    let reply = c.call(chat("m", "hello?")).await;
    match &reply {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(*code, ErrorCode::BackendUnavailable);
            assert!(
                message.contains("ollama serve") && message.contains("OLLAMA_HOST"),
                "{message}"
            );
        }
        other => panic!("expected an error frame, got {other:?}"),
    }
    assert_eq!(c.conversations().await.len(), 0);

    daemon.stop().await;
}

#[tokio::test]
async fn a_retry_of_a_turn_that_failed_before_any_text_is_not_stored_twice() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    c.send(&chat("1", "first")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let conv = match &msgs[0] {
        ServerMsg::ChatStarted { conversation, .. } => conversation.clone(),
        other => panic!("{other:?}"),
    };
    let in_conv = |id: &str, content: &str| {
        let mut m = chat(id, content);
        if let ClientMsg::Chat { conversation, .. } = &mut m {
            *conversation = Some(conv.clone());
        }
        m
    };
    // Ollama fails before producing anything: the acknowledged message stays.
    fake.script(Script::Status(500, json!({"error":"out of memory"})));
    c.send(&in_conv("2", "again")).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let after_failure = c.stored(&conv).await;
    assert_eq!(after_failure.len(), 4);
    assert_eq!(after_failure[2].content, "again");
    assert_eq!(after_failure[3].status, MessageStatus::Error);
    // The retry replaces the failed attempt instead of repeating it.
    c.send(&in_conv("3", "again")).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let after_retry = c.stored(&conv).await;
    let texts: Vec<(&str, MessageStatus)> = after_retry
        .iter()
        .map(|m| (m.content.as_str(), m.status))
        .collect();
    assert_eq!(
        texts,
        [
            ("first", MessageStatus::Complete),
            ("Hello from the fake.", MessageStatus::Complete),
            ("again", MessageStatus::Complete),
            ("Hello from the fake.", MessageStatus::Complete),
        ]
    );
    daemon.stop().await;
}
