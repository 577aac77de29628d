//! The chinwag wire contract, protocol v1: one JSON text frame per message, tagged by `type`.
//!
//! Types only: no I/O and no runtime. Clients send [`ClientMsg`], the daemon sends [`ServerMsg`].
//! Unknown fields are ignored on both sides so either end can grow without breaking the other.
//! `PROTOCOL.md` beside this crate documents every message with an example.

mod client;
mod error;
pub mod model_name;
pub mod paths;
mod server;
mod tools;
mod types;

pub use client::{ClientMsg, GenOptions, Think};
pub use error::{ErrorBody, ErrorCode};
pub use server::{
    BackendStatus, GenStats, GenerationInfo, OllamaStatus, SearchHit, ServerMsg, StatusReply,
    UserLimits,
};
pub use tools::{Decision, READ_ONLY_TOOLS, StoredToolEvent, TOOL_NAMES, ToolEvent, Verdict};
pub use types::{
    Attachment, AttachmentKind, BotInfo, ConversationId, ConversationSummary, ExecRecord,
    LoadedModel, MessageId, MessageStatus, ModelInfo, PolicyGrammar, PolicyProgram, Role,
    StoredMessage, TextPart, image_mime,
};

/// The protocol version this crate speaks. A `hello` carrying another version is refused with
/// [`ErrorCode::UnsupportedVersion`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Default cap on one incoming WebSocket message, in bytes. The daemon announces its actual
/// limit in its `hello` ([`ServerMsg::Hello`]`.max_message_bytes`).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The request id that server-initiated frames carry when no request caused them.
pub const NO_REQUEST_ID: &str = "";
