//! The Ollama HTTP client: streaming `/api/chat`, model listing, health.
//!
//! Faithful to the wire rules in the team's `ollama-api.md`: status checked before the body,
//! NDJSON read line by line with a cap, `error` lines honoured mid-stream, content taken from
//! every chunk including the final one, EOF without `done` treated as a dropped stream.

mod client;
mod error;
mod host;
mod ndjson;
mod pull;
mod wire;

pub use client::{ChatStream, OllamaClient};
pub use error::{BUSY_RETRY_MS, OllamaError};
pub use host::{OllamaUrl, parse_ollama_host};
pub use ndjson::{LineDecoder, LineTooLong, MAX_LINE_BYTES};
pub use pull::{PullProgress, PullStream};
pub use wire::{ChatRequest, WireMessage, keep_alive_value, options_map};
