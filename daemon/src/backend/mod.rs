//! The seam between a turn and the servers that generate it. The daemon builds a neutral
//! [`Turn`] (the messages with their roles, the tools offered, the options); a [`Backend`] turns it into
//! Ollama's `/api/chat` or an OpenAI-compatible `/v1/chat/completions` and streams back
//! [`StreamEvent`]s. Nothing outside a backend's module knows its wire format.
//! [`Backends`] holds the configured ones and routes a model name to its backend.

pub mod openai;
mod registry;
mod turn;

pub use registry::{BackendConfig, BackendKind, Backends, Routed};
pub use turn::{StreamEvent, ToolCall, ToolSpec, Turn, TurnMessage, TurnRole};

use crate::ollama::{ChatStream, OllamaClient, OllamaError};
use chinwag_protocol::{ErrorBody, ModelInfo};
use openai::{OpenAiClient, OpenAiError, SseStream};

/// A server that generates.
#[derive(Debug, Clone)]
pub enum Backend {
    Ollama(OllamaClient),
    OpenAi(OpenAiClient),
}

/// A reply streaming from a backend.
#[derive(Debug)]
pub enum BackendStream {
    Ollama(ChatStream),
    OpenAi(SseStream),
}

/// What went wrong, in the words of the backend that failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Ollama(#[from] OllamaError),
    #[error(transparent)]
    OpenAi(#[from] OpenAiError),
}

impl BackendError {
    /// The error as a client sees it.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            BackendError::Ollama(e) => e.to_body(),
            BackendError::OpenAi(e) => e.to_body(),
        }
    }
}

impl Backend {
    /// Starts streaming the reply to `turn`.
    pub async fn chat(&self, turn: &Turn) -> Result<BackendStream, BackendError> {
        Ok(match self {
            Backend::Ollama(c) => BackendStream::Ollama(c.chat(turn).await?),
            Backend::OpenAi(c) => BackendStream::OpenAi(c.chat(turn).await?),
        })
    }

    /// The models it offers, by its own names.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, BackendError> {
        Ok(match self {
            Backend::Ollama(c) => c.list_models().await?,
            Backend::OpenAi(c) => c.list_models().await?,
        })
    }

    /// Whether it answers now (Ollama's version, the server's model list).
    pub async fn probe(&self) -> Result<(), BackendError> {
        match self {
            Backend::Ollama(c) => c.version().await.map(|_| ()).map_err(Into::into),
            Backend::OpenAi(c) => c.list_models().await.map(|_| ()).map_err(Into::into),
        }
    }

    /// `openai` or `ollama`, and its base URL.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Backend::Ollama(c) => ("ollama", c.base_url().to_string()),
            Backend::OpenAi(c) => ("openai", c.base_url().to_string()),
        }
    }

    /// No token came in time.
    pub fn stalled(&self, secs: u64, what: &'static str) -> BackendError {
        match self {
            Backend::Ollama(_) => OllamaError::Stalled { secs, what }.into(),
            Backend::OpenAi(c) => OpenAiError::Stalled {
                backend: c.name().to_string(),
                secs,
                what,
            }
            .into(),
        }
    }
}

impl Backend {
    /// The stream ended before the reply did.
    pub fn dropped(&self, detail: &str) -> BackendError {
        match self {
            Backend::Ollama(_) => OllamaError::Dropped {
                detail: detail.to_string(),
            }
            .into(),
            Backend::OpenAi(c) => OpenAiError::Dropped {
                backend: c.name().to_string(),
                detail: detail.to_string(),
            }
            .into(),
        }
    }
}

impl BackendStream {
    /// The next event; `Ok(None)` after `Done`.
    pub async fn next_event(&mut self) -> Result<Option<StreamEvent>, BackendError> {
        Ok(match self {
            BackendStream::Ollama(s) => s.next_event().await?,
            BackendStream::OpenAi(s) => s.next_event().await?,
        })
    }
}

/// The HTTP client every backend uses: Mozilla's roots plus `extra_roots`, rustls with the
/// daemon's provider, TCP_NODELAY, a short connect timeout.
pub fn http_client(extra_roots: &[rustls::pki_types::CertificateDer<'static>]) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (_added, _ignored) = roots.add_parsable_certificates(extra_roots.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true)
        .user_agent(concat!("chinwagd/", env!("CARGO_PKG_VERSION")));
    let builder = match tls {
        Ok(config) => builder.tls_backend_preconfigured(config),
        Err(e) => {
            tracing::error!(error = %e, "no TLS for backends; https:// will fail");
            builder
        }
    };
    builder.build().unwrap_or_else(|e| {
        tracing::error!(error = %e, "building the HTTP client; using the defaults");
        reqwest::Client::new()
    })
}

/// `e` and its sources, for logs ("error sending request: connection refused").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// An `f32` as the `f64` with the same shortest decimal form, so 0.2 is sent as `0.2`, not
/// `0.20000000298023224`.
pub fn decimal(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}
