//! The one-shot CLI as a user runs it: the built `chinwag` binary, autostarting its daemon,
//! against the fake Ollama. Output, stdin handling, `--json`, Ctrl-C, and every exit code.

use chinwag_protocol::{ClientMsg, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line, long_reply};
use chinwag_tests::harness::{bin, isolated_env, isolated_socket, kill_autostarted};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// Kills the daemon a test's `chinwag` autostarted, even when the test fails.
pub(crate) struct Cleanup(pub(crate) PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        kill_autostarted(&self.0);
    }
}

pub(crate) fn chinwag(dir: &Path, ollama: &str) -> Command {
    let mut std_cmd = std::process::Command::new(bin("chinwag"));
    isolated_env(&mut std_cmd, dir, ollama);
    let mut cmd = Command::from(std_cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

pub(crate) async fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn chinwag");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).await.expect("write stdin");
    }
    child.wait_with_output().await.expect("chinwag runs")
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_streams_the_reply_to_stdout_and_combines_stdin_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "review", "this"]);
    let out = run(cmd, Some("diff --git a/x b/x\n+hello\n")).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello from the fake.\n");
    let sent = &fake.chats()[0]["messages"];
    assert_eq!(
        sent[0]["content"],
        "diff --git a/x b/x\n+hello\n\nreview this"
    );

    // --continue sends the earlier turn back; --json prints one parseable event per line.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "--continue", "--json", "and more?"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(
        events.first().and_then(|e| e["type"].as_str()),
        Some("chat_started")
    );
    assert_eq!(events.last().and_then(|e| e["type"].as_str()), Some("done"));
    assert!(
        events.iter().all(|e| e.get("id").is_none()),
        "no protocol request ids in --json events"
    );
    assert_eq!(
        events.last().map(|e| e["status"].clone()),
        Some("complete".into())
    );
    let sent = fake.chats()[1]["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sent.len(), 3, "previous user + assistant + new: {sent:?}");
    assert_eq!(sent[1]["content"], "Hello from the fake.");

    // History: list, search and export see what was said.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "search", "fake"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("[fake]"),
        "{}",
        text(&out.stdout)
    );
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let out = run(cmd, None).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json list");
    let id = list[0]["id"].as_str().expect("an id").to_string();
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "export", &id[..8], "--format", "md"]);
    let out = run(cmd, None).await;
    let md = text(&out.stdout);
    assert!(
        md.contains("## You") && md.contains("and more?") && md.contains("Hello from the fake."),
        "{md}"
    );
    // -o x.json writes JSON (the extension decides), private to its owner.
    let file = dir.path().join("x.json");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "export", &id[..8], "-o"]).arg(&file);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).expect("written"))
        .expect("JSON, not Markdown");
    assert_eq!(json["messages"].as_array().map(Vec::len), Some(4));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_match_the_documentation() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "nope", "hi"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(6), "unknown model");
    assert!(
        text(&out.stderr).contains("ollama pull nope"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "nothing but the reply goes to stdout"
    );

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.arg("ask");
    let out = run(cmd, None).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing to ask is a usage error"
    );

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "--bogus-flag"]);
    assert_eq!(run(cmd, None).await.status.code(), Some(2));

    let down = tempfile::tempdir().expect("tmp");
    let _cleanup_down = Cleanup(down.path().to_path_buf());
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let mut cmd = chinwag(down.path(), &format!("127.0.0.1:{}", dead.port()));
    cmd.args(["ask", "hi"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(3), "Ollama down");
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot reach Ollama at") && err.contains("OLLAMA_HOST"),
        "{err}"
    );

    let mut cmd = chinwag(down.path(), &format!("127.0.0.1:{}", dead.port()));
    cmd.arg("status");
    assert_eq!(
        run(cmd, None).await.status.code(),
        Some(3),
        "status reports Ollama down"
    );

    let none = tempfile::tempdir().expect("tmp");
    let mut cmd = chinwag(none.path(), &fake.host());
    cmd.args(["--no-autostart", "status"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(3), "no daemon and no autostart");
    assert!(
        text(&out.stderr).contains("no chinwag daemon"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_generation_on_the_daemon_and_exits_130() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "first words", false).into_bytes()),
        Part::Gate,
    ]));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "go on and on"]);
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    while !text(&seen).contains("first words") {
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(std::time::Duration::from_secs(20), stdout.read(&mut buf))
            .await
            .expect("reply starts")
            .expect("read");
        assert!(n > 0, "stdout closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let status = chinwag_tests::harness::interrupt(&mut child).await;
    assert_eq!(status.code(), Some(130));
    fake.wait_for("the daemon to close Ollama's stream", |s| s.hangups == 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_far_bigger_than_a_frame_opens_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    // 1.9 MB of two-byte characters in one reply, then four replies of 100 KB.
    let wide = "é".repeat(32 * 1024);
    fake.script(long_reply("llama3.2", &wide, 30));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "write a lot"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout.len(), 30 * wide.len() + 1, "streamed whole");
    for n in 0..4u8 {
        let piece = char::from(b'a' + n).to_string().repeat(100 * 1024);
        fake.script(long_reply("llama3.2", &piece, 1));
        let mut cmd = chinwag(dir.path(), &fake.host());
        cmd.args(["ask", "-c", "more"]);
        let out = run(cmd, None).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }

    // On the wire: the first page is cut to fit, and says so.
    let mut c = TestClient::connect(&isolated_socket(dir.path())).await;
    let id = c.conversations().await[0].id.clone();
    let reply = c
        .call(ClientMsg::GetConversation {
            id: "g".into(),
            conversation: id.clone(),
        })
        .await;
    let ServerMsg::Conversation {
        messages, has_more, ..
    } = reply
    else {
        panic!("{reply:?}")
    };
    assert!(has_more, "older messages are left for `history`");
    assert!(messages.len() < 10);

    // The client reassembles every byte, for people and for scripts.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "export", &id.0, "--format", "json"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let full: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        full.get("id").is_none(),
        "no protocol request id in the export"
    );
    let msgs = full["messages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 10);
    assert_eq!(msgs[1]["content"].as_str(), Some(wide.repeat(30).as_str()));
    assert!(msgs.iter().all(|m| m.get("truncated").is_none()));
    assert_eq!(msgs[9]["content"].as_str().map(str::len), Some(100 * 1024));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "show", &id.0[..8]]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&wide.repeat(30)));
}

