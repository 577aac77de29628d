//! What can go wrong talking to an OpenAI-compatible server, and how each maps to the same
//! wire codes as Ollama's errors.

use chinwag_protocol::{ErrorBody, ErrorCode};

/// Retry hint when a busy server gives none.
pub const BUSY_RETRY_MS: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    #[error("cannot reach the backend {backend} at {url}: {detail}")]
    Unreachable {
        backend: String,
        url: String,
        detail: String,
    },
    #[error("the backend {backend} does not have the model '{model}'")]
    ModelNotFound { backend: String, model: String },
    #[error("the backend {backend} is busy (HTTP {status}): {message}")]
    Busy {
        backend: String,
        status: u16,
        message: String,
        retry_after_ms: Option<u64>,
    },
    #[error("the backend {backend} refused the key (HTTP {status}): {message}")]
    Unauthorized {
        backend: String,
        status: u16,
        message: String,
    },
    #[error("the backend {backend} refused the request (HTTP {status}): {message}")]
    Rejected {
        backend: String,
        status: u16,
        message: String,
    },
    #[error("the backend {backend} failed (HTTP {status}): {message}")]
    Failed {
        backend: String,
        status: u16,
        message: String,
    },
    #[error("the backend {backend} reported an error mid-reply: {message}")]
    MidStream { backend: String, message: String },
    #[error("the connection to the backend {backend} broke before the reply ended: {detail}")]
    Dropped { backend: String, detail: String },
    #[error("the backend {backend} sent something that is not the chat completions API: {detail}")]
    Protocol { backend: String, detail: String },
    #[error("the backend {backend} sent no token for {secs} s ({what})")]
    Stalled {
        backend: String,
        secs: u64,
        what: &'static str,
    },
}

impl OpenAiError {
    /// The error as a client sees it: the same codes as Ollama's, a message that says what
    /// to do, and never the key.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            Self::Unreachable { backend, url, .. } => ErrorBody::new(
                ErrorCode::BackendUnavailable,
                format!("cannot reach the backend {backend} at {url} — is its server running?"),
            ),
            Self::ModelNotFound { backend, model } => ErrorBody::new(
                ErrorCode::ModelNotFound,
                format!(
                    "model '{backend}:{model}' not found — `chinwag models` lists what {backend} has"
                ),
            ),
            Self::Busy {
                backend,
                retry_after_ms,
                ..
            } => ErrorBody {
                code: ErrorCode::BackendBusy,
                message: format!("the backend {backend} is busy; try again shortly"),
                retry_after_ms: Some(retry_after_ms.unwrap_or(BUSY_RETRY_MS)),
            },
            Self::Unauthorized { backend, .. } => ErrorBody::new(
                ErrorCode::BackendError,
                format!(
                    "the backend {backend} refused the daemon's API key — check api_key_env in \
                     [backends.{backend}]"
                ),
            ),
            Self::Rejected {
                backend, message, ..
            } => ErrorBody::new(
                ErrorCode::InvalidRequest,
                format!("the backend {backend} refused: {message}"),
            ),
            Self::Failed {
                backend, message, ..
            }
            | Self::MidStream { backend, message } => ErrorBody::new(
                ErrorCode::BackendError,
                format!("the backend {backend} failed: {message}"),
            ),
            Self::Dropped { backend, .. } => ErrorBody::new(
                ErrorCode::BackendError,
                format!("the connection to the backend {backend} broke before the reply ended"),
            ),
            Self::Protocol { backend, .. } => ErrorBody::new(
                ErrorCode::BackendError,
                format!(
                    "the backend {backend} sent a reply chinwagd could not read (see the daemon log)"
                ),
            ),
            Self::Stalled {
                backend,
                secs,
                what,
            } => ErrorBody::new(
                ErrorCode::BackendTimeout,
                format!(
                    "the backend {backend} sent no token for {secs} s ({what}); the reply so far \
                     is kept — raise [timeouts] in chinwagd.toml for slow models"
                ),
            ),
        }
    }
}
