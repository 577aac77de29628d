//! The chat suite against both backends: every test here runs once against the fake Ollama
//! (`/api/chat`, NDJSON) and once against the fake OpenAI-compatible server (a `lan:` model,
//! SSE). Streaming and the exact history, attach with replay, cancel closing the backend's
//! stream, an idempotent resend, a dropped stream, a busy backend, and a tool round trip.

use chinwag_protocol::{
    ClientMsg, ConversationId, Decision, ErrorCode, GenOptions, MessageStatus, ServerMsg,
    ToolEvent, Verdict,
};
use chinwag_tests::client::{TestClient, assembled};
use chinwag_tests::fake_ollama::{self, FakeOllama, Part};
use chinwag_tests::fake_openai::{self, FakeOpenAi};
use chinwag_tests::harness::{TestDaemon, test_config};
use chinwagd::backend::{BackendConfig, BackendKind};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ollama,
    OpenAi,
}

/// One fake backend, scripted the same way whichever it is.
struct Fake {
    kind: Kind,
    ollama: FakeOllama,
    openai: FakeOpenAi,
}

impl Fake {
    /// The model name a chat uses for this backend.
    fn model(&self) -> &'static str {
        match self.kind {
            Kind::Ollama => "llama3.2",
            Kind::OpenAi => "lan:qwen2.5",
        }
    }

    /// A reply streamed in these pieces; with `hold_after`, the stream waits after that
    /// many pieces until [`Fake::release`].
    fn reply(&self, pieces: &[&str], hold_after: Option<usize>) {
        match self.kind {
            Kind::Ollama => {
                let mut parts: Vec<Part> = pieces
                    .iter()
                    .map(|p| Part::Bytes(fake_ollama::line("llama3.2", p, false).into_bytes()))
                    .collect();
                parts.push(Part::Bytes(
                    fake_ollama::line("llama3.2", "", true).into_bytes(),
                ));
                if let Some(n) = hold_after {
                    parts.insert(n, Part::Gate);
                }
                self.ollama.script(fake_ollama::Script::Stream(parts));
            }
            Kind::OpenAi => {
                let events = fake_openai::reply_text("qwen2.5", pieces);
                let mut parts: Vec<Part> = events
                    .into_iter()
                    .map(|e| Part::Bytes(e.into_bytes()))
                    .collect();
                if let Some(n) = hold_after {
                    // After the role-only first event and `n` pieces.
                    parts.insert(n + 1, Part::Gate);
                }
                self.openai.script(fake_openai::Script::Stream(parts));
            }
        }
    }

    /// `first`, then the connection drops.
    fn dropped(&self, first: &str) {
        match self.kind {
            Kind::Ollama => self.ollama.script(fake_ollama::Script::Stream(vec![
                Part::Bytes(fake_ollama::line("llama3.2", first, false).into_bytes()),
                Part::Drop,
            ])),
            Kind::OpenAi => self.openai.script(fake_openai::Script::Stream(vec![
                Part::Bytes(
                    fake_openai::chunk("qwen2.5", json!({"content": first}), None).into_bytes(),
                ),
                Part::Drop,
            ])),
        }
    }

    /// The backend's "too busy" answer: Ollama's 503, the API's 429 with `Retry-After`.
    fn busy(&self) {
        match self.kind {
            Kind::Ollama => self.ollama.script(fake_ollama::Script::Status(
                503,
                json!({"error": "server busy, please try again.  maximum pending requests exceeded"}),
            )),
            Kind::OpenAi => self.openai.script(fake_openai::Script::Status(
                429,
                vec![("Retry-After".into(), "7".into())],
                json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
            )),
        }
    }

    /// A reply that calls `read_file` on `path`.
    fn read_file_call(&self, path: &str) {
        match self.kind {
            Kind::Ollama => self.ollama.script(fake_ollama::tool_calls(
                "llama3.2",
                "",
                &[("read_file", json!({ "path": path }))],
            )),
            Kind::OpenAi => {
                let args = json!({ "path": path }).to_string();
                let (head, tail) = args.split_at(5);
                let m = "qwen2.5";
                let events = [
                    fake_openai::chunk(m, json!({"role": "assistant", "content": null}), None),
                    fake_openai::chunk(
                        m,
                        json!({"tool_calls": [{"index": 0, "id": "call_x", "type": "function",
                            "function": {"name": "read_file", "arguments": head}}]}),
                        None,
                    ),
                    fake_openai::chunk(
                        m,
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": tail}}]}),
                        None,
                    ),
                    fake_openai::chunk(m, json!({}), Some("tool_calls")),
                    fake_openai::DONE.to_string(),
                ];
                self.openai
                    .script(fake_openai::Script::Stream(fake_openai::split(
                        events.concat().as_bytes(),
                        9,
                    )));
            }
        }
    }

    fn release(&self) {
        match self.kind {
            Kind::Ollama => self.ollama.release(),
            Kind::OpenAi => self.openai.release(),
        }
    }

    fn hangups(&self) -> usize {
        match self.kind {
            Kind::Ollama => self.ollama.state().hangups,
            Kind::OpenAi => self.openai.state().hangups,
        }
    }

    /// The chat requests' bodies, in order.
    fn chats(&self) -> Vec<Value> {
        match self.kind {
            Kind::Ollama => self.ollama.chats(),
            Kind::OpenAi => self.openai.chats().into_iter().map(|r| r.body).collect(),
        }
    }

    /// Each chat request's messages as (role, content), `null` content as "".
    fn histories(&self) -> Vec<Vec<(String, String)>> {
        self.chats()
            .iter()
            .map(|b| {
                b["messages"]
                    .as_array()
                    .map(|m| {
                        m.iter()
                            .map(|m| {
                                (
                                    m["role"].as_str().unwrap_or("").to_string(),
                                    m["content"].as_str().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }
}

async fn rig(kind: Kind) -> (TempDir, Fake, TestDaemon) {
    let dir = tempfile::tempdir().expect("tmp");
    let proj = dir.path().join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    std::fs::write(proj.join("notes.txt"), "one\ntwo\n").expect("notes");
    let fake = Fake {
        kind,
        ollama: FakeOllama::start().await,
        openai: FakeOpenAi::start().await,
    };
    let mut config = test_config(dir.path(), &fake.ollama.host());
    config.exec.root = Some(proj);
    config.backends.insert(
        "lan".into(),
        BackendConfig {
            kind: BackendKind::OpenAi,
            url: fake.openai.url(),
            api_key_env: None,
        },
    );
    let daemon = TestDaemon::start(dir.path(), config).await;
    (dir, fake, daemon)
}

fn chat(fake: &Fake, id: &str, content: &str, conversation: Option<&ConversationId>) -> ClientMsg {
    ClientMsg::Chat {
        id: id.into(),
        conversation: conversation.cloned(),
        bot: None,
        model: Some(fake.model().into()),
        content: content.into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    }
}

fn is_done(m: &ServerMsg) -> bool {
    matches!(m, ServerMsg::Done { .. })
}

fn conversation(msgs: &[ServerMsg]) -> ConversationId {
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::ChatStarted { conversation, .. } => Some(conversation.clone()),
            _ => None,
        })
        .expect("chat_started")
}

fn end(msgs: &[ServerMsg]) -> (MessageStatus, Option<ErrorCode>, Option<u64>) {
    match msgs.last() {
        Some(ServerMsg::Done { status, error, .. }) => (
            *status,
            error.as_ref().map(|e| e.code),
            error.as_ref().and_then(|e| e.retry_after_ms),
        ),
        other => panic!("expected done, got {other:?}"),
    }
}

/// Runs an async test body once per backend.
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn ollama() {
                super::$body(super::Kind::Ollama).await
            }
            #[tokio::test]
            async fn openai() {
                super::$body(super::Kind::OpenAi).await
            }
        }
    };
}

both!(
    a_reply_streams_and_the_backend_gets_the_exact_history,
    streams_and_history
);
async fn streams_and_history(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.reply(&["Rayleigh", " scattering."], None);
    let mut first = chat(&fake, "a", "why is the sky blue?", None);
    if let ClientMsg::Chat { options, .. } = &mut first {
        options.system = Some("Be brief.".into());
    }
    c.send(&first).await;
    let msgs = c.until(is_done).await;
    assert_eq!(assembled(&msgs), "Rayleigh scattering.");
    assert_eq!(end(&msgs).0, MessageStatus::Complete);
    let conv = conversation(&msgs);
    fake.reply(&["Shorter waves scatter more."], None);
    c.send(&chat(&fake, "b", "why?", Some(&conv))).await;
    c.until(is_done).await;
    let pair = |r: &str, t: &str| (r.to_string(), t.to_string());
    assert_eq!(
        fake.histories()[1],
        vec![
            pair("system", "Be brief."),
            pair("user", "why is the sky blue?"),
            pair("assistant", "Rayleigh scattering."),
            pair("user", "why?"),
        ]
    );
}

both!(a_late_watcher_replays_then_follows_live, replay_then_live);
async fn replay_then_live(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut writer = TestClient::connect(&daemon.socket).await;
    fake.reply(&["Rayl", "eigh"], Some(1));
    writer.send(&chat(&fake, "a", "sky", None)).await;
    let first = writer.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let conv = conversation(&first);
    let mut watcher = TestClient::connect(&daemon.socket).await;
    watcher
        .send(&ClientMsg::Attach {
            id: "w".into(),
            conversation: conv,
        })
        .await;
    let replayed = watcher
        .until(|m| matches!(m, ServerMsg::Replay { .. }))
        .await;
    assert_eq!(assembled(&replayed), "Rayl");
    fake.release();
    let rest = watcher.until(is_done).await;
    let mut all = replayed;
    all.extend(rest);
    assert_eq!(assembled(&all), "Rayleigh");
    assert_eq!(assembled(&writer.until(is_done).await), "eigh");
}

both!(
    a_cancel_closes_the_backends_stream_and_keeps_the_text,
    cancel
);
async fn cancel(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.reply(&["Half ", "never sent"], Some(1));
    c.send(&chat(&fake, "a", "go", None)).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let conv = conversation(&msgs);
    c.send(&ClientMsg::Cancel {
        id: "x".into(),
        conversation: conv.clone(),
    })
    .await;
    let rest = c.until(is_done).await;
    assert_eq!(end(&rest).0, MessageStatus::Cancelled);
    let stored = c.stored(&conv).await;
    assert_eq!(stored[1].content, "Half ");
    assert_eq!(stored[1].status, MessageStatus::Cancelled);
    let wait = async {
        while fake.hangups() == 0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), wait)
        .await
        .expect("the backend saw its stream closed");
    fake.release();
}