/// Copies `from` → `to`, showing `watch` everything copied so far; stops when it says so.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut watch: impl FnMut(&[u8]) -> bool,
) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if !watch(&seen) {
            return;
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_resumes_through_a_proxy_that_cuts_the_connection_mid_reply() {
    use chinwag_tests::harness::{TestDaemon, test_config};
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let words: Vec<String> = (0..61).map(|i| format!(" w{i}")).collect();
    let mut parts: Vec<Part> = words[..20]
        .iter()
        .map(|w| Part::Bytes(line("llama3.2", w, false).into_bytes()))
        .collect();
    parts.push(Part::Gate);
    parts.extend(
        words[20..]
            .iter()
            .map(|w| Part::Bytes(line("llama3.2", w, false).into_bytes())),
    );
    parts.push(Part::Bytes(line("llama3.2", "", true).into_bytes()));
    fake.script(Script::Stream(parts));
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let token = chinwag_tests::harness::make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let upstream = daemon.tcp.expect("tcp listener");

    // The proxy cuts its first connection once the 20th word has passed through it; later
    // connections pass whole, and the gate opens once the daemon has answered the resend.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let proxy_addr = proxy.local_addr().expect("addr");
    let gate = fake.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = proxy.accept().await {
            let server = tokio::net::TcpStream::connect(upstream)
                .await
                .expect("reach the daemon");
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let cut = first;
            first = false;
            let gate = gate.clone();
            tokio::spawn(async move {
                let mut released = false;
                let down = pump(sr, cw, move |seen| {
                    if cut {
                        return !contains(seen, " w19");
                    }
                    if !released && contains(seen, "\"resumed\":true") {
                        released = true;
                        gate.release();
                    }
                    true
                });
                tokio::select! {
                    _ = down => {}
                    _ = pump(cr, sw, |_| true) => {}
                }
            });
        }
    });

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.env("CHINWAG_TOKEN", &token);
    cmd.args([
        "--url",
        &format!("ws://{proxy_addr}/"),
        "--no-autostart",
        "ask",
        "-m",
        "llama3.2",
        "count to 61",
    ]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n", words.concat()));
    assert_eq!(fake.chats().len(), 1, "Ollama was asked once");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_model_is_refused_with_a_suggestion_and_never_becomes_the_default() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "lama3.2", "x"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("did you mean llama3.2?"),
        "{}",
        text(&out.stderr)
    );
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "two"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["models"]);
    let out = run(cmd, None).await;
    let listing = text(&out.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.contains("llama3.2") && l.contains('*')),
        "the default is marked: {listing}"
    );
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let out = run(cmd, None).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "the typo stored nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_cut_at_the_token_limit_says_so_and_a_three_digit_prefix_opens_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut done = serde_json::from_str::<serde_json::Value>(line("llama3.2", "", true).trim())
        .expect("done line");
    done["done_reason"] = "length".into();
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "One two three", false).into_bytes()),
        Part::Bytes(format!("{done}\n").into_bytes()),
    ]));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "--max-tokens", "3", "count"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "One two three\n");
    assert!(
        text(&out.stderr).contains("cut at the token limit"),
        "{}",
        text(&out.stderr)
    );

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let list: serde_json::Value =
        serde_json::from_slice(&run(cmd, None).await.stdout).expect("json");
    let id = list[0]["id"].as_str().expect("an id").to_string();
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "show", &id[..3]]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("One two three"));
}
