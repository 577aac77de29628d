//! The TUI's state and its pure state machine: [`App::update`] takes one [`Event`] and
//! returns the [`Effect`]s to carry out. No I/O, no clock, no randomness: tests drive it
//! with keys and server messages and look at the state and the effects.

mod commands;
mod exec;
mod keys;
pub mod overlay;
mod paging;
mod pull;
mod server;
mod tools;

use super::event::{Effect, Event, LinkEvent, Notice};
use super::keymap::Keymap;
use super::transcript::{Entry, Transcript};
use crate::text::theme::Theme;
use chinwag_protocol::{
    BotInfo, ClientMsg, ConversationId, ConversationSummary, GenOptions, GenStats, MessageId,
    ModelInfo, Role,
};
pub use commands::commands_matching;
use overlay::Overlay;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;
use std::collections::HashMap;

/// Which conversation to open at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open {
    New,
    Latest,
    Id(String),
}

/// What the TUI starts with (flags and the client config).
#[derive(Debug, Clone)]
pub struct Settings {
    pub theme: Theme,
    pub keymap: Keymap,
    pub model: Option<String>,
    pub bot: Option<String>,
    pub open: Open,
    /// Makes idempotency keys unique to this run (random in the binary, fixed in tests).
    pub session: String,
    /// The directory `/run` runs in, on a daemon of this machine (the screen's own).
    pub cwd: Option<String>,
}

/// Where keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Input,
    Transcript,
    List,
}

/// The connection as the status line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected {
        endpoint: String,
        remote: bool,
    },
    Reconnecting {
        attempt: u32,
        why: String,
    },
    /// Refused for good (token, certificate, URL): the notice says what to fix.
    Refused,
}

/// The reply being generated in the open conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generating {
    pub conversation: Option<ConversationId>,
    pub message: Option<MessageId>,
}

/// A chat sent but not yet acknowledged with `chat_started`: resent (same key) on reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub request: String,
    pub key: String,
    pub content: String,
    pub conversation: Option<ConversationId>,
    /// Replace this message and all after it (regenerate, edit).
    pub replace_from: Option<MessageId>,
    /// Files sent with it (`@path`), read before it went.
    pub attachments: Vec<chinwag_protocol::Attachment>,
}

/// What a request id was for, so its reply (or error) lands in the right place.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Chat,
    List,
    Open(Option<MessageId>),
    Attach,
    Models,
    Bots,
    Search,
    Rename(ConversationId, String),
    Delete(ConversationId),
    Cancel,
    Status,
    /// An older page of this conversation.
    Older(ConversationId),
    /// A slice of a message too big for one frame.
    Text,
    /// A `/run`: its output and end come under this id.
    Exec,
    /// An answer to a tool call.
    Approve,
    /// A model being pulled: its progress and end come under this id.
    Pull,
}

/// The conversation list panel.
#[derive(Debug, Clone, Default)]
pub struct ConversationList {
    pub items: Vec<ConversationSummary>,
    pub visible: bool,
    pub selected: usize,
}

/// How often the app asks again whether Ollama is back, while it is down.
const OLLAMA_RECHECK_MS: u64 = 3_000;

