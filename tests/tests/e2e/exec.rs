//! The command executor over the wire and from `chinwag run`: allowed commands stream their
//! output and end with their status; SECURITY.md §1's attack inputs are rejected with their
//! rule and start no process (the executor's spawn counter, in this same process, does not
//! move) and no canary fires; a token needs the exec scope.

use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, bin, isolated_env, make_token, test_config};
use chinwag_tests::wire::Wire;
use chinwagd::exec::spawn::spawned;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A daemon whose executor root is `dir/proj`, holding `notes.txt` and a `link` to /tmp.
pub(crate) async fn daemon(
    dir: &Path,
    fake: &FakeOllama,
    users: &[(&str, &str)],
) -> (TestDaemon, PathBuf, Vec<String>) {
    let proj = dir.join("proj");
    std::fs::create_dir_all(proj.join("sub")).expect("proj");
    std::fs::write(proj.join("notes.txt"), "one\ntwo\n").expect("notes");
    std::os::unix::fs::symlink("/tmp", proj.join("link")).expect("link");
    let mut config = test_config(dir, &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.exec.root = Some(proj.clone());
    config.exec.timeout = std::time::Duration::from_secs(5);
    let mut tokens = Vec::new();
    for (user, scopes) in users {
        tokens.push(make_token(&config.database, user, scopes, None).await);
    }
    (TestDaemon::start(dir, config).await, proj, tokens)
}

/// Runs `argv` over `w`; every frame of the answer, to its end.
pub(crate) async fn exec(w: &mut Wire, argv: &[&str], cwd: Option<&Path>) -> Vec<Value> {
    let mut request = json!({"type": "exec", "id": "x", "argv": argv});
    if let Some(c) = cwd {
        request["cwd"] = json!(c.display().to_string());
    }
    w.send(request).await;
    let mut frames = Vec::new();
    loop {
        let f = w.recv().await;
        if f["id"] != "x" {
            continue;
        }
        let end = matches!(
            f["type"].as_str(),
            Some("exec_exit" | "command_rejected" | "error")
        );
        frames.push(f);
        if end {
            return frames;
        }
    }
}

/// A FIFO at `path`: `cat` of it waits for as long as a writer keeps it open.
fn mkfifo(path: &Path) -> PathBuf {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    path.to_path_buf()
}

pub(crate) fn stdout(frames: &[Value]) -> String {
    frames
        .iter()
        .filter(|f| f["type"] == "exec_output" && f["stream"] == "stdout")
        .filter_map(|f| f["text"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_commands_stream_their_output_and_end_with_their_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, proj, _) = daemon(dir.path(), &fake, &[]).await;
    let mut w = Wire::local(&daemon.socket).await;

    let frames = exec(&mut w, &["cat", "notes.txt"], None).await;
    assert_eq!(frames[0]["type"], "exec_started", "{frames:?}");
    assert_eq!(frames[0]["program"], "/usr/bin/cat");
    assert_eq!(stdout(&frames), "one\ntwo\n");
    let exit = frames.last().expect("an end");
    assert_eq!(
        (
            &exit["type"],
            &exit["code"],
            &exit["timed_out"],
            &exit["truncated"]
        ),
        (&json!("exec_exit"), &json!(0), &json!(false), &json!(false))
    );
    assert_eq!(exit["sandbox"], "landlock", "this kernel has Landlock");
    // Shell syntax is text: echo prints it, and nothing runs.
    let frames = exec(&mut w, &["echo", "$(touch M)", "`touch M`"], None).await;
    assert_eq!(stdout(&frames), "$(touch M) `touch M`\n");
    assert!(!proj.join("M").exists());
    // A path that looks like an option is a file: cat says it is missing and fails.
    let frames = exec(&mut w, &["cat", "--", "--help"], None).await;
    assert_eq!(frames.last().expect("end")["code"], 1);
    // A directory inside the root becomes the root.
    let sub = proj.join("sub");
    std::fs::write(sub.join("inner.txt"), "in").expect("write");
    let frames = exec(&mut w, &["ls"], Some(&sub)).await;
    assert_eq!(stdout(&frames), "inner.txt\n");
    // exec_check says what would run, and runs nothing.
    let before = spawned();
    let check = w
        .call(json!({"type": "exec_check", "id": "c", "argv": ["grep", "-n", "two", "notes.txt"]}))
        .await;
    assert_eq!(check["type"], "exec_allowed", "{check}");
    assert_eq!(check["args"], json!(["-n", "-e", "two", "--", "notes.txt"]));
    assert_eq!(spawned(), before);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_inputs_are_rejected_with_their_rule_and_start_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, proj, _) = daemon(dir.path(), &fake, &[]).await;
    let mut w = Wire::local(&daemon.socket).await;
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "secret").expect("secret");
    let before = spawned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["ls; id"], "not-a-program"),
        (vec!["ls", "\ntouch M"], "control-character"),
        (vec!["sh", "-c", "touch M"], "not-in-policy"),
        (vec!["bash", "-lc", "ls"], "not-in-policy"),
        (vec!["/bin/ls"], "not-a-program"),
        (vec!["../../bin/sh"], "not-a-program"),
        (
            vec!["find", ".", "-exec", "touch", "M", ";"],
            "unknown-flag",
        ),
        (vec!["find", ".", "-delete"], "unknown-flag"),
        (
            vec!["sed", "-i", "1e touch M", "notes.txt"],
            "not-in-policy",
        ),
        (vec!["git", "-c", "alias.x=!touch M", "x"], "unknown-flag"),
        (vec!["git", "--paginate", "show"], "unknown-flag"),
        (vec!["git", "-C", "/", "status"], "unknown-flag"),
        (vec!["git", "fetch"], "unknown-subcommand"),
        (vec!["git", "diff", "--output=../x"], "unknown-flag"),
        (vec!["env", "id"], "not-in-policy"),
        (vec!["xargs", "id"], "not-in-policy"),
        (vec!["less", "notes.txt"], "not-in-policy"),
        (vec!["cat", "../secret.txt"], "outside-root"),
        (vec!["cat", "/etc/passwd"], "absolute-path"),
        (vec!["cat", "sub/../../secret.txt"], "outside-root"),
        (vec!["cat", "link/anything"], "outside-root"),
    ];
    for (argv, rule) in &cases {
        let frames = exec(&mut w, argv, None).await;
        let end = frames.last().expect("an answer");
        assert_eq!(
            (&end["type"], &end["rule"]),
            (&json!("command_rejected"), &json!(rule)),
            "{argv:?}: {end}"
        );
    }
    let many: Vec<String> = std::iter::once("echo".to_string())
        .chain((0..10_000).map(|i| i.to_string()))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let frames = exec(&mut w, &many, None).await;
    assert_eq!(frames.last().expect("end")["rule"], "too-many-args");
    // A directory outside the root cannot become one.
    let frames = exec(&mut w, &["ls"], Some(dir.path())).await;
    assert_eq!(frames.last().expect("end")["rule"], "cwd-outside-root");
    assert_eq!(spawned(), before, "no refused request started a process");
    assert!(!proj.join("M").exists(), "no canary fired");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_needs_the_exec_scope() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, _, tokens) =
        daemon(dir.path(), &fake, &[("alice", "chat"), ("ops", "exec")]).await;
    let addr = daemon.tcp.expect("tcp");
    let mut alice = Wire::remote(addr, &tokens[0]).await;
    let refused = alice
        .call(json!({"type": "exec", "id": "x", "argv": ["ls"]}))
        .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = alice.call(json!({"type": "get_policy", "id": "p"})).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let mut ops = Wire::remote(addr, &tokens[1]).await;
    let frames = exec(&mut ops, &["cat", "notes.txt"], None).await;
    assert_eq!(stdout(&frames), "one\ntwo\n");
    // `chinwag run` over a URL runs in the daemon's root: this machine's directory means
    // nothing there, so it is not sent.
    let token_file = dir.path().join("ops.token");
    std::fs::write(&token_file, &tokens[1]).expect("token file");
    let mut cmd = std::process::Command::new(bin("chinwag"));
    isolated_env(&mut cmd, dir.path(), &fake.host());
    let out = cmd
        .current_dir(dir.path())
        .args(["run", "--url", &format!("ws://{addr}"), "--token-file"])
        .arg(&token_file)
        .args(["--", "cat", "notes.txt"])
        .output()
        .expect("chinwag run");
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (Some(0), "one\ntwo\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_run_counts_against_the_users_message_rate_and_a_check_does_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let proj = dir.path().join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.exec.root = Some(proj);
    config.limits.burst = 2;
    config.limits.messages_per_minute = 1;
    let token = make_token(&config.database, "ops", "exec", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut ops = Wire::remote(daemon.tcp.expect("tcp"), &token).await;
    for _ in 0..3 {
        let checked = ops
            .call(json!({"type": "exec_check", "id": "c", "argv": ["true"]}))
            .await;
        assert_eq!(checked["type"], "exec_allowed", "{checked}");
    }
    for _ in 0..2 {
        let frames = exec(&mut ops, &["true"], None).await;
        let end = frames.last().expect("an end");
        assert_eq!(
            (end["type"].as_str(), end["code"].as_i64()),
            (Some("exec_exit"), Some(0))
        );
    }
    let before = spawned();
    let frames = exec(&mut ops, &["true"], None).await;
    let refused = frames.last().expect("an answer");
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert!(
        refused["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
        "{refused}"
    );
    assert_eq!(spawned(), before, "nothing started");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinwag_run_prints_as_it_comes_and_exits_with_the_commands_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let proj = dir.path().join("home/proj");
    std::fs::create_dir_all(&proj).expect("proj");
    std::fs::write(proj.join("notes.txt"), "one\ntwo\n").expect("notes");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(bin("chinwag"));
        isolated_env(&mut cmd, dir.path(), &fake.host());
        let out = cmd
            .arg("run")
            .arg("-C")
            .arg(&proj)
            .args(args)
            .output()
            .expect("run chinwag");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The autostarted daemon's root is the (isolated) home directory.
    let (code, out, err) = run(&["--", "wc", "-l", "notes.txt"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "2 notes.txt");
    let (code, _, err) = run(&["--", "cat", "missing.txt"]);
    assert_eq!(code, Some(1), "cat's own status: {err}");
    assert!(err.contains("missing.txt"), "{err}");
    let (code, _, err) = run(&["--", "sh", "-c", "id"]);
    assert_eq!(code, Some(7), "{err}");
    assert!(err.contains("not-in-policy"), "{err}");
    let (code, _, err) = run(&["--check", "--", "find", ".", "-delete"]);
    assert_eq!(code, Some(7), "{err}");
    assert!(err.contains("-delete"), "{err}");
    let (code, out, _) = run(&["--check", "--", "ls", "-l"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("allowed: /usr/bin/ls -l --"), "{out}");
    // And the log says what was asked.
    let mut cmd = std::process::Command::new(bin("chinwag"));
    isolated_env(&mut cmd, dir.path(), &fake.host());
    let out = cmd
        .args(["audit", "--since", "1h"])
        .output()
        .expect("chinwag audit");
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(log.lines().count(), 5, "{log}");
    assert!(log.contains("refused (not-in-policy)  sh -c id"), "{log}");
    assert!(log.contains("exit 1  cat missing.txt"), "{log}");
    chinwag_tests::harness::kill_autostarted(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_in_the_audit_log_which_each_user_reads_for_themselves() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, _, tokens) = daemon(dir.path(), &fake, &[("ops", "exec")]).await;
    let mut ops = Wire::remote(daemon.tcp.expect("tcp"), &tokens[0]).await;
    exec(&mut ops, &["cat", "notes.txt"], None).await;
    exec(&mut ops, &["sh", "-c", "id"], None).await;
    ops.call(json!({"type": "exec_check", "id": "c", "argv": ["ls"]}))
        .await;
    let mut local = Wire::local(&daemon.socket).await;
    exec(&mut local, &["pwd"], None).await;

    let mine = ops.call(json!({"type": "audit", "id": "a"})).await;
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "ops sees its own: {mine}");
    let (check, refused, ran) = (&items[0], &items[1], &items[2]);
    assert_eq!(
        (&check["check"], &check["decision"]),
        (&json!(true), &json!("allowed"))
    );
    assert_eq!(
        (&refused["decision"], &refused["rule"], &refused["argv"]),
        (
            &json!("refused"),
            &json!("not-in-policy"),
            &json!(["sh", "-c", "id"])
        )
    );
    assert_eq!(
        (
            &ran["decision"],
            &ran["code"],
            &ran["bytes"],
            &ran["sandbox"]
        ),
        (&json!("allowed"), &json!(0), &json!(8), &json!("landlock"))
    );
    assert_eq!(ran["user"], "ops");
    assert!(ran["token"].as_str().is_some_and(|t| t.starts_with("cw_")));
    let zero = ops
        .call(json!({"type": "audit", "id": "z", "limit": 0}))
        .await;
    assert_eq!(zero["code"], "invalid_request", "{zero}");
    // The daemon's owner reads everyone's.
    let all = local.call(json!({"type": "audit", "id": "a"})).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(all["items"][0]["argv"], json!(["pwd"]));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_exec_stops_a_running_command_and_its_exit_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, proj, _) = daemon(dir.path(), &fake, &[]).await;
    // cat of a FIFO nobody writes to blocks until it is stopped.
    mkfifo(&proj.join("pipe"));
    let mut w = Wire::local(&daemon.socket).await;
    w.send(json!({"type": "exec", "id": "x", "argv": ["cat", "pipe"]}))
        .await;
    let started = w.recv().await;
    assert_eq!(started["type"], "exec_started", "{started}");
    let ok = w
        .call(json!({"type": "cancel_exec", "id": "c", "exec": "x"}))
        .await;
    assert_eq!(ok["type"], "ok");
    let exit = w.until("x", "exec_exit").await.pop().expect("an exit");
    assert_eq!(
        (&exit["cancelled"], &exit["signal"]),
        (&json!(true), &json!(9)),
        "{exit}"
    );
    // Nothing running under that id: still ok.
    let again = w
        .call(json!({"type": "cancel_exec", "id": "c2", "exec": "x"}))
        .await;
    assert_eq!(again["type"], "ok");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_chinwag_run_stops_the_command_on_the_daemon_and_exits_130() {
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let proj = dir.path().join("home/proj");
    std::fs::create_dir_all(&proj).expect("proj");
    let fifo = mkfifo(&proj.join("pipe"));
    let mut cmd = tokio::process::Command::new(bin("chinwag"));
    cmd.env_clear()
        .envs(chinwag_tests::harness::isolated_vars(
            dir.path(),
            &fake.host(),
        ))
        .arg("run")
        .arg("-C")
        .arg(&proj)
        .args(["--", "cat", "pipe"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn chinwag run");
    // Feed the pipe one line (opening it waits for cat), and keep it open.
    let writer = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("open the fifo");
        w.write_all(b"first line\n").expect("write");
        w
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("first line") {
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(std::time::Duration::from_secs(20), stdout.read(&mut buf))
            .await
            .expect("output comes")
            .expect("read");
        assert!(n > 0, "stdout closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let _held = writer.await.expect("writer");
    let status = chinwag_tests::harness::interrupt(&mut child).await;
    assert_eq!(status.code(), Some(130));
    // The daemon stopped cat (the pipe is still open, so it would have run on): its record
    // ends with the kill.
    let socket = chinwag_tests::harness::isolated_socket(dir.path());
    chinwag_tests::harness::wait_until("the daemon records cat's end", || async {
        let mut w = Wire::local(&socket).await;
        let log = w.call(json!({"type": "audit", "id": "a"})).await;
        log["items"][0]["signal"] == json!(9)
    })
    .await;
    chinwag_tests::harness::kill_autostarted(dir.path());
}
