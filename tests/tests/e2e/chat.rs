//! The chat path: streaming, exact history to Ollama, continuation, attach, disconnect, cancel,
//! idempotent resend.

use crate::{chat, setup};
use chinwag_protocol::{ClientMsg, ConversationId, GenOptions, MessageStatus, ServerMsg};
use chinwag_tests::client::{TestClient, assembled};
use chinwag_tests::fake_ollama::{Part, Script, line, reply};
use serde_json::json;

fn is_done(m: &ServerMsg) -> bool {
    matches!(m, ServerMsg::Done { .. })
}

fn started_ids(msgs: &[ServerMsg]) -> (ConversationId, chinwag_protocol::MessageId) {
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::ChatStarted {
                conversation,
                assistant_message,
                ..
            } => Some((conversation.clone(), assistant_message.clone())),
            _ => None,
        })
        .expect("chat_started")
}

fn done_status(msgs: &[ServerMsg]) -> (MessageStatus, Option<chinwag_protocol::ErrorBody>) {
    match msgs.last() {
        Some(ServerMsg::Done { status, error, .. }) => (*status, error.clone()),
        other => panic!("expected done, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_streams_and_ollama_gets_the_exact_history_system_and_options() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let options = GenOptions {
        system: Some("Be brief.".into()),
        temperature: Some(0.25),
        seed: Some(42),
        num_ctx: Some(4096),
        stop: vec!["END".into()],
        keep_alive: Some("5m".into()),
        ..GenOptions::default()
    };
    let first = ClientMsg::Chat {
        id: "a".into(),
        conversation: None,
        bot: None,
        model: Some("llama3.2".into()),
        content: "why is the sky blue?".into(),
        options,
        idempotency_key: Some("k1".into()),
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    fake.script(reply("llama3.2", &["Rayleigh", " scattering."]));
    c.send(&first).await;
    let msgs = c.until(is_done).await;
    assert!(
        matches!(msgs[0], ServerMsg::ChatStarted { ref model, .. } if model == "llama3.2:latest"),
        "{msgs:?}"
    );
    assert_eq!(assembled(&msgs), "Rayleigh scattering.");
    let (status, _) = done_status(&msgs);
    assert_eq!(status, MessageStatus::Complete);
    match msgs.last() {
        Some(ServerMsg::Done {
            stats: Some(s),
            done_reason,
            ..
        }) => {
            assert_eq!(s.completion_tokens, Some(282));
            assert_eq!(done_reason.as_deref(), Some("stop"));
            assert!(
                s.tokens_per_second.is_some_and(|t| t > 62.0 && t < 62.3),
                "{s:?}"
            );
        }
        other => panic!("done without stats: {other:?}"),
    }
    let (conv, _) = started_ids(&msgs);

    let body = &fake.chats()[0];
    assert_eq!(
        body["model"], "llama3.2:latest",
        "names are normalised as Ollama does"
    );
    assert_eq!(body["stream"], true);
    assert_eq!(body["keep_alive"], "5m");
    assert_eq!(
        body["messages"],
        json!([{"role":"system","content":"Be brief."},{"role":"user","content":"why is the sky blue?"}])
    );
    assert_eq!(
        body["options"],
        json!({"temperature":0.25,"seed":42,"num_ctx":4096,"stop":["END"]})
    );
    // The turn's options stay with the conversation, for a client that reopens it.
    match c
        .call(ClientMsg::GetConversation {
            id: "o".into(),
            conversation: conv.clone(),
        })
        .await
    {
        ServerMsg::Conversation {
            options, system, ..
        } => {
            assert_eq!(options.temperature, Some(0.25));
            assert_eq!(options.system, None, "system is its own field");
            assert_eq!(system.as_deref(), Some("Be brief."));
        }
        other => panic!("{other:?}"),
    }

    // Continue: the previous turns and the kept system prompt go back to Ollama.
    fake.script(reply("llama3.2", &["Diffusion de Rayleigh."]));
    let second = ClientMsg::Chat {
        id: "b".into(),
        conversation: Some(conv.clone()),
        bot: None,
        model: None,
        content: "and in French?".into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    c.send(&second).await;
    let msgs = c.until(is_done).await;
    assert_eq!(assembled(&msgs), "Diffusion de Rayleigh.");
    let body = &fake.chats()[1];
    assert_eq!(
        body["model"], "llama3.2:latest",
        "the conversation keeps its model"
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role":"system","content":"Be brief."},
            {"role":"user","content":"why is the sky blue?"},
            {"role":"assistant","content":"Rayleigh scattering."},
            {"role":"user","content":"and in French?"}
        ])
    );
    assert!(
        body.get("options").is_none(),
        "no options were set for this turn: {body}"
    );
    assert_eq!(c.stored(&conv).await.len(), 4);
    daemon.stop().await;
}

#[tokio::test]
async fn lines_split_across_chunks_and_content_on_the_done_line_are_all_kept() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let body = [
        line("llama3.2", "Grüß ", false),
        line("llama3.2", "日本", false),
        line("llama3.2", "!", true),
    ]
    .concat();
    let bytes = body.into_bytes();
    // Split everywhere awkward: mid-line, mid-UTF-8 sequence, one byte at a time in places.
    let cuts = [3, 20, 57, 58, 59, 90, bytes.len() - 2];
    let mut parts = Vec::new();
    let mut at = 0;
    for cut in cuts {
        parts.push(Part::Bytes(bytes[at..cut].to_vec()));
        at = cut;
    }
    parts.push(Part::Bytes(bytes[at..].to_vec()));
    fake.script(Script::Stream(parts));
    c.send(&chat("x", "greet")).await;
    let msgs = c.until(is_done).await;
    assert_eq!(assembled(&msgs), "Grüß 日本!");
    let (conv, _) = started_ids(&msgs);
    let stored = c.stored(&conv).await;
    assert_eq!(stored[1].content, "Grüß 日本!");
    assert_eq!(stored[1].status, MessageStatus::Complete);
    daemon.stop().await;
}

