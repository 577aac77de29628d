//! PROTOCOL.md § cancel → ok, § attach → attached, § list_generations, and deleting
//! mid-reply.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::wire::{last, text};
use serde_json::{Value, json};

/// A reply that sends "Rayl", then waits for the test, then "eigh" and ends.
fn held_reply() -> Script {
    Script::Stream(vec![
        Part::Bytes(line("llama3.2", "Rayl", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", "eigh", true).into_bytes()),
    ])
}

/// Starts a held chat on `w` and waits for its first delta; returns `chat_started`.
async fn start_held(w: &mut chinwag_tests::wire::Wire) -> Value {
    w.send(chinwag_tests::wire::chat("c", "sky")).await;
    let started = w.recv().await;
    assert_eq!(started["type"], "chat_started", "{started}");
    let first = w.recv().await;
    assert_eq!(first["content"], "Rayl", "{first}");
    started
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_replays_a_reply_in_progress_then_streams_it_live() {
    let rig = Rig::start().await;
    rig.fake.script(held_reply());
    let mut writer = rig.local().await;
    let started = start_held(&mut writer).await;
    let mut watcher = rig.local().await;
    let attached = watcher
        .call(json!({"type": "attach", "id": "5", "conversation": started["conversation"]}))
        .await;
    assert_eq!(attached["type"], "attached");
    assert_eq!(attached["generating"], started["assistant_message"]);
    let replay = watcher.recv().await;
    assert_eq!(replay["type"], "replay", "{replay}");
    assert_eq!(
        (&replay["message"], &replay["model"]),
        (&started["assistant_message"], &json!("llama3.2:latest"))
    );
    rig.fake.release();
    let mut frames = vec![replay];
    frames.extend(watcher.until("5", "done").await);
    assert_eq!(text(&frames), "Rayleigh");
    assert_eq!(last(&frames)["status"], "complete");
    // With nothing generating, `attached` has no `generating` and nothing follows it.
    let idle = watcher
        .call(json!({"type": "attach", "id": "6", "conversation": started["conversation"]}))
        .await;
    assert!(idle.get("generating").is_none(), "{idle}");
    let next = watcher.call(json!({"type": "ping", "id": "p"})).await;
    assert_eq!(next["type"], "pong");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_answers_ok_and_every_watcher_gets_done_cancelled_even_with_nothing_running() {
    let rig = Rig::start().await;
    rig.fake.script(held_reply());
    let mut writer = rig.local().await;
    let started = start_held(&mut writer).await;
    let mut watcher = rig.local().await;
    watcher
        .call(json!({"type": "attach", "id": "a", "conversation": started["conversation"]}))
        .await;
    let mut canceller = rig.local().await;
    let cancel = json!({"type": "cancel", "id": "4", "conversation": started["conversation"]});
    assert_eq!(canceller.call(cancel.clone()).await["type"], "ok");
    assert_eq!(
        last(&writer.until("c", "done").await)["status"],
        "cancelled"
    );
    assert_eq!(
        last(&watcher.until("a", "done").await)["status"],
        "cancelled"
    );
    rig.fake
        .wait_for("the request to Ollama is closed", |s| s.hangups == 1)
        .await;
    assert_eq!(
        canceller.call(cancel).await["type"],
        "ok",
        "nothing running is still ok"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_conversation_mid_reply_cancels_the_reply_for_its_watchers() {
    let rig = Rig::start().await;
    rig.fake.script(held_reply());
    let mut writer = rig.local().await;
    let started = start_held(&mut writer).await;
    let mut other = rig.local().await;
    let deleted = other
        .call(json!({"type": "delete_conversation", "id": "9", "conversation": started["conversation"]}))
        .await;
    assert_eq!(deleted["type"], "ok");
    assert_eq!(
        last(&writer.until("c", "done").await)["status"],
        "cancelled"
    );
    let gone = other
        .call(
            json!({"type": "get_conversation", "id": "g", "conversation": started["conversation"]}),
        )
        .await;
    assert_eq!(gone["code"], "not_found");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_generations_shows_your_replies_in_progress_and_no_one_elses() {
    let rig = Rig::with(&[("ann", "chat")], |_| {}).await;
    rig.fake.script(held_reply());
    let mut writer = rig.local().await;
    let started = start_held(&mut writer).await;
    let mine = writer
        .call(json!({"type": "list_generations", "id": "15"}))
        .await;
    assert_eq!(mine["type"], "generations");
    let item = &mine["items"][0];
    assert_eq!(item["conversation"], started["conversation"]);
    assert_eq!(item["message"], started["assistant_message"]);
    assert_eq!(item["model"], "llama3.2:latest");
    assert_eq!(item["state"], "generating", "{item}");
    assert_eq!(item["output_tokens"], 1);
    assert!(item["started_at_ms"].as_i64().is_some());
    let mut other = rig.remote("ann").await;
    let theirs = other
        .call(json!({"type": "list_generations", "id": "16"}))
        .await;
    assert_eq!(theirs["items"], json!([]));
    rig.fake.release();
    writer.until("c", "done").await;
    let after = writer
        .call(json!({"type": "list_generations", "id": "17"}))
        .await;
    assert_eq!(after["items"], json!([]));
    rig.stop().await;
}
