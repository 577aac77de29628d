//! Tools on the chat screen: `/tools` chooses what the model is offered, tool frames land in
//! their reply's log, and a call that waits opens a dialog that y / a / n answer.

use super::overlay::Overlay;
use super::{App, Req};
use crate::ui::event::{Effect, Notice};
use crate::ui::tool_block;
use chinwag_protocol::{
    ClientMsg, ConversationId, Decision, MessageId, StoredToolEvent, TOOL_NAMES, ToolEvent,
};

impl App {
    /// `/tools`: `on` (every tool), `off`, `default` (the bot's), or names.
    pub(super) fn set_tools(&mut self, arg: &str) {
        let words: Vec<&str> = arg.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let (tools, said) = match words.as_slice() {
            [] => {
                let now = match &self.tools {
                    None => "the bot's (if any)".to_string(),
                    Some(t) if t.is_empty() => "none".to_string(),
                    Some(t) => t.join(", "),
                };
                self.notice = Some(Notice::info(format!(
                    "tools: {now} · /tools on|off|default|NAME… ({})",
                    TOOL_NAMES.join(", ")
                )));
                return;
            }
            ["on"] | ["all"] => (
                Some(TOOL_NAMES.iter().map(|t| t.to_string()).collect()),
                format!("tools: {}", TOOL_NAMES.join(", ")),
            ),
            ["off"] | ["none"] => (Some(Vec::new()), "tools: none".to_string()),
            ["default"] => (None, "tools: the bot's (if any)".to_string()),
            names => {
                if let Some(bad) = names.iter().find(|n| !TOOL_NAMES.contains(n)) {
                    self.notice = Some(Notice::warn(format!(
                        "no tool {bad:?}; the tools are {}",
                        TOOL_NAMES.join(", ")
                    )));
                    return;
                }
                (
                    Some(names.iter().map(|n| n.to_string()).collect()),
                    format!("tools: {}", names.join(", ")),
                )
            }
        };
        self.tools = tools;
        self.notice = Some(Notice::info(format!("{said} (from the next message)")));
    }

    /// A tool event of a reply: kept where the reply's text stands now. A call that starts
    /// to wait opens the approval dialog; an answer from anywhere closes it.
    pub(super) fn tool_event(
        &mut self,
        conversation: &ConversationId,
        message: &MessageId,
        event: ToolEvent,
    ) {
        if Some(conversation) != self.conversation.as_ref() {
            return;
        }
        let answered = match &event {
            ToolEvent::Approval { call, .. } | ToolEvent::Result { call, .. } => Some(call.clone()),
            ToolEvent::Call { .. } => None,
        };
        let e = self.reply_entry(message, None);
        let stored = StoredToolEvent {
            content_at: e.content.len() as u64,
            thinking_at: e.thinking.len() as u64,
            event,
        };
        e.tools.push(stored);
        e.touch();
        if let (Some(call), Some(Overlay::Approve { call: open, .. })) = (&answered, &self.overlay)
            && call == open
        {
            self.overlay = None;
        }
        self.ask_if_waiting();
    }

    /// Opens the approval dialog for the call that waits, if one does and nothing else is
    /// open; else says how to answer it.
    pub(super) fn ask_if_waiting(&mut self) -> bool {
        let Some((conversation, call, tool, what)) = self.waiting() else {
            return false;
        };
        match &self.overlay {
            None => {
                self.overlay = Some(Overlay::Approve {
                    conversation,
                    call,
                    tool,
                    what,
                });
            }
            Some(Overlay::Approve { .. }) => {}
            Some(_) => {
                self.notice = Some(Notice::warn(format!(
                    "tool call {call} ({tool}) waits for you: Enter on an empty message answers it"
                )));
            }
        }
        true
    }

    /// The call that waits in the open conversation's reply: its conversation, id, tool and
    /// what would run.
    fn waiting(&self) -> Option<(ConversationId, String, String, String)> {
        let g = self.generating.as_ref()?;
        let conversation = g.conversation.clone()?;
        let i = self.transcript.find(g.message.as_ref()?)?;
        let e = &self.transcript.entries[i];
        tool_block::calls(&e.tools)
            .into_iter()
            .find(|(_, c)| c.waiting())
            .map(|(_, c)| {
                let what = c
                    .runs
                    .map_or_else(|| c.arguments.to_string(), str::to_string);
                (
                    conversation.clone(),
                    c.id.to_string(),
                    c.tool.to_string(),
                    what,
                )
            })
    }

    /// Sends the answer to a call.
    pub(super) fn answer_call(
        &mut self,
        conversation: ConversationId,
        call: String,
        decision: Decision,
        fx: &mut Vec<Effect>,
    ) {
        let c = call.clone();
        self.send(fx, Req::Approve, |id| ClientMsg::Approve {
            id,
            conversation,
            call: c,
            decision,
            reason: None,
        });
        self.notice = Some(Notice::info(match decision {
            Decision::Once => format!("tool call {call}: allowed once"),
            Decision::Conversation => format!("tool call {call}: allowed for this conversation"),
            _ => format!("tool call {call}: denied"),
        }));
    }
}
