//! A fake OpenAI-compatible server (`/v1/chat/completions` and `/v1/models`) over real
//! HTTP/1.1, written by hand so tests control every byte of the SSE stream: events split
//! anywhere (inside UTF-8 too), a role-only first delta, reasoning deltas, a finish chunk,
//! a usage chunk, `[DONE]`, mid-stream `{"error"}` events, dropped connections, and error
//! statuses with `Retry-After`. Chunks are compact JSON, as Go and llama.cpp write them.
//! It records each request with its headers.

use crate::fake_ollama::{
    Part, Sent, read_request, reason, respond_json, respond_text, send_parts,
};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A scripted answer to one `/v1/chat/completions`.
#[derive(Debug, Clone)]
pub enum Script {
    /// `200` with `text/event-stream` sent as these parts (each one HTTP chunk).
    Stream(Vec<Part>),
    /// A status with headers and a JSON body, before any output.
    Status(u16, Vec<(String, String)>, Value),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Debug, Default)]
pub struct State {
    pub requests: Vec<Recorded>,
    /// Streams whose client hung up before the stream ended.
    pub hangups: usize,
    scripts: VecDeque<Script>,
    /// Model ids `/v1/models` lists; a chat for another gets a 404.
    pub models: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FakeOpenAi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    gate: Arc<Semaphore>,
}

/// The head every chunk of one reply shares.
fn head(model: &str) -> serde_json::Map<String, Value> {
    let v = json!({"id": "chatcmpl-417", "object": "chat.completion.chunk", "created": 1_761_500_000,
        "model": model, "system_fingerprint": "fp_ollama"});
    v.as_object().cloned().unwrap_or_default()
}

/// One SSE event: `data: ` and compact JSON, then a blank line.
pub fn event(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// A chunk whose one choice has `delta` and `finish_reason`.
pub fn chunk(model: &str, delta: Value, finish: Option<&str>) -> String {
    let mut v = head(model);
    v.insert(
        "choices".into(),
        json!([{"index": 0, "delta": delta, "finish_reason": finish}]),
    );
    event(&Value::Object(v))
}

/// The usage chunk that `include_usage` asks for: no choices.
pub fn usage(model: &str, prompt: u64, completion: u64) -> String {
    let mut v = head(model);
    v.insert("choices".into(), json!([]));
    v.insert(
        "usage".into(),
        json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}),
    );
    event(&Value::Object(v))
}

pub const DONE: &str = "data: [DONE]\n\n";

/// A whole reply as Ollama's `/v1` (≥ 0.32.6) streams it: a role-only delta, a delta per
/// piece, a finish chunk, a usage chunk, `[DONE]`; one HTTP chunk per event.
pub fn reply(model: &str, pieces: &[&str]) -> Script {
    Script::Stream(
        reply_text(model, pieces)
            .into_iter()
            .map(|e| Part::Bytes(e.into_bytes()))
            .collect(),
    )
}

/// The events of [`reply`], as text.
pub fn reply_text(model: &str, pieces: &[&str]) -> Vec<String> {
    let mut events = vec![chunk(model, json!({"role": "assistant"}), None)];
    events.extend(
        pieces
            .iter()
            .map(|p| chunk(model, json!({"content": p}), None)),
    );
    events.push(chunk(model, json!({}), Some("stop")));
    events.push(usage(model, 8, pieces.len() as u64));
    events.push(DONE.to_string());
    events
}

/// `bytes` cut into HTTP chunks of `size` bytes, wherever that falls.
pub fn split(bytes: &[u8], size: usize) -> Vec<Part> {
    bytes
        .chunks(size.max(1))
        .map(|c| Part::Bytes(c.to_vec()))
        .collect()
}

impl FakeOpenAi {
    /// Binds 127.0.0.1:0 and serves until the runtime ends; it offers `qwen2.5`.
    pub async fn start() -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake server");
        let addr = listener.local_addr().expect("local addr");
        let fake = FakeOpenAi {
            addr,
            state: Arc::new(Mutex::new(State {
                models: vec!["qwen2.5".into()],
                ..State::default()
            })),
            gate: Arc::new(Semaphore::new(0)),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let s = server.clone();
                tokio::spawn(async move { s.serve_connection(stream).await });
            }
        });
        fake
    }

    /// The base URL for `[backends.NAME] url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the answer to the next chat.
    pub fn script(&self, s: Script) {
        self.state().scripts.push_back(s);
    }

    /// Lets one `Gate` through.
    pub fn release(&self) {
        self.gate.add_permits(1);
    }

    /// The chat requests received so far.
    pub fn chats(&self) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.path == "/v1/chat/completions")
            .cloned()
            .collect()
    }

    async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(&self, mut stream: S) {
        let mut buf = Vec::new();
        while let Some(req) = read_request(&mut stream, &mut buf).await {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            self.state().requests.push(Recorded {
                method: req.method.clone(),
                path: req.path.clone(),
                headers: req.headers.clone(),
                body: body.clone(),
            });
            let keep = match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/v1/models") => {
                    let data: Vec<Value> = self
                        .state()
                        .models
                        .iter()
                        .map(|m| json!({"id": m, "object": "model", "created": 1_761_500_000, "owned_by": "library"}))
                        .collect();
                    respond_json(&mut stream, 200, &json!({"object": "list", "data": data})).await
                }
                ("POST", "/v1/chat/completions") => self.chat(&mut stream, &body).await,
                _ => respond_text(&mut stream, 404, "404 page not found").await,
            };
            if !keep {
                return;
            }
        }
    }

    async fn chat<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: &mut S, req: &Value) -> bool {
        let model = req["model"].as_str().unwrap_or("").to_string();
        let scripted = self.state().scripts.pop_front();
        let script = match scripted {
            Some(s) => s,
            None if self.state().models.contains(&model) => {
                reply(&model, &["Hello", " from", " the server."])
            }
            None => Script::Status(
                404,
                Vec::new(),
                json!({"error": {"message": format!("model '{model}' not found"),
                    "type": "not_found_error", "param": null, "code": null}}),
            ),
        };
        match script {
            Script::Status(code, headers, body) if headers.is_empty() => {
                respond_json(stream, code, &body).await
            }
            Script::Status(code, headers, body) => {
                let body = body.to_string();
                let extra: String = headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}\r\n"))
                    .collect();
                let head = format!(
                    "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
                    reason(code),
                    body.len()
                );
                stream.write_all(head.as_bytes()).await.is_ok()
                    && stream.write_all(body.as_bytes()).await.is_ok()
            }
            Script::Stream(parts) => self.stream(stream, parts).await,
        }
    }

    async fn stream<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        parts: Vec<Part>,
    ) -> bool {
        match send_parts(stream, "text/event-stream", parts, &self.gate).await {
            Sent::Whole => stream.write_all(b"0\r\n\r\n").await.is_ok(),
            Sent::HungUp => {
                self.state().hangups += 1;
                false
            }
            Sent::Dropped => false,
        }
    }
}
