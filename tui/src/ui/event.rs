//! What goes into the TUI's state machine ([`Event`]) and what comes out of it ([`Effect`]).
//!
//! The state machine never does I/O: the runner turns effects into socket writes, clipboard
//! writes, editor sessions and files, and feeds the outcomes back as events.

use chinwag_protocol::{ClientMsg, ConversationId, ServerMsg};
use crossterm::event::{KeyEvent, MouseEvent};

/// One input to [`super::app::App::update`].
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "events are handled one at a time; the bounded channel holds at most ~330 KB"
)]
pub enum Event {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Server(ServerMsg),
    Link(LinkEvent),
    /// Time passed; `now_ms` is milliseconds since the TUI started.
    Tick {
        now_ms: u64,
    },
    /// The external editor closed with this text (`None`: it failed or was aborted).
    Edited(Option<String>),
    /// An effect the runner carried out reports back.
    Notice(Notice),
    /// The draft kept for a conversation (`None`: a new one), read at its opening.
    DraftLoaded {
        conversation: Option<ConversationId>,
        text: String,
    },
    /// The paths that complete an `@path` being typed (`prefix` as it was asked).
    PathCompletions {
        prefix: String,
        items: Vec<String>,
    },
    /// The files a message names with `@path`, read (or why not), with the message.
    FilesRead {
        content: String,
        files: Result<Vec<chinwag_protocol::Attachment>, String>,
    },
}

/// The connection to the daemon changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    Connected {
        endpoint: String,
        remote: bool,
        user: String,
        max_message_bytes: u64,
    },
    /// Connecting failed or the connection broke; another attempt follows.
    Reconnecting { attempt: u32, why: String },
    /// The daemon refused us in a way retrying cannot fix (a bad token, an untrusted
    /// certificate, a bad URL): no more attempts.
    Refused { why: String },
}

/// A message for the notice line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Info,
            text: text.into(),
        }
    }
    pub fn warn(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Warn,
            text: text.into(),
        }
    }
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Error,
            text: text.into(),
        }
    }
}

/// What the state machine asks the runner to do.
#[derive(Debug, Clone, PartialEq)]
// Effects live for one loop iteration; boxing the message would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    Send(ClientMsg),
    /// Put `text` on the clipboard (OSC 52, and the native clipboard when local); the runner
    /// says how it went, naming `what` ("the reply").
    Copy {
        text: String,
        what: String,
    },
    /// Suspend the TUI and edit this text in `$EDITOR`; answer with [`Event::Edited`].
    Edit(String),
    /// Write a file (an export); answer with a [`Event::Notice`].
    WriteFile {
        path: String,
        contents: String,
    },
    /// Repaint everything (Ctrl+L, or after the terminal was away).
    Redraw,
    /// Give the terminal back and stop the process until `fg`.
    Suspend,
    /// Keep this draft for the conversation (`None`: a new one); empty text forgets it.
    SaveDraft {
        conversation: Option<ConversationId>,
        text: String,
    },
    /// Read the draft kept for this conversation; answer with [`Event::DraftLoaded`].
    LoadDraft(Option<ConversationId>),
    /// List the paths that start with `prefix` (directories end in `/`); answer with
    /// [`Event::PathCompletions`].
    CompletePath(String),
    /// Read the files a message names with `@path` (images by their extension, the rest as
    /// text, a directory's text files); answer with [`Event::FilesRead`].
    ReadFiles {
        content: String,
        paths: Vec<String>,
    },
    Quit,
}
