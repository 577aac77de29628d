//! Conversations bigger than one frame: the daemon sends the newest page and cuts messages too
//! big for a frame (`truncated`); this fetches older pages and the rest of those texts.

use super::{App, Req};
use crate::ui::event::Effect;
use crate::ui::transcript::{Entry, Scroll};
use chinwag_protocol::{ClientMsg, ConversationId, MessageId, StoredMessage, TextPart};

impl App {
    /// Asks for what `messages` (just shown) left out: older pages, and the rest of cut texts.
    pub(super) fn fetch_missing(
        &mut self,
        conversation: &ConversationId,
        messages: &[StoredMessage],
        has_more: bool,
        fx: &mut Vec<Effect>,
    ) {
        if has_more && let Some(first) = messages.first() {
            let (conv, before) = (conversation.clone(), first.id.clone());
            self.send(fx, Req::Older(conv.clone()), |id| ClientMsg::History {
                id,
                conversation: conv,
                before: Some(before),
                limit: Some(1000),
            });
        }
        for m in messages.iter().filter(|m| m.truncated) {
            self.fetch_text(&m.id, TextPart::Content, m.content.len() as u64, fx);
            self.fetch_text(&m.id, TextPart::Thinking, m.thinking.len() as u64, fx);
        }
    }

    fn fetch_text(
        &mut self,
        message: &MessageId,
        part: TextPart,
        offset: u64,
        fx: &mut Vec<Effect>,
    ) {
        let message = message.clone();
        self.send(fx, Req::Text, |id| ClientMsg::GetMessageText {
            id,
            message,
            part,
            offset,
        });
    }

    /// An older page arrived: it goes in front, and the scroll position stays on the same
    /// message.
    pub(super) fn older_page(
        &mut self,
        conversation: ConversationId,
        items: Vec<StoredMessage>,
        has_more: bool,
        fx: &mut Vec<Effect>,
    ) {
        if self.conversation.as_ref() != Some(&conversation) || items.is_empty() {
            return;
        }
        self.fetch_missing(&conversation, &items, has_more, fx);
        let n = items.len();
        self.transcript
            .entries
            .splice(0..0, items.into_iter().map(Entry::from_stored));
        if let Scroll::At { entry, line } = self.transcript.scroll {
            self.transcript.scroll = Scroll::At {
                entry: entry + n,
                line,
            };
        }
        if let Some(s) = self.selected.as_mut() {
            *s += n;
        }
    }

    /// A slice of a cut message arrived: append it where it belongs, and ask for the next.
    pub(super) fn text_slice(
        &mut self,
        message: MessageId,
        part: TextPart,
        offset: u64,
        text: String,
        total_bytes: u64,
        fx: &mut Vec<Effect>,
    ) {
        let Some(i) = self.transcript.find(&message) else {
            return;
        };
        let e = &mut self.transcript.entries[i];
        let target = match part {
            TextPart::Content => &mut e.content,
            TextPart::Thinking => &mut e.thinking,
        };
        if target.len() as u64 != offset {
            return; // a stale slice (the message was reloaded meanwhile)
        }
        target.push_str(&text);
        let have = target.len() as u64;
        e.touch();
        if have < total_bytes && !text.is_empty() {
            self.fetch_text(&message, part, have, fx);
        }
    }
}
