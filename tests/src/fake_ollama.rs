//! A fake Ollama that speaks the real wire format over real HTTP/1.1, written by hand so tests
//! control every byte: NDJSON lines split across chunks (even inside UTF-8), a final chunk that
//! carries content, mid-stream `{"error"}` lines, dropped connections, 404 and 503, and gates
//! that hold a stream open until the test releases it. It records every request and notices
//! when the client hangs up mid-stream.

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// One step of a scripted `/api/chat` response.
#[derive(Debug, Clone)]
pub enum Part {
    /// Bytes sent as one HTTP chunk.
    Bytes(Vec<u8>),
    /// Wait until the test calls [`FakeOllama::release`] (or the client hangs up).
    Gate,
    /// Close the socket without the chunked terminator.
    Drop,
}

/// A scripted answer to one `/api/chat` request.
#[derive(Debug, Clone)]
pub enum Script {
    /// `200` with NDJSON sent as these parts, then the terminator (unless a `Drop` came).
    Stream(Vec<Part>),
    /// A non-200 status with a JSON body, as Ollama sends before any output.
    Status(u16, Value),
    /// Never answer (a stuck model load): hold the request until the client hangs up.
    Hang,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// When its head and body had been read.
    pub at: std::time::Instant,
}

#[derive(Debug, Default)]
pub struct State {
    pub requests: Vec<Recorded>,
    /// Streams whose client hung up before the stream ended.
    pub hangups: usize,
    /// Streams fully sent.
    pub completed: usize,
    /// When each stream fully sent had been written (benchmarks time the daemon from here).
    pub ended: Vec<std::time::Instant>,
    scripts: VecDeque<Script>,
    /// Model names `/api/tags` lists; a chat for another model gets a 404.
    pub models: Vec<String>,
    /// Of those, the ones listed without the `tools` capability.
    pub without_tools: Vec<String>,
    /// Of those, the ones `/api/ps` says are loaded.
    pub loaded: Vec<String>,
    /// Models `/api/pull` finds upstream (then lists in `/api/tags`); any other fails as
    /// Ollama's does, after its first status line.
    pub pullable: Vec<String>,
    /// A pull of a model not `pullable` stalls after its first line instead of failing.
    pub pull_stalls: bool,
}

#[derive(Debug, Clone)]
pub struct FakeOllama {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    changed: watch::Sender<u64>,
    gate: Arc<Semaphore>,
}

/// One NDJSON line of a chat stream, as Ollama writes it.
pub fn line(model: &str, content: &str, done: bool) -> String {
    let mut v = json!({
        "model": model,
        "created_at": "2025-10-26T17:15:24.097767Z",
        "message": {"role": "assistant", "content": content},
        "done": done,
    });
    if done {
        let extra = json!({"done_reason": "stop", "total_duration": 4_883_583_458u64,
            "prompt_eval_count": 26, "prompt_eval_duration": 342_546_000u64,
            "eval_count": 282, "eval_duration": 4_535_599_000u64});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
    }
    format!("{v}\n")
}

/// A whole reply as separate lines, the last one `done` with empty content.
pub fn reply(model: &str, pieces: &[&str]) -> Script {
    let mut parts: Vec<Part> = pieces
        .iter()
        .map(|p| Part::Bytes(line(model, p, false).into_bytes()))
        .collect();
    parts.push(Part::Bytes(line(model, "", true).into_bytes()));
    Script::Stream(parts)
}

/// A reply that calls tools, as Ollama streams one: `text` (if any), then one chunk carrying
/// every call whole (`(name, arguments)`, ids `call_` + 8 characters), then `done`.
pub fn tool_calls(model: &str, text: &str, calls: &[(&str, Value)]) -> Script {
    let mut parts = Vec::new();
    if !text.is_empty() {
        parts.push(Part::Bytes(line(model, text, false).into_bytes()));
    }
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": format!("call_{i:08}"),
                   "function": {"index": i, "name": name, "arguments": args}})
        })
        .collect();
    let chunk = json!({
        "model": model,
        "created_at": "2025-10-26T17:15:24.097767Z",
        "message": {"role": "assistant", "content": "", "tool_calls": calls},
        "done": false,
    });
    parts.push(Part::Bytes(format!("{chunk}\n").into_bytes()));
    parts.push(Part::Bytes(line(model, "", true).into_bytes()));
    Script::Stream(parts)
}

/// A long reply: `n` lines each carrying `piece`, then an empty `done` line.
pub fn long_reply(model: &str, piece: &str, n: usize) -> Script {
    let mut parts: Vec<Part> = (0..n)
        .map(|_| Part::Bytes(line(model, piece, false).into_bytes()))
        .collect();
    parts.push(Part::Bytes(line(model, "", true).into_bytes()));
    Script::Stream(parts)
}

impl FakeOllama {
    /// Binds 127.0.0.1:0 and serves until the runtime ends.
    pub async fn start() -> FakeOllama {
        Self::serve(None).await
    }

