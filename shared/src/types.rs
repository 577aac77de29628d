//! Value types shared by requests and replies: ids, roles, message status, listings.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A conversation's id: an opaque string (the daemon uses UUIDv7, so ids sort by creation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub String);

/// A stored message's id: an opaque string, unique across all conversations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub String);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// Where a stored message stands. Only `complete` replies are whole; the others are kept so
/// nothing is lost, and clients must show them as cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Whole: a user message, or a reply that reached Ollama's `done`.
    Complete,
    /// A reply being generated right now.
    Streaming,
    /// A reply cut because the daemon stopped (crash, kill, shutdown) before it ended.
    Incomplete,
    /// A reply cut by an error from Ollama or the connection to it.
    Error,
    /// A reply stopped by a `cancel` request.
    Cancelled,
}

impl MessageStatus {
    /// The snake_case name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Incomplete => "incomplete",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the name produced by [`MessageStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "complete" => Self::Complete,
            "streaming" => Self::Streaming,
            "incomplete" => Self::Incomplete,
            "error" => Self::Error,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// One stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: MessageId,
    pub role: Role,
    pub content: String,
    /// Reasoning text from thinking models; empty when the model sent none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub thinking: String,
    pub status: MessageStatus,
    /// The model that wrote a reply (absent on user messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Why a reply stopped short, in words fit for a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The stable code of that error (as in `done.error.code`), when the daemon recorded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<crate::ErrorCode>,
    /// The message is too big for one frame: `content` and `thinking` hold only their start;
    /// fetch the rest with `get_message_text`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// A reply's tool calls, approvals and results, in order, each with where in the text
    /// it came.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<crate::StoredToolEvent>,
    /// Files sent with a user message (names, kinds and sizes; not their contents).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Which text of a message `get_message_text` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextPart {
    #[default]
    Content,
    Thinking,
}

/// A conversation as listed: no messages, just what a picker needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: String,
    /// The model of the latest reply, or the one chosen for the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub message_count: u64,
}

/// A model a backend offers: Ollama's local models (from `/api/tags`), or an
/// OpenAI-compatible server's (from `/v1/models`, named `backend:id`; only the name is known).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    #[serde(default)]
    pub size_bytes: u64,
    /// As Ollama reports it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<String>,
    /// What the model can do, as Ollama lists it (`completion`, `tools`, `vision`,
    /// `thinking`…); empty when the backend does not say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// Loaded in memory now (Ollama's `/api/ps`); absent when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded: Option<LoadedModel>,
    /// The longest context the model was trained for, in tokens (Ollama's `/api/show`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
}

/// A model Ollama holds in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedModel {
    /// Bytes of it in GPU memory.
    #[serde(default)]
    pub size_vram: u64,
    /// The context window it was loaded with, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// When Ollama unloads it unless it is used (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl ModelInfo {
    /// Whether the model can call tools: Ollama says so, or the backend does not say.
    pub fn has_tools(&self) -> bool {
        self.capabilities.is_empty() || self.capabilities.iter().any(|c| c == "tools")
    }
}

/// A named profile from the daemon's config: a model, a system prompt and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One program of the executor's policy, as `policy` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyProgram {
    /// The name a request's `argv[0]` gives.
    pub name: String,
    /// The absolute path that runs here; absent when none of the policy's paths exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The rule that keeps it from running here (`program-missing`, `needs-sandbox`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// From the daemon's config, not built in.
    #[serde(default)]
    pub configured: bool,
    /// What it accepts (for a program with subcommands: nothing; see `subcommands`).
    #[serde(flatten)]
    pub grammar: PolicyGrammar,
    /// Flags allowed before the subcommand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subcommands: BTreeMap<String, PolicyGrammar>,
    /// Variables added to its environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// What a program or subcommand accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyGrammar {
    /// Flags without a value.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Options with a value, by the value's type: `number`, `text`, `path`, or the words
    /// allowed, joined by `|`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// `none`, `paths`, `text`, `pattern-then-paths`, `paths-first` or
    /// `revisions-then-paths`.
    pub operands: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_operands: Option<usize>,
    /// Arguments put before the caller's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
}

/// One executor request as the audit log keeps it: who asked what, where, what was decided,
/// and how the command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRecord {
    pub at_ms: i64,
    /// Who asked (the login name, or the token's user).
    pub user: String,
    /// The token's id, for a TCP peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// An `exec_check`: nothing was to run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check: bool,
    /// `allowed` or `refused`.
    pub decision: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
}

/// What a file attached to a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A text file: the model sees its text, named, before the message.
    Text,
    /// A PNG, JPEG or WebP image, for vision models.
    Image,
}

/// A file the client read and sent with a `chat` (the daemon never opens a client's paths).
/// In a `chat`: `text` (for `text`) or `data` (base64, for `image`) carries the file. In
/// stored messages sent back: only `name`, `kind`, `bytes` and `mime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name the user gave it (a path as typed), for people.
    pub name: String,
    pub kind: AttachmentKind,
    /// The file's size.
    #[serde(default)]
    pub bytes: u64,
    /// For an image: `image/png`, `image/jpeg` or `image/webp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// An image's type from its first bytes: PNG, JPEG or WebP, the types attachments may be.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

impl Attachment {
    /// Without its contents: what a listing shows.
    pub fn summary(&self) -> Attachment {
        Attachment {
            text: None,
            data: None,
            ..self.clone()
        }
    }
}