both!(a_resend_with_the_same_key_asks_the_backend_once, resend);
async fn resend(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.reply(&["Once."], None);
    let mut msg = chat(&fake, "a", "hello", None);
    if let ClientMsg::Chat {
        idempotency_key, ..
    } = &mut msg
    {
        *idempotency_key = Some("k-1".into());
    }
    c.send(&msg).await;
    c.until(is_done).await;
    c.send(&msg).await;
    let again = c.until(is_done).await;
    assert!(matches!(
        again[0],
        ServerMsg::ChatStarted { resumed: true, .. }
    ));
    assert_eq!(assembled(&again), "Once.");
    assert_eq!(fake.chats().len(), 1);
}

both!(a_dropped_stream_ends_in_error_keeping_what_came, dropped);
async fn dropped(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.dropped("Part of it");
    c.send(&chat(&fake, "a", "go", None)).await;
    let msgs = c.until(is_done).await;
    assert_eq!(
        end(&msgs),
        (MessageStatus::Error, Some(ErrorCode::BackendError), None)
    );
    let stored = c.stored(&conversation(&msgs)).await;
    assert_eq!(stored[1].content, "Part of it");
    assert_eq!(stored[1].error_code, Some(ErrorCode::BackendError));
}

both!(a_busy_backend_is_backend_busy_with_a_wait, busy);
async fn busy(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.busy();
    c.send(&chat(&fake, "a", "go", None)).await;
    let msgs = c.until(is_done).await;
    let (status, code, retry) = end(&msgs);
    assert_eq!(
        (status, code),
        (MessageStatus::Error, Some(ErrorCode::BackendBusy))
    );
    assert!(retry.is_some_and(|ms| ms > 0), "{retry:?}");
}

