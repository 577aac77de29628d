//! PROTOCOL.md § Tools, and `chat`'s `tools`: tool frames in order among the deltas, an
//! answer from another connection, the stored events with their offsets, and the refusals
//! that store nothing (an unknown tool; tools without the exec scope).

use super::Rig;
use chinwag_tests::fake_ollama::{reply, tool_calls};
use chinwag_tests::wire::{conversation, text};
use serde_json::{Value, json};

fn chat_with(id: &str, tools: Value) -> Value {
    json!({"type": "chat", "id": id, "model": "llama3.2", "content": "notes?", "tools": tools})
}

/// The rig's executor root holds `notes.txt`.
async fn rig_with_notes(users: &[(&str, &str)]) -> (Rig, tempfile::TempDir) {
    let proj = tempfile::tempdir().expect("proj");
    std::fs::write(proj.path().join("notes.txt"), "one\n").expect("notes");
    let root = proj.path().to_path_buf();
    let rig = Rig::with(users, move |c| c.exec.root = Some(root)).await;
    (rig, proj)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_frames_come_in_order_and_any_of_your_connections_answers() {
    let (rig, _proj) = rig_with_notes(&[]).await;
    rig.fake.script(tool_calls(
        "llama3.2",
        "Looking.",
        &[("read_file", json!({"path": "notes.txt"}))],
    ));
    rig.fake.script(reply("llama3.2", &[" It says one."]));
    let mut asker = rig.local().await;
    let mut frames = asker
        .until_send(chat_with("2", json!(["read_file"])), "tool")
        .await;
    let call = frames.last().expect("a call").clone();
    assert_eq!(
        (
            &call["event"],
            &call["call"],
            &call["tool"],
            &call["verdict"]
        ),
        (
            &json!("call"),
            &json!("1"),
            &json!("read_file"),
            &json!("ask")
        ),
        "{call}"
    );
    assert_eq!(call["arguments"], json!({"path": "notes.txt"}));
    assert!(call["expires_at_ms"].as_i64().is_some(), "{call}");
    let conv = conversation(&frames);

    let mut other = rig.local().await;
    let ok = other
        .call(
            json!({"type": "approve", "id": "9", "conversation": conv, "call": "1",
                     "decision": "once"}),
        )
        .await;
    assert_eq!(ok, json!({"type": "ok", "id": "9"}));
    frames.extend(asker.until("2", "done").await);
    let kinds: Vec<String> = frames
        .iter()
        .filter(|f| f["type"] != "chat_started")
        .map(|f| match f["type"].as_str() {
            Some("tool") => format!("tool:{}", f["event"].as_str().unwrap_or("")),
            other => other.unwrap_or("").to_string(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "delta",
            "tool:call",
            "tool:approval",
            "tool:result",
            "delta",
            "done"
        ]
    );
    assert_eq!(text(&frames), "Looking. It says one.");
    let result = &frames[4];
    assert_eq!(
        (&result["output"], &result["ok"]),
        (&json!("one\n"), &json!(true))
    );

    // A call answered is answered: another answer is not_found.
    let again = other
        .call(
            json!({"type": "approve", "id": "10", "conversation": conv, "call": "1",
                     "decision": "deny"}),
        )
        .await;
    assert_eq!(again["code"], "not_found", "{again}");

    let stored = other
        .call(json!({"type": "get_conversation", "id": "11", "conversation": conv}))
        .await;
    let events = &stored["messages"][1]["tools"];
    assert_eq!(events[0]["event"], "call");
    assert_eq!(events[0]["content_at"], 8);
    assert_eq!(events[0]["thinking_at"], 0);
    assert_eq!(events[2]["event"], "result");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_does_not_exist_or_tools_without_exec_store_nothing() {
    let (rig, _proj) = rig_with_notes(&[("ann", "chat")]).await;
    let mut w = rig.remote("ann").await;
    let bad = w.call(chat_with("1", json!(["rm"]))).await;
    assert_eq!(bad["code"], "invalid_request", "{bad}");
    // Every tool reaches the executor's root: without the exec scope, none is offered.
    for (id, tool) in [("2", "run_command"), ("3", "read_file")] {
        let forbidden = w.call(chat_with(id, json!([tool]))).await;
        assert_eq!(forbidden["code"], "forbidden", "{forbidden}");
    }
    let list = w
        .call(json!({"type": "list_conversations", "id": "4"}))
        .await;
    assert_eq!(list["items"], json!([]));
    assert!(rig.fake.chats().is_empty());
    rig.stop().await;
}
