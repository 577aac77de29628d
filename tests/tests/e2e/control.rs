//! Controlling the running daemon from the CLI: `chinwag daemon reload` (and SIGHUP) change
//! bots without dropping connections and refuse a broken config, keeping the old one;
//! `restart` and `stop` need no pid.

use chinwag_protocol::{ClientMsg, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{bin, isolated_env, isolated_socket, kill_autostarted, wait_until};
use std::path::Path;
use std::process::Output;

struct Cleanup<'a>(&'a Path);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        kill_autostarted(self.0);
    }
}

fn chinwag(dir: &Path, ollama: &str, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(bin("chinwag"));
    isolated_env(&mut cmd, dir, ollama);
    cmd.args(args).output().expect("run chinwag")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_config(dir: &Path, toml: &str) {
    let config = dir.join("config/chinwag");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("chinwagd.toml"), toml).expect("write config");
}

async fn bot_names(c: &mut TestClient) -> Vec<String> {
    match c.call(ClientMsg::ListBots { id: "b".into() }).await {
        ServerMsg::Bots { bots, .. } => bots.into_iter().map(|b| b.name).collect(),
        other => panic!("{other:?}"),
    }
}

async fn pid(c: &mut TestClient) -> u32 {
    c.status().await.pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_changes_bots_in_place_refuses_a_broken_config_and_restart_and_stop_need_no_pid() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path());
    let fake = FakeOllama::start().await;
    let host = fake.host();
    write_config(dir.path(), "default_model = \"llama3.2\"\n");
    let out = chinwag(dir.path(), &host, &["bots"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no bots configured"));
    let mut watcher = TestClient::connect(&isolated_socket(dir.path())).await;
    let first_pid = pid(&mut watcher).await;

    write_config(
        dir.path(),
        "default_model = \"llama3.2\"\n[bots.coder]\nmodel = \"qwen2.5-coder\"\n",
    );
    let out = chinwag(dir.path(), &host, &["daemon", "reload"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("reloaded: bots"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(bot_names(&mut watcher).await, ["coder"], "same connection");

    // A broken config is refused with the reason; the old one stays.
    write_config(dir.path(), "[bots.coder]\nmodle = \"typo\"\n");
    let out = chinwag(dir.path(), &host, &["daemon", "reload"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("modle") && stderr.contains("old one stays"),
        "{stderr}"
    );
    assert_eq!(bot_names(&mut watcher).await, ["coder"]);

    // SIGHUP reloads too.
    write_config(dir.path(), "[bots.coder]\n[bots.second]\n");
    let daemon_pid = rustix::process::Pid::from_raw(first_pid as i32).expect("pid");
    rustix::process::kill_process(daemon_pid, rustix::process::Signal::HUP).expect("SIGHUP");
    wait_until("SIGHUP reloads the bots", || {
        let socket = isolated_socket(dir.path());
        async move {
            let mut c = TestClient::connect(&socket).await;
            bot_names(&mut c).await == ["coder", "second"]
        }
    })
    .await;
    assert_eq!(
        pid(&mut watcher).await,
        first_pid,
        "same daemon, same connection"
    );

    // Restart: a new process; the old connection is closed.
    let out = chinwag(dir.path(), &host, &["daemon", "restart"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(watcher.recv_frame().await.is_none_or(|m| m.is_close()));
    let mut c = TestClient::connect(&isolated_socket(dir.path())).await;
    let second_pid = pid(&mut c).await;
    assert_ne!(second_pid, first_pid);
    drop(c);

    let out = chinwag(dir.path(), &host, &["daemon", "stop"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("pid {second_pid}")));
    let out = chinwag(dir.path(), &host, &["status", "--no-autostart"]);
    assert_eq!(out.status.code(), Some(3), "no daemon runs after stop");
    let out = chinwag(dir.path(), &host, &["daemon", "stop"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("no daemon was running"));
}
