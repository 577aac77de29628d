//! The HTTP side: requests, status handling, and the streaming chat reader.

use super::error::OllamaError;
use super::host::OllamaUrl;
use super::ndjson::{LineDecoder, MAX_LINE_BYTES};
use super::wire::{ChatChunk, ChatRequest, ErrorReply, PsReply, TagsReply, VersionReply};
use crate::backend::{StreamEvent, ToolCall, Turn, error_chain};
use chinwag_protocol::ModelInfo;
use std::collections::VecDeque;
use std::time::Duration;

/// A handle on one Ollama server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OllamaClient {
    http: reqwest::Client,
    base: OllamaUrl,
}

impl OllamaClient {
    /// A client for `base` over the daemon's HTTP client (`backend::http_client`, which
    /// trusts Mozilla's roots and `ollama_ca_file` for an Ollama behind an HTTPS proxy).
    pub fn with_http(http: reqwest::Client, base: OllamaUrl) -> Self {
        Self { http, base }
    }

    pub fn base_url(&self) -> &OllamaUrl {
        &self.base
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(super) fn unreachable(&self, e: &reqwest::Error) -> OllamaError {
        let detail = error_chain(e);
        let url = self.base.to_string();
        if detail.contains("certificate") {
            OllamaError::Untrusted { url, detail }
        } else {
            OllamaError::Unreachable { url, detail }
        }
    }

    /// Starts a streaming chat. Errors that Ollama reports before any output (unknown model,
    /// busy, bad request) come back here; later ones come from [`ChatStream::next_event`].
    /// Dropping the stream closes the connection, which makes Ollama stop generating.
    pub async fn chat(&self, turn: &Turn) -> Result<ChatStream, OllamaError> {
        let req = ChatRequest::from_turn(turn);
        let body = serde_json::to_vec(&req).map_err(|e| OllamaError::Protocol {
            detail: format!("encoding the request: {e}"),
        })?;
        let resp = self
            .http
            .post(self.base.endpoint("/api/chat"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/x-ndjson")
            .body(body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = check_status(resp, &req.model).await?;
        Ok(ChatStream {
            resp,
            lines: LineDecoder::new(MAX_LINE_BYTES),
            pending: VecDeque::new(),
            ended: false,
        })
    }

    /// The models Ollama has locally, newest first.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, OllamaError> {
        let tags: TagsReply = self.get_json("/api/tags").await?;
        let mut models: Vec<ModelInfo> = tags.models.into_iter().map(ModelInfo::from).collect();
        // RFC 3339 strings with mixed offsets do not sort as text reliably, but Ollama reports
        // them in one zone per server, which is all we compare here.
        models.sort_by(|a, b| b.modified_at.cmp(&a.modified_at));
        Ok(models)
    }

    /// The models loaded now, by name (`/api/ps`).
    pub async fn loaded(
        &self,
    ) -> Result<Vec<(String, chinwag_protocol::LoadedModel)>, OllamaError> {
        let ps: PsReply = self.get_json("/api/ps").await?;
        Ok(ps
            .models
            .into_iter()
            .map(|m| {
                let loaded = chinwag_protocol::LoadedModel {
                    size_vram: m.size_vram,
                    context_length: m.context_length.filter(|n| *n > 0),
                    expires_at: m.expires_at,
                };
                (m.name, loaded)
            })
            .collect())
    }

    /// A model's trained context length, from `/api/show`'s `model_info`
    /// (`<architecture>.context_length`); `None` when Ollama does not say.
    pub async fn context_length(&self, model: &str) -> Result<Option<u64>, OllamaError> {
        let body = serde_json::json!({"model": model}).to_string();
        let resp = self
            .http
            .post(self.base.endpoint("/api/show"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = check_status(resp, model).await?;
        let bytes = resp.bytes().await.map_err(|e| OllamaError::Dropped {
            detail: error_chain(&e),
        })?;
        let show: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| OllamaError::Protocol {
                detail: format!("/api/show: {e}"),
            })?;
        let info = &show["model_info"];
        let arch = info["general.architecture"].as_str().unwrap_or("");
        Ok(info[format!("{arch}.context_length")].as_u64())
    }

    /// Ollama's version; doubles as the reachability probe.
    pub async fn version(&self) -> Result<String, OllamaError> {
        let v: VersionReply = self.get_json("/api/version").await?;
        Ok(v.version)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, OllamaError> {
        let resp = self
            .http
            .get(self.base.endpoint(path))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = check_status(resp, "").await?;
        let bytes = resp.bytes().await.map_err(|e| OllamaError::Dropped {
            detail: error_chain(&e),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| OllamaError::Protocol {
            detail: format!("{path}: {e}"),
        })
    }
}

/// Maps an HTTP error status to our error, reading Ollama's `{"error"}` body.
pub(super) async fn check_status(
    resp: reqwest::Response,
    model: &str,
) -> Result<reqwest::Response, OllamaError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ErrorReply>(&text)
        .map(|e| e.error)
        .unwrap_or_else(|_| text.trim().to_string());
    let code = status.as_u16();
    Err(match code {
        404 if !model.is_empty() => OllamaError::ModelNotFound {
            model: model.to_string(),
        },
        503 => OllamaError::Busy { message },
        400..=499 => OllamaError::Rejected {
            status: code,
            message,
        },
        _ => OllamaError::Failed {
            status: code,
            message,
        },
    })
}

/// A reply being streamed from `/api/chat`.
#[derive(Debug)]
pub struct ChatStream {
    resp: reqwest::Response,
    lines: LineDecoder,
    /// Events of a chunk waiting their turn (its text comes first, then calls, then the end).
    pending: VecDeque<StreamEvent>,
    ended: bool,
}

impl ChatStream {
    /// The next event; `Ok(None)` after `Done`. A stream that ends without `done` is an error.
    pub async fn next_event(&mut self) -> Result<Option<StreamEvent>, OllamaError> {
        if let Some(ev) = self.pending.pop_front() {
            return Ok(Some(ev));
        }
        if self.ended {
            return Ok(None);
        }
        loop {
            let line = match self.lines.next_line() {
                Ok(Some(line)) => Some(line.to_vec()),
                Ok(None) => None,
                Err(e) => {
                    return Err(OllamaError::Protocol {
                        detail: e.to_string(),
                    });
                }
            };
            if let Some(line) = line {
                if let Some(ev) = self.decode(&line)? {
                    return Ok(Some(ev));
                }
                continue;
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.lines.push(&bytes),
                Ok(None) => {
                    if let Some(last) = self.lines.finish()
                        && let Some(ev) = self.decode(&last)?
                    {
                        return Ok(Some(ev));
                    }
                    return Err(OllamaError::Dropped {
                        detail: "the stream ended without a final `done` chunk".into(),
                    });
                }
                Err(e) => {
                    return Err(OllamaError::Dropped {
                        detail: error_chain(&e),
                    });
                }
            }
        }
    }

    /// Turns one NDJSON line into an event (or nothing, for an empty non-final chunk).
    fn decode(&mut self, line: &[u8]) -> Result<Option<StreamEvent>, OllamaError> {
        let chunk: ChatChunk = serde_json::from_slice(line).map_err(|e| OllamaError::Protocol {
            // Never the line itself: it may hold message text, which logs must not.
            detail: format!(
                "a stream line of {} bytes is not a chat chunk: {e}",
                line.len()
            ),
        })?;
        if let Some(message) = chunk.error.clone().filter(|m| !m.is_empty()) {
            self.ended = true;
            return Err(OllamaError::MidStream { message });
        }
        let (content, thinking, calls) = match chunk.message.clone() {
            Some(m) => (m.content, m.thinking.unwrap_or_default(), m.tool_calls),
            None => (String::new(), String::new(), Vec::new()),
        };
        // One chunk may carry text, calls and the end: they come out in that order.
        if !content.is_empty() || !thinking.is_empty() {
            self.pending
                .push_back(StreamEvent::Delta { content, thinking });
        }
        if !calls.is_empty() {
            let calls = calls
                .into_iter()
                .map(|c| ToolCall {
                    id: String::new(),
                    name: c.function.name,
                    arguments: c.function.arguments,
                })
                .collect();
            self.pending.push_back(StreamEvent::ToolCalls(calls));
        }
        if chunk.done {
            self.ended = true;
            self.pending.push_back(StreamEvent::Done {
                done_reason: chunk.done_reason.clone(),
                stats: chunk.stats(),
            });
        }
        Ok(self.pending.pop_front())
    }
}
