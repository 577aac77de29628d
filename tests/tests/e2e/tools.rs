//! Tool calling with per-client approval, against the fake Ollama's `tool_calls`: approve,
//! deny, allow for the conversation, a policy refusal that never asks, an answer from a
//! second connection after the first left, the timeout, the round limit, a restart during
//! the wait (nothing runs), and a model that cannot call tools.

use chinwag_protocol::{
    ClientMsg, ConversationId, Decision, MessageStatus, ServerMsg, ToolEvent, Verdict,
};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, reply, tool_calls};
use chinwag_tests::harness::{TestDaemon, test_config};
use chinwagd::Config;
use chinwagd::exec::spawn::spawned;
use serde_json::{Value, json};
use std::path::Path;
use tempfile::TempDir;

/// A daemon whose executor root is `dir/proj` (with `notes.txt`), and its fake Ollama.
pub(crate) async fn daemon_with(
    change: impl FnOnce(&mut Config),
) -> (TempDir, FakeOllama, TestDaemon) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeOllama::start().await;
    let config = config_in(dir.path(), &fake, change);
    let daemon = TestDaemon::start(dir.path(), config).await;
    (dir, fake, daemon)
}

pub(crate) fn config_in(dir: &Path, fake: &FakeOllama, change: impl FnOnce(&mut Config)) -> Config {
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    std::fs::write(proj.join("notes.txt"), "one\ntwo\n").expect("notes");
    let mut config = test_config(dir, &fake.host());
    config.exec.root = Some(proj);
    change(&mut config);
    config
}

pub(crate) fn chat_with_tools(
    id: &str,
    conversation: Option<&ConversationId>,
    tools: &[&str],
) -> ClientMsg {
    ClientMsg::Chat {
        id: id.into(),
        conversation: conversation.cloned(),
        bot: None,
        model: Some("llama3.2".into()),
        content: "what do my notes say?".into(),
        options: Default::default(),
        idempotency_key: None,
        replace_from: None,
        tools: Some(tools.iter().map(|t| t.to_string()).collect()),
        attachments: Vec::new(),
        ephemeral: false,
    }
}

pub(crate) fn approve(conversation: &ConversationId, call: &str, decision: Decision) -> ClientMsg {
    ClientMsg::Approve {
        id: format!("ok-{call}"),
        conversation: conversation.clone(),
        call: call.into(),
        decision,
        reason: None,
    }
}

pub(crate) fn read_notes() -> (&'static str, Value) {
    ("read_file", json!({"path": "notes.txt"}))
}

/// The tool events in `msgs`, in order.
pub(crate) fn tool_events(msgs: &[ServerMsg]) -> Vec<ToolEvent> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Tool { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn is_done(m: &ServerMsg) -> bool {
    matches!(m, ServerMsg::Done { .. })
}

pub(crate) fn asks(m: &ServerMsg) -> bool {
    matches!(
        m,
        ServerMsg::Tool {
            event: ToolEvent::Call {
                verdict: Verdict::Ask,
                ..
            },
            ..
        }
    )
}

pub(crate) fn conversation_of(msgs: &[ServerMsg]) -> ConversationId {
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::ChatStarted { conversation, .. } => Some(conversation.clone()),
            _ => None,
        })
        .expect("chat_started")
}

pub(crate) fn result_of(events: &[ToolEvent]) -> (String, bool) {
    events
        .iter()
        .find_map(|e| match e {
            ToolEvent::Result { output, ok, .. } => Some((output.clone(), *ok)),
            _ => None,
        })
        .expect("a result")
}

