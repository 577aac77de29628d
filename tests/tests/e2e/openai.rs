//! An OpenAI-compatible server as a second backend: a model named `lan:…` streams from the
//! fake server over SSE split anywhere, with the request in that API's shape; its errors map
//! to the same codes as Ollama's; its models are listed with their prefix; its API key goes
//! to it and nowhere else.

use chinwag_protocol::{ClientMsg, ErrorBody, ErrorCode, GenOptions, MessageStatus, ServerMsg};
use chinwag_tests::client::{TestClient, assembled};
use chinwag_tests::fake_ollama::{FakeOllama, Part};
use chinwag_tests::fake_openai::{self, DONE, FakeOpenAi, Script, chunk, split};
use chinwag_tests::harness::{DaemonProcess, TestDaemon, test_config};
use chinwagd::backend::{BackendConfig, BackendKind};
use serde_json::json;
use tempfile::TempDir;

/// `[backends.NAME]` for an OpenAI-compatible server at `url`, without a key.
fn openai_backend(url: &str) -> BackendConfig {
    BackendConfig {
        kind: BackendKind::OpenAi,
        url: url.to_string(),
        api_key_env: None,
    }
}

async fn setup() -> (TempDir, FakeOllama, FakeOpenAi, TestDaemon) {
    let dir = tempfile::tempdir().expect("tmp");
    let ollama = FakeOllama::start().await;
    let lan = FakeOpenAi::start().await;
    let mut config = test_config(dir.path(), &ollama.host());
    config
        .backends
        .insert("lan".into(), openai_backend(&lan.url()));
    let daemon = TestDaemon::start(dir.path(), config).await;
    (dir, ollama, lan, daemon)
}

fn chat(model: &str, content: &str, options: GenOptions) -> ClientMsg {
    ClientMsg::Chat {
        id: "c".into(),
        conversation: None,
        bot: None,
        model: Some(model.into()),
        content: content.into(),
        options,
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    }
}

/// Sends a chat and reads to its `done` (or the error that refused it).
async fn turn(c: &mut TestClient, model: &str) -> Vec<ServerMsg> {
    c.send(&chat(model, "hello?", GenOptions::default())).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. }))
        .await
}