    /// Like [`FakeOllama::start`], over TLS with `tls` (an Ollama behind an HTTPS proxy).
    pub async fn start_tls(tls: Arc<rustls::ServerConfig>) -> FakeOllama {
        Self::serve(Some(tokio_rustls::TlsAcceptor::from(tls))).await
    }

    async fn serve(tls: Option<tokio_rustls::TlsAcceptor>) -> FakeOllama {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Ollama");
        let addr = listener.local_addr().expect("local addr");
        let (changed, _) = watch::channel(0);
        let fake = FakeOllama {
            addr,
            state: Arc::new(Mutex::new(State {
                models: vec!["llama3.2".into()],
                ..State::default()
            })),
            changed,
            gate: Arc::new(Semaphore::new(0)),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // Go's net package (so real Ollama) sets TCP_NODELAY on every connection.
                let _ = stream.set_nodelay(true);
                let s = server.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => s.serve_connection(stream).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                s.serve_connection(stream).await;
                            }
                        }
                    }
                });
            }
        });
        fake
    }

    /// `OLLAMA_HOST` for this fake.
    pub fn host(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `OLLAMA_HOST` for a fake started with [`FakeOllama::start_tls`] (its certificate names
    /// `localhost`).
    pub fn https_host(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the answer to the next `/api/chat`.
    pub fn script(&self, s: Script) {
        self.state().scripts.push_back(s);
    }

    /// Lets one `Gate` through.
    pub fn release(&self) {
        self.gate.add_permits(1);
    }

    /// The chat requests received so far.
    pub fn chats(&self) -> Vec<Value> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.path == "/api/chat")
            .map(|r| r.body.clone())
            .collect()
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// Waits until `pred` holds on the state; panics after 15 s naming `what`.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&State) -> bool) {
        let mut rx = self.changed.subscribe();
        let wait = async {
            loop {
                rx.borrow_and_update();
                if pred(&self.state()) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(15), wait)
            .await
            .is_err()
        {
            panic!(
                "fake Ollama: timed out waiting for {what}; state: {:?}",
                self.state()
            );
        }
    }

    async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(&self, mut stream: S) {
        let mut buf = Vec::new();
        loop {
            let Some(Request {
                method, path, body, ..
            }) = read_request(&mut stream, &mut buf).await
            else {
                return;
            };
            let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            self.state().requests.push(Recorded {
                method: method.clone(),
                path: path.clone(),
                body: json.clone(),
                at: std::time::Instant::now(),
            });
            self.bump();
            let keep = match (method.as_str(), path.as_str()) {
                ("GET", "/api/version") => {
                    respond_json(&mut stream, 200, &json!({"version": "0.33.0"})).await
                }
                ("GET", "/api/tags") => {
                    let models: Vec<Value> = {
                        let st = self.state();
                        st.models.iter().enumerate().map(|(i, m)| json!({
                        "capabilities": if st.without_tools.contains(m) { json!(["completion"]) }
                                        else { json!(["completion", "tools"]) },
                        "name": format!("{m}:latest"), "model": format!("{m}:latest"),
                        "modified_at": format!("2025-05-0{}T17:37:44.706015396-07:00", 9 - i.min(8)),
                        "size": 2_019_393_189u64, "digest": "a80c4f17acd5",
                        "details": {"parent_model": "", "format": "gguf", "family": "llama",
                                    "families": ["llama"], "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}
                    })).collect()
                    };
                    respond_json(&mut stream, 200, &json!({"models": models})).await
                }
                ("GET", "/api/ps") => {
                    let loaded: Vec<Value> = self
                        .state()
                        .loaded
                        .iter()
                        .map(|m| {
                            json!({
                                "name": format!("{m}:latest"), "model": format!("{m}:latest"),
                                "size": 3_825_819_519u64, "digest": "a80c4f17acd5",
                                "expires_at": "2025-05-04T17:42:44.706015396-07:00",
                                "size_vram": 3_825_819_519u64, "context_length": 4096
                            })
                        })
                        .collect();
                    respond_json(&mut stream, 200, &json!({"models": loaded})).await
                }
                ("POST", "/api/chat") => self.chat(&mut stream, &json).await,
                ("POST", "/api/pull") => self.pull(&mut stream, &json).await,
                ("POST", "/api/show") => {
                    let model = json.get("model").and_then(Value::as_str).unwrap_or("");
                    let base = model.split(':').next().unwrap_or("").to_string();
                    if self.state().models.contains(&base) {
                        let body = json!({"license": "", "modelfile": "", "parameters": "",
                            "template": "", "details": {"family": "llama"},
                            "model_info": {"general.architecture": "llama",
                                           "llama.context_length": 131_072},
                            "capabilities": ["completion", "tools"]});
                        respond_json(&mut stream, 200, &body).await
                    } else {
                        let body = json!({"error": format!("model '{model}' not found")});
                        respond_json(&mut stream, 404, &body).await
                    }
                }
                _ => respond_text(&mut stream, 404, "404 page not found").await,
            };
            if !keep {
                return;
            }
        }
    }

    /// `/api/pull` as Ollama streams it: the manifest, a layer in three steps, the digest check,
    /// `success` (each line its own chunk, the layer's split mid-line); or an error line.
    async fn pull<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: &mut S, req: &Value) -> bool {
        let model = req.get("model").and_then(Value::as_str).unwrap_or("");
        let base = model.split(':').next().unwrap_or("").to_string();
        let known = self.state().pullable.contains(&base);
        let line = |v: Value| Part::Bytes(format!("{v}\n").into_bytes());
        let mut parts = vec![line(json!({"status": "pulling manifest"}))];
        if known {
            let digest = "sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff";
            for done in [0u64, 1_000_000_000, 2_019_377_376] {
                let text = format!(
                    "{}\n",
                    json!({"status": format!("pulling {}", &digest[7..19]), "digest": digest,
                           "total": 2_019_377_376u64, "completed": done})
                );
                let (a, b) = text.as_bytes().split_at(text.len() / 2);
                parts.push(Part::Bytes(a.to_vec()));
                parts.push(Part::Bytes(b.to_vec()));
            }
            parts.push(line(json!({"status": "verifying sha256 digest"})));
            parts.push(line(json!({"status": "writing manifest"})));
            parts.push(line(json!({"status": "success"})));
            self.state().models.push(base);
        } else if self.state().pull_stalls {
            // The download stops sending: only a `release` lets it go on.
            parts.push(Part::Gate);
            parts.push(line(json!({"status": "success"})));
        } else {
            parts.push(line(
                json!({"error": "pull model manifest: file does not exist"}),
            ));
        }
        matches!(
            send_parts(stream, "application/x-ndjson", parts, &self.gate).await,
            Sent::Whole
        )
    }

    async fn chat<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: &mut S, req: &Value) -> bool {
        let model = req
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let scripted = self.state().scripts.pop_front();
        let script = match scripted {
            Some(s) => s,
            None => {
                let known = self
                    .state()
                    .models
                    .iter()
                    .any(|m| *m == model || format!("{m}:latest") == model);
                if known {
                    reply(&model, &["Hello", " from", " the fake."])
                } else {
                    Script::Status(404, json!({"error": format!("model '{model}' not found")}))
                }
            }
        };
        match script {
            Script::Status(code, body) => respond_json(stream, code, &body).await,
            Script::Hang => {
                let mut probe = [0u8; 1];
                let _ = stream.read(&mut probe).await;
                self.state().hangups += 1;
                self.bump();
                false
            }
            Script::Stream(parts) => {
                match send_parts(stream, "application/x-ndjson", parts, &self.gate).await {
                    Sent::Whole => {}
                    Sent::HungUp => {
                        self.state().hangups += 1;
                        self.bump();
                        return false;
                    }
                    Sent::Dropped => return false,
                }
                let ok = stream.write_all(b"0\r\n\r\n").await.is_ok();
                let mut st = self.state();
                st.completed += 1;
                st.ended.push(std::time::Instant::now());
                drop(st);
                self.bump();
                ok
            }
        }
    }
}

