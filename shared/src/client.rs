//! Messages a client sends to the daemon.

use crate::types::{ConversationId, MessageId, TextPart};
use serde::{Deserialize, Serialize};

/// Every client → daemon message. Each carries a client-chosen `id` that the daemon echoes on
/// every frame it sends in answer, so a client can run several requests on one socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// One message per frame, decoded and dropped: boxing `Chat` would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum ClientMsg {
    /// Must come first. The daemon answers `hello` or `error{unsupported_version}`.
    Hello {
        id: String,
        protocol: u32,
        /// Free text naming the client, for the daemon's log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Send a user message and generate a reply. Without `conversation` a new one is made.
    Chat {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationId>,
        /// A bot from the daemon's config; it stays with the conversation until changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bot: Option<String>,
        /// Overrides the bot's and the conversation's model from this turn on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        content: String,
        #[serde(default, skip_serializing_if = "GenOptions::is_empty")]
        options: GenOptions,
        /// A resend with the same key (same user) is stored once and answered with the
        /// original ids (`resumed: true`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<String>,
        /// Regenerate or edit: this user message of the conversation, and every message after
        /// it, are deleted in the same commit that stores the new turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replace_from: Option<MessageId>,
        /// The tools offered to the model this turn (from `TOOL_NAMES`); absent: the bot's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools: Option<Vec<String>>,
        /// Files read by the client, sent with the message and stored with it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::Attachment>,
        /// A new conversation the daemon forgets once the reply ends (`--no-save`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ephemeral: bool,
    },
    /// Answer a tool call that asks (`tool` event with verdict `ask`), from any of the
    /// user's connections.
    Approve {
        id: String,
        conversation: ConversationId,
        call: String,
        decision: crate::Decision,
        /// For `deny`: why (the model sees it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Stop the generation running in a conversation. The partial reply is kept as `cancelled`.
    Cancel {
        id: String,
        conversation: ConversationId,
    },
    /// Watch a conversation: a reply in progress is replayed, then streamed live.
    Attach {
        id: String,
        conversation: ConversationId,
    },
    /// Conversations, most recently updated first.
    ListConversations {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u32>,
        /// The `next_cursor` of a previous page; takes precedence over `offset`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
    },
    /// One conversation with all its messages.
    GetConversation {
        id: String,
        conversation: ConversationId,
    },
    RenameConversation {
        id: String,
        conversation: ConversationId,
        title: String,
    },
    DeleteConversation {
        id: String,
        conversation: ConversationId,
    },
    /// A page of a conversation's messages, newest last, ending before `before`.
    History {
        id: String,
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<MessageId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// A slice of one message's text, for messages listed as `truncated`: up to a frame's
    /// worth from byte `offset` (a char boundary) of `part`.
    GetMessageText {
        id: String,
        message: MessageId,
        #[serde(default)]
        part: TextPart,
        #[serde(default)]
        offset: u64,
    },
    /// Full-text search over your messages (words; `"exact phrase"`; `prefix*`).
    Search {
        id: String,
        query: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    ListModels {
        id: String,
    },
    /// Download a model into Ollama (`pull_progress` frames, then `pulled`). Needs the admin
    /// scope over TCP: it fills the daemon's disk.
    Pull {
        id: String,
        model: String,
    },
    /// The caller's replies being generated now.
    ListGenerations {
        id: String,
    },
    ListBots {
        id: String,
    },
    Status {
        id: String,
    },
    Ping {
        id: String,
    },
    /// Re-read the daemon's config file: bots, default model and bot, timeouts and limits
    /// change in place, connections stay. A config that does not load is refused and the old
    /// one kept.
    Reload {
        id: String,
    },
    /// Runs a command through the executor (SECURITY.md §1): an argv, never a string. The
    /// daemon answers `exec_started`, then `exec_output`s as they come, then `exec_exit`;
    /// or `command_rejected` with the rule, having started nothing.
    Exec {
        id: String,
        argv: Vec<String>,
        /// The directory to run in, absolute; it becomes the root paths are confined to,
        /// and must lie inside the daemon's allowed root. Default: that root.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// The executor's audit log, newest first: the caller's own requests (an `admin` token
    /// sees everyone's). Answered with `audit_records`.
    Audit {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// The executor's policy in force: its programs and their grammar, the root a
    /// command would run in (`cwd`, as for `exec`), and the sandbox. Answered `policy`.
    GetPolicy {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// Stops the command that the `exec` with id `exec` on this connection started; its
    /// `exec_exit` says `cancelled`. Answered `ok`, also when nothing runs under that id.
    CancelExec {
        id: String,
        exec: String,
    },
    /// Asks what `exec` would decide, without running anything: `exec_allowed` or
    /// `command_rejected`.
    ExecCheck {
        id: String,
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// Stop the daemon gracefully, as SIGTERM does: replies in progress finish within its
    /// grace or are stored cut, then it exits.
    Shutdown {
        id: String,
    },
}

impl ClientMsg {
    /// The request id, echoed on every reply.
    pub fn id(&self) -> &str {
        match self {
            Self::Hello { id, .. }
            | Self::Chat { id, .. }
            | Self::Cancel { id, .. }
            | Self::Approve { id, .. }
            | Self::Attach { id, .. }
            | Self::ListConversations { id, .. }
            | Self::GetConversation { id, .. }
            | Self::RenameConversation { id, .. }
            | Self::DeleteConversation { id, .. }
            | Self::History { id, .. }
            | Self::GetMessageText { id, .. }
            | Self::Search { id, .. }
            | Self::ListModels { id }
            | Self::ListBots { id }
            | Self::ListGenerations { id }
            | Self::Pull { id, .. }
            | Self::Status { id }
            | Self::Ping { id }
            | Self::Reload { id }
            | Self::Shutdown { id }
            | Self::Exec { id, .. }
            | Self::Audit { id, .. }
            | Self::GetPolicy { id, .. }
            | Self::CancelExec { id, .. }
            | Self::ExecCheck { id, .. } => id,
        }
    }

    /// The `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "hello",
            Self::Chat { .. } => "chat",
            Self::Cancel { .. } => "cancel",
            Self::Approve { .. } => "approve",
            Self::Attach { .. } => "attach",
            Self::ListConversations { .. } => "list_conversations",
            Self::GetConversation { .. } => "get_conversation",
            Self::RenameConversation { .. } => "rename_conversation",
            Self::DeleteConversation { .. } => "delete_conversation",
            Self::History { .. } => "history",
            Self::GetMessageText { .. } => "get_message_text",
            Self::Search { .. } => "search",
            Self::ListModels { .. } => "list_models",
            Self::ListBots { .. } => "list_bots",
            Self::ListGenerations { .. } => "list_generations",
            Self::Pull { .. } => "pull",
            Self::Status { .. } => "status",
            Self::Ping { .. } => "ping",
            Self::Reload { .. } => "reload",
            Self::Shutdown { .. } => "shutdown",
            Self::Exec { .. } => "exec",
            Self::Audit { .. } => "audit",
            Self::GetPolicy { .. } => "get_policy",
            Self::CancelExec { .. } => "cancel_exec",
            Self::ExecCheck { .. } => "exec_check",
        }
    }
}

/// Per-request generation options, passed to the model's backend. Absent fields use the bot's, then
/// the model's defaults. `system` also becomes the conversation's system prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Maximum tokens to generate (`-1`: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<i64>,
    /// Context window size in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_ctx: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// How long Ollama keeps the model loaded: a duration such as `"5m"`, `"1h"`, `"0"`, or
    /// whole seconds as a string (`"300"`); negative keeps it loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<String>,
    /// Whether a thinking model thinks first: `true`, `false`, or a level (`"low"`,
    /// `"medium"`, `"high"`, `"max"`) for models that take one. Absent: the model's default.
    /// Ollama's `think`; an OpenAI-compatible backend has no such switch and is not sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think: Option<Think>,
}

/// A thinking switch: on, off, or a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Think {
    Switch(bool),
    Level(String),
}

impl Think {
    /// The levels a model may take besides on and off.
    pub const LEVELS: &'static [&'static str] = &["low", "medium", "high", "max"];

    /// `on`/`true`, `off`/`false`, or a level; `None` for anything else.
    pub fn parse(s: &str) -> Option<Think> {
        match s {
            "on" | "true" => Some(Think::Switch(true)),
            "off" | "false" => Some(Think::Switch(false)),
            l if Self::LEVELS.contains(&l) => Some(Think::Level(l.to_string())),
            _ => None,
        }
    }

    /// Whether it is a value Ollama accepts.
    pub fn is_valid(&self) -> bool {
        match self {
            Think::Switch(_) => true,
            Think::Level(l) => Self::LEVELS.contains(&l.as_str()),
        }
    }
}

impl GenOptions {
    /// True when no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `self` with each unset field taken from `base`.
    pub fn or(self, base: &GenOptions) -> GenOptions {
        GenOptions {
            system: self.system.or_else(|| base.system.clone()),
            temperature: self.temperature.or(base.temperature),
            top_p: self.top_p.or(base.top_p),
            seed: self.seed.or(base.seed),
            num_predict: self.num_predict.or(base.num_predict),
            num_ctx: self.num_ctx.or(base.num_ctx),
            stop: if self.stop.is_empty() {
                base.stop.clone()
            } else {
                self.stop
            },
            keep_alive: self.keep_alive.or_else(|| base.keep_alive.clone()),
            think: self.think.or_else(|| base.think.clone()),
        }
    }
}
