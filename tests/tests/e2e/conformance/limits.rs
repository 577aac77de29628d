//! PROTOCOL.md § Replies in flight and § Rate limits.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::wire::{Wire, chat};
use chinwagd::limits::LimitConfig;
use serde_json::json;

fn held() -> Script {
    Script::Stream(vec![
        Part::Gate,
        Part::Bytes(line("llama3.2", "ok", true).into_bytes()),
    ])
}

async fn stored_conversations(w: &mut Wire) -> usize {
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    list["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_backend_places_and_the_queue_a_chat_is_backend_busy_and_stores_nothing() {
    let rig = Rig::with(&[], |c| {
        c.max_generations = 1;
        c.max_queued_generations = 1;
        c.timeouts.loading_notice = std::time::Duration::from_millis(20);
    })
    .await;
    rig.fake.script(held());
    rig.fake.script(held());
    let mut w = rig.local().await;
    w.send(chat("1", "in flight")).await;
    assert_eq!(w.recv().await["type"], "chat_started");
    w.send(chat("2", "queued")).await;
    let queued = w.until("2", "loading").await;
    assert_eq!(queued[0]["type"], "chat_started", "a queued turn is stored");
    assert_eq!(
        rig.fake.chats().len(),
        1,
        "it waits for a place, not in Ollama's queue"
    );
    let busy = w.call(chat("3", "too many")).await;
    assert_eq!(busy["code"], "backend_busy", "{busy}");
    assert!(busy["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0));
    assert_eq!(stored_conversations(&mut w).await, 2);
    rig.fake.release();
    rig.fake.release();
    // The two dones come from two watchers: in either order.
    let mut ended = std::collections::BTreeMap::new();
    while ended.len() < 2 {
        let f = w.recv().await;
        if f["type"] == "done" {
            ended.insert(
                f["id"].as_str().unwrap_or("").to_string(),
                f["status"].clone(),
            );
        }
    }
    assert_eq!(ended["1"], "complete");
    assert_eq!(ended["2"], "complete");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_quota_a_chat_is_rate_limited_with_an_honest_wait_and_nothing_is_stored() {
    let rig = Rig::with(&[("alice", "chat")], |c| {
        c.limits = LimitConfig {
            messages_per_minute: 2,
            burst: 2,
            ..LimitConfig::REMOTE
        };
    })
    .await;
    let mut w = rig.remote("alice").await;
    let keyed = json!({"type": "chat", "id": "1", "model": "llama3.2", "content": "a",
                       "idempotency_key": "k"});
    w.chat(keyed.clone()).await;
    w.chat(chat("2", "b")).await;
    let refused = w.call(chat("3", "c")).await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    let wait = refused["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!(
        (1..=30_000).contains(&wait),
        "one message every 30 s: {wait}"
    );
    assert_eq!(stored_conversations(&mut w).await, 2, "nothing stored");
    let resent = w.chat(keyed).await;
    assert_eq!(resent[0]["resumed"], true, "a resend costs nothing");
    assert_eq!(
        w.call(json!({"type": "ping", "id": "p"})).await["type"],
        "pong"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_on_replies_at_once_a_chat_is_rate_limited_without_a_wait() {
    let rig = Rig::with(&[("carol", "chat")], |c| {
        c.limits = LimitConfig {
            concurrent_generations: 1,
            ..LimitConfig::REMOTE
        };
    })
    .await;
    rig.fake.script(held());
    let mut w = rig.remote("carol").await;
    w.send(chat("1", "long")).await;
    assert_eq!(w.recv().await["type"], "chat_started");
    let refused = w.call(chat("2", "another")).await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert!(refused.get("retry_after_ms").is_none(), "{refused}");
    let status = w.call(json!({"type": "status", "id": "s"})).await;
    assert_eq!(status["limits"]["generating"], 1, "{}", status["limits"]);
    assert_eq!(status["limits"]["concurrent_generations"], 1);
    rig.fake.release();
    w.until("1", "done").await;
    rig.stop().await;
}
