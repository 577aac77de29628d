//! The operations endpoints: `/health`, `/ready` (503 with the reason when Ollama is down),
//! and `/metrics`, read by the Prometheus project's own OpenMetrics parser (Debian's
//! python3-prometheus-client), with its counters moving after a chat, a refused token and a
//! rate-limited chat; beyond loopback, `/metrics` needs an admin token.

use chinwag_tests::client::{TestClient, chat};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, make_token, test_config};
use chinwag_tests::http::get;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// Parses an exposition with `prometheus_client.openmetrics.parser` (strict: a malformed
/// exposition fails the test); returns each sample as `name{labels}` → value.
fn parse_openmetrics(text: &str) -> BTreeMap<String, f64> {
    const SCRIPT: &str = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        print(f"{s.name}{{{labels}}} {s.value}")
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run Debian's python3 (tests/run installs python3-prometheus-client)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the exposition");
    let out = child.wait_with_output().expect("the parser ends");
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_string(), v.parse().expect("a number")))
        .collect()
}

async fn scrape(addr: std::net::SocketAddr) -> BTreeMap<String, f64> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let answer = get(tcp, "/metrics", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        answer.head
    );
    parse_openmetrics(&answer.body)
}

fn value(samples: &BTreeMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ready_answer_and_ready_names_a_dead_ollama() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let tcp = || async { tokio::net::TcpStream::connect(addr).await.expect("tcp") };

    let health = get(tcp().await, "/health", &[]).await;
    assert_eq!(health.status, 200);
    let v: serde_json::Value = serde_json::from_str(&health.body).expect("JSON");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["uptime_ms"].is_u64(), "{v}");
    let unix = tokio::net::UnixStream::connect(&daemon.socket)
        .await
        .expect("unix");
    assert_eq!(get(unix, "/health", &[]).await.status, 200);

    let ready = get(tcp().await, "/ready", &[]).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let v: serde_json::Value = serde_json::from_str(&ready.body).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!({"ready": true, "checks": {"store": "ok", "ollama": "ok"}})
    );
    daemon.stop().await;

    // The same daemon's store, with Ollama gone.
    let mut config = test_config(dir.path(), "127.0.0.1:1");
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let daemon = TestDaemon::start(dir.path(), config).await;
    let tcp = tokio::net::TcpStream::connect(daemon.tcp.expect("tcp"))
        .await
        .expect("tcp");
    let ready = get(tcp, "/ready", &[]).await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    let v: serde_json::Value = serde_json::from_str(&ready.body).expect("JSON");
    assert_eq!(v["ready"], false);
    assert_eq!(v["checks"]["store"], "ok");
    let why = v["checks"]["ollama"].as_str().expect("a reason");
    assert!(why.contains("127.0.0.1:1"), "names where it looked: {why}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_openmetrics_and_move_with_chats_refusals_and_limits() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.limits.burst = 1;
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");

    let before = scrape(addr).await;
    assert_eq!(value(&before, "chinwag_turns_total{}"), 0.0);
    assert!(
        before.keys().any(|k| k.starts_with("chinwag_build_info{")),
        "{before:?}"
    );
    // A chat over the Unix socket, one over TCP, then the TCP user's second is over the burst.
    let mut local = TestClient::connect(&daemon.socket).await;
    local.call(chat("1", "hi")).await;
    local
        .until(|m| matches!(m, chinwag_protocol::ServerMsg::Done { .. }))
        .await;
    let mut remote = TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("alice");
    remote.call(chat("2", "hi")).await;
    remote
        .until(|m| matches!(m, chinwag_protocol::ServerMsg::Done { .. }))
        .await;
    let limited = remote.call(chat("3", "again")).await;
    assert!(
        matches!(limited, chinwag_protocol::ServerMsg::Error { .. }),
        "{limited:?}"
    );
    // A command run, and one refused.
    local
        .send(&chinwag_protocol::ClientMsg::Exec {
            id: "x1".into(),
            argv: vec!["pwd".into()],
            cwd: None,
        })
        .await;
    local
        .until(|m| matches!(m, chinwag_protocol::ServerMsg::ExecExit { .. }))
        .await;
    let refused = local
        .call(chinwag_protocol::ClientMsg::Exec {
            id: "x2".into(),
            argv: vec!["sh".into()],
            cwd: None,
        })
        .await;
    assert!(
        matches!(refused, chinwag_protocol::ServerMsg::CommandRejected { .. }),
        "{refused:?}"
    );
    // A refused token.
    assert_eq!(
        TestClient::try_connect_tcp(addr, Some("cw_000000000000_00"))
            .await
            .err(),
        Some(401)
    );

    let after = scrape(addr).await;
    let moved = |key: &str| value(&after, key) - value(&before, key);
    assert_eq!(moved("chinwag_turns_total{}"), 2.0);
    assert_eq!(moved("chinwag_output_tokens_total{}"), 2.0 * 282.0);
    assert_eq!(
        moved(r#"chinwag_rate_limited_total{limit="messages"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"chinwag_upgrades_refused_total{status="401"}"#),
        1.0
    );
    assert_eq!(moved("chinwag_exec_runs_total{}"), 1.0);
    assert_eq!(
        moved(r#"chinwag_exec_refusals_total{rule="not-in-policy"}"#),
        1.0
    );
    assert_eq!(moved("chinwag_first_token_seconds_count{}"), 2.0);
    assert_eq!(moved("chinwag_reply_duration_seconds_count{}"), 2.0);
    assert!(moved("chinwag_store_commit_seconds_count{}") >= 4.0);
    assert_eq!(
        value(&after, r#"chinwag_connections{transport="unix"}"#),
        1.0
    );
    assert_eq!(
        value(&after, r#"chinwag_connections{transport="tcp"}"#),
        1.0
    );
    assert_eq!(value(&after, "chinwag_generations_active{}"), 0.0);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_loopback_metrics_and_readiness_reasons_need_an_admin_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = test_config(dir.path(), "127.0.0.1:1");
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    // Loopback standing in for a TLS-terminating proxy: what comes through it is not local.
    config.trust_proxy = vec!["127.0.0.1".parse().expect("ip")];
    let chat_token = make_token(&config.database, "alice", "chat", None).await;
    let admin_token = make_token(&config.database, "ops", "admin", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let with = |token: &str| vec![format!("Authorization: Bearer {token}")];
    let tcp = || async { tokio::net::TcpStream::connect(addr).await.expect("tcp") };

    let anonymous = get(tcp().await, "/metrics", &[]).await;
    assert_eq!(
        (
            anonymous.status,
            anonymous.header("www-authenticate").is_some()
        ),
        (401, true)
    );
    assert_eq!(
        get(tcp().await, "/metrics", &with(&chat_token))
            .await
            .status,
        403
    );
    let admin = get(tcp().await, "/metrics", &with(&admin_token)).await;
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("# EOF"));
    // /ready says whether, to anyone; why, only to an admin.
    let ready = get(tcp().await, "/ready", &[]).await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.body.contains("\"ollama\":\"failing\""),
        "{}",
        ready.body
    );
    let ready = get(tcp().await, "/ready", &with(&admin_token)).await;
    assert!(ready.body.contains("127.0.0.1:1"), "{}", ready.body);
    assert_eq!(get(tcp().await, "/health", &[]).await.status, 200);
    daemon.stop().await;
}
