//! `chinwag ask --tools` as scripts run it: no terminal, so `--yes` allows the read-only
//! tools, and a call nobody can answer stops the reply with exit 8 and runs nothing;
//! `--json` carries the tool events.

use crate::cli::{Cleanup, text};
use chinwag_tests::fake_ollama::{FakeOllama, reply, tool_calls};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;
use tokio::process::Command;

/// `chinwag ARGS` isolated in `dir`, whose home (the executor's root) holds `notes.txt`.
fn chinwag(dir: &Path, ollama: &str, args: &[&str]) -> Command {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join("notes.txt"), "one\ntwo\n").expect("notes");
    let mut cmd = crate::cli::chinwag(dir, ollama);
    cmd.args(args);
    cmd
}

async fn run(cmd: Command) -> Output {
    crate::cli::run(cmd, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yes_allows_the_read_only_tools_and_json_carries_the_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[("read_file", json!({"path": "notes.txt"}))],
    ));
    fake.script(reply("llama3.2", &["They say one, two."]));
    let args = [
        "ask",
        "-m",
        "llama3.2",
        "--tools=read_file",
        "--yes",
        "--json",
        "notes?",
    ];
    let out = run(chinwag(dir.path(), &fake.host(), &args)).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    let tools: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "tool")
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(tools, ["call", "approval", "result"]);
    let result = events
        .iter()
        .find(|e| e["event"] == "result")
        .expect("a result");
    assert_eq!(result["output"], "one\ntwo\n");
    assert_eq!(fake.chats()[0]["tools"][0]["function"]["name"], "read_file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_can_answer_stops_the_reply_with_exit_8_and_runs_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(tool_calls(
        "llama3.2",
        "Checking.",
        &[("run_command", json!({"argv": ["cat", "notes.txt"]}))],
    ));
    // --yes never covers run_command.
    let args = [
        "ask",
        "-m",
        "llama3.2",
        "--tools",
        "--yes",
        "what do the notes say?",
    ];
    let out = run(chinwag(dir.path(), &fake.host(), &args)).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "stderr: {stderr}");
    assert!(
        stderr.contains("without a terminal nobody can allow it"),
        "{stderr}"
    );
    assert!(stderr.contains("/cat -- notes.txt"), "{stderr}");
    assert_eq!(fake.chats().len(), 1, "the model was not asked again");
    assert!(
        fake.chats()[0]["tools"]
            .as_array()
            .is_some_and(|t| t.len() == 4),
        "--tools alone offers every tool"
    );

    // The reply was stopped where the call waited: stored `cancelled`, the call unanswered.
    let cmd = chinwag(dir.path(), &fake.host(), &["history", "list", "--json"]);
    let list: Value = serde_json::from_slice(&run(cmd).await.stdout).expect("a list");
    let id = list[0]["id"].as_str().expect("the conversation");
    let cmd = chinwag(dir.path(), &fake.host(), &["history", "show", id, "--json"]);
    let shown = run(cmd).await;
    let stdout = text(&shown.stdout);
    let shown: Value = serde_json::from_str(&stdout).expect("the conversation");
    let reply = &shown["messages"][1];
    assert_eq!(reply["status"], "cancelled", "{reply}");
    let events: Vec<&str> = reply["tools"]
        .as_array()
        .expect("tool events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, ["call"], "asked, never answered, never run");
}
