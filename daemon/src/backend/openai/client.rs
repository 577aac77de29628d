//! The HTTP side: `POST /v1/chat/completions` streamed as SSE, `GET /v1/models`, and the
//! mapping of statuses and error bodies in every shape the servers use (openai-api.md §4).

use super::error::OpenAiError;
use super::sse::SseDecoder;
use super::wire::{self, Chunk, ModelList};
use crate::backend::{StreamEvent, ToolCall, Turn};
use chinwag_protocol::{GenStats, ModelInfo};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Most bytes of an error body that are read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A handle on one OpenAI-compatible server. Cheap to clone; the key never leaves it.
#[derive(Clone)]
pub struct OpenAiClient {
    http: reqwest::Client,
    /// The backend's name in the daemon's config.
    name: String,
    /// The API's base, ending in `/v1`.
    base: String,
    key: Option<String>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("name", &self.name)
            .field("base", &self.base)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .finish()
    }
}

impl OpenAiClient {
    /// A client for the server at `base` (with or without a trailing `/v1`).
    pub fn new(http: reqwest::Client, name: &str, base: &str, key: Option<String>) -> Self {
        let base = base.trim_end_matches('/');
        let base = if base.ends_with("/v1") {
            base.to_string()
        } else {
            format!("{base}/v1")
        };
        Self {
            http,
            name: name.to_string(),
            base,
            key,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> OpenAiError {
        OpenAiError::Unreachable {
            backend: self.name.clone(),
            url: self.base.clone(),
            detail: crate::backend::error_chain(e),
        }
    }

    /// Starts a streaming chat; errors the server reports before any output come back here.
    /// Dropping the stream closes the connection, which stops the server generating.
    pub async fn chat(&self, turn: &Turn) -> Result<SseStream, OpenAiError> {
        let body = serde_json::to_vec(&wire::request(turn)).map_err(|e| OpenAiError::Protocol {
            backend: self.name.clone(),
            detail: format!("encoding the request: {e}"),
        })?;
        let resp = self
            .request(self.http.post(format!("{}/chat/completions", self.base)))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = self.check_status(resp, &turn.model).await?;
        Ok(SseStream {
            backend: self.name.clone(),
            resp,
            sse: SseDecoder::default(),
            ready: VecDeque::new(),
            finish: None,
            usage: None,
            calls: BTreeMap::new(),
            ended: false,
        })
    }

    /// The models the server offers, by id.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, OpenAiError> {
        let resp = self
            .request(self.http.get(format!("{}/models", self.base)))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = self.check_status(resp, "").await?;
        let bytes = resp.bytes().await.map_err(|e| OpenAiError::Dropped {
            backend: self.name.clone(),
            detail: crate::backend::error_chain(&e),
        })?;
        let list: ModelList =
            serde_json::from_slice(&bytes).map_err(|e| OpenAiError::Protocol {
                backend: self.name.clone(),
                detail: format!("/models: {e}"),
            })?;
        Ok(list
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|m| ModelInfo {
                name: m.id,
                ..ModelInfo::default()
            })
            .collect())
    }

    /// Maps an error status to our error, reading the body in whichever shape it comes.
    async fn check_status(
        &self,
        resp: reqwest::Response,
        model: &str,
    ) -> Result<reqwest::Response, OpenAiError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let retry_after_ms = retry_after_ms(resp.headers());
        let mut body = Vec::new();
        let mut resp = resp;
        while let Ok(Some(chunk)) = resp.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_ERROR_BODY {
                break;
            }
        }
        let message = wire::error_message(&body);
        let backend = self.name.clone();
        let code = status.as_u16();
        Err(match code {
            404 if !model.is_empty() => OpenAiError::ModelNotFound {
                backend,
                model: model.to_string(),
            },
            401 | 403 => OpenAiError::Unauthorized {
                backend,
                status: code,
                message,
            },
            429 | 503 => OpenAiError::Busy {
                backend,
                status: code,
                message,
                retry_after_ms,
            },
            400..=499 => OpenAiError::Rejected {
                backend,
                status: code,
                message,
            },
            _ => OpenAiError::Failed {
                backend,
                status: code,
                message,
            },
        })
    }
}