fn end(msgs: &[ServerMsg]) -> (MessageStatus, Option<ErrorBody>) {
    match msgs.last() {
        Some(ServerMsg::Done { status, error, .. }) => (*status, error.clone()),
        other => panic!("expected done, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_streams_over_sse_split_anywhere_in_the_apis_own_shape() {
    let (_dir, _ollama, lan, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    // Reasoning, then text with a two-byte character; cut into 5-byte HTTP chunks, so events,
    // lines and the character itself fall across reads.
    let mut events = vec![
        chunk("qwen2.5", json!({"role": "assistant", "content": ""}), None),
        chunk("qwen2.5", json!({"reasoning_content": "Think. "}), None),
    ];
    events.extend(
        ["Café", " au", " lait."]
            .iter()
            .map(|p| chunk("qwen2.5", json!({"content": p}), None)),
    );
    events.push(chunk("qwen2.5", json!({}), Some("stop")));
    events.push(fake_openai::usage("qwen2.5", 12, 3));
    events.push(DONE.into());
    lan.script(Script::Stream(split(events.concat().as_bytes(), 5)));
    let options = GenOptions {
        system: Some("Be brief.".into()),
        temperature: Some(0.25),
        num_predict: Some(64),
        ..GenOptions::default()
    };
    c.send(&chat("lan:qwen2.5", "what is this?", options)).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert_eq!(assembled(&msgs), "Café au lait.");
    let (status, error) = end(&msgs);
    assert_eq!((status, error), (MessageStatus::Complete, None));
    let Some(ServerMsg::Done {
        stats,
        done_reason,
        conversation,
        ..
    }) = msgs.last()
    else {
        unreachable!("checked above")
    };
    assert_eq!(done_reason.as_deref(), Some("stop"));
    let stats = stats.clone().expect("usage");
    assert_eq!(
        (stats.prompt_tokens, stats.completion_tokens),
        (Some(12), Some(3))
    );
    let stored = c.stored(conversation).await;
    assert_eq!(stored[1].content, "Café au lait.");
    assert_eq!(stored[1].thinking, "Think. ");
    assert_eq!(stored[1].model.as_deref(), Some("lan:qwen2.5"));

    let sent = &lan.chats()[0].body;
    assert_eq!(
        sent["model"], "qwen2.5",
        "the prefix is the daemon's, not the server's"
    );
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(sent["temperature"], 0.25);
    assert_eq!(sent["max_tokens"], 64);
    assert_eq!(
        sent["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "what is this?"}])
    );
    assert!(
        lan.chats()[0]
            .headers
            .iter()
            .all(|(k, _)| k != "authorization"),
        "no key, no header"
    );
}

#[tokio::test]
async fn its_errors_map_to_the_same_codes_as_ollamas() {
    let (_dir, _ollama, lan, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;

    // A model the server does not list: refused before anything is stored.
    let msgs = turn(&mut c, "lan:nope").await;
    let Some(ServerMsg::Error { code, message, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert_eq!(*code, ErrorCode::ModelNotFound);
    assert!(
        message.contains("lan:qwen2.5"),
        "names what it has: {message}"
    );
    assert!(c.conversations().await.is_empty());

    // Busy: 429 with Retry-After in seconds.
    lan.script(Script::Status(
        429,
        vec![("Retry-After".into(), "7".into())],
        json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
    ));
    let (status, error) = end(&turn(&mut c, "lan:qwen2.5").await);
    let error = error.expect("an error");
    assert_eq!(
        (status, error.code),
        (MessageStatus::Error, ErrorCode::BackendBusy)
    );
    assert_eq!(error.retry_after_ms, Some(7000));

    // An error event mid-stream (llama.cpp's shape: then the connection closes).
    lan.script(Script::Stream(vec![
        Part::Bytes(chunk("qwen2.5", json!({"content": "half"}), None).into_bytes()),
        Part::Bytes(b"data: {\"error\":{\"code\":500,\"message\":\"out of memory\",\"type\":\"server_error\"}}\n\n".to_vec()),
    ]));
    let msgs = turn(&mut c, "lan:qwen2.5").await;
    let (status, error) = end(&msgs);
    let error = error.expect("an error");
    assert_eq!(
        (status, error.code),
        (MessageStatus::Error, ErrorCode::BackendError)
    );
    assert!(error.message.contains("out of memory"), "{}", error.message);
    assert_eq!(assembled(&msgs), "half", "what came is kept");

    // Dropped before a finish reason: an error, the text kept.
    lan.script(Script::Stream(vec![
        Part::Bytes(chunk("qwen2.5", json!({"content": "cut"}), None).into_bytes()),
        Part::Drop,
    ]));
    let (status, error) = end(&turn(&mut c, "lan:qwen2.5").await);
    assert_eq!(
        (status, error.map(|e| e.code)),
        (MessageStatus::Error, Some(ErrorCode::BackendError))
    );

    // A finish reason and then the end of the stream, without [DONE]: complete.
    lan.script(Script::Stream(vec![Part::Bytes(
        chunk("qwen2.5", json!({"content": "whole"}), Some("length")).into_bytes(),
    )]));
    let msgs = turn(&mut c, "lan:qwen2.5").await;
    assert_eq!(end(&msgs), (MessageStatus::Complete, None));
    assert!(
        matches!(msgs.last(), Some(ServerMsg::Done { done_reason: Some(r), .. }) if r == "length")
    );
}

#[tokio::test]
async fn models_of_every_backend_are_listed_and_ollamas_still_answer() {
    let (_dir, ollama, _lan, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let ServerMsg::Models { models, .. } = c.call(ClientMsg::ListModels { id: "m".into() }).await
    else {
        panic!("models")
    };
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert!(names.contains(&"lan:qwen2.5"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("llama3.2")), "{names:?}");
    // status asks each backend.
    let st = c.status().await;
    assert_eq!(st.backends.len(), 1, "{st:?}");
    assert_eq!(
        (
            st.backends[0].name.as_str(),
            st.backends[0].kind.as_str(),
            st.backends[0].reachable
        ),
        ("lan", "openai", true)
    );
    // A model name with a colon that names no backend is Ollama's.
    ollama.script(chinwag_tests::fake_ollama::reply("llama3.2", &["Hi."]));
    let msgs = turn(&mut c, "llama3.2:latest").await;
    assert_eq!(end(&msgs), (MessageStatus::Complete, None));
    assert_eq!(assembled(&msgs), "Hi.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_goes_to_its_server_and_nowhere_else() {
    let dir = tempfile::tempdir().expect("tmp");
    let ollama = FakeOllama::start().await;
    let lan = FakeOpenAi::start().await;
    let config = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("chinwagd.toml"),
        format!(
            "[backends.lan]\nkind = \"openai\"\nurl = \"{}/v1\"\napi_key_env = \"LAN_KEY\"\n",
            lan.url()
        ),
    )
    .expect("config");
    let daemon =
        DaemonProcess::start_with(dir.path(), &ollama.host(), &[("LAN_KEY", "sk-test-4f2a")]).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let msgs = turn(&mut c, "lan:qwen2.5").await;
    assert_eq!(end(&msgs), (MessageStatus::Complete, None));
    let auth: Vec<String> = lan
        .state()
        .requests
        .iter()
        .filter_map(|r| r.headers.iter().find(|(k, _)| k == "authorization"))
        .map(|(_, v)| v.clone())
        .collect();
    assert!(
        !auth.is_empty() && auth.iter().all(|v| v == "Bearer sk-test-4f2a"),
        "{auth:?}"
    );
    assert!(
        ollama
            .state()
            .requests
            .iter()
            .all(|r| r.body.to_string().find("sk-test").is_none()),
        "Ollama never sees it"
    );
    let seen = format!("{:?}", c.status().await);
    assert!(!seen.contains("sk-test"), "{seen}");
    daemon.terminate().await;
    let log = std::fs::read_dir(dir.path().join("state"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|e| walk(&e.path()))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<String>();
    assert!(
        log.contains("generation ended"),
        "the daemon's log was read"
    );
    assert!(!log.contains("sk-test"), "the key is not logged");
}

/// Every file under `p`.
fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    if p.is_dir() {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|e| walk(&e.path()))
            .collect()
    } else {
        vec![p.to_path_buf()]
    }
}

#[tokio::test]
async fn a_backend_that_is_down_is_said_so_and_its_models_are_left_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let ollama = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &ollama.host());
    // Nothing listens there.
    let port = chinwag_tests::harness::free_port();
    config.backends.insert(
        "gone".into(),
        openai_backend(&format!("http://127.0.0.1:{port}")),
    );
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let st = c.status().await;
    assert!(!st.backends[0].reachable, "{st:?}");
    assert!(
        st.backends[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("cannot reach the backend gone")),
        "{st:?}"
    );
    let ServerMsg::Models { models, .. } = c.call(ClientMsg::ListModels { id: "m".into() }).await
    else {
        panic!("models")
    };
    assert!(
        models.iter().all(|m| !m.name.starts_with("gone:")),
        "{models:?}"
    );
    let msgs = turn(&mut c, "gone:qwen2.5").await;
    let Some(ServerMsg::Error { code, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert_eq!(*code, ErrorCode::BackendUnavailable);
    assert!(c.conversations().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn thinking_is_switched_per_request_and_per_bot_and_a_bot_may_name_a_backend() {
    use chinwag_protocol::Think;
    use chinwagd::config::{BotConfig, BotOptions};
    let dir = tempfile::tempdir().expect("tmp");
    let ollama = FakeOllama::start().await;
    let lan = FakeOpenAi::start().await;
    let mut config = test_config(dir.path(), &ollama.host());
    config
        .backends
        .insert("lan".into(), openai_backend(&lan.url()));
    let bot = |model: &str| BotConfig {
        model: Some(model.into()),
        options: BotOptions {
            think: Some(Think::Level("high".into())),
            ..BotOptions::default()
        },
        ..BotConfig::default()
    };
    config.bots.insert("deep".into(), bot("llama3.2"));
    config.bots.insert("remote".into(), bot("lan:qwen2.5"));
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let send = |bot: Option<&str>, think: Option<Think>| ClientMsg::Chat {
        id: "c".into(),
        conversation: None,
        bot: bot.map(str::to_string),
        model: None,
        content: "hm?".into(),
        options: GenOptions {
            think,
            ..GenOptions::default()
        },
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    };
    let done = |m: &ServerMsg| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. });

    c.send(&send(Some("deep"), None)).await;
    assert_eq!(end(&c.until(done).await).0, MessageStatus::Complete);
    c.send(&send(Some("deep"), Some(Think::Switch(false))))
        .await;
    assert_eq!(end(&c.until(done).await).0, MessageStatus::Complete);
    let sent: Vec<serde_json::Value> = ollama.chats().iter().map(|b| b["think"].clone()).collect();
    assert_eq!(
        sent,
        [json!("high"), json!(false)],
        "the bot's, then the request's over it"
    );

    // A bot on the other backend: its requests go there, without Ollama's switch.
    c.send(&send(Some("remote"), None)).await;
    assert_eq!(end(&c.until(done).await).0, MessageStatus::Complete);
    let body = &lan.chats()[0].body;
    assert_eq!(body["model"], "qwen2.5");
    assert!(body.get("think").is_none(), "{body}");

    // A level no model takes is refused before anything is stored.
    c.send(&send(None, Some(Think::Level("loud".into())))).await;
    let msgs = c.until(done).await;
    assert!(
        matches!(
            msgs.last(),
            Some(ServerMsg::Error {
                code: ErrorCode::InvalidRequest,
                ..
            })
        ),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn cancel_closes_the_servers_stream_and_a_continuation_sends_the_whole_history() {
    let (_dir, _ollama, lan, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    lan.script(fake_openai::reply("qwen2.5", &["Four."]));
    c.send(&chat("lan:qwen2.5", "2+2?", GenOptions::default()))
        .await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let Some(ServerMsg::Done { conversation, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    let conversation = conversation.clone();

    // The next turn carries the conversation so far, and the server holds it open.
    lan.script(Script::Stream(vec![
        Part::Bytes(chunk("qwen2.5", json!({"content": "Let me"}), None).into_bytes()),
        Part::Gate,
    ]));
    c.send(&ClientMsg::Chat {
        id: "c2".into(),
        conversation: Some(conversation.clone()),
        bot: None,
        model: None,
        content: "and 3+3?".into(),
        options: GenOptions::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    })
    .await;
    c.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    assert_eq!(
        lan.chats()[1].body["messages"],
        json!([{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "Four."},
               {"role": "user", "content": "and 3+3?"}])
    );
    c.send(&ClientMsg::Cancel {
        id: "stop".into(),
        conversation: conversation.clone(),
    })
    .await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert_eq!(end(&msgs).0, MessageStatus::Cancelled);
    chinwag_tests::harness::wait_until("the server sees the stream closed", || async {
        lan.state().hangups == 1
    })
    .await;
    let stored = c.stored(&conversation).await;
    assert_eq!(stored[3].content, "Let me", "what came is kept");
}
