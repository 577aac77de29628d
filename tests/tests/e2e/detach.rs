//! What only a daemon can do, from the command line: `ask --detach` returns at once with the
//! conversation's id while the reply goes on, `ps` lists it with its state, and `attach`
//! follows it from another process to its end.

use crate::cli::{Cleanup, chinwag, run, text};
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line};
use serde_json::Value;
use std::process::Stdio;
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_then_ps_then_attach_from_another_process() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "Rayl", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", "eigh", true).into_bytes()),
    ]));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "--detach", "why is the sky blue?"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_string();
    assert_eq!(id.len(), 32, "a conversation id: {id:?}");

    // The reply is still held by the fake: `ps` shows it, started or generating.
    fake.wait_for("the first chunk is sent", |s| !s.requests.is_empty())
        .await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ps", "--json"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let ps: Value = serde_json::from_slice(&out.stdout).expect("ps --json");
    assert_eq!(ps[0]["conversation"], id.as_str(), "{ps}");
    assert_eq!(ps[0]["model"], "llama3.2:latest");
    assert!(
        ["starting", "generating"].contains(&ps[0]["state"].as_str().unwrap_or("")),
        "{ps}"
    );

    // `attach` with no id follows the newest reply: what came, then the rest.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.arg("attach").stdout(Stdio::piped());
    let mut child = cmd.spawn().expect("attach");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Rayl") {
        let n = stdout.read(&mut buf).await.expect("read attach");
        assert!(
            n > 0,
            "attach ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    fake.release();
    stdout.read_to_end(&mut seen).await.expect("the rest");
    let status = child.wait().await.expect("attach ends");
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&seen), "Rayleigh\n");

    // Nothing generating now.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ps", "--json"]);
    let out = run(cmd, None).await;
    assert_eq!(text(&out.stdout).trim(), "[]");
}