/// The `tool` messages of the request Ollama got, as (tool_name, content).
pub(crate) fn tool_messages(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["role"] == "tool")
                .map(|m| {
                    (
                        m["tool_name"].as_str().unwrap_or("").to_string(),
                        m["content"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_approved_call_runs_and_its_result_goes_back_to_the_model() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "Let me look.", &[read_notes()]));
    fake.script(reply("llama3.2", &["They say one, two."]));
    c.send(&chat_with_tools("a", None, &["read_file"])).await;
    let before = c.until(asks).await;
    let conv = conversation_of(&before);
    match tool_events(&before).last() {
        Some(ToolEvent::Call {
            call,
            tool,
            arguments,
            expires_at_ms,
            ..
        }) => {
            assert_eq!((call.as_str(), tool.as_str()), ("1", "read_file"));
            assert_eq!(arguments, &json!({"path": "notes.txt"}));
            assert!(expires_at_ms.is_some());
        }
        other => panic!("expected a call that asks, got {other:?}"),
    }
    c.send(&approve(&conv, "1", Decision::Once)).await;
    let after = c.until(is_done).await;
    let events = tool_events(&after);
    assert!(matches!(
        events[0],
        ToolEvent::Approval {
            decision: Decision::Once,
            ..
        }
    ));
    assert_eq!(result_of(&events), ("one\ntwo\n".to_string(), true));
    assert!(
        after
            .iter()
            .any(|m| matches!(m, ServerMsg::Ok { id } if id == "ok-1"))
    );
    assert!(matches!(
        after.last(),
        Some(ServerMsg::Done {
            status: MessageStatus::Complete,
            ..
        })
    ));

    // Ollama was offered the tool, then got the call back with its result.
    let chats = fake.chats();
    assert_eq!(chats.len(), 2);
    assert_eq!(chats[0]["tools"][0]["function"]["name"], "read_file");
    assert_eq!(chats[0]["tools"][0]["type"], "function");
    let second = &chats[1];
    let calls = second["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["tool_calls"].is_array()))
        .expect("the assistant's calls are sent back");
    assert_eq!(calls["role"], "assistant");
    assert_eq!(calls["content"], "Let me look.");
    assert_eq!(calls["tool_calls"][0]["function"]["name"], "read_file");
    assert_eq!(
        calls["tool_calls"][0]["function"]["arguments"],
        json!({"path": "notes.txt"})
    );
    assert_eq!(
        tool_messages(second),
        vec![("read_file".into(), "one\ntwo\n".into())]
    );

    // The store kept the log: a reopened conversation shows the call where it happened.
    let stored = c.stored(&conv).await;
    let answer = &stored[1];
    assert_eq!(answer.content, "Let me look.They say one, two.");
    let kinds: Vec<(&str, u64)> = answer
        .tools
        .iter()
        .map(|e| {
            let kind = match e.event {
                ToolEvent::Call { .. } => "call",
                ToolEvent::Approval { .. } => "approval",
                ToolEvent::Result { .. } => "result",
            };
            (kind, e.content_at)
        })
        .collect();
    assert_eq!(kinds, vec![("call", 12), ("approval", 12), ("result", 12)]);

    // The next turn sends the whole round again, as history.
    fake.script(reply("llama3.2", &["ok"]));
    let mut next = chat_with_tools("b", Some(&conv), &[]);
    if let ClientMsg::Chat { content, .. } = &mut next {
        *content = "thanks".into();
    }
    c.send(&next).await;
    c.until(is_done).await;
    let third = fake.chats().pop().expect("a third request");
    assert_eq!(
        tool_messages(&third),
        vec![("read_file".into(), "one\ntwo\n".into())]
    );
    assert!(
        third.get("tools").is_none(),
        "no tools asked for: none offered"
    );
}

#[tokio::test]
async fn a_denied_call_tells_the_model_why_and_the_reply_goes_on() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "", &[read_notes()]));
    fake.script(reply("llama3.2", &["Fine, I won't."]));
    c.send(&chat_with_tools("a", None, &["read_file"])).await;
    let conv = conversation_of(&c.until(asks).await);
    c.send(&ClientMsg::Approve {
        id: "no".into(),
        conversation: conv.clone(),
        call: "1".into(),
        decision: Decision::Deny,
        reason: Some("private".into()),
    })
    .await;
    let after = c.until(is_done).await;
    let (output, ok) = result_of(&tool_events(&after));
    assert!(!ok);
    assert_eq!(output, "the user denied this call: private");
    let chats = fake.chats();
    assert_eq!(
        tool_messages(&chats[1]),
        vec![("read_file".into(), output.clone())]
    );
    // Nothing waits any more: another answer is not_found.
    match c.call(approve(&conv, "1", Decision::Once)).await {
        ServerMsg::Error { code, .. } => {
            assert_eq!(code, chinwag_protocol::ErrorCode::NotFound)
        }
        other => panic!("expected not_found, got {other:?}"),
    }
}

#[tokio::test]
async fn allowed_for_the_conversation_the_same_tool_runs_without_asking_again() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "", &[read_notes()]));
    fake.script(reply("llama3.2", &["one, two"]));
    c.send(&chat_with_tools("a", None, &["read_file", "list_dir"]))
        .await;
    let conv = conversation_of(&c.until(asks).await);
    c.send(&approve(&conv, "1", Decision::Conversation)).await;
    c.until(is_done).await;

    // The next turn: read_file is granted, list_dir still asks.
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[read_notes(), ("list_dir", json!({}))],
    ));
    fake.script(reply("llama3.2", &["done"]));
    c.send(&chat_with_tools(
        "b",
        Some(&conv),
        &["read_file", "list_dir"],
    ))
    .await;
    let msgs = c.until(asks).await;
    let calls: Vec<(String, Verdict, Option<String>)> = tool_events(&msgs)
        .into_iter()
        .filter_map(|e| match e {
            ToolEvent::Call {
                tool,
                verdict,
                reason,
                ..
            } => Some((tool, verdict, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (
                "read_file".into(),
                Verdict::Allowed,
                Some("conversation".into())
            ),
            ("list_dir".into(), Verdict::Ask, None),
        ]
    );
    c.send(&approve(&conv, "2", Decision::Once)).await;
    let after = c.until(is_done).await;
    let (listing, ok) = tool_events(&after)
        .iter()
        .rev()
        .find_map(|e| match e {
            ToolEvent::Result { output, ok, .. } => Some((output.clone(), *ok)),
            _ => None,
        })
        .expect("the listing");
    assert!(ok);
    assert_eq!(listing, "notes.txt\t8\n");
}

#[tokio::test]
async fn a_second_connection_answers_after_the_first_left() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut first = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "Reading.", &[read_notes()]));
    fake.script(reply("llama3.2", &["one, two"]));
    first
        .send(&chat_with_tools("a", None, &["read_file"]))
        .await;
    let live = first.until(asks).await;
    let conv = conversation_of(&live);
    first.vanish();

    let mut second = TestClient::connect(&daemon.socket).await;
    second
        .send(&ClientMsg::Attach {
            id: "att".into(),
            conversation: conv.clone(),
        })
        .await;
    let replayed = second.until(asks).await;
    // The replay is what the first client saw: the text, then the call.
    assert_eq!(
        tool_events(&replayed),
        tool_events(&live),
        "the replay carries the same events"
    );
    assert_eq!(chinwag_tests::client::assembled(&replayed), "Reading.");
    second.send(&approve(&conv, "1", Decision::Once)).await;
    let after = second.until(is_done).await;
    assert_eq!(result_of(&tool_events(&after)).0, "one\ntwo\n");
    assert_eq!(chinwag_tests::client::assembled(&after), "one, two");
}

