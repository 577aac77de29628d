//! The bad inputs of this protocol's newer requests, through the wire alone: each is an
//! `error` with its code, stores nothing, and leaves the connection usable.

use super::Rig;
use chinwagd::backend::{BackendConfig, BackendKind};
use serde_json::{Value, json};

async fn code_of(w: &mut chinwag_tests::wire::Wire, request: Value) -> String {
    let answer = w.call(request).await;
    assert_eq!(answer["type"], "error", "{answer}");
    answer["code"].as_str().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_pull_ephemeral_and_attachments_refuse_what_they_cannot_take() {
    let rig = Rig::with(&[("ann", "chat")], |c| {
        let lan = BackendConfig {
            kind: BackendKind::OpenAi,
            url: "http://127.0.0.1:9/v1".into(),
            api_key_env: None,
        };
        c.backends.insert("lan".into(), lan);
    })
    .await;
    let mut w = rig.local().await;
    let first = w
        .chat(json!({"type": "chat", "id": "1", "model": "llama3.2", "content": "hi"}))
        .await;
    let conv = first[0]["conversation"].clone();

    // approve: `timeout` is the daemon's word, not an answer; nothing waits in the
    // conversation; a conversation that is not there.
    let timeout = json!({"type": "approve", "id": "2", "conversation": conv, "call": "1",
                         "decision": "timeout"});
    assert_eq!(code_of(&mut w, timeout).await, "invalid_request");
    let nothing = json!({"type": "approve", "id": "3", "conversation": conv, "call": "1",
                         "decision": "once"});
    assert_eq!(code_of(&mut w, nothing).await, "not_found");
    let elsewhere = json!({"type": "approve", "id": "4", "conversation": "ffffffffffff",
                           "call": "1", "decision": "deny"});
    assert_eq!(code_of(&mut w, elsewhere).await, "not_found");

    // ephemeral only starts conversations.
    let going_on = json!({"type": "chat", "id": "5", "model": "llama3.2", "content": "more",
                          "conversation": conv, "ephemeral": true});
    assert_eq!(code_of(&mut w, going_on).await, "invalid_request");

    // An attachment of a kind there is not, and one without its contents.
    let video = json!({"type": "chat", "id": "6", "model": "llama3.2", "content": "look",
                       "attachments": [{"name": "a.mp4", "kind": "video", "data": "AAAA"}]});
    let code = code_of(&mut w, video).await;
    assert!(
        ["invalid_request", "invalid_json"].contains(&code.as_str()),
        "{code}"
    );
    let empty = json!({"type": "chat", "id": "7", "model": "llama3.2", "content": "look",
                       "attachments": [{"name": "a.txt", "kind": "text"}]});
    assert_eq!(code_of(&mut w, empty).await, "invalid_request");

    // pull: a name of another backend; no name.
    let other = json!({"type": "pull", "id": "8", "model": "lan:qwen2.5"});
    assert_eq!(code_of(&mut w, other).await, "invalid_request");
    let blank = json!({"type": "pull", "id": "9", "model": " "});
    assert_eq!(code_of(&mut w, blank).await, "invalid_request");

    // Over TCP, pull needs the admin scope.
    let mut ann = rig.remote("ann").await;
    let pull = json!({"type": "pull", "id": "10", "model": "qwen2.5"});
    assert_eq!(code_of(&mut ann, pull).await, "forbidden");

    // Nothing above stored anything or asked Ollama to pull; the connection still works.
    let list = w
        .call(json!({"type": "list_conversations", "id": "11"}))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert!(
        !rig.fake
            .state()
            .requests
            .iter()
            .any(|r| r.path == "/api/pull"),
        "no pull reached Ollama"
    );
    let pong = w.call(json!({"type": "ping", "id": "12"})).await;
    assert_eq!(pong["type"], "pong");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_that_goes_silent_ends_in_backend_timeout() {
    let rig = Rig::with(&[], |c| {
        c.timeouts.between_tokens = std::time::Duration::from_millis(300);
    })
    .await;
    rig.fake.state().pull_stalls = true;
    let mut w = rig.local().await;
    let frames = w
        .until_send(json!({"type": "pull", "id": "1", "model": "slow"}), "error")
        .await;
    assert_eq!(frames[0]["status"], "pulling manifest", "{frames:?}");
    let end = frames.last().expect("the error");
    assert_eq!(end["code"], "backend_timeout", "{end}");
    rig.fake.release();
    let pong = w.call(json!({"type": "ping", "id": "2"})).await;
    assert_eq!(pong["type"], "pong");
    rig.stop().await;
}
