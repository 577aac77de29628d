//! PROTOCOL.md § Conventions.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::wire::{Wire, chat, conversation, last};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_its_requests_id_so_requests_share_a_socket() {
    let rig = Rig::start().await;
    rig.fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "one", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", " two", true).into_bytes()),
    ]));
    let mut w = rig.local().await;
    w.send(chat("c-1", "count")).await;
    // While the reply is held, other requests on the same socket are answered in turn.
    let pong = w.call(json!({"type": "ping", "id": "p-1"})).await;
    assert_eq!(pong["type"], "pong");
    rig.fake.release();
    let frames = w.until("c-1", "done").await;
    assert!(frames.iter().all(|f| f["id"] == "c-1"));
    assert_eq!(last(&frames)["status"], "complete");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_ignored_and_optional_fields_may_be_omitted() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    let pong = w
        .call(json!({"type": "ping", "id": "p", "future_field": {"x": [1, 2]}}))
        .await;
    assert_eq!(pong["type"], "pong");
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["type"], "conversations", "{list}");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_milliseconds_since_the_unix_epoch() {
    let rig = Rig::start().await;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as i64
    };
    let before = now();
    let mut w = rig.local().await;
    let frames = w.chat(chat("c", "when")).await;
    let after = now();
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": conversation(&frames)}))
        .await;
    for t in [
        &got["conversation"]["created_at_ms"],
        &got["conversation"]["updated_at_ms"],
        &got["messages"][0]["created_at_ms"],
    ] {
        let t = t.as_i64().expect("a number");
        assert!(
            (before..=after).contains(&t),
            "{t} not in {before}..={after}"
        );
    }
    let stats = &last(&frames)["stats"];
    assert_eq!(
        stats["total_duration_ns"], 4_883_583_458u64,
        "Ollama's durations pass as nanoseconds"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_named_by_any_unique_prefix_and_an_ambiguous_one_is_invalid() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    // Conversations until two share a first hex digit (at most 17).
    let mut ids: Vec<String> = Vec::new();
    let (a, b) = loop {
        let id = conversation(&w.chat(chat(&format!("c{}", ids.len()), "hi")).await);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        if let Some(other) = ids.iter().find(|o| o[..1] == id[..1]) {
            break (other.clone(), id);
        }
        ids.push(id);
    };
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let ambiguous = w
        .call(json!({"type": "get_conversation", "id": "g1", "conversation": &a[..common]}))
        .await;
    assert_eq!(ambiguous["code"], "invalid_request", "{ambiguous}");
    let unique = w
        .call(json!({"type": "get_conversation", "id": "g2", "conversation": &a[..common + 1]}))
        .await;
    assert_eq!(unique["conversation"]["id"], a.as_str(), "{unique}");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_must_come_first() {
    let rig = Rig::start().await;
    let mut w = Wire::unix(&rig.daemon.socket).await;
    let early = w.call(json!({"type": "ping", "id": "p"})).await;
    assert_eq!(early["code"], "hello_required", "{early}");
    w.hello().await;
    assert_eq!(
        w.call(json!({"type": "ping", "id": "p"})).await["type"],
        "pong"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_that_is_not_json_or_whose_id_cannot_be_read_is_answered_with_id_empty() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    for bad in ["not json", r#"{"type":"ping","id":7}"#, r#"["ping"]"#] {
        w.send_frame(tokio_tungstenite::tungstenite::Message::text(bad))
            .await;
        let answer = w.recv().await;
        assert_eq!(
            (&answer["type"], &answer["id"]),
            (&json!("error"), &json!("")),
            "{bad}: {answer}"
        );
    }
    let unknown = w.call(json!({"type": "dance", "id": "d"})).await;
    assert_eq!(unknown["code"], "unknown_type", "{unknown}");
    rig.stop().await;
}
