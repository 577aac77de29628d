//! Messages from the daemon: replies to our requests (matched by id) and the events of a
//! reply being generated (started, replay, deltas, done).

use super::overlay::{Overlay, PickKind};
use super::{App, Generating, Open, Req};
use crate::ui::event::{Effect, Notice};
use crate::ui::transcript::{Entry, Scroll};
use chinwag_protocol::{
    ClientMsg, ConversationId, ErrorCode, GenOptions, MessageId, MessageStatus, Role, ServerMsg,
};

/// How the notice of an unreachable Ollama begins: the fix first, so 80 columns show it.
const OLLAMA_DOWN: &str = "start Ollama: `ollama serve`";

/// How the notice of a slow first token begins (it goes when the first text comes).
const LOADING: &str = "waiting for";

impl App {
    pub(super) fn server(&mut self, msg: ServerMsg, fx: &mut Vec<Effect>) {
        match msg {
            ServerMsg::ChatStarted {
                id,
                conversation,
                user_message,
                assistant_message,
                model,
                ..
            } => {
                if self.pending.as_ref().is_none_or(|p| p.request != id) {
                    return;
                }
                self.requests.remove(&id);
                let pending = self.pending.take();
                let new = self.conversation.is_none();
                self.conversation = Some(conversation.clone());
                if new {
                    let first = pending
                        .as_ref()
                        .and_then(|p| p.content.lines().find(|l| !l.trim().is_empty()))
                        .unwrap_or("new conversation");
                    self.title = crate::text::wrap::truncate(first.trim(), 60);
                    self.refresh_list(fx);
                }
                if let Some(i) = self
                    .transcript
                    .entries
                    .iter()
                    .rposition(|e| e.role == Role::User && e.id.is_none())
                {
                    self.transcript.entries[i].id = Some(user_message);
                }
                self.active_model = Some(model.clone());
                let entry = self.reply_entry(&assistant_message, Some(model));
                entry.status = MessageStatus::Streaming;
                entry.touch();
                self.generating = Some(Generating {
                    conversation: Some(conversation),
                    message: Some(assistant_message),
                });
            }
            ServerMsg::Replay {
                conversation,
                message,
                model,
                content,
                thinking,
                ..
            } => {
                if Some(&conversation) != self.conversation.as_ref() {
                    return;
                }
                let e = self.reply_entry(&message, Some(model));
                e.content = content;
                e.thinking = thinking;
                e.tools.clear();
                e.status = MessageStatus::Streaming;
                e.touch();
            }
            ServerMsg::Delta {
                conversation,
                message,
                content,
                thinking,
                ..
            } => {
                if Some(&conversation) != self.conversation.as_ref() {
                    return;
                }
                self.clear_notice_starting(LOADING);
                let e = self.reply_entry(&message, None);
                e.content.push_str(&content);
                e.thinking.push_str(&thinking);
                e.touch();
            }
            ServerMsg::Tool {
                conversation,
                message,
                event,
                ..
            } => self.tool_event(&conversation, &message, event),
            ServerMsg::Loading {
                conversation,
                model,
                ..
            } => {
                if Some(&conversation) == self.conversation.as_ref() {
                    self.notice = Some(Notice::info(format!(
                        "{LOADING} {model} to load (a cold model can take a minute)…"
                    )));
                }
            }
            ServerMsg::Done {
                conversation,
                message,
                status,
                stats,
                error,
                ..
            } => {
                if Some(&conversation) != self.conversation.as_ref() {
                    return;
                }
                self.clear_notice_starting(LOADING);
                let hint = error.as_ref().map(|e| self.explain(e.code, &e.message));
                let e = self.reply_entry(&message, None);
                e.status = status;
                e.error = hint.clone();
                e.touch();
                if self
                    .generating
                    .as_ref()
                    .is_some_and(|g| g.message.as_ref().is_none_or(|m| *m == message))
                {
                    self.generating = None;
                }
                if stats.is_some() {
                    self.stats = stats;
                }
                self.notice = match (status, hint) {
                    (MessageStatus::Complete, _) => None,
                    (MessageStatus::Cancelled, _) => {
                        Some(Notice::info("stopped; the partial reply is kept"))
                    }
                    (_, Some(h)) => Some(Notice::error(h)),
                    (s, None) => Some(Notice::warn(format!("the reply ended {}", s.as_str()))),
                };
                self.refresh_list(fx);
            }
            ServerMsg::Attached {
                id,
                conversation,
                generating,
            } => {
                self.requests.remove(&id);
                if Some(&conversation) != self.conversation.as_ref() {
                    return;
                }
                match generating {
                    Some(m) => {
                        let e = self.reply_entry(&m, None);
                        e.status = MessageStatus::Streaming;
                        e.touch();
                        self.generating = Some(Generating {
                            conversation: Some(conversation),
                            message: Some(m),
                        });
                    }
                    None if self.pending.is_none() => self.generating = None,
                    None => {}
                }
            }
            ServerMsg::Conversation {
                id,
                conversation,
                system,
                messages,
                has_more,
                options,
            } => {
                let Some(Req::Open(jump)) = self.requests.remove(&id) else {
                    return;
                };
                let same = self.conversation.as_ref() == Some(&conversation.id);
                if !same {
                    self.stats = None;
                    self.selected = None;
                    self.transcript.scroll = Scroll::Follow;
                }
                let scroll = self.transcript.scroll;
                self.conversation = Some(conversation.id.clone());
                self.title = conversation.title.clone();
                self.active_model = conversation.model.clone();
                // The conversation's last options (/temp and the rest) and its system prompt.
                self.options = GenOptions { system, ..options };
                let streaming = messages
                    .iter()
                    .any(|m| m.status == MessageStatus::Streaming);
                self.fetch_missing(&conversation.id, &messages, has_more, fx);
                let old = std::mem::replace(
                    &mut self.transcript.entries,
                    messages.into_iter().map(Entry::from_stored).collect(),
                );
                if same {
                    self.keep_commands(old);
                }
                self.transcript.scroll = scroll;
                if let Some(target) = jump.and_then(|m| self.transcript.find(&m)) {
                    self.transcript.jump_to(target);
                    self.selected = Some(target);
                }
                if let Some(i) = self.list.items.iter().position(|c| c.id == conversation.id) {
                    self.list.selected = i;
                }
                if self.pending.is_none() && !streaming {
                    self.generating = None;
                }
                self.ask_for_draft(fx);
                let conv = conversation.id;
                self.send(fx, Req::Attach, |rid| ClientMsg::Attach {
                    id: rid,
                    conversation: conv,
                });
            }
            ServerMsg::Conversations { id, items, .. } => {
                if self.requests.remove(&id) != Some(Req::List) {
                    return;
                }
                if let Some(c) = &self.conversation
                    && let Some(s) = items.iter().find(|s| &s.id == c)
                {
                    self.title = s.title.clone();
                }
                self.list.items = items;
                self.list.selected = self
                    .list
                    .selected
                    .min(self.list.items.len().saturating_sub(1));
                if self.open == Open::Latest {
                    self.open = Open::New;
                    match self.list.items.first() {
                        Some(first) => {
                            let id = first.id.clone();
                            self.open_conversation(id, None, fx);
                        }
                        // Nothing to continue: a new chat, with its draft if one was kept.
                        None => self.ask_for_draft(fx),
                    }
                }
                self.refresh_picker(PickKind::Conversation);
            }
            ServerMsg::Models {
                id,
                models,
                default_model,
                ..
            } => {
                self.requests.remove(&id);
                if models.is_empty() && self.notice.is_none() && self.ollama_up != Some(false) {
                    self.notice = Some(Notice::warn(
                        "Ollama has no models yet: run `ollama pull llama3.2`",
                    ));
                }
                self.models = models;
                self.default_model = default_model;
                self.refresh_picker(PickKind::Model);
            }
            ServerMsg::Bots { id, bots, .. } => {
                self.requests.remove(&id);
                self.bots = bots;
                self.refresh_picker(PickKind::Bot);
            }
            ServerMsg::SearchResults { id, hits } => {
                self.requests.remove(&id);
                if let Some(Overlay::Search(s)) = &mut self.overlay
                    && s.latest == id
                {
                    s.hits = hits;
                    s.searching = false;
                    s.selected = s.selected.min(s.hits.len().saturating_sub(1));
                }
            }
            ServerMsg::Ok { id } => match self.requests.remove(&id) {
                Some(Req::Rename(conv, title)) => {
                    if self.conversation.as_ref() == Some(&conv) {
                        self.title = title;
                    }
                    self.notice = Some(Notice::info("renamed"));
                    self.refresh_list(fx);
                }
                Some(Req::Delete(conv)) => {
                    if self.conversation.as_ref() == Some(&conv) {
                        self.new_conversation();
                    }
                    self.notice = Some(Notice::info("conversation deleted"));
                    self.refresh_list(fx);
                }
                _ => {}
            },
            ServerMsg::Error {
                id,
                code,
                message,
                retry_after_ms,
            } => {
                let req = self.requests.remove(&id);
                if req == Some(Req::Exec) {
                    if code == ErrorCode::RateLimited {
                        self.rate_limited_until_ms =
                            Some(self.now_ms + retry_after_ms.unwrap_or(1000));
                    }
                    self.command_failed(&id, code, &message);
                    return;
                }
                self.error_reply(req, code, &message, retry_after_ms, fx);
            }
            ServerMsg::Status(s) => {
                self.requests.remove(&s.id);
                self.ollama_health(s.ollama.reachable, &s.ollama.url, fx);
            }
            ServerMsg::Messages {
                id,
                conversation,
                items,
                has_more,
            } => {
                if let Some(Req::Older(c)) = self.requests.remove(&id)
                    && c == conversation
                {
                    self.older_page(conversation, items, has_more, fx);
                }
            }
            ServerMsg::MessageText {
                id,
                message,
                part,
                offset,
                text,
                total_bytes,
            } => {
                if self.requests.remove(&id) == Some(Req::Text) {
                    self.text_slice(message, part, offset, text, total_bytes, fx);
                }
            }
            ServerMsg::ExecOutput { .. }
            | ServerMsg::ExecExit { .. }
            | ServerMsg::CommandRejected { .. } => self.exec_reply(msg),
            ServerMsg::Hello { .. }
            | ServerMsg::Pong { .. }
            | ServerMsg::Reloaded { .. }
            | ServerMsg::ExecAllowed { .. }
            | ServerMsg::ExecStarted { .. }
            | ServerMsg::AuditRecords { .. }
            | ServerMsg::Policy { .. }
            | ServerMsg::Generations { .. } => {}
            ServerMsg::PullProgress {
                id,
                model,
                status,
                total,
                completed,
                ..
            } => {
                if self.requests.get(&id) == Some(&Req::Pull) {
                    self.pull_progress(&model, &status, total, completed);
                }
            }
            ServerMsg::Pulled { id, model } => {
                if self.requests.remove(&id) == Some(Req::Pull) {
                    self.pulled(&model, fx);
                }
            }
        }
    }

