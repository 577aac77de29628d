//! Tools on the chat screen: `/tools`, tool frames in the reply, and y / a / n.

use super::super::overlay::Overlay;
use super::*;
use chinwag_protocol::{Decision, ToolEvent, Verdict};

/// A `tool` frame for the reply `start_chat` opened.
pub(crate) fn tool(app: &mut App, event: ToolEvent) {
    app.update(Event::Server(ServerMsg::Tool {
        id: "t0".into(),
        conversation: conv(1),
        message: mid(2),
        event,
    }));
}

pub(crate) fn asking_call(id: &str) -> ToolEvent {
    ToolEvent::Call {
        call: id.into(),
        tool: "run_command".into(),
        arguments: serde_json::json!({"argv": ["git", "status"]}),
        runs: Some("/usr/bin/git --no-pager status (in /home/me/proj)".into()),
        verdict: Verdict::Ask,
        rule: None,
        reason: None,
        expires_at_ms: None,
    }
}

fn approvals(fx: &[Effect]) -> Vec<(String, Decision)> {
    sent(fx)
        .into_iter()
        .filter_map(|m| match m {
            ClientMsg::Approve { call, decision, .. } => Some((call.clone(), *decision)),
            _ => None,
        })
        .collect()
}

fn tools_of(chat: &ClientMsg) -> Option<Vec<String>> {
    match chat {
        ClientMsg::Chat { tools, .. } => tools.clone(),
        _ => None,
    }
}

#[test]
fn slash_tools_chooses_what_each_message_offers() {
    let mut a = app();
    connect(&mut a);
    type_text(&mut a, "/tools read_file list_dir");
    key(&mut a, KeyCode::Enter);
    let chat = start_chat(&mut a, "hi");
    assert_eq!(
        tools_of(&chat),
        Some(vec!["read_file".to_string(), "list_dir".to_string()])
    );
    done(&mut a, MessageStatus::Complete);
    type_text(&mut a, "/tools rm");
    key(&mut a, KeyCode::Enter);
    assert!(
        a.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("no tool \"rm\"")),
        "{:?}",
        a.notice
    );
    type_text(&mut a, "/tools off");
    key(&mut a, KeyCode::Enter);
    assert_eq!(tools_of(&start_chat(&mut a, "again")), Some(vec![]));
    done(&mut a, MessageStatus::Complete);
    type_text(&mut a, "/tools default");
    key(&mut a, KeyCode::Enter);
    assert_eq!(tools_of(&start_chat(&mut a, "and again")), None);
}

#[test]
fn a_waiting_call_opens_a_dialog_that_y_a_n_answer() {
    let mut a = app();
    connect(&mut a);
    start_chat(&mut a, "what changed?");
    delta(&mut a, "Let me check.");
    tool(&mut a, asking_call("1"));
    assert!(
        matches!(&a.overlay, Some(Overlay::Approve { call, tool, what, .. })
            if call == "1" && tool == "run_command" && what.contains("/usr/bin/git")),
        "{:?}",
        a.overlay
    );
    // Other keys do not answer (nor type).
    let fx = key(&mut a, KeyCode::Char('x'));
    assert!(approvals(&fx).is_empty());
    assert_eq!(a.input_text(), "");
    let fx = key(&mut a, KeyCode::Char('a'));
    assert_eq!(
        approvals(&fx),
        vec![("1".to_string(), Decision::Conversation)]
    );
    assert!(a.overlay.is_none());
    tool(
        &mut a,
        ToolEvent::Approval {
            call: "1".into(),
            decision: Decision::Conversation,
            reason: None,
            by: Some("me".into()),
        },
    );
    assert!(a.overlay.is_none(), "nothing waits any more");

    // Put off with Esc, brought back with Enter on an empty message, then denied.
    tool(&mut a, asking_call("2"));
    key(&mut a, KeyCode::Esc);
    assert!(a.overlay.is_none());
    type_text(&mut a, "never mind");
    assert_eq!(a.input_text(), "never mind", "typing is typing");
    for _ in 0.."never mind".len() {
        key(&mut a, KeyCode::Backspace);
    }
    key(&mut a, KeyCode::Enter);
    assert!(matches!(&a.overlay, Some(Overlay::Approve { call, .. }) if call == "2"));
    let fx = key(&mut a, KeyCode::Char('n'));
    assert_eq!(approvals(&fx), vec![("2".to_string(), Decision::Deny)]);
    let reply = a.transcript.entries.last().expect("the reply");
    assert_eq!(reply.tools.len(), 3);
    assert_eq!(reply.tools[0].content_at, "Let me check.".len() as u64);
}

#[test]
fn an_answer_from_another_terminal_closes_the_dialog() {
    let mut a = app();
    connect(&mut a);
    start_chat(&mut a, "what changed?");
    tool(&mut a, asking_call("1"));
    assert!(a.overlay.is_some());
    tool(
        &mut a,
        ToolEvent::Approval {
            call: "1".into(),
            decision: Decision::Once,
            reason: None,
            by: Some("me".into()),
        },
    );
    assert!(a.overlay.is_none());
}
