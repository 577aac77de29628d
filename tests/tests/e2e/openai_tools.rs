//! Tool calls through an OpenAI-compatible backend: the calls arrive as fragments keyed by
//! `index` (the arguments' JSON cut anywhere, the stream cut into small HTTP chunks), are
//! assembled, run, and go back in that API's shape (`content: null`, arguments as a JSON
//! string, `tool` messages with `tool_call_id`).

use chinwag_protocol::{ClientMsg, MessageStatus, ServerMsg, ToolEvent, Verdict};
use chinwag_tests::client::{TestClient, assembled};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::fake_openai::{self, DONE, FakeOpenAi, Script, chunk, split};
use chinwag_tests::harness::{TestDaemon, test_config};
use chinwagd::backend::{BackendConfig, BackendKind};
use serde_json::{Value, json};

#[tokio::test]
async fn fragmented_tool_calls_are_assembled_run_and_answered_in_the_apis_shape() {
    let dir = tempfile::tempdir().expect("tmp");
    let proj = dir.path().join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    std::fs::write(proj.join("notes.txt"), "one\ntwo\n").expect("notes");
    let ollama = FakeOllama::start().await;
    let lan = FakeOpenAi::start().await;
    let mut config = test_config(dir.path(), &ollama.host());
    config.exec.root = Some(proj);
    config.backends.insert(
        "lan".into(),
        BackendConfig {
            kind: BackendKind::OpenAi,
            url: lan.url(),
            api_key_env: None,
        },
    );
    config.bots.insert(
        "reader".into(),
        chinwagd::config::BotConfig {
            model: Some("lan:qwen2.5".into()),
            tools: vec!["read_file".into(), "list_dir".into()],
            auto_approve: vec!["read_file".into(), "list_dir".into()],
            ..Default::default()
        },
    );
    let daemon = TestDaemon::start(dir.path(), config).await;

    let m = "qwen2.5";
    let events = [
        chunk(m, json!({"role": "assistant", "content": null}), None),
        chunk(
            m,
            json!({"tool_calls": [{"index": 0, "id": "call_ab", "type": "function",
                                   "function": {"name": "read_file", "arguments": ""}}]}),
            None,
        ),
        chunk(
            m,
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"pa"}}]}),
            None,
        ),
        chunk(
            m,
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "th\": \"notes.txt\"}"}}]}),
            None,
        ),
        chunk(
            m,
            json!({"tool_calls": [{"index": 1, "id": "call_cd", "type": "function",
                                   "function": {"name": "list_dir", "arguments": "{}"}}]}),
            None,
        ),
        chunk(m, json!({}), Some("tool_calls")),
        fake_openai::usage(m, 20, 9),
        DONE.to_string(),
    ]
    .concat();
    lan.script(Script::Stream(split(events.as_bytes(), 7)));
    lan.script(fake_openai::reply(m, &["It says one, two."]));

    let mut c = TestClient::connect(&daemon.socket).await;
    let mut msg = chinwag_tests::client::chat("a", "what do my notes say?");
    if let ClientMsg::Chat { model, bot, .. } = &mut msg {
        *model = None;
        *bot = Some("reader".into());
    }
    c.send(&msg).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert!(matches!(
        msgs.last(),
        Some(ServerMsg::Done {
            status: MessageStatus::Complete,
            ..
        })
    ));
    assert_eq!(assembled(&msgs), "It says one, two.");
    let calls: Vec<(String, Value, Verdict)> = msgs
        .iter()
        .filter_map(|m| match m {
            ServerMsg::Tool {
                event:
                    ToolEvent::Call {
                        tool,
                        arguments,
                        verdict,
                        ..
                    },
                ..
            } => Some((tool.clone(), arguments.clone(), *verdict)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (
                "read_file".into(),
                json!({"path": "notes.txt"}),
                Verdict::Allowed
            ),
            ("list_dir".into(), json!({}), Verdict::Allowed),
        ]
    );

    let chats = lan.chats();
    assert_eq!(chats.len(), 2);
    let offered: Vec<&Value> = chats[0].body["tools"]
        .as_array()
        .expect("tools offered")
        .iter()
        .map(|t| &t["function"]["name"])
        .collect();
    assert_eq!(offered, [&json!("read_file"), &json!("list_dir")]);
    let messages = chats[1].body["messages"].as_array().expect("messages");
    let assistant = &messages[messages.len() - 3];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["content"], Value::Null);
    assert_eq!(
        assistant["tool_calls"],
        json!([
            {"id": "1", "type": "function",
             "function": {"name": "read_file", "arguments": "{\"path\":\"notes.txt\"}"}},
            {"id": "2", "type": "function",
             "function": {"name": "list_dir", "arguments": "{}"}},
        ])
    );
    assert_eq!(
        messages[messages.len() - 2],
        json!({"role": "tool", "content": "one\ntwo\n", "tool_call_id": "1"})
    );
    assert_eq!(
        messages[messages.len() - 1],
        json!({"role": "tool", "content": "notes.txt\t8\n", "tool_call_id": "2"})
    );
}