    /// The entry for reply `id`, created at the end if it is not there yet.
    pub(super) fn reply_entry(&mut self, id: &MessageId, model: Option<String>) -> &mut Entry {
        let i = match self.transcript.find(id) {
            Some(i) => i,
            None => {
                let mut e = Entry::new(Role::Assistant, "");
                e.id = Some(id.clone());
                e.status = MessageStatus::Streaming;
                e.model = model.clone().or_else(|| self.active_model.clone());
                self.transcript.entries.push(e);
                self.transcript.entries.len() - 1
            }
        };
        let e = &mut self.transcript.entries[i];
        if model.is_some() {
            e.model = model;
        }
        e
    }

    fn error_reply(
        &mut self,
        req: Option<Req>,
        code: ErrorCode,
        message: &str,
        retry: Option<u64>,
        fx: &mut Vec<Effect>,
    ) {
        if code == ErrorCode::RateLimited {
            let ms = retry.unwrap_or(1000);
            self.rate_limited_until_ms = Some(self.now_ms + ms);
        }
        let text = self.explain(code, message);
        match req {
            Some(Req::Chat) => {
                // Refused before it started: nothing was stored. Give the words back.
                if let Some(p) = self.pending.take() {
                    if let Some(i) = self
                        .transcript
                        .entries
                        .iter()
                        .rposition(|e| e.role == Role::User && e.id.is_none())
                    {
                        self.transcript.entries.remove(i);
                    }
                    if self.input.is_empty() {
                        self.set_input(&p.content);
                    } else {
                        self.remember_prompt(&p.content);
                    }
                    // A refused retry/edit replaced nothing: show the turn it hid again.
                    if p.replace_from.is_some()
                        && let Some(c) = p.conversation
                    {
                        self.open_conversation(c, None, fx);
                    }
                }
                self.generating = None;
                self.notice = Some(Notice::error(text));
            }
            Some(Req::Open(_)) => {
                self.notice = Some(Notice::error(format!(
                    "cannot open that conversation: {text}"
                )));
            }
            Some(Req::Cancel) if code == ErrorCode::NotFound => {}
            Some(Req::Models) if code == ErrorCode::BackendUnavailable => {
                self.ollama_up = Some(false);
                self.refresh_picker(PickKind::Model);
            }
            Some(Req::Attach) => {}
            _ => self.notice = Some(Notice::error(text)),
        }
    }

