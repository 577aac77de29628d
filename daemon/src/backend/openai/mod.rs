//! An OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio, LocalAI, Ollama's
//! `/v1`, hosted APIs): streaming `/v1/chat/completions` over SSE and `/v1/models`, read as
//! the team's `openai-api.md` describes every server's dialect.

mod client;
mod error;
mod sse;
mod wire;

pub use client::{OpenAiClient, SseStream};
pub use error::OpenAiError;
pub use sse::{EventTooLong, MAX_EVENT_BYTES, SseDecoder};