#[tokio::test]
async fn nobody_answering_in_time_tells_the_model_so() {
    let (_dir, fake, daemon) = daemon_with(|c| {
        c.tools.approval_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "", &[read_notes()]));
    fake.script(reply("llama3.2", &["No answer, so no file."]));
    c.send(&chat_with_tools("a", None, &["read_file"])).await;
    let msgs = c.until(is_done).await;
    let events = tool_events(&msgs);
    assert!(matches!(
        events[1],
        ToolEvent::Approval {
            decision: Decision::Timeout,
            ..
        }
    ));
    let (output, ok) = result_of(&events);
    assert!(!ok);
    assert_eq!(output, "nobody answered within 200 ms, so it did not run");
}

#[tokio::test]
async fn the_round_limit_ends_tools_and_the_model_answers_in_words() {
    let (_dir, fake, daemon) = daemon_with(|c| {
        c.tools.max_rounds = 2;
        c.bots.insert(
            "reader".into(),
            chinwagd::config::BotConfig {
                tools: vec!["read_file".into()],
                auto_approve: vec!["read_file".into()],
                ..Default::default()
            },
        );
    })
    .await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls("llama3.2", "", &[read_notes()]));
    fake.script(tool_calls("llama3.2", "", &[read_notes()]));
    fake.script(reply("llama3.2", &["Enough reading."]));
    let mut msg = chinwag_tests::client::chat("a", "read it twice");
    if let ClientMsg::Chat { bot, .. } = &mut msg {
        *bot = Some("reader".into());
    }
    c.send(&msg).await;
    let msgs = c.until(is_done).await;
    let calls: Vec<(Verdict, Option<String>)> = tool_events(&msgs)
        .into_iter()
        .filter_map(|e| match e {
            ToolEvent::Call {
                verdict, reason, ..
            } => Some((verdict, reason)),
            _ => None,
        })
        .collect();
    // The bot approves read_file by itself: nobody is asked.
    assert_eq!(calls, vec![(Verdict::Allowed, Some("bot".into())); 2]);
    let chats = fake.chats();
    assert_eq!(chats.len(), 3);
    assert!(chats[0].get("tools").is_some() && chats[1].get("tools").is_some());
    assert!(
        chats[2].get("tools").is_none(),
        "after the last round no tools are offered"
    );
    assert_eq!(chinwag_tests::client::assembled(&msgs), "Enough reading.");
}

#[tokio::test]
async fn a_restart_during_the_wait_ends_the_reply_incomplete_with_nothing_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeOllama::start().await;
    let daemon = TestDaemon::start(dir.path(), config_in(dir.path(), &fake, |_| {})).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let before = spawned();
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[("run_command", json!({"argv": ["ls"]}))],
    ));
    c.send(&chat_with_tools("a", None, &["run_command"])).await;
    let conv = conversation_of(&c.until(asks).await);
    // The daemon stops while the call waits.
    drop(c);
    daemon.stop().await;
    let daemon = TestDaemon::start(dir.path(), config_in(dir.path(), &fake, |_| {})).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let stored = c.stored(&conv).await;
    let reply = &stored[1];
    assert_eq!(reply.status, MessageStatus::Incomplete);
    assert_eq!(
        reply.tools.len(),
        1,
        "the call, never answered: {:?}",
        reply.tools
    );
    assert_eq!(spawned(), before, "nothing ran");
    assert_eq!(fake.chats().len(), 1);
}

#[tokio::test]
async fn tools_for_a_model_that_cannot_call_them_are_refused_before_anything_is_stored() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    fake.state().without_tools.push("llama3.2".into());
    let mut c = TestClient::connect(&daemon.socket).await;
    match c.call(chat_with_tools("a", None, &["read_file"])).await {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, chinwag_protocol::ErrorCode::InvalidRequest);
            assert!(message.contains("cannot call tools"), "{message}");
        }
        other => panic!("expected invalid_request, got {other:?}"),
    }
    assert!(c.conversations().await.is_empty());
    assert!(fake.chats().is_empty());
}
