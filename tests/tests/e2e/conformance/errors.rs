//! PROTOCOL.md § Errors.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::wire::{chat, conversation, last};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_has_a_stable_code_and_a_message_and_never_closes_the_connection() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    for (request, code) in [
        (
            json!({"type": "get_conversation", "id": "1", "conversation": "ffffffffffffffffffffffffffffffff"}),
            "not_found",
        ),
        (json!({"type": "chat", "id": "3"}), "invalid_request"),
        (
            json!({"type": "chat", "id": "4", "content": "hi", "model": "nosuch"}),
            "model_not_found",
        ),
    ] {
        let answer = w.call(request).await;
        assert_eq!(answer["type"], "error");
        assert_eq!(answer["code"], code, "{answer}");
        assert!(
            !answer["message"].as_str().unwrap_or("").is_empty(),
            "a message for people: {answer}"
        );
    }
    assert_eq!(
        w.call(json!({"type": "ping", "id": "p"})).await["type"],
        "pong"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_turn_whose_reply_fails_ends_in_done_with_the_error_body() {
    let rig = Rig::start().await;
    rig.fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "half a", false).into_bytes()),
        Part::Bytes(b"{\"error\":\"model runner crashed\"}\n".to_vec()),
    ]));
    let mut w = rig.local().await;
    let frames = w.chat(chat("c", "go")).await;
    assert_eq!(frames[0]["type"], "chat_started");
    let done = last(&frames);
    assert_eq!(done["status"], "error", "{done}");
    assert_eq!(done["error"]["code"], "backend_error", "{done}");
    assert!(done["error"]["message"].is_string(), "{done}");
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": conversation(&frames)}))
        .await;
    let messages = got["messages"].as_array().expect("messages");
    assert_eq!(
        messages[0]["content"], "go",
        "the user's message stays stored"
    );
    assert_eq!(messages[1]["content"], "half a", "what came is kept");
    assert_eq!(messages[1]["error_code"], "backend_error", "{got}");
    rig.stop().await;
}