/// How a scripted stream went.
pub(crate) enum Sent {
    /// Every part, but not yet the chunked terminator.
    Whole,
    /// The client hung up (or sent something) before the end.
    HungUp,
    /// A `Part::Drop` closed the socket.
    Dropped,
}

/// Sends a `200` with `content_type` and `parts` as HTTP chunks, waiting at each `Gate` for
/// `gate` (or the client hanging up). The caller sends the terminator.
pub(crate) async fn send_parts<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    content_type: &str,
    parts: Vec<Part>,
    gate: &Semaphore,
) -> Sent {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Sent::Dropped;
    }
    for part in parts {
        match part {
            Part::Bytes(b) => {
                let frame = [
                    format!("{:x}\r\n", b.len()).into_bytes(),
                    b,
                    b"\r\n".to_vec(),
                ]
                .concat();
                if stream.write_all(&frame).await.is_err() {
                    return Sent::HungUp;
                }
            }
            Part::Gate => {
                let mut probe = [0u8; 1];
                tokio::select! {
                    permit = gate.acquire() => { if let Ok(p) = permit { p.forget() } }
                    // The client hung up (or sent garbage mid-response).
                    _ = stream.read(&mut probe) => return Sent::HungUp,
                }
            }
            Part::Drop => {
                let _ = stream.shutdown().await;
                return Sent::Dropped;
            }
        }
    }
    Sent::Whole
}

/// One HTTP/1.1 request as a fake reads it.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads one HTTP/1.1 request; `None` at EOF or on garbage.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

pub(crate) fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub(crate) async fn respond_json<S: AsyncWrite + Unpin>(
    stream: &mut S,
    code: u16,
    body: &Value,
) -> bool {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        reason(code),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.is_ok()
        && stream.write_all(body.as_bytes()).await.is_ok()
}

pub(crate) async fn respond_text<S: AsyncWrite + Unpin>(
    stream: &mut S,
    code: u16,
    body: &str,
) -> bool {
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        reason(code),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.is_ok()
        && stream.write_all(body.as_bytes()).await.is_ok()
}
