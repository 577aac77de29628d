//! Messages the daemon sends to a client.

use crate::client::GenOptions;
use crate::error::{ErrorBody, ErrorCode};
use crate::tools::ToolEvent;
use crate::types::{
    BotInfo, ConversationId, ConversationSummary, ExecRecord, MessageId, MessageStatus, ModelInfo,
    PolicyProgram, Role, StoredMessage, TextPart,
};
use serde::{Deserialize, Serialize};

/// Every daemon → client message. `id` echoes the request that caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Hello {
        id: String,
        protocol: u32,
        /// `chinwagd/<version>`.
        server: String,
        /// Who the daemon believes you are.
        user: String,
        /// The largest frame the daemon accepts; larger ones close the socket (1009).
        max_message_bytes: u64,
    },
    /// The user message is stored (this is the acknowledgement) and the reply has begun.
    ChatStarted {
        id: String,
        conversation: ConversationId,
        user_message: MessageId,
        assistant_message: MessageId,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bot: Option<String>,
        /// True when this answers a resend of an idempotency key already stored.
        #[serde(default)]
        resumed: bool,
    },
    /// The whole of a reply so far. Sent on attach (and on resume) before live deltas;
    /// a client replaces what it holds for `message` with this.
    Replay {
        id: String,
        conversation: ConversationId,
        message: MessageId,
        model: String,
        content: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        thinking: String,
    },
    /// More of a reply: append `content` (and `thinking`) to what you hold.
    Delta {
        id: String,
        conversation: ConversationId,
        message: MessageId,
        #[serde(default)]
        content: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        thinking: String,
    },
    /// A tool event of a reply (a call, its approval, its result), in its place among the
    /// deltas.
    Tool {
        id: String,
        conversation: ConversationId,
        message: MessageId,
        #[serde(flatten)]
        event: ToolEvent,
    },
    /// The reply has ended, well or not. `status` is what the store now holds.
    Done {
        id: String,
        conversation: ConversationId,
        message: MessageId,
        status: MessageStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stats: Option<GenStats>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ErrorBody>,
    },
    /// Answer to `attach`: you now watch the conversation.
    Attached {
        id: String,
        conversation: ConversationId,
        /// The reply being generated, if any; a `replay` follows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        generating: Option<MessageId>,
    },
    Conversations {
        id: String,
        items: Vec<ConversationSummary>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_cursor: Option<String>,
    },
    Conversation {
        id: String,
        conversation: ConversationSummary,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        system: Option<String>,
        /// The newest messages that fit in one frame, oldest first.
        messages: Vec<StoredMessage>,
        /// Older messages exist: page back with `history` (`before` = the first one here).
        #[serde(default)]
        has_more: bool,
        /// The options of the conversation's last turn, `system` aside (it is above), so a
        /// client that reopens it can go on with the same temperature and the rest.
        #[serde(default, skip_serializing_if = "GenOptions::is_empty")]
        options: GenOptions,
    },
    Messages {
        id: String,
        conversation: ConversationId,
        items: Vec<StoredMessage>,
        has_more: bool,
    },
    /// The backend has not sent the first token yet (a cold model is loading); sent once
    /// per watcher, after about a second of waiting.
    Loading {
        id: String,
        conversation: ConversationId,
        message: MessageId,
        model: String,
    },
    MessageText {
        id: String,
        message: MessageId,
        part: TextPart,
        offset: u64,
        text: String,
        /// The whole part's length in bytes: done when `offset + len(text)` reaches it.
        total_bytes: u64,
    },
    SearchResults {
        id: String,
        hits: Vec<SearchHit>,
    },
    Models {
        id: String,
        models: Vec<ModelInfo>,
        /// The model a chat without `model` would use now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_model: Option<String>,
        /// The daemon's other backends, as asked for this list (a backend that is down has
        /// no models in it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        backends: Vec<BackendStatus>,
    },
    /// How a `pull` goes, as Ollama tells it: a status, and for a layer being downloaded its
    /// digest and bytes done of its total.
    PullProgress {
        id: String,
        model: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completed: Option<u64>,
    },
    /// The model is in Ollama now.
    Pulled {
        id: String,
        model: String,
    },
    /// The caller's replies being generated, oldest first.
    Generations {
        id: String,
        items: Vec<GenerationInfo>,
    },
    Bots {
        id: String,
        bots: Vec<BotInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_bot: Option<String>,
    },
    Status(StatusReply),
    /// The request succeeded and has nothing more to say (rename, delete, cancel).
    Ok {
        id: String,
    },
    Error {
        id: String,
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    Pong {
        id: String,
    },
    /// The config was re-read: what changed, and what changed but waits for a restart.
    Reloaded {
        id: String,
        changed: Vec<String>,
        needs_restart: Vec<String>,
    },
    /// `exec_check`: the command would run, as this program with these arguments, in `cwd`.
    ExecAllowed {
        id: String,
        program: String,
        args: Vec<String>,
        cwd: String,
    },
    /// `exec`: the command has started, as this program with these arguments, in `cwd`.
    ExecStarted {
        id: String,
        program: String,
        args: Vec<String>,
        cwd: String,
    },
    /// Output as it came, on `stream` (`stdout` or `stderr`). Bytes that were not UTF-8
    /// are replaced with U+FFFD and `lossy` is set.
    ExecOutput {
        id: String,
        stream: String,
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        lossy: bool,
    },
    /// How the command ended: its exit code, or the signal that ended it.
    ExecExit {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
        timed_out: bool,
        /// Stopped by a `cancel_exec`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cancelled: bool,
        truncated: bool,
        bytes: u64,
        duration_ms: u64,
        /// What confined it: `landlock`, `landlock-partial` or `process-group`.
        sandbox: String,
    },
    /// `get_policy`: the executor's policy in force.
    Policy {
        id: String,
        /// The directory a command would run in and be confined to; absent when the
        /// executor has no root (it then refuses everything).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root: Option<String>,
        /// What would confine a command here: `landlock`, `landlock-partial` or
        /// `process-group`.
        sandbox: String,
        /// By name.
        programs: Vec<PolicyProgram>,
    },
    /// `audit`: executor requests, newest first.
    AuditRecords {
        id: String,
        items: Vec<ExecRecord>,
    },
    /// The policy refused the command; nothing was started.
    CommandRejected {
        id: String,
        /// A short stable name of the rule (`not-in-policy`, `unknown-flag`, `outside-root`, ...).
        rule: String,
        message: String,
    },
}

