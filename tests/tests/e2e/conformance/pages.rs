//! PROTOCOL.md § list_conversations, § get_conversation, § history, § get_message_text, and
//! § rename_conversation, delete_conversation.

use super::Rig;
use chinwag_tests::fake_ollama::long_reply;
use chinwag_tests::wire::{Wire, chat, conversation};
use serde_json::{Value, json};

/// Every item of every page, following `next_cursor`.
async fn all_pages(w: &mut Wire, limit: Option<u64>) -> (Vec<Value>, Vec<usize>) {
    let (mut items, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None::<Value>);
    loop {
        let mut request = json!({"type": "list_conversations", "id": "l"});
        if let Some(l) = limit {
            request["limit"] = json!(l);
        }
        if let Some(c) = &cursor {
            request["cursor"] = c.clone();
        }
        let page = w.call(request).await;
        let got = page["items"].as_array().expect("items").clone();
        sizes.push(got.len());
        items.extend(got);
        match page.get("next_cursor") {
            Some(Value::String(c)) => cursor = Some(json!(c)),
            None | Some(Value::Null) => return (items, sizes),
            Some(other) => panic!("a cursor is a string: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_list_newest_first_in_pages_of_50_and_the_last_page_has_no_cursor() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    for i in 0..51 {
        w.chat(chat(&format!("c{i}"), &format!("topic {i}"))).await;
    }
    let (items, sizes) = all_pages(&mut w, None).await;
    assert_eq!(sizes, [50, 1], "default limit 50");
    let times: Vec<i64> = items
        .iter()
        .map(|c| c["updated_at_ms"].as_i64().expect("time"))
        .collect();
    assert!(times.windows(2).all(|p| p[0] >= p[1]), "newest first");
    assert_eq!(items[0]["title"], "topic 50");
    assert_eq!(items[0]["message_count"], 2);
    let mut ids: Vec<&str> = items.iter().filter_map(|c| c["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 51, "no repeats, no gaps");
    let (_, sizes) = all_pages(&mut w, Some(20)).await;
    assert_eq!(sizes, [20, 20, 11]);
    let by_offset = w
        .call(json!({"type": "list_conversations", "id": "o", "limit": 10, "offset": 45}))
        .await;
    assert_eq!(by_offset["items"].as_array().map(Vec::len), Some(6));
    let zero = w
        .call(json!({"type": "list_conversations", "id": "z", "limit": 0}))
        .await;
    assert_eq!(zero["code"], "invalid_request");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_comes_newest_first_by_size_and_history_pages_back() {
    let rig = Rig::start().await;
    let piece = "a".repeat(50 * 1024);
    rig.fake.script(long_reply("llama3.2", &piece, 4));
    rig.fake.script(long_reply("llama3.2", &piece, 4));
    let mut w = rig.local().await;
    let id = conversation(&w.chat(chat("1", "first")).await);
    w.chat(json!({"type": "chat", "id": "2", "conversation": id, "content": "second"}))
        .await;
    // Two 200 KiB replies do not fit one page of about 256 KiB: the newest turn comes.
    let got = w
        .call(json!({"type": "get_conversation", "id": "7", "conversation": id}))
        .await;
    assert_eq!(got["has_more"], true, "{}", got["has_more"]);
    let page = got["messages"].as_array().expect("messages");
    assert!(got.to_string().len() <= 300 * 1024);
    assert_eq!(page.last().expect("newest")["role"], "assistant");
    let oldest_here = &page[0]["id"];
    let older = w
        .call(json!({"type": "history", "id": "10", "conversation": id, "before": oldest_here}))
        .await;
    assert_eq!(older["type"], "messages", "{older}");
    let older_items = older["items"].as_array().expect("items");
    assert_eq!(older_items[0]["content"], "first", "oldest first");
    assert_eq!(
        page.len() + older_items.len(),
        4,
        "together, the whole conversation"
    );
    let one = w
        .call(json!({"type": "history", "id": "11", "conversation": id, "limit": 1}))
        .await;
    assert_eq!(
        (one["items"].as_array().map(Vec::len), &one["has_more"]),
        (Some(1), &json!(true))
    );
    let zero = w
        .call(json!({"type": "history", "id": "12", "conversation": id, "limit": 0}))
        .await;
    assert_eq!(zero["code"], "invalid_request");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_too_big_for_a_page_is_truncated_and_read_whole_in_slices() {
    let rig = Rig::start().await;
    // 320 KiB of two-byte characters.
    let piece = "é".repeat(32 * 1024);
    rig.fake.script(long_reply("llama3.2", &piece, 5));
    let mut w = rig.local().await;
    let id = conversation(&w.chat(chat("1", "long")).await);
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": id}))
        .await;
    let big = &got["messages"][1];
    assert_eq!(big["truncated"], true, "{}", big["truncated"]);
    let start = big["content"].as_str().expect("content");
    assert!(start.len() <= 64 * 1024 && !start.is_empty());
    let message = big["id"].clone();
    let (mut whole, mut offset) = (String::new(), 0u64);
    loop {
        let slice = w
            .call(
                json!({"type": "get_message_text", "id": "16", "message": message,
                         "part": "content", "offset": offset}),
            )
            .await;
        assert_eq!(slice["type"], "message_text", "{slice}");
        let text = slice["text"].as_str().expect("text");
        assert!(text.len() <= 64 * 1024);
        whole.push_str(text);
        offset += text.len() as u64;
        if offset >= slice["total_bytes"].as_u64().expect("total") {
            break;
        }
    }
    assert_eq!(whole, piece.repeat(5));
    let inside = w
        .call(json!({"type": "get_message_text", "id": "17", "message": message, "offset": 1}))
        .await;
    assert_eq!(inside["code"], "invalid_request", "inside a character");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_delete_answer_ok_and_another_users_conversation_is_not_found() {
    let rig = Rig::with(&[("bob", "chat")], |_| {}).await;
    let mut w = rig.local().await;
    let frames = w.chat(chat("1", "mine")).await;
    let id = conversation(&frames);
    let message = frames[0]["assistant_message"].clone();
    let mut bob = rig.remote("bob").await;
    for request in [
        json!({"type": "rename_conversation", "id": "8", "conversation": id, "title": "Bob's"}),
        json!({"type": "delete_conversation", "id": "9", "conversation": id}),
        json!({"type": "get_conversation", "id": "7", "conversation": id}),
        json!({"type": "get_message_text", "id": "16", "message": message}),
    ] {
        let answer = bob.call(request).await;
        assert_eq!(answer["code"], "not_found", "{answer}");
    }
    let renamed = w
        .call(json!({"type": "rename_conversation", "id": "8", "conversation": id, "title": "Sky"}))
        .await;
    assert_eq!(renamed["type"], "ok");
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": id}))
        .await;
    assert_eq!(got["conversation"]["title"], "Sky");
    let deleted = w
        .call(json!({"type": "delete_conversation", "id": "9", "conversation": id}))
        .await;
    assert_eq!(deleted["type"], "ok");
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["items"], json!([]));
    rig.stop().await;
}
