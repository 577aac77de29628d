//! PROTOCOL.md § chat → chat_started, delta…, done.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line, reply};
use chinwag_tests::wire::{Wire, chat, conversation, last, text};
use serde_json::{Value, json};

/// The messages `get_conversation` returns for `id`.
async fn messages(w: &mut Wire, id: &str) -> Vec<Value> {
    let got = w
        .call(json!({"type": "get_conversation", "id": "get", "conversation": id}))
        .await;
    got["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_streams_chat_started_then_deltas_then_done_with_stats() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    let frames = w.chat(chat("2", "why is the sky blue?")).await;
    let started = &frames[0];
    assert_eq!(started["type"], "chat_started");
    assert_eq!(started["resumed"], false);
    for key in ["conversation", "user_message", "assistant_message", "model"] {
        assert!(started[key].is_string(), "{key} in {started}");
    }
    assert_eq!(text(&frames), "Hello from the fake.");
    for d in frames.iter().filter(|f| f["type"] == "delta") {
        assert_eq!(d["message"], started["assistant_message"]);
        assert_eq!(d["conversation"], started["conversation"]);
    }
    let done = last(&frames);
    assert_eq!(
        (&done["status"], &done["done_reason"]),
        (&json!("complete"), &json!("stop"))
    );
    let stats = &done["stats"];
    assert_eq!(
        (&stats["prompt_tokens"], &stats["completion_tokens"]),
        (&json!(26), &json!(282))
    );
    assert!(stats["tokens_per_second"].as_f64().is_some_and(|t| t > 0.0));
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_started_is_the_acknowledgement_and_a_reply_in_progress_is_streaming() {
    let rig = Rig::start().await;
    rig.fake.script(Script::Stream(vec![
        Part::Gate,
        Part::Bytes(line("llama3.2", "late", true).into_bytes()),
    ]));
    let mut w = rig.local().await;
    w.send(chat("c", "stored first")).await;
    let started = w.recv().await;
    assert_eq!(started["type"], "chat_started");
    let id = started["conversation"].as_str().expect("id");
    // Another client already sees the message, and the reply as `streaming`.
    let mut other = rig.local().await;
    let stored = messages(&mut other, id).await;
    assert_eq!(stored[0]["content"], "stored first");
    assert_eq!(stored[1]["status"], "streaming", "{stored:?}");
    rig.fake.release();
    assert_eq!(last(&w.until("c", "done").await)["status"], "complete");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_and_system_stay_with_the_conversation_and_names_are_stored_normalised() {
    let rig = Rig::start().await;
    rig.fake.state().models.push("qwen2.5".into());
    let mut w = rig.local().await;
    let first = w
        .chat(
            json!({"type": "chat", "id": "1", "model": "QWEN2.5", "content": "a",
                     "options": {"system": "be brief"}}),
        )
        .await;
    assert_eq!(
        first[0]["model"], "qwen2.5:latest",
        "read as Ollama reads it"
    );
    let id = conversation(&first);
    let second = w
        .chat(json!({"type": "chat", "id": "2", "conversation": id, "content": "b"}))
        .await;
    assert_eq!(second[0]["model"], "qwen2.5:latest", "the model stayed");
    let sent = rig.fake.chats();
    let to_ollama = sent.last().expect("a request");
    assert_eq!(to_ollama["model"], "qwen2.5:latest");
    assert_eq!(
        to_ollama["messages"][0],
        json!({"role": "system", "content": "be brief"}),
        "the system prompt stayed"
    );
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": id}))
        .await;
    assert_eq!(got["system"], "be brief");
    assert_eq!(got["conversation"]["model"], "qwen2.5:latest");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_the_daemon_uses_the_default_else_the_last_used_else_ollamas_newest() {
    let rig = Rig::start().await;
    rig.fake.state().models.push("qwen2.5".into());
    let mut w = rig.local().await;
    let bare = |id: &str| json!({"type": "chat", "id": id, "content": "hi"});
    // The fake lists llama3.2 as its newest.
    assert_eq!(w.chat(bare("1")).await[0]["model"], "llama3.2:latest");
    let chose = w
        .chat(json!({"type": "chat", "id": "2", "model": "qwen2.5", "content": "hi"}))
        .await;
    assert_eq!(chose[0]["model"], "qwen2.5:latest");
    assert_eq!(
        w.chat(bare("3")).await[0]["model"],
        "qwen2.5:latest",
        "the last used"
    );
    rig.stop().await;
    let configured = Rig::with(&[], |c| c.default_model = Some("llama3.2".into())).await;
    configured.fake.state().models.push("qwen2.5".into());
    let mut w = configured.local().await;
    w.chat(json!({"type": "chat", "id": "1", "model": "qwen2.5", "content": "hi"}))
        .await;
    assert_eq!(
        w.chat(bare("2")).await[0]["model"],
        "llama3.2:latest",
        "the configured default wins"
    );
    configured.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_or_an_unreachable_ollama_is_an_error_frame_that_stores_nothing() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    let unknown = w
        .call(json!({"type": "chat", "id": "1", "model": "llama3.3", "content": "hi"}))
        .await;
    assert_eq!(unknown["code"], "model_not_found", "{unknown}");
    assert!(
        unknown["message"]
            .as_str()
            .is_some_and(|m| m.contains("llama3.2")),
        "names the closest: {unknown}"
    );
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["items"], json!([]));
    rig.stop().await;

    let down = Rig::with(&[], |c| {
        c.ollama = chinwagd::ollama::parse_ollama_host("127.0.0.1:1");
    })
    .await;
    let mut w = down.local().await;
    let unreachable = w.call(chat("1", "hi")).await;
    assert_eq!(unreachable["code"], "backend_unavailable", "{unreachable}");
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["items"], json!([]));
    down.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_first_token_is_slow_watchers_get_one_loading() {
    let rig = Rig::with(&[], |c| {
        c.timeouts.loading_notice = std::time::Duration::from_millis(20);
    })
    .await;
    rig.fake.script(Script::Stream(vec![
        Part::Gate,
        Part::Bytes(line("llama3.2", "warm", true).into_bytes()),
    ]));
    let mut w = rig.local().await;
    w.send(chat("c", "cold start")).await;
    let started = w.recv().await;
    let loading = w.recv().await;
    assert_eq!(loading["type"], "loading", "{loading}");
    assert_eq!(loading["message"], started["assistant_message"]);
    assert_eq!(loading["model"], "llama3.2:latest");
    rig.fake.release();
    let rest = w.until("c", "done").await;
    assert_eq!(
        rest.iter().filter(|f| f["type"] == "loading").count(),
        0,
        "one loading only"
    );
    assert_eq!(text(&rest), "warm", "a final chunk's content is kept");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_over_the_limit_is_message_too_large_stores_nothing_and_keeps_the_socket() {
    let rig = Rig::with(&[], |c| c.max_content_chars = 10).await;
    let mut w = rig.local().await;
    let answer = w.call(chat("1", "eleven char")).await;
    assert_eq!(answer["code"], "message_too_large", "{answer}");
    // Characters, not bytes: ten of them in 30 bytes pass.
    let fits = w.chat(chat("2", "ééééééééé€")).await;
    assert_eq!(last(&fits)["status"], "complete");
    let list = w
        .call(json!({"type": "list_conversations", "id": "l"}))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_keys_reach_the_model_unknown_ones_are_ignored_and_the_last_turns_come_back() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    let options = json!({"system": "terse", "temperature": 0.5, "top_p": 0.25, "seed": 42,
        "num_predict": 128, "num_ctx": 8192, "stop": ["END"], "keep_alive": "5m",
        "mirostat": 2});
    let frames = w
        .chat(
            json!({"type": "chat", "id": "1", "model": "llama3.2", "content": "a",
                     "options": options}),
        )
        .await;
    assert_eq!(
        last(&frames)["status"],
        "complete",
        "an unknown key is ignored"
    );
    let sent = rig.fake.chats().pop().expect("a request");
    assert_eq!(sent["keep_alive"], "5m");
    let o = &sent["options"];
    assert_eq!(
        (&o["temperature"], &o["seed"], &o["num_ctx"], &o["stop"]),
        (&json!(0.5), &json!(42), &json!(8192), &json!(["END"]))
    );
    assert!(o.get("mirostat").is_none(), "{o}");
    let got = w
        .call(json!({"type": "get_conversation", "id": "g", "conversation": conversation(&frames)}))
        .await;
    assert_eq!(got["options"]["temperature"], 0.5, "{got}");
    assert!(got["options"].get("system").is_none(), "system comes apart");
    assert_eq!(got["system"], "terse");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_with_the_same_key_is_not_stored_again_and_other_words_are_a_conflict() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    let request = json!({"type": "chat", "id": "1", "model": "llama3.2", "content": "once",
                         "idempotency_key": "k-1"});
    let first = w.chat(request.clone()).await;
    let again = w.chat(request).await;
    assert_eq!(again[0]["resumed"], true);
    for key in ["conversation", "user_message", "assistant_message"] {
        assert_eq!(again[0][key], first[0][key], "{key}");
    }
    assert_eq!(
        text(&again),
        "Hello from the fake.",
        "the reply is replayed"
    );
    assert_eq!(last(&again)["status"], "complete", "the stored done");
    let other = w
        .call(
            json!({"type": "chat", "id": "2", "model": "llama3.2", "content": "twice",
                     "idempotency_key": "k-1"}),
        )
        .await;
    assert_eq!(other["code"], "conflict", "{other}");
    assert_eq!(messages(&mut w, &conversation(&first)).await.len(), 2);
    assert_eq!(rig.fake.chats().len(), 1, "the model was asked once");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_that_failed_before_any_text_is_retried_with_a_new_key_without_storing_it_twice() {
    let rig = Rig::start().await;
    rig.fake
        .script(Script::Status(500, json!({"error": "out of memory"})));
    let mut w = rig.local().await;
    let failed = w
        .chat(
            json!({"type": "chat", "id": "1", "model": "llama3.2", "content": "again?",
                     "idempotency_key": "a"}),
        )
        .await;
    assert_eq!(last(&failed)["status"], "error", "{}", last(&failed));
    let id = conversation(&failed);
    let retried = w
        .chat(
            json!({"type": "chat", "id": "2", "model": "llama3.2", "content": "again?",
                     "conversation": id, "idempotency_key": "b"}),
        )
        .await;
    assert_eq!(last(&retried)["status"], "complete");
    let stored = messages(&mut w, &id).await;
    let contents: Vec<&str> = stored
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["again?", "Hello from the fake."]);
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_chat_while_a_reply_is_generated_there_is_a_conflict() {
    let rig = Rig::start().await;
    rig.fake.script(Script::Stream(vec![
        Part::Gate,
        Part::Bytes(line("llama3.2", "done", true).into_bytes()),
    ]));
    let mut w = rig.local().await;
    w.send(chat("1", "first")).await;
    let started = w.recv().await;
    let busy = w
        .call(json!({"type": "chat", "id": "2", "content": "second",
                     "conversation": started["conversation"]}))
        .await;
    assert_eq!(busy["code"], "conflict", "{busy}");
    rig.fake.release();
    w.until("1", "done").await;
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_from_swaps_a_turn_and_all_after_it_in_one_commit_and_a_wrong_id_changes_nothing() {
    let rig = Rig::start().await;
    rig.fake.script(reply("llama3.2", &["first answer"]));
    rig.fake.script(reply("llama3.2", &["second answer"]));
    rig.fake.script(reply("llama3.2", &["better answer"]));
    let mut w = rig.local().await;
    let one = w.chat(chat("1", "q1")).await;
    let id = conversation(&one);
    let two = w
        .chat(json!({"type": "chat", "id": "2", "conversation": id, "content": "q2"}))
        .await;
    let wrong = w
        .call(
            json!({"type": "chat", "id": "3", "conversation": id, "content": "x",
                     "replace_from": one[0]["assistant_message"]}),
        )
        .await;
    assert_eq!(wrong["code"], "not_found", "not a user message: {wrong}");
    assert_eq!(messages(&mut w, &id).await.len(), 4, "nothing changed");
    let edited = w
        .chat(
            json!({"type": "chat", "id": "4", "conversation": id, "content": "q2, better",
                     "replace_from": two[0]["user_message"]}),
        )
        .await;
    assert_eq!(last(&edited)["status"], "complete");
    let stored = messages(&mut w, &id).await;
    let contents: Vec<&str> = stored
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(
        contents,
        ["q1", "first answer", "q2, better", "better answer"]
    );
    rig.stop().await;
}
