//! `POST /api/pull`: a model downloaded into Ollama, its progress read as NDJSON (status
//! lines, then per layer its digest with bytes completed of total), an `error` line honoured
//! mid-stream, and the end only at `success`.

use super::client::OllamaClient;
use super::error::OllamaError;
use super::ndjson::{LineDecoder, MAX_LINE_BYTES};
use crate::backend::error_chain;
use serde::Deserialize;

/// One line of a pull's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PullProgress {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub completed: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A pull under way.
#[derive(Debug)]
pub struct PullStream {
    resp: reqwest::Response,
    lines: LineDecoder,
    done: bool,
}

impl OllamaClient {
    /// Starts pulling `model`.
    pub async fn pull(&self, model: &str) -> Result<PullStream, OllamaError> {
        let body = serde_json::json!({"model": model, "stream": true}).to_string();
        let resp = self
            .http()
            .post(self.base_url().endpoint("/api/pull"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let resp = super::client::check_status(resp, model).await?;
        Ok(PullStream {
            resp,
            lines: LineDecoder::new(MAX_LINE_BYTES),
            done: false,
        })
    }
}

impl PullStream {
    /// The next progress line; `Ok(None)` after `success`. A stream that ends before it is
    /// an error, and so is an `error` line.
    pub async fn next(&mut self) -> Result<Option<PullProgress>, OllamaError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let line = self
                .lines
                .next_line()
                .map_err(|e| OllamaError::Protocol {
                    detail: e.to_string(),
                })?
                .map(<[u8]>::to_vec);
            if let Some(line) = line {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let p: PullProgress =
                    serde_json::from_slice(&line).map_err(|e| OllamaError::Protocol {
                        detail: format!("a pull progress line: {e}"),
                    })?;
                if let Some(message) = p.error.clone().filter(|m| !m.is_empty()) {
                    self.done = true;
                    return Err(OllamaError::MidStream { message });
                }
                if p.status == "success" {
                    self.done = true;
                }
                return Ok(Some(p));
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.lines.push(&bytes),
                Ok(None) => {
                    if let Some(last) = self.lines.finish() {
                        self.lines.push(&last);
                        self.lines.push(b"\n");
                        continue;
                    }
                    return Err(OllamaError::Dropped {
                        detail: "the pull ended before `success`".into(),
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
}