/// A stream that sends `first`, then waits for the test, then finishes with `rest`.
fn gated(first: &str, rest: &str) -> Script {
    Script::Stream(vec![
        Part::Bytes(line("llama3.2", first, false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", rest, false).into_bytes()),
        Part::Bytes(line("llama3.2", "", true).into_bytes()),
    ])
}

#[tokio::test]
async fn a_client_that_vanishes_mid_reply_loses_nothing_and_a_later_client_sees_it() {
    let (_dir, fake, daemon) = setup().await;
    let mut a = TestClient::connect(&daemon.socket).await;
    fake.script(gated("partial", " and the rest"));
    a.send(&chat("x", "tell me")).await;
    let msgs = a.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let (conv, _) = started_ids(&msgs);
    a.vanish();

    // Another client attaches while the reply is held: it gets the replay, then the live end.
    let mut b = TestClient::connect(&daemon.socket).await;
    b.send(&ClientMsg::Attach {
        id: "att".into(),
        conversation: conv.clone(),
    })
    .await;
    let first = b.recv().await;
    assert!(
        matches!(
            first,
            ServerMsg::Attached {
                generating: Some(_),
                ..
            }
        ),
        "{first:?}"
    );
    let replay = b.recv().await;
    assert!(
        matches!(&replay, ServerMsg::Replay { content, .. } if content == "partial"),
        "{replay:?}"
    );
    fake.release();
    let mut msgs = vec![replay];
    msgs.extend(b.until(is_done).await);
    assert_eq!(assembled(&msgs), "partial and the rest");
    assert_eq!(done_status(&msgs).0, MessageStatus::Complete);
    let stored = b.stored(&conv).await;
    assert_eq!(stored[1].content, "partial and the rest");
    assert_eq!(stored[1].status, MessageStatus::Complete);
    assert_eq!(
        fake.state().hangups,
        0,
        "the daemon kept reading Ollama after the client left"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn cancel_closes_the_ollama_request_and_stores_the_reply_as_cancelled() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(gated("half a th", "ought"));
    c.send(&chat("x", "think")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let (conv, _) = started_ids(&msgs);
    c.send(&ClientMsg::Cancel {
        id: "stop".into(),
        conversation: conv.clone(),
    })
    .await;
    let mut rest = c.until(is_done).await;
    assert_eq!(done_status(&rest).0, MessageStatus::Cancelled);
    if !rest
        .iter()
        .any(|m| matches!(m, ServerMsg::Ok { id } if id == "stop"))
    {
        rest = c
            .until(|m| matches!(m, ServerMsg::Ok { id } if id == "stop"))
            .await;
    }
    assert!(!rest.is_empty());
    fake.wait_for("Ollama's connection to close", |s| s.hangups == 1)
        .await;
    let stored = c.stored(&conv).await;
    assert_eq!(stored[1].status, MessageStatus::Cancelled);
    assert_eq!(stored[1].content, "half a th");
    daemon.stop().await;
}

#[tokio::test]
async fn a_resend_with_the_same_idempotency_key_is_stored_once() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let send = |id: &str| ClientMsg::Chat {
        id: id.into(),
        conversation: None,
        bot: None,
        model: Some("llama3.2".into()),
        content: "once".into(),
        options: GenOptions::default(),
        idempotency_key: Some("same-key".into()),
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    c.send(&send("1")).await;
    let first = c.until(is_done).await;
    c.send(&send("2")).await;
    let again = c.until(is_done).await;
    let ids = |msgs: &[ServerMsg]| match &msgs[0] {
        ServerMsg::ChatStarted {
            conversation,
            user_message,
            resumed,
            ..
        } => (conversation.clone(), user_message.clone(), *resumed),
        other => panic!("{other:?}"),
    };
    let (c1, u1, r1) = ids(&first);
    let (c2, u2, r2) = ids(&again);
    assert_eq!((c1.clone(), u1), (c2, u2));
    assert!(!r1 && r2);
    assert_eq!(
        assembled(&again),
        "Hello from the fake.",
        "the stored reply is replayed"
    );
    assert_eq!(fake.chats().len(), 1, "Ollama was asked once");
    assert_eq!(c.stored(&c1).await.len(), 2);
    daemon.stop().await;
}

#[tokio::test]
async fn a_resend_while_the_reply_is_live_attaches_to_it_with_or_without_the_conversation() {
    let (_dir, fake, daemon) = setup().await;
    fake.script(gated("first half", ", second half"));
    let resend = |id: &str, conversation: Option<ConversationId>| ClientMsg::Chat {
        id: id.into(),
        conversation,
        bot: None,
        model: Some("llama3.2".into()),
        content: "go".into(),
        options: GenOptions::default(),
        idempotency_key: Some("live-key".into()),
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    let mut lost = TestClient::connect(&daemon.socket).await;
    lost.send(&resend("1", None)).await;
    let head = lost.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let (conv, _) = started_ids(&head);
    lost.vanish(); // the connection dropped mid-reply

    let mut with_id = TestClient::connect(&daemon.socket).await;
    with_id.send(&resend("2", Some(conv.clone()))).await;
    let mut without_id = TestClient::connect(&daemon.socket).await;
    without_id.send(&resend("3", None)).await;
    for c in [&mut with_id, &mut without_id] {
        let msgs = c.until(|m| matches!(m, ServerMsg::Replay { .. })).await;
        match &msgs[0] {
            ServerMsg::ChatStarted {
                conversation,
                resumed,
                ..
            } => assert!(*resumed && *conversation == conv, "{msgs:?}"),
            other => panic!("expected chat_started, got {other:?}"),
        }
        assert_eq!(assembled(&msgs), "first half");
    }
    fake.release();
    for c in [&mut with_id, &mut without_id] {
        let rest = c.until(is_done).await;
        assert_eq!(assembled(&rest), ", second half");
        assert_eq!(done_status(&rest).0, MessageStatus::Complete);
    }
    assert_eq!(fake.chats().len(), 1, "Ollama was asked once");
    assert_eq!(with_id.stored(&conv).await.len(), 2);
    daemon.stop().await;
}

#[tokio::test]
async fn a_second_chat_in_a_busy_conversation_is_refused_with_conflict() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(gated("a", "b"));
    c.send(&chat("x", "first")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let (conv, _) = started_ids(&msgs);
    let busy = ClientMsg::Chat {
        id: "y".into(),
        conversation: Some(conv.clone()),
        bot: None,
        model: None,
        content: "second".into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    let reply = c.call(busy).await;
    assert!(
        matches!(
            reply,
            ServerMsg::Error {
                code: chinwag_protocol::ErrorCode::Conflict,
                ..
            }
        ),
        "{reply:?}"
    );
    fake.release();
    c.until(is_done).await;
    assert_eq!(
        c.stored(&conv).await.len(),
        2,
        "the refused message was not stored"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn bots_and_the_default_model_choose_what_ollama_is_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = chinwag_tests::fake_ollama::FakeOllama::start().await;
    fake.state().models = vec!["newest".into(), "older".into(), "qwen2.5-coder".into()];
    let mut config = chinwag_tests::harness::test_config(dir.path(), &fake.host());
    let bot: chinwagd::config::BotConfig = toml::from_str(
        "model = \"qwen2.5-coder\"\nsystem = \"You review code.\"\n[options]\ntemperature = 0.2\n",
    )
    .expect("bot config");
    config.bots.insert("coder".into(), bot);
    let daemon = chinwag_tests::harness::TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;

    match c.call(ClientMsg::ListBots { id: "b".into() }).await {
        ServerMsg::Bots { bots, .. } => assert_eq!(bots[0].model.as_deref(), Some("qwen2.5-coder")),
        other => panic!("{other:?}"),
    }

    // No model anywhere: Ollama's newest, named in chat_started.
    let no_model = |id: &str, bot: Option<&str>| ClientMsg::Chat {
        id: id.into(),
        conversation: None,
        bot: bot.map(Into::into),
        model: None,
        content: "hi".into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    c.send(&no_model("1", None)).await;
    let msgs = c.until(is_done).await;
    assert!(
        matches!(&msgs[0], ServerMsg::ChatStarted { model, .. } if model == "newest:latest"),
        "{msgs:?}"
    );

    // A bot brings its model, system prompt and options.
    c.send(&no_model("2", Some("coder"))).await;
    let msgs = c.until(is_done).await;
    assert!(
        matches!(&msgs[0], ServerMsg::ChatStarted { model, bot: Some(b), .. } if model == "qwen2.5-coder:latest" && b == "coder"),
        "{msgs:?}"
    );
    let body = &fake.chats()[1];
    assert_eq!(body["model"], "qwen2.5-coder:latest");
    assert_eq!(
        body["messages"][0],
        json!({"role":"system","content":"You review code."})
    );
    assert_eq!(body["options"], json!({"temperature":0.2}));

    // Then, with no model given, the one used last.
    c.send(&no_model("3", None)).await;
    let msgs = c.until(is_done).await;
    assert!(
        matches!(&msgs[0], ServerMsg::ChatStarted { model, .. } if model == "qwen2.5-coder:latest"),
        "{msgs:?}"
    );

    // An unknown bot is refused before anything is stored.
    let reply = c.call(no_model("4", Some("nobody"))).await;
    assert!(
        matches!(
            reply,
            ServerMsg::Error {
                code: chinwag_protocol::ErrorCode::InvalidRequest,
                ..
            }
        ),
        "{reply:?}"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn replace_from_regenerates_the_last_turn_in_one_commit() {
    let (_dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(reply("llama3.2", &["first answer"]));
    c.send(&chat("a", "the question")).await;
    let (conv, _) = started_ids(&c.until(is_done).await);
    let before = c.stored(&conv).await;
    let question = before[0].id.clone();

    let redo = |id: &str, from: chinwag_protocol::MessageId, content: &str| ClientMsg::Chat {
        id: id.into(),
        conversation: Some(conv.clone()),
        bot: None,
        model: Some("llama3.2".into()),
        content: content.into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: Some(from),
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    fake.script(reply("llama3.2", &["better answer"]));
    c.send(&redo("b", question.clone(), "the question, edited"))
        .await;
    let msgs = c.until(is_done).await;
    assert_eq!(assembled(&msgs), "better answer");
    let after = c.stored(&conv).await;
    let texts: Vec<&str> = after.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["the question, edited", "better answer"]);
    // Ollama saw only the new turn, not the replaced one.
    assert_eq!(
        fake.chats()[1]["messages"],
        json!([{"role":"user","content":"the question, edited"}])
    );

    // The replaced message is gone: naming it again is refused and changes nothing.
    match c.call(redo("c", question, "again")).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, chinwag_protocol::ErrorCode::NotFound),
        other => panic!("expected not_found, got {other:?}"),
    }
    assert_eq!(c.stored(&conv).await.len(), 2);
}