    /// Clears the notice if it is the one that begins with `prefix` (and only that one).
    fn clear_notice_starting(&mut self, prefix: &str) {
        if self
            .notice
            .as_ref()
            .is_some_and(|n| n.text.starts_with(prefix))
        {
            self.notice = None;
        }
    }

    /// What the daemon last said of Ollama: down shows the fix first and keeps checking;
    /// back clears that notice and fetches the models again.
    fn ollama_health(&mut self, reachable: bool, url: &str, fx: &mut Vec<Effect>) {
        let was = self.ollama_up.replace(reachable);
        if !reachable {
            self.notice = Some(Notice::error(format!(
                "{OLLAMA_DOWN} (or set OLLAMA_HOST for the daemon) — Ollama is not reachable at {url}"
            )));
        } else if was == Some(false) {
            if self
                .notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with(OLLAMA_DOWN))
            {
                self.notice = Some(Notice::info("Ollama is reachable again"));
            }
            self.send(fx, Req::Models, |id| ClientMsg::ListModels { id });
        }
    }

    /// A daemon error with what to do about it.
    pub(super) fn explain(&self, code: ErrorCode, message: &str) -> String {
        match code {
            // The daemon's message already says what to pull (and the closest name).
            ErrorCode::ModelNotFound => {
                let model = self
                    .model
                    .clone()
                    .or_else(|| self.active_model.clone())
                    .unwrap_or_else(|| "MODEL".into());
                format!("{message} — /pull {model} downloads it; /model picks another")
            }
            ErrorCode::RateLimited => {
                format!("{message} — wait for the countdown in the status line")
            }
            ErrorCode::Unauthorized => {
                format!("{message} — check the token (CHINWAG_TOKEN)")
            }
            ErrorCode::Conflict => {
                format!("{message} — wait for the reply to finish, or press Esc to stop it")
            }
            _ => message.to_string(),
        }
    }

    /// Used by commands that act on the open conversation.
    pub(super) fn require_conversation(&mut self) -> Option<ConversationId> {
        if self.conversation.is_none() {
            self.notice = Some(Notice::warn("no conversation yet: send a message first"));
        }
        self.conversation.clone()
    }
}
