//! Per-user rate limits over the wire: exactly the burst is accepted, the next message gets
//! `rate_limited` with an honest `retry_after_ms` and the socket stays open; another user is
//! not slowed; a resend of a stored turn costs nothing; output tokens are charged as replies
//! end; `status` shows the caller's limits and what is left of them.

use crate::chat;
use chinwag_protocol::{ClientMsg, ErrorCode, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, make_token, test_config};
use chinwagd::limits::LimitConfig;

/// A daemon on loopback TCP whose token users have `limits`, with one client connected for
/// each of `users` (the directory and the fake Ollama live as long as the daemon).
async fn daemon_with(
    limits: LimitConfig,
    users: &[&str],
) -> ((tempfile::TempDir, FakeOllama), TestDaemon, Vec<TestClient>) {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.limits = limits;
    let mut tokens = Vec::new();
    for user in users {
        tokens.push(make_token(&config.database, user, "chat", None).await);
    }
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let mut clients = Vec::new();
    for t in &tokens {
        let c = TestClient::try_connect_tcp(addr, Some(t))
            .await
            .expect("in");
        clients.push(c);
    }
    ((dir, fake), daemon, clients)
}

/// The `retry_after_ms` and message of a `rate_limited` error frame.
fn rate_limited(reply: ServerMsg) -> (u64, String) {
    match reply {
        ServerMsg::Error {
            code,
            retry_after_ms,
            message,
            ..
        } => {
            assert_eq!(code, ErrorCode::RateLimited, "{message}");
            (retry_after_ms.expect("a retry hint"), message)
        }
        other => panic!("expected rate_limited, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_over_their_quota_waits_and_others_do_not() {
    let limits = LimitConfig {
        messages_per_minute: 3,
        burst: 3,
        concurrent_generations: 2,
        output_tokens_per_minute: 100_000,
    };
    let (_keep, daemon, clients) = daemon_with(limits, &["alice", "bob"]).await;
    let [mut alice, mut bob] = <[TestClient; 2]>::try_from(clients).expect("two");

    let keyed = |id: &str, key: &str| {
        let mut m = chat(id, "hello");
        if let ClientMsg::Chat {
            idempotency_key, ..
        } = &mut m
        {
            *idempotency_key = Some(key.into());
        }
        m
    };
    for i in 0..3 {
        alice.send(&keyed(&format!("c{i}"), &format!("k{i}"))).await;
        alice.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    }
    let (ms, _) = rate_limited(alice.call(keyed("over", "k-over")).await);
    // One message per 20 s at 3 a minute: the wait is at most that.
    assert!(ms > 0 && ms <= 20_000, "{ms}");
    // The socket stays open, a resend of a stored turn is free, and bob is untouched.
    assert!(matches!(
        alice.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
    alice.send(&keyed("again", "k0")).await;
    let resent = alice.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert!(
        matches!(resent[0], ServerMsg::ChatStarted { resumed: true, .. }),
        "{resent:?}"
    );
    bob.send(&chat("b", "hi")).await;
    let msgs = bob
        .until(|m| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. }))
        .await;
    assert!(
        matches!(msgs.last(), Some(ServerMsg::Done { .. })),
        "{msgs:?}"
    );
    // status tells each caller its own limits.
    let limits = alice.status().await.limits.expect("limits");
    assert_eq!((limits.messages_per_minute, limits.burst), (3, 3));
    assert_eq!(limits.generating, 0, "alice's replies are done");
    // One comes back every 20 s, so these hold however slow the machine is.
    let bobs = bob.status().await.limits.expect("limits");
    assert!(
        limits.messages_left < bobs.messages_left && bobs.messages_left >= 2,
        "alice spent her burst of 3 and bob one: {limits:?} {bobs:?}"
    );
    let mut owner = TestClient::connect(&daemon.socket).await;
    let local = owner.status().await.limits.expect("limits");
    assert_eq!(
        local.messages_per_minute,
        LimitConfig::LOCAL.messages_per_minute
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_tokens_are_charged_as_replies_end_and_debt_is_waited_out() {
    // The fake's replies report `eval_count` 282: the first leaves 18, the second puts the
    // user 264 in debt, at 5 tokens a second.
    let limits = LimitConfig {
        output_tokens_per_minute: 300,
        ..LimitConfig::REMOTE
    };
    let (_keep, daemon, mut clients) = daemon_with(limits, &["alice"]).await;
    let alice = &mut clients[0];
    for i in 0..2 {
        alice.send(&chat(&format!("c{i}"), "hello")).await;
        let msgs = alice
            .until(|m| matches!(m, ServerMsg::Done { .. } | ServerMsg::Error { .. }))
            .await;
        assert!(
            matches!(msgs.last(), Some(ServerMsg::Done { .. })),
            "reply {i}: {msgs:?}"
        );
    }
    let (ms, message) = rate_limited(alice.call(chat("over", "hello")).await);
    assert!(message.contains("output tokens"), "{message}");
    // 264 in debt at 5 a second: about 53 s, less what has passed since.
    assert!(ms > 0 && ms <= 53_000, "{ms}");
    let limits = alice.status().await.limits.expect("limits");
    assert_eq!(
        (limits.output_tokens_per_minute, limits.output_tokens_left),
        (300, 0)
    );
    assert!(
        limits.messages_left >= LimitConfig::REMOTE.burst - 2,
        "two replies were sent and the refused message cost nothing: {limits:?}"
    );
    daemon.stop().await;
}
