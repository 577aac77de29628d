//! `chinwag ask --tools`: the model's tool calls in a one-shot command. Each call is told on
//! stderr; one that asks is answered on the terminal when stdin is one, allowed by `--yes`
//! when it only reads, and otherwise refused: the reply is cancelled where it waits (the
//! call never runs) and `ask` exits 8, since nobody could answer.

use crate::conn::Connection;
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ConversationId, Decision, READ_ONLY_TOOLS, ToolEvent, Verdict};
use std::io::IsTerminal;

/// How `ask` answers calls that ask.
#[derive(Debug, Clone)]
pub struct Approver {
    /// `--yes`: the read-only tools without asking.
    pub yes: bool,
    /// stdin and stderr are a terminal: a person can be asked.
    pub interactive: bool,
    /// `--json`: the events say it all; nothing extra on stderr.
    pub quiet: bool,
    /// Calls already answered from here: a resumed request replays them.
    answered: std::collections::HashSet<String>,
}

impl Approver {
    pub fn new(yes: bool, json: bool) -> Approver {
        Approver {
            yes,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            quiet: json,
            answered: Default::default(),
        }
    }
}

/// What a person is shown of a call: the command line for `run_command`, else the
/// arguments as JSON.
fn what(tool: &str, arguments: &serde_json::Value, runs: Option<&str>) -> String {
    match runs {
        Some(r) => r.to_string(),
        None if tool == "run_command" => arguments.to_string(),
        None => format!("{tool} {arguments}"),
    }
}

/// Answers the call a `tool` frame announces, if it asks; tells the rest on stderr.
pub async fn on_tool(
    conn: &mut Connection,
    a: &mut Approver,
    conversation: &ConversationId,
    event: &ToolEvent,
) -> Result<(), ClientError> {
    let (call, tool, shown, verdict) = match event {
        ToolEvent::Call {
            call,
            tool,
            arguments,
            runs,
            verdict,
            rule,
            reason,
            ..
        } => {
            let shown = what(tool, arguments, runs.as_deref());
            if !a.quiet {
                match verdict {
                    Verdict::Refused => eprintln!(
                        "chinwag: the model asked for {shown}: refused ({}: {})",
                        rule.as_deref().unwrap_or("policy"),
                        reason.as_deref().unwrap_or("")
                    ),
                    Verdict::Allowed => eprintln!("chinwag: running {shown}"),
                    Verdict::Ask => {}
                }
            }
            (call, tool, shown, *verdict)
        }
        ToolEvent::Result { ok, output, .. } => {
            if !a.quiet {
                let status = if *ok { "ok" } else { "failed" };
                eprintln!(
                    "chinwag: tool result: {status}, {} lines",
                    output.lines().count()
                );
            }
            return Ok(());
        }
        ToolEvent::Approval { decision, .. } => {
            if !a.quiet && *decision == Decision::Timeout {
                eprintln!("chinwag: nobody answered in time; the call did not run");
            }
            return Ok(());
        }
    };
    if verdict != Verdict::Ask || !a.answered.insert(call.clone()) {
        return Ok(());
    }
    let decision = if a.yes && READ_ONLY_TOOLS.contains(&tool.as_str()) {
        if !a.quiet {
            eprintln!("chinwag: allowed {shown} (--yes)");
        }
        Decision::Once
    } else if a.interactive {
        tokio::select! {
            d = ask_person(&shown) => d,
            _ = tokio::signal::ctrl_c() => {
                cancel(conn, conversation).await;
                return Err(ClientError::Interrupted);
            }
        }
    } else {
        // The reply is stopped where it waits: the model is not asked again, nothing runs.
        cancel(conn, conversation).await;
        let hint = if READ_ONLY_TOOLS.contains(&tool.as_str()) {
            "run it on a terminal, or pass --yes to allow the read-only tools"
        } else {
            "run it on a terminal to answer it"
        };
        return Err(ClientError::NeedsApproval(format!(
            "the model asked for {shown}, and without a terminal nobody can allow it; {hint}"
        )));
    };
    answer(conn, conversation, call, decision).await
}

async fn answer(
    conn: &mut Connection,
    conversation: &ConversationId,
    call: &str,
    decision: Decision,
) -> Result<(), ClientError> {
    let msg = ClientMsg::Approve {
        id: conn.next_id(),
        conversation: conversation.clone(),
        call: call.to_string(),
        decision,
        reason: None,
    };
    conn.send(&msg).await
}

async fn cancel(conn: &mut Connection, conversation: &ConversationId) {
    let msg = ClientMsg::Cancel {
        id: conn.next_id(),
        conversation: conversation.clone(),
    };
    let _ = conn.send(&msg).await;
}

/// Asks on the terminal; anything but y or a is no.
async fn ask_person(shown: &str) -> Decision {
    eprint!("chinwag: allow {shown}? [y] once, [a] for this conversation, [N]o: ");
    let line = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map(|_| s)
    })
    .await;
    match line {
        Ok(Ok(s)) => parse_answer(&s),
        _ => Decision::Deny,
    }
}

fn parse_answer(s: &str) -> Decision {
    match s.trim().to_lowercase().as_str() {
        "y" | "yes" => Decision::Once,
        "a" | "always" => Decision::Conversation,
        _ => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_and_a_allow() {
        assert_eq!(parse_answer("y\n"), Decision::Once);
        assert_eq!(parse_answer(" YES "), Decision::Once);
        assert_eq!(parse_answer("a\n"), Decision::Conversation);
        assert_eq!(parse_answer("\n"), Decision::Deny);
        assert_eq!(parse_answer("sure"), Decision::Deny);
    }
}
