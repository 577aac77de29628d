//! The conversation as the backend sees it: the system prompt, then each stored message (a
//! user's files with it: text before the words, images as images), a reply that called tools
//! unfolded into its rounds (the assistant's calls, the `tool`
//! messages that answered them, then its words).

use super::attachments;
use crate::backend::{ToolCall, TurnMessage, TurnRole};
use crate::generation::{Piece, pieces};
use chinwag_protocol::{MessageId, Role, StoredMessage, ToolEvent};

/// The history for the backend, without the reply being generated (`skip`).
pub fn turn_history(
    system: Option<&str>,
    history: &[StoredMessage],
    skip: &MessageId,
) -> Vec<TurnMessage> {
    let mut out = Vec::with_capacity(history.len() + 1);
    if let Some(s) = system {
        out.push(TurnMessage::text(TurnRole::System, s));
    }
    for m in history {
        if &m.id == skip {
            continue;
        }
        if m.role == Role::Assistant && !m.tools.is_empty() {
            unfold(m, &mut out);
        } else if !m.attachments.is_empty() {
            let mut message = TurnMessage::text(
                m.role.into(),
                attachments::with_text_files(&m.content, &m.attachments),
            );
            message.images = attachments::images(&m.attachments);
            out.push(message);
        } else if !m.content.is_empty() {
            out.push(TurnMessage::text(m.role.into(), m.content.clone()));
        }
    }
    out
}

/// A round in the making: the assistant's words before its calls, and the calls answered.
#[derive(Default)]
struct Round {
    text: String,
    calls: Vec<ToolCall>,
    results: Vec<TurnMessage>,
}

impl Round {
    /// Emits the round: the calls that have a result, then those results. A call left
    /// without one (the daemon stopped while it waited) is dropped: backends refuse a call
    /// nobody answered.
    fn close(&mut self, out: &mut Vec<TurnMessage>) {
        let answered: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_iter()
            .filter(|c| {
                self.results
                    .iter()
                    .any(|r| r.tool_call_id.as_deref() == Some(c.id.as_str()))
            })
            .collect();
        let text = std::mem::take(&mut self.text);
        if answered.is_empty() {
            self.text = text;
            self.results.clear();
            return;
        }
        out.push(TurnMessage {
            role: TurnRole::Assistant,
            content: text,
            tool_calls: answered,
            tool_call_id: None,
            tool_name: None,
            images: Vec::new(),
        });
        out.append(&mut self.results);
    }
}

fn unfold(m: &StoredMessage, out: &mut Vec<TurnMessage>) {
    let mut round = Round::default();
    for piece in pieces(m) {
        match piece {
            Piece::Text { content, .. } => {
                if !round.results.is_empty() {
                    round.close(out);
                }
                round.text.push_str(&content);
            }
            Piece::Tool(ToolEvent::Call {
                call,
                tool,
                arguments,
                ..
            }) => {
                if !round.results.is_empty() {
                    round.close(out);
                }
                round.calls.push(ToolCall {
                    id: call,
                    name: tool,
                    arguments,
                });
            }
            Piece::Tool(ToolEvent::Result { call, output, .. }) => {
                let name = round
                    .calls
                    .iter()
                    .find(|c| c.id == call)
                    .map(|c| c.name.clone());
                round.results.push(TurnMessage {
                    tool_call_id: Some(call),
                    tool_name: name,
                    ..TurnMessage::text(TurnRole::Tool, output)
                });
            }
            Piece::Tool(ToolEvent::Approval { .. }) => {}
        }
    }
    round.close(out);
    if !round.text.is_empty() {
        out.push(TurnMessage::text(TurnRole::Assistant, round.text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_protocol::{MessageStatus, StoredToolEvent, Verdict};
    use serde_json::json;

    fn msg(id: &str, role: Role, content: &str, tools: Vec<StoredToolEvent>) -> StoredMessage {
        StoredMessage {
            id: MessageId(id.into()),
            role,
            content: content.into(),
            thinking: String::new(),
            status: MessageStatus::Complete,
            model: None,
            created_at_ms: 0,
            error: None,
            error_code: None,
            truncated: false,
            tools,
            attachments: Vec::new(),
        }
    }

    fn at(content_at: u64, event: ToolEvent) -> StoredToolEvent {
        StoredToolEvent {
            content_at,
            thinking_at: 0,
            event,
        }
    }

    fn call(id: &str) -> ToolEvent {
        ToolEvent::Call {
            call: id.into(),
            tool: "read_file".into(),
            arguments: json!({"path": id}),
            runs: None,
            verdict: Verdict::Allowed,
            rule: None,
            reason: None,
            expires_at_ms: None,
        }
    }

    fn result(id: &str) -> ToolEvent {
        ToolEvent::Result {
            call: id.into(),
            output: format!("text of {id}"),
            ok: true,
            truncated: false,
        }
    }

    #[test]
    fn a_reply_with_tools_unfolds_into_its_rounds() {
        let reply = msg(
            "a",
            Role::Assistant,
            "Let me look.It says hi.",
            vec![
                at(12, call("1")),
                at(12, call("2")),
                at(12, result("1")),
                at(12, result("2")),
                // Asked, then the daemon stopped: no result, so the call is not sent.
                at(23, call("3")),
            ],
        );
        let history = [msg("u", Role::User, "read them", vec![]), reply];
        let out = turn_history(Some("be brief"), &history, &MessageId("x".into()));
        let shape: Vec<(TurnRole, &str, usize, Option<&str>)> = out
            .iter()
            .map(|m| {
                (
                    m.role,
                    m.content.as_str(),
                    m.tool_calls.len(),
                    m.tool_call_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (TurnRole::System, "be brief", 0, None),
                (TurnRole::User, "read them", 0, None),
                (TurnRole::Assistant, "Let me look.", 2, None),
                (TurnRole::Tool, "text of 1", 0, Some("1")),
                (TurnRole::Tool, "text of 2", 0, Some("2")),
                (TurnRole::Assistant, "It says hi.", 0, None),
            ]
        );
        assert_eq!(out[3].tool_name.as_deref(), Some("read_file"));
    }

    #[test]
    fn the_reply_being_generated_and_empty_messages_are_left_out() {
        let history = [
            msg("u", Role::User, "hi", vec![]),
            msg("a", Role::Assistant, "", vec![]),
        ];
        let out = turn_history(None, &history, &MessageId("a".into()));
        assert_eq!(out, vec![TurnMessage::text(TurnRole::User, "hi")]);
    }
}