both!(
    a_tool_round_trip_reaches_the_backend_as_a_tool_message,
    tool_round_trip
);
async fn tool_round_trip(kind: Kind) {
    let (_dir, fake, daemon) = rig(kind).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.read_file_call("notes.txt");
    fake.reply(&["They say one, two."], None);
    let mut msg = chat(&fake, "a", "my notes?", None);
    if let ClientMsg::Chat { tools, .. } = &mut msg {
        *tools = Some(vec!["read_file".into()]);
    }
    c.send(&msg).await;
    let asked = c
        .until(|m| {
            matches!(
                m,
                ServerMsg::Tool {
                    event: ToolEvent::Call {
                        verdict: Verdict::Ask,
                        ..
                    },
                    ..
                }
            )
        })
        .await;
    c.send(&ClientMsg::Approve {
        id: "ok".into(),
        conversation: conversation(&asked),
        call: "1".into(),
        decision: Decision::Once,
        reason: None,
    })
    .await;
    let msgs = c.until(is_done).await;
    assert_eq!(assembled(&msgs), "They say one, two.");
    let history = &fake.histories()[1];
    assert_eq!(
        history.last(),
        Some(&("tool".to_string(), "one\ntwo\n".to_string()))
    );
    assert_eq!(fake.chats()[0]["tools"][0]["function"]["name"], "read_file");
}