/// `retry-after-ms`, else `Retry-After` in whole seconds (an HTTP date is not read: the
/// default wait applies).
fn retry_after_ms(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Some(ms.max(0.0) as u64);
    }
    get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000))
}

/// A reply being streamed from `/v1/chat/completions`.
#[derive(Debug)]
pub struct SseStream {
    backend: String,
    resp: reqwest::Response,
    sse: SseDecoder,
    /// Events decoded and not yet returned.
    ready: VecDeque<StreamEvent>,
    /// The finish reason, once a chunk gave one.
    finish: Option<String>,
    /// The last usage any chunk carried.
    usage: Option<wire::Usage>,
    /// Tool calls as their fragments arrive, by `index`: the name, then the arguments' JSON
    /// text in pieces. Whole at the end of the stream.
    calls: BTreeMap<u64, (String, String)>,
    ended: bool,
}

impl SseStream {
    /// The next event; `Ok(None)` after `Done`. The end comes with `[DONE]`, or with the
    /// end of the stream after a finish reason; an end before one is a dropped reply.
    pub async fn next_event(&mut self) -> Result<Option<StreamEvent>, OpenAiError> {
        loop {
            if let Some(ev) = self.ready.pop_front() {
                return Ok(Some(ev));
            }
            if self.ended {
                return Ok(None);
            }
            let bytes = match self.resp.chunk().await {
                Ok(Some(b)) => b,
                Ok(None) if self.finish.is_some() => {
                    self.done();
                    continue;
                }
                Ok(None) => {
                    return Err(OpenAiError::Dropped {
                        backend: self.backend.clone(),
                        detail: "the stream ended before a finish reason".into(),
                    });
                }
                Err(e) => {
                    return Err(OpenAiError::Dropped {
                        backend: self.backend.clone(),
                        detail: crate::backend::error_chain(&e),
                    });
                }
            };
            let events = self.sse.feed(&bytes).map_err(|e| OpenAiError::Protocol {
                backend: self.backend.clone(),
                detail: e.to_string(),
            })?;
            for data in events {
                self.event(&data)?;
                if self.ended {
                    break;
                }
            }
        }
    }

    /// One event's data: a chunk, an error, or `[DONE]`.
    fn event(&mut self, data: &str) -> Result<(), OpenAiError> {
        if data.trim() == "[DONE]" {
            self.done();
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| OpenAiError::Protocol {
            backend: self.backend.clone(),
            detail: format!("a chunk that is not JSON: {e}"),
        })?;
        if let Some(message) = chunk.error.as_ref().map(wire::ErrorField::message) {
            return Err(OpenAiError::MidStream {
                backend: self.backend.clone(),
                message,
            });
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        // Text before acting on the same chunk's finish reason.
        for choice in chunk.choices.unwrap_or_default() {
            let content = choice.delta.content.unwrap_or_default();
            let thinking = choice
                .delta
                .reasoning_content
                .or(choice.delta.reasoning)
                .unwrap_or_default();
            if !content.is_empty() || !thinking.is_empty() {
                self.ready
                    .push_back(StreamEvent::Delta { content, thinking });
            }
            for f in choice.delta.tool_calls.unwrap_or_default() {
                let (name, arguments) = self.calls.entry(f.index.unwrap_or(0)).or_default();
                if let Some(function) = f.function {
                    name.push_str(function.name.as_deref().unwrap_or(""));
                    arguments.push_str(function.arguments.as_deref().unwrap_or(""));
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason);
            }
        }
        Ok(())
    }

    fn done(&mut self) {
        self.ended = true;
        let calls: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_values()
            .map(|(name, arguments)| ToolCall {
                id: String::new(),
                name,
                arguments: wire::arguments(&arguments),
            })
            .collect();
        if !calls.is_empty() {
            self.ready.push_back(StreamEvent::ToolCalls(calls));
        }
        let usage = self.usage.take().unwrap_or_default();
        self.ready.push_back(StreamEvent::Done {
            done_reason: self.finish.clone().or_else(|| Some("stop".into())),
            stats: GenStats {
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                ..GenStats::default()
            },
        });
    }
}
