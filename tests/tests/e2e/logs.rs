//! The daemon's logs, from a real process: rotated JSON files in the state dir, each line
//! carrying its connection (id, transport, user) and reply spans, and never a message's
//! words or a token's secret, unless `--log-content` is on (which the log then says).

use chinwag_protocol::ServerMsg;
use chinwag_tests::client::{TestClient, chat};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{DaemonProcess, free_port, isolated_database, make_token};
use serde_json::Value;
use std::path::Path;

const MARKER: &str = "MARKER-c0ffee-42";

/// Every log file in the daemon's state dir: (file name, text).
fn log_files(dir: &Path) -> Vec<(String, String)> {
    let state = dir.join("state/chinwag");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&state).expect("the state dir exists") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".log") {
            out.push((name, std::fs::read_to_string(&path).expect("read a log")));
        }
    }
    out
}

async fn chat_to_done(c: &mut TestClient, content: &str) {
    c.send(&chat("c", content)).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. }))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_rotated_json_with_spans_and_never_hold_words_or_secrets() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let port = free_port();
    let config_dir = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        format!("listen = \"127.0.0.1:{port}\"\n"),
    )
    .expect("config");
    let token = make_token(&isolated_database(dir.path()), "alice", "chat", None).await;
    let secret = token.rsplit('_').next().expect("a secret").to_string();
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;

    let mut local = TestClient::connect(&daemon.socket).await;
    chat_to_done(&mut local, &format!("tell me about {MARKER}")).await;
    // A refused chat, whose words might land in an error line.
    let mut unknown = chat("u", &format!("{MARKER} again"));
    if let chinwag_protocol::ClientMsg::Chat { model, .. } = &mut unknown {
        *model = Some("no-such-model".into());
    }
    local.call(unknown).await;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut remote = TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("alice");
    chat_to_done(&mut remote, MARKER).await;
    let forged = format!("cw_000000000000_{}", "ab".repeat(32));
    assert_eq!(
        TestClient::try_connect_tcp(addr, Some(&forged)).await.err(),
        Some(401)
    );
    drop((local, remote));
    assert_eq!(daemon.terminate().await.code(), Some(0));

    let files = log_files(dir.path());
    assert!(
        files
            .iter()
            .any(|(name, _)| name.starts_with("chinwagd.") && name.len() > "chinwagd..log".len()),
        "a dated, rotated file: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let mut lines = Vec::new();
    for (name, text) in &files {
        for forbidden in [MARKER, secret.as_str(), "ab".repeat(32).as_str()] {
            assert!(!text.contains(forbidden), "{forbidden} is in {name}");
        }
        for line in text.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line in {name}: {e}: {line}"));
            lines.push(v);
        }
    }
    // The authentication line names its connection and transport; the reply's end names
    // the reply and its user.
    let authenticated = lines
        .iter()
        .find(|l| l["fields"]["message"] == "authenticated")
        .expect("an authenticated line");
    let conn = &authenticated["span"];
    assert_eq!(conn["name"], "conn", "{authenticated}");
    assert_eq!(conn["transport"], "tcp");
    assert!(conn["id"].is_u64(), "{authenticated}");
    let ended: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "generation ended")
        .collect();
    assert_eq!(ended.len(), 2, "two replies ended");
    for l in ended {
        let spans = l["spans"].as_array().expect("a span list");
        let generation = spans.iter().find(|s| s["name"] == "gen").expect("gen span");
        assert!(generation["conversation"].is_string(), "{l}");
        assert!(generation["message"].is_string(), "{l}");
        assert!(
            spans
                .iter()
                .any(|s| s["name"] == "req" && s["kind"] == "chat"),
            "{l}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_content_puts_words_in_the_log_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let daemon =
        DaemonProcess::start_with(dir.path(), &fake.host(), &[("CHINWAG_LOG_CONTENT", "1")]).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    chat_to_done(&mut c, MARKER).await;
    drop(c);
    assert_eq!(daemon.terminate().await.code(), Some(0));
    let all: String = log_files(dir.path()).into_iter().map(|f| f.1).collect();
    assert!(all.contains(MARKER), "the words, as asked");
    assert!(all.contains("--log-content is on"), "and the warning");
}
