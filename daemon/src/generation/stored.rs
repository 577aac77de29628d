//! A stored reply as the log it was: its text cut where each tool event came.

use chinwag_protocol::{StoredMessage, ToolEvent};

/// One piece of a stored reply, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text { content: String, thinking: String },
    Tool(ToolEvent),
}

/// The byte at or before `at` that starts a character (a damaged offset cuts no character).
fn floor(text: &str, at: u64) -> usize {
    let mut at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The reply's text and tool events in the order they came. Text pieces are never empty;
/// a reply without tool events is one text piece (or none when it has no text).
pub fn pieces(m: &StoredMessage) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut c, mut t) = (0, 0);
    let text = |out: &mut Vec<Piece>, c_to: usize, t_to: usize, c: &mut usize, t: &mut usize| {
        let (c_to, t_to) = (c_to.max(*c), t_to.max(*t));
        if c_to > *c || t_to > *t {
            out.push(Piece::Text {
                content: m.content[*c..c_to].to_string(),
                thinking: m.thinking[*t..t_to].to_string(),
            });
        }
        (*c, *t) = (c_to, t_to);
    };
    for e in &m.tools {
        let (c_to, t_to) = (
            floor(&m.content, e.content_at),
            floor(&m.thinking, e.thinking_at),
        );
        text(&mut out, c_to, t_to, &mut c, &mut t);
        out.push(Piece::Tool(e.event.clone()));
    }
    text(&mut out, m.content.len(), m.thinking.len(), &mut c, &mut t);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_protocol::{MessageId, MessageStatus, Role, StoredToolEvent};

    fn result(call: &str) -> ToolEvent {
        ToolEvent::Result {
            call: call.into(),
            output: "ok".into(),
            ok: true,
            truncated: false,
        }
    }

    #[test]
    fn text_is_cut_where_each_event_came() {
        let m = StoredMessage {
            id: MessageId("m".into()),
            role: Role::Assistant,
            content: "Looking.Found é.".into(),
            thinking: "hmm".into(),
            status: MessageStatus::Complete,
            model: None,
            created_at_ms: 0,
            error: None,
            error_code: None,
            truncated: false,
            tools: vec![
                StoredToolEvent {
                    content_at: 8,
                    thinking_at: 3,
                    event: result("1"),
                },
                StoredToolEvent {
                    content_at: 8,
                    thinking_at: 3,
                    event: result("2"),
                },
                // Inside `é`: read as the character's start.
                StoredToolEvent {
                    content_at: 15,
                    thinking_at: 3,
                    event: result("3"),
                },
            ],
            attachments: Vec::new(),
        };
        let text = |c: &str, t: &str| Piece::Text {
            content: c.into(),
            thinking: t.into(),
        };
        assert_eq!(
            pieces(&m),
            vec![
                text("Looking.", "hmm"),
                Piece::Tool(result("1")),
                Piece::Tool(result("2")),
                text("Found ", ""),
                Piece::Tool(result("3")),
                text("é.", ""),
            ]
        );
    }
}
