//! PROTOCOL.md § hello → hello, § list_models → models; list_bots → bots, § status → status,
//! § ping → pong, § reload → reloaded; shutdown → ok, and the chat section's shutdown rule.

use super::Rig;
use chinwag_tests::fake_ollama::{Part, Script, line};
use chinwag_tests::wire::{Ended, Wire, chat, last};
use chinwagd::config::{Dirs, Overrides};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_names_the_server_user_and_frame_limit_and_another_protocol_is_unsupported() {
    let rig = Rig::start().await;
    let mut w = Wire::unix(&rig.daemon.socket).await;
    let wrong = w
        .call(json!({"type": "hello", "id": "0", "protocol": 2}))
        .await;
    assert_eq!(wrong["code"], "unsupported_version", "{wrong}");
    let hello = w.hello().await;
    assert_eq!(hello["id"], "hello");
    assert_eq!(hello["protocol"], 1);
    assert!(
        hello["server"]
            .as_str()
            .is_some_and(|s| s.starts_with("chinwagd/"))
    );
    assert!(hello["user"].is_string());
    assert_eq!(hello["max_message_bytes"], 262_144);
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_come_with_their_details_and_bots_with_model_and_system() {
    let rig = Rig::with(&[], |c| {
        c.bots.insert(
            "coder".into(),
            chinwagd::config::BotConfig {
                model: Some("qwen2.5-coder".into()),
                system: Some("You review code.".into()),
                description: None,
                options: Default::default(),
                ..Default::default()
            },
        );
    })
    .await;
    let mut w = rig.local().await;
    let models = w.call(json!({"type": "list_models", "id": "12"})).await;
    let m = &models["models"][0];
    assert_eq!(
        (
            &m["name"],
            &m["family"],
            &m["parameter_size"],
            &m["quantization"]
        ),
        (
            &json!("llama3.2:latest"),
            &json!("llama"),
            &json!("3.2B"),
            &json!("Q4_K_M")
        ),
        "{models}"
    );
    assert_eq!(m["size_bytes"], 2_019_393_189u64);
    assert!(m["modified_at"].is_string());
    assert_eq!(m["capabilities"], json!(["completion", "tools"]));
    assert!(m.get("loaded").is_none(), "not loaded yet: {m}");
    assert_eq!(m["context_length"], 131_072);
    assert_eq!(models["default_model"], "llama3.2:latest");
    // Once Ollama holds it in memory, `loaded` says so.
    rig.fake.state().loaded.push("llama3.2".into());
    let models = w.call(json!({"type": "list_models", "id": "12b"})).await;
    assert_eq!(
        models["models"][0]["loaded"],
        json!({"size_vram": 3_825_819_519u64, "context_length": 4096,
               "expires_at": "2025-05-04T17:42:44.706015396-07:00"})
    );
    let bots = w.call(json!({"type": "list_bots", "id": "13"})).await;
    assert_eq!(
        bots["bots"][0],
        json!({"name": "coder", "model": "qwen2.5-coder", "system": "You review code."}),
        "{bots}"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_describes_the_daemon_and_the_callers_limits_and_ping_pongs() {
    // A budget of 60 output tokens a minute, which the fake's 282 overdraw.
    let rig = Rig::with(&[], |c| c.local_limits.output_tokens_per_minute = 60).await;
    let mut w = rig.local().await;
    let _second = rig.local().await;
    assert_eq!(
        w.call(json!({"type": "ping", "id": "15"})).await,
        json!({"type": "pong", "id": "15"})
    );
    w.chat(chat("c", "one")).await;
    let st = w.call(json!({"type": "status", "id": "14"})).await;
    assert_eq!(st["protocol"], 1);
    assert_eq!(
        st["pid"],
        std::process::id(),
        "the daemon runs in this test"
    );
    for key in ["version", "store_path"] {
        assert!(st[key].is_string(), "{key} in {st}");
    }
    assert!(st["uptime_ms"].is_u64());
    assert!(st["listening"].as_array().is_some_and(|l| l.len() == 2));
    assert_eq!(st["ollama"]["reachable"], true, "{}", st["ollama"]);
    assert_eq!(
        (&st["active_generations"], &st["connections"]),
        (&json!(0), &json!(2))
    );
    let limits = &st["limits"];
    assert_eq!(
        (
            &limits["messages_per_minute"],
            &limits["burst"],
            &limits["concurrent_generations"],
            &limits["output_tokens_per_minute"]
        ),
        (&json!(600), &json!(60), &json!(8), &json!(60)),
        "the local user's"
    );
    let left = limits["messages_left"].as_u64().expect("messages_left");
    assert!((58..=59).contains(&left), "one message spent: {left}");
    assert_eq!(limits["generating"], 0);
    assert_eq!(limits["output_tokens_left"], 0, "overdrawn");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_changes_what_it_can_in_place_lists_the_rest_and_refuses_a_broken_config() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("chinwagd.toml");
    std::fs::write(&file, "").expect("write");
    let rig = Rig::with(&[], |c| {
        let dirs = Dirs::all_in(dir.path());
        let flags = Overrides {
            config: Some(file.clone()),
            socket: Some(c.socket.clone()),
            listen: c.listen,
            database: Some(c.database.clone()),
            ollama_host: Some(c.ollama.to_string()),
            default_model: None,
        };
        c.source = Some((dirs, flags));
        // What a reload of the file gives back (the file cannot set the loading notice).
        c.timeouts.loading_notice = chinwagd::config::Timeouts::default().loading_notice;
        c.log_dir = dir.path().into();
    })
    .await;
    let mut w = rig.local().await;
    std::fs::write(
        &file,
        "log = \"warn\"\ndurability = \"full\"\n[timeouts]\nshutdown_grace_secs = 0\n\
         [bots.coder]\nmodel = \"llama3.2\"\n",
    )
    .expect("write");
    let reloaded = w.call(json!({"type": "reload", "id": "17"})).await;
    assert_eq!(reloaded["type"], "reloaded", "{reloaded}");
    assert_eq!(reloaded["changed"], json!(["bots"]));
    assert_eq!(reloaded["needs_restart"], json!(["durability"]));
    let bots = w.call(json!({"type": "list_bots", "id": "b"})).await;
    assert_eq!(bots["bots"][0]["name"], "coder");
    std::fs::write(&file, "[bots.coder]\nmodle = \"x\"\n").expect("write");
    let refused = w.call(json!({"type": "reload", "id": "18"})).await;
    assert_eq!(refused["code"], "invalid_request");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("modle")),
        "names the problem: {refused}"
    );
    let bots = w.call(json!({"type": "list_bots", "id": "b2"})).await;
    assert_eq!(bots["bots"][0]["name"], "coder", "the old config stays");
    assert_eq!(
        w.call(json!({"type": "ping", "id": "p"})).await["type"],
        "pong"
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_ok_sends_every_watcher_its_done_then_closes_with_1001() {
    let rig = Rig::start().await;
    rig.fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "cut ", false).into_bytes()),
        Part::Gate,
    ]));
    let mut writer = rig.local().await;
    writer.send(chat("c", "long one")).await;
    let started = writer.recv().await;
    assert_eq!(writer.recv().await["content"], "cut ");
    let mut watcher = rig.local().await;
    watcher
        .call(json!({"type": "attach", "id": "a", "conversation": started["conversation"]}))
        .await;
    let mut admin = rig.local().await;
    assert_eq!(
        admin.call(json!({"type": "shutdown", "id": "18"})).await,
        json!({"type": "ok", "id": "18"})
    );
    for (w, id) in [(&mut writer, "c"), (&mut watcher, "a")] {
        let done = last(&w.until(id, "done").await).clone();
        assert_eq!(
            (&done["status"], &done["error"]["code"]),
            (&json!("incomplete"), &json!("shutting_down")),
            "{done}"
        );
        assert_eq!(w.ended().await, Ended::Closed(1001));
    }
    assert_eq!(admin.ended().await, Ended::Closed(1001));
    rig.stop().await;
}
