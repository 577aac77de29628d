//! `run_command` as a tool: a call the policy refuses is answered without asking and starts
//! nothing; an approved one runs through the executor and is audited; a cancel while it runs
//! ends the command and the reply.

use crate::tools::{
    approve, asks, chat_with_tools, conversation_of, daemon_with, is_done, result_of, tool_events,
    tool_messages,
};
use chinwag_protocol::{ClientMsg, Decision, MessageStatus, ServerMsg, ToolEvent, Verdict};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{reply, tool_calls};
use chinwagd::exec::spawn::spawned;
use serde_json::json;

#[tokio::test]
async fn a_call_the_policy_refuses_is_answered_without_asking_and_runs_nothing() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let before = spawned();
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[(
            "run_command",
            json!({"argv": ["sh", "-c", "touch /tmp/pwned"]}),
        )],
    ));
    fake.script(reply("llama3.2", &["I cannot run that."]));
    c.send(&chat_with_tools("a", None, &["run_command"])).await;
    let msgs = c.until(is_done).await;
    let events = tool_events(&msgs);
    match &events[0] {
        ToolEvent::Call { verdict, rule, .. } => {
            assert_eq!(*verdict, Verdict::Refused);
            assert_eq!(rule.as_deref(), Some("not-in-policy"));
        }
        other => panic!("expected a refused call, got {other:?}"),
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ToolEvent::Approval { .. })),
        "nobody is asked: {events:?}"
    );
    let (output, ok) = result_of(&events);
    assert!(!ok && output.starts_with("refused by the daemon's policy (not-in-policy)"));
    assert_eq!(spawned(), before, "no process started");
    assert_eq!(tool_messages(&fake.chats()[1])[0].1, output);
}

#[tokio::test]
async fn an_approved_command_runs_through_the_executor_and_is_audited() {
    let (_dir, fake, daemon) = daemon_with(|_| {}).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[("run_command", json!({"argv": ["cat", "notes.txt"]}))],
    ));
    fake.script(reply("llama3.2", &["done"]));
    c.send(&chat_with_tools("a", None, &["run_command"])).await;
    let msgs = c.until(asks).await;
    let conv = conversation_of(&msgs);
    match tool_events(&msgs).last() {
        Some(ToolEvent::Call {
            runs: Some(runs), ..
        }) => {
            assert!(runs.contains("cat"), "{runs}");
            assert!(runs.contains("notes.txt"), "{runs}");
        }
        other => panic!("expected what would run, got {other:?}"),
    }
    c.send(&approve(&conv, "1", Decision::Once)).await;
    let after = c.until(is_done).await;
    assert_eq!(
        result_of(&tool_events(&after)),
        ("one\ntwo\n[exit 0]".to_string(), true)
    );
    let audit = c
        .call(ClientMsg::Audit {
            id: "au".into(),
            since_ms: None,
            limit: None,
        })
        .await;
    match audit {
        ServerMsg::AuditRecords { items, .. } => {
            assert_eq!(items[0].argv, vec!["cat", "notes.txt"]);
            assert_eq!(items[0].code, Some(0));
        }
        other => panic!("expected the audit log, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_while_a_command_runs_ends_the_command_and_the_reply() {
    let (dir, fake, daemon) = daemon_with(|c| {
        c.exec.timeout = std::time::Duration::from_secs(60);
    })
    .await;
    // `cat` of a FIFO nobody writes to runs until it is stopped.
    let fifo = dir.path().join("proj/pipe");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(tool_calls(
        "llama3.2",
        "",
        &[("run_command", json!({"argv": ["cat", "pipe"]}))],
    ));
    c.send(&chat_with_tools("a", None, &["run_command"])).await;
    let conv = conversation_of(&c.until(asks).await);
    let before = spawned();
    c.send(&approve(&conv, "1", Decision::Once)).await;
    let approved = c
        .until(|m| {
            matches!(
                m,
                ServerMsg::Tool {
                    event: ToolEvent::Approval { .. },
                    ..
                }
            )
        })
        .await;
    assert!(!approved.is_empty());
    // The command has started once the executor counted it.
    let started = async {
        while spawned() == before {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), started)
        .await
        .expect("the command starts");
    c.send(&ClientMsg::Cancel {
        id: "x".into(),
        conversation: conv.clone(),
    })
    .await;
    let end = c.until(is_done).await;
    assert!(matches!(
        end.last(),
        Some(ServerMsg::Done {
            status: MessageStatus::Cancelled,
            ..
        })
    ));
    assert_eq!(fake.chats().len(), 1, "the model was not asked again");
    // The command's audit record is complete: it ended when the reply did.
    match c
        .call(ClientMsg::Audit {
            id: "au".into(),
            since_ms: None,
            limit: None,
        })
        .await
    {
        ServerMsg::AuditRecords { items, .. } => {
            assert_eq!(items[0].argv, vec!["cat", "pipe"]);
            assert!(items[0].signal.is_some(), "{:?}", items[0]);
        }
        other => panic!("expected the audit log, got {other:?}"),
    }
}
