//! What can go wrong talking to Ollama, and how each maps to a wire error code.

use chinwag_protocol::{ErrorBody, ErrorCode};

/// Retry hint sent with `backend_busy` (Ollama's queue was full).
pub const BUSY_RETRY_MS: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum OllamaError {
    #[error("cannot reach Ollama at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("Ollama at {url} presented a certificate this daemon does not trust: {detail}")]
    Untrusted { url: String, detail: String },
    #[error("Ollama does not have the model '{model}'")]
    ModelNotFound { model: String },
    #[error("Ollama is busy: {message}")]
    Busy { message: String },
    #[error("Ollama refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("Ollama failed (HTTP {status}): {message}")]
    Failed { status: u16, message: String },
    #[error("Ollama reported an error mid-reply: {message}")]
    MidStream { message: String },
    #[error("the connection to Ollama broke before the reply ended: {detail}")]
    Dropped { detail: String },
    #[error("Ollama sent something that is not its API: {detail}")]
    Protocol { detail: String },
    #[error("Ollama sent no token for {secs} s ({what})")]
    Stalled { secs: u64, what: &'static str },
}

impl OllamaError {
    /// The error as a client sees it: a stable code and a message that says what to do.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            Self::Unreachable { url, .. } => ErrorBody::new(
                ErrorCode::BackendUnavailable,
                format!(
                    "cannot reach Ollama at {url} — is `ollama serve` running? \
                     set OLLAMA_HOST to point elsewhere"
                ),
            ),
            Self::Untrusted { url, .. } => ErrorBody::new(
                ErrorCode::BackendUnavailable,
                format!(
                    "Ollama at {url} presented a certificate no trusted CA vouches for — set \
                     ollama_ca_file in chinwagd.toml to its CA"
                ),
            ),
            Self::ModelNotFound { model } => ErrorBody::new(
                ErrorCode::ModelNotFound,
                format!("model '{model}' not found — try `ollama pull {model}`"),
            ),
            Self::Busy { .. } => ErrorBody {
                code: ErrorCode::BackendBusy,
                message: "Ollama is busy (its request queue is full); try again shortly".into(),
                retry_after_ms: Some(BUSY_RETRY_MS),
            },
            Self::Rejected { message, .. } => ErrorBody::new(
                ErrorCode::InvalidRequest,
                format!("Ollama refused: {message}"),
            ),
            Self::Failed { message, .. } | Self::MidStream { message } => {
                ErrorBody::new(ErrorCode::BackendError, format!("Ollama failed: {message}"))
            }
            Self::Dropped { .. } => ErrorBody::new(
                ErrorCode::BackendError,
                "the connection to Ollama broke before the reply ended",
            ),
            Self::Protocol { .. } => ErrorBody::new(
                ErrorCode::BackendError,
                "Ollama sent a reply chinwagd could not read (see the daemon log)",
            ),
            Self::Stalled { secs, what } => ErrorBody::new(
                ErrorCode::BackendTimeout,
                format!(
                    "Ollama sent no token for {secs} s ({what}); the reply so far is kept — \
                     check `ollama ps`, or raise [timeouts] in chinwagd.toml for slow models"
                ),
            ),
        }
    }
}