/// The whole TUI state.
#[derive(Debug)]
pub struct App {
    pub theme: Theme,
    pub keymap: Keymap,
    pub link: LinkState,
    pub user: String,
    pub max_message_bytes: u64,
    pub conversation: Option<ConversationId>,
    pub title: String,
    pub transcript: Transcript,
    pub input: TextArea<'static>,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub list: ConversationList,
    pub models: Vec<ModelInfo>,
    /// Whether the daemon last found Ollama reachable (`None`: not asked yet); while it is
    /// down the app asks again every few seconds, so the screen notices when it comes back.
    pub ollama_up: Option<bool>,
    ollama_asked_ms: u64,
    pub default_model: Option<String>,
    pub bots: Vec<BotInfo>,
    /// The model and bot chosen for the next message (`None`: the daemon's default).
    pub model: Option<String>,
    pub bot: Option<String>,
    /// The model that answered last in this conversation.
    pub active_model: Option<String>,
    /// Per-conversation options: system prompt and temperature.
    pub options: GenOptions,
    /// The tools offered with each message (`/tools`); `None`: the bot's.
    pub tools: Option<Vec<String>>,
    pub generating: Option<Generating>,
    pub pending: Option<Pending>,
    pub notice: Option<Notice>,
    pub stats: Option<GenStats>,
    pub rate_limited_until_ms: Option<u64>,
    pub now_ms: u64,
    /// The message selected in the transcript (copy, thinking).
    pub selected: Option<usize>,
    pub size: Rect,
    /// The transcript's width and height as the last frame drew it.
    pub transcript_area: Option<(usize, usize)>,
    pub quit: bool,
    /// Keys handled so far; with `quit_armed_at`, tells whether Ctrl+C came right after the
    /// Ctrl+C that asked for confirmation.
    keys_seen: u64,
    quit_armed_at: Option<u64>,
    /// Whether the draft kept for the opened conversation was asked for yet.
    draft_asked: bool,
    prompts: Vec<String>,
    recall: Option<usize>,
    draft: String,
    requests: HashMap<String, Req>,
    next_id: u64,
    session: String,
    open: Open,
    /// `/edit` is on: sending replaces this prompt.
    editing: Option<MessageId>,
    chord: bool,
    /// Where `/run` runs (local daemons only).
    cwd: Option<String>,
    /// Command outputs shared into the next message.
    shared: Vec<String>,
}

/// Rows of the input box: its lines plus the border, within limits.
pub fn input_height(app: &App, total: u16) -> u16 {
    let lines = app.input.lines().len() as u16;
    (lines + 2).clamp(3, (total / 3).max(3))
}

impl App {
    pub fn new(settings: Settings) -> App {
        let mut input = TextArea::default();
        input.set_cursor_line_style(ratatui::style::Style::new());
        input
            .set_placeholder_text("Message — Enter sends, Alt+Enter new line, / commands, F1 help");
        input.set_placeholder_style(settings.theme.dim);
        App {
            theme: settings.theme,
            keymap: settings.keymap,
            link: LinkState::Connecting,
            user: String::new(),
            max_message_bytes: 0,
            conversation: None,
            title: String::new(),
            transcript: Transcript::default(),
            input,
            focus: Focus::Input,
            overlay: None,
            list: ConversationList::default(),
            models: Vec::new(),
            default_model: None,
            bots: Vec::new(),
            model: settings.model,
            bot: settings.bot,
            active_model: None,
            options: GenOptions::default(),
            tools: None,
            generating: None,
            pending: None,
            notice: None,
            stats: None,
            rate_limited_until_ms: None,
            now_ms: 0,
            selected: None,
            size: Rect::new(0, 0, 80, 24),
            transcript_area: None,
            quit: false,
            ollama_up: None,
            ollama_asked_ms: 0,
            keys_seen: 0,
            quit_armed_at: None,
            draft_asked: false,
            prompts: Vec::new(),
            recall: None,
            draft: String::new(),
            requests: HashMap::new(),
            next_id: 0,
            session: settings.session,
            open: settings.open,
            editing: None,
            chord: false,
            cwd: settings.cwd,
            shared: Vec::new(),
        }
    }