impl ServerMsg {
    /// An `error` frame answering request `id`.
    pub fn error(id: impl Into<String>, body: ErrorBody) -> Self {
        Self::Error {
            id: id.into(),
            code: body.code,
            message: body.message,
            retry_after_ms: body.retry_after_ms,
        }
    }

    /// The request id this frame answers.
    pub fn id(&self) -> &str {
        match self {
            Self::Hello { id, .. }
            | Self::ChatStarted { id, .. }
            | Self::Replay { id, .. }
            | Self::Delta { id, .. }
            | Self::Tool { id, .. }
            | Self::Done { id, .. }
            | Self::Attached { id, .. }
            | Self::Conversations { id, .. }
            | Self::Conversation { id, .. }
            | Self::Messages { id, .. }
            | Self::MessageText { id, .. }
            | Self::Loading { id, .. }
            | Self::SearchResults { id, .. }
            | Self::Models { id, .. }
            | Self::Bots { id, .. }
            | Self::Generations { id, .. }
            | Self::PullProgress { id, .. }
            | Self::Pulled { id, .. }
            | Self::Ok { id }
            | Self::Error { id, .. }
            | Self::Pong { id }
            | Self::Reloaded { id, .. }
            | Self::ExecAllowed { id, .. }
            | Self::ExecStarted { id, .. }
            | Self::ExecOutput { id, .. }
            | Self::ExecExit { id, .. }
            | Self::CommandRejected { id, .. }
            | Self::AuditRecords { id, .. }
            | Self::Policy { id, .. } => id,
            Self::Status(s) => &s.id,
        }
    }
}

/// Token counts and timings of a finished reply, from the backend's last chunk (an
/// OpenAI-compatible server reports the token counts only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenStats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_duration_ns: Option<u64>,
    /// `completion_tokens / eval_duration`, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
}

/// One full-text search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation: ConversationId,
    pub title: String,
    pub message: MessageId,
    pub role: Role,
    /// A short excerpt around the match; the matched words are wrapped in `[` `]`.
    pub snippet: String,
    pub created_at_ms: i64,
}

/// The daemon's health, for `chinwag status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReply {
    pub id: String,
    /// The daemon's version.
    pub version: String,
    pub protocol: u32,
    pub pid: u32,
    pub uptime_ms: u64,
    /// Where the daemon listens (socket path and/or `ws://` address).
    pub listening: Vec<String>,
    /// The history database file.
    pub store_path: String,
    pub user: String,
    pub ollama: OllamaStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model: Option<String>,
    /// Generations running now, for every user.
    pub active_generations: u64,
    /// WebSocket connections open now, for every user.
    #[serde(default)]
    pub connections: u64,
    /// The caller's rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<UserLimits>,
    /// The daemon's other backends (`[backends.NAME]`), each asked just now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<BackendStatus>,
}

/// Whether one of the daemon's named backends answered just now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    /// The prefix its models take (`NAME:model`).
    pub name: String,
    /// `openai` or `ollama`.
    pub kind: String,
    pub url: String,
    pub reachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A user's rate limits: chat messages a minute (after a burst) and replies at once, and
/// what is left of each now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLimits {
    pub messages_per_minute: u32,
    pub burst: u32,
    pub concurrent_generations: u32,
    /// Chat messages the caller may send now without waiting (at least this many).
    #[serde(default)]
    pub messages_left: u32,
    /// The caller's replies generating now.
    #[serde(default)]
    pub generating: u32,
    /// Output tokens a minute, charged as each reply ends.
    #[serde(default)]
    pub output_tokens_per_minute: u32,
    /// Output tokens left now (0 while a long reply is being paid back).
    #[serde(default)]
    pub output_tokens_left: u64,
}

/// Whether Ollama answered just now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OllamaStatus {
    pub url: String,
    pub reachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A reply being generated, as `list_generations` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationInfo {
    pub conversation: ConversationId,
    pub message: MessageId,
    pub model: String,
    pub started_at_ms: i64,
    /// `starting` (no text yet: waiting for a place, or the model loading), `generating`, or
    /// `asking` (a tool call waits for an answer).
    pub state: String,
    /// Chunks of text the backend has sent (about one token each).
    pub output_tokens: u64,
    /// Since the first token; absent before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
}
