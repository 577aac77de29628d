//! Stable error codes: clients branch on the code, show the message.

use serde::{Deserialize, Serialize};

/// A machine-readable error code. Codes are stable: new ones may be added, none is renamed.
/// Clients must treat a code they do not know like `internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON.
    InvalidJson,
    /// Valid JSON, but not a valid message: a missing or mistyped field, a bad value.
    InvalidRequest,
    /// The `type` names no message this daemon knows.
    UnknownType,
    /// The `hello` asked for a protocol version the daemon does not speak.
    UnsupportedVersion,
    /// A request came before `hello`.
    HelloRequired,
    /// Credentials missing or wrong.
    Unauthorized,
    /// Known user, not allowed to do this.
    Forbidden,
    /// No such conversation (or not one of yours; the two are not told apart).
    NotFound,
    /// A generation already runs in that conversation.
    Conflict,
    /// Too many requests; `retry_after_ms` says when to try again.
    RateLimited,
    /// The message is larger than the daemon accepts.
    MessageTooLarge,
    /// The model's backend does not have it (for Ollama: pull it first).
    ModelNotFound,
    /// No model given, none configured, and the default backend has none.
    NoModel,
    /// The backend cannot be reached.
    BackendUnavailable,
    /// The backend is overloaded (a full queue, a 429); `retry_after_ms` suggests a wait.
    BackendBusy,
    /// The backend answered with an error, or the stream broke.
    BackendError,
    /// The backend sent no token within the time-to-first-token or between-tokens limit.
    BackendTimeout,
    /// The history store failed; nothing was acknowledged.
    StorageError,
    /// The daemon is shutting down.
    ShuttingDown,
    /// Anything else. The daemon's log has the details.
    Internal,
}

impl ErrorCode {
    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidRequest => "invalid_request",
            Self::UnknownType => "unknown_type",
            Self::UnsupportedVersion => "unsupported_version",
            Self::HelloRequired => "hello_required",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::MessageTooLarge => "message_too_large",
            Self::ModelNotFound => "model_not_found",
            Self::NoModel => "no_model",
            Self::BackendUnavailable => "backend_unavailable",
            Self::BackendBusy => "backend_busy",
            Self::BackendError => "backend_error",
            Self::BackendTimeout => "backend_timeout",
            Self::StorageError => "storage_error",
            Self::ShuttingDown => "shutting_down",
            Self::Internal => "internal",
        }
    }
}

/// An error as carried on the wire, inside `error` frames and failed `done` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// For people: what went wrong and what to do. Never internals.
    pub message: String,
    /// With `rate_limited` and `backend_busy`: how long to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorBody {
    /// An error with no retry hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }
}