    /// Handles one event; returns what the runner must do.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match event {
            Event::Key(key) => {
                self.keys_seen += 1;
                self.key(key, &mut fx);
            }
            Event::Paste(text) => self.paste(&text),
            Event::Mouse(m) => self.mouse(m),
            Event::Resize { width, height } => {
                self.size = Rect::new(0, 0, width, height);
                self.transcript_area = None;
            }
            Event::Server(msg) => self.server(msg, &mut fx),
            Event::Link(link) => self.link_event(link, &mut fx),
            Event::Tick { now_ms } => {
                self.now_ms = now_ms;
                if self.ollama_up == Some(false)
                    && now_ms.saturating_sub(self.ollama_asked_ms) >= OLLAMA_RECHECK_MS
                    && !self.requests.values().any(|r| *r == Req::Status)
                {
                    self.ollama_asked_ms = now_ms;
                    self.send(&mut fx, Req::Status, |id| ClientMsg::Status { id });
                }
                if self.rate_limited_until_ms.is_some_and(|t| t <= now_ms) {
                    self.rate_limited_until_ms = None;
                }
            }
            Event::Edited(text) => {
                if let Some(text) = text {
                    self.set_input(text.trim_end_matches('\n'));
                }
            }
            Event::Notice(n) => self.notice = Some(n),
            Event::FilesRead { content, files } => self.files_read(content, files, &mut fx),
            Event::PathCompletions { prefix, items } => self.path_completions(prefix, items),
            Event::DraftLoaded { conversation, text } => {
                if conversation == self.conversation && self.input.is_empty() && !text.is_empty() {
                    self.set_input(&text);
                    self.notice = Some(Notice::info("your draft from last time is back"));
                }
            }
        }
        fx
    }

    /// Quits, keeping what is typed as this conversation's draft (an empty input forgets it).
    /// A draft not read yet is never overwritten by an empty input.
    fn quit_keeping_draft(&mut self, fx: &mut Vec<Effect>) {
        self.quit = true;
        if self.draft_asked || !self.input.is_empty() {
            fx.push(Effect::SaveDraft {
                conversation: self.conversation.clone(),
                text: self.input_text(),
            });
        }
        fx.push(Effect::Quit);
    }

    /// Asks once, for the conversation the screen opened with, for the draft kept for it.
    fn ask_for_draft(&mut self, fx: &mut Vec<Effect>) {
        if !self.draft_asked {
            self.draft_asked = true;
            fx.push(Effect::LoadDraft(self.conversation.clone()));
        }
    }

    /// Whether the runner should send [`Event::Tick`]s (a countdown or a spinner runs).
    pub fn wants_tick(&self) -> bool {
        self.rate_limited_until_ms.is_some()
            || self.generating.is_some()
            || self.ollama_up == Some(false)
            || matches!(
                self.link,
                LinkState::Reconnecting { .. } | LinkState::Connecting
            )
    }

    pub fn connected(&self) -> bool {
        matches!(self.link, LinkState::Connected { .. })
    }

    /// The transcript's size in cells: as the view last laid it out (it sets
    /// `transcript_area` each frame), else the terminal less the screen's fixed rows and
    /// margins. The state machine takes its geometry as an input and never calls the view.
    pub fn transcript_size(&self) -> (usize, usize) {
        self.transcript_area.unwrap_or((
            usize::from(self.size.width.saturating_sub(2)),
            usize::from(self.size.height.saturating_sub(5)),
        ))
    }

    fn request(&mut self, req: Req) -> String {
        self.next_id += 1;
        let id = format!("t{}", self.next_id);
        self.requests.insert(id.clone(), req);
        id
    }

    fn send(&mut self, fx: &mut Vec<Effect>, req: Req, make: impl FnOnce(String) -> ClientMsg) {
        if !self.connected() {
            return;
        }
        let id = self.request(req);
        fx.push(Effect::Send(make(id)));
    }

    fn refresh_list(&mut self, fx: &mut Vec<Effect>) {
        self.send(fx, Req::List, |id| ClientMsg::ListConversations {
            id,
            limit: Some(200),
            offset: None,
            cursor: None,
        });
    }

    fn open_conversation(
        &mut self,
        id: ConversationId,
        jump: Option<MessageId>,
        fx: &mut Vec<Effect>,
    ) {
        self.send(fx, Req::Open(jump), |rid| ClientMsg::GetConversation {
            id: rid,
            conversation: id,
        });
    }

    fn set_input(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let mut input = TextArea::new(lines);
        input.set_cursor_line_style(ratatui::style::Style::new());
        input.set_placeholder_text(self.input.placeholder_text().to_string());
        input.set_placeholder_style(self.theme.dim);
        input.move_cursor(ratatui_textarea::CursorMove::Bottom);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        self.input = input;
    }

    pub fn input_text(&self) -> String {
        self.input.lines().join("\n")
    }

    fn new_conversation(&mut self) {
        self.conversation = None;
        self.title.clear();
        self.transcript = Transcript::default();
        self.options = GenOptions::default();
        self.active_model = None;
        self.stats = None;
        self.selected = None;
        if self.pending.is_none() {
            self.generating = None;
        }
        self.notice = None;
    }

    /// Sends `content` as a new turn, optionally replacing a prompt and what follows it.
    fn send_chat_replacing(
        &mut self,
        content: String,
        replace_from: Option<MessageId>,
        attachments: Vec<chinwag_protocol::Attachment>,
        fx: &mut Vec<Effect>,
    ) {
        self.next_id += 1;
        let key = format!("{}-{}", self.session, self.next_id);
        let mut entry = Entry::new(Role::User, content.clone());
        entry.attachments = attachments.iter().map(|a| a.summary()).collect();
        entry.touch();
        self.transcript.entries.push(entry);
        self.transcript.scroll = super::transcript::Scroll::Follow;
        self.generating = Some(Generating {
            conversation: self.conversation.clone(),
            message: None,
        });
        let pending = Pending {
            request: String::new(),
            key,
            content,
            conversation: self.conversation.clone(),
            replace_from,
            attachments,
        };
        self.pending = Some(pending);
        self.send_pending(fx);
    }

    /// (Re)sends the pending chat under a fresh request id and the same idempotency key.
    fn send_pending(&mut self, fx: &mut Vec<Effect>) {
        let Some(p) = self.pending.clone() else {
            return;
        };
        if !self.connected() {
            return;
        }
        let id = self.request(Req::Chat);
        if let Some(p) = &mut self.pending {
            p.request = id.clone();
        }
        let options = self.options.clone();
        fx.push(Effect::Send(ClientMsg::Chat {
            id,
            conversation: p.conversation,
            bot: self.bot.clone(),
            model: self.model.clone(),
            content: p.content,
            options,
            idempotency_key: Some(p.key),
            replace_from: p.replace_from,
            tools: self.tools.clone(),
            attachments: p.attachments,
            ephemeral: false,
        }));
    }

    fn cancel_generation(&mut self, fx: &mut Vec<Effect>) -> bool {
        let Some(g) = &self.generating else {
            return false;
        };
        match g.conversation.clone() {
            Some(conversation) => {
                self.send(fx, Req::Cancel, |id| ClientMsg::Cancel { id, conversation });
                self.notice = Some(Notice::info("stopping the reply…"));
            }
            None => self.notice = Some(Notice::info("the reply has not started yet")),
        }
        true
    }

    fn link_event(&mut self, link: LinkEvent, fx: &mut Vec<Effect>) {
        match link {
            LinkEvent::Connected {
                endpoint,
                remote,
                user,
                max_message_bytes,
            } => {
                let was_reconnecting = matches!(self.link, LinkState::Reconnecting { .. });
                self.link = LinkState::Connected { endpoint, remote };
                self.user = user;
                self.max_message_bytes = max_message_bytes;
                self.requests.clear();
                if was_reconnecting {
                    self.notice = Some(Notice::info("reconnected"));
                }
                self.refresh_list(fx);
                self.send(fx, Req::Models, |id| ClientMsg::ListModels { id });
                self.send(fx, Req::Bots, |id| ClientMsg::ListBots { id });
                self.send(fx, Req::Status, |id| ClientMsg::Status { id });
                match std::mem::replace(&mut self.open, Open::New) {
                    Open::Id(prefix) => self.open_conversation(ConversationId(prefix), None, fx),
                    Open::Latest => self.open = Open::Latest,
                    Open::New if self.conversation.is_none() => self.ask_for_draft(fx),
                    Open::New => {}
                }
                if let Some(c) = self.conversation.clone() {
                    self.open_conversation(c, None, fx);
                }
                if self.pending.is_some() {
                    self.send_pending(fx);
                }
            }
            LinkEvent::Reconnecting { attempt, why } => {
                self.link = LinkState::Reconnecting { attempt, why };
                self.requests.clear();
                self.commands_cut();
            }
            LinkEvent::Refused { why } => {
                self.link = LinkState::Refused;
                self.requests.clear();
                self.commands_cut();
                self.notice = Some(Notice::error(why));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
