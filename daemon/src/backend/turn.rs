//! The neutral turn: what any backend is asked (messages with their images, tools, options) and what it streams
//! back (text, tool calls, the end). Backends translate these to and from their wire formats.

use chinwag_protocol::{GenOptions, GenStats, Role};
use serde_json::Value;

/// One turn as any backend is asked it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Turn {
    /// The model's name on its backend (without the `backend:` prefix).
    pub model: String,
    pub messages: Vec<TurnMessage>,
    /// The tools the model may call (none: it is not told of any).
    pub tools: Vec<ToolSpec>,
    /// Generation options (the system prompt is already among the messages).
    pub options: GenOptions,
}

/// Who speaks in a message of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnRole {
    System,
    User,
    Assistant,
    /// A tool's result, answering one of the assistant's calls.
    Tool,
}

impl From<Role> for TurnRole {
    fn from(r: Role) -> Self {
        match r {
            Role::System => TurnRole::System,
            Role::User => TurnRole::User,
            Role::Assistant => TurnRole::Assistant,
        }
    }
}

/// One message of the history sent.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnMessage {
    pub role: TurnRole,
    pub content: String,
    /// An assistant message's calls.
    pub tool_calls: Vec<ToolCall>,
    /// A tool message: the call it answers, and that call's tool.
    pub tool_call_id: Option<String>,
    pub tool_name: Option<String>,
    /// A user message's images: (MIME type, base64).
    pub images: Vec<(String, String)>,
}

impl TurnMessage {
    /// A message with only text.
    pub fn text(role: TurnRole, content: impl Into<String>) -> Self {
        TurnMessage {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            tool_name: None,
            images: Vec::new(),
        }
    }
}

/// A tool offered to the model: its name, what it does, and its arguments as JSON Schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Value,
}

/// A call the model made.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The daemon's id for the call, unique within the reply (the backend's own id is not
    /// kept: the history sent back uses these).
    pub id: String,
    pub name: String,
    /// An object; arguments that were not valid JSON come as a string.
    pub arguments: Value,
}

/// One step of a streaming reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More text (either part may be empty).
    Delta { content: String, thinking: String },
    /// The model calls tools (ids are empty: the runner numbers them).
    ToolCalls(Vec<ToolCall>),
    /// How the reply ended. Any content the last chunk carried came as a `Delta` before.
    Done {
        done_reason: Option<String>,
        stats: GenStats,
    },
}
