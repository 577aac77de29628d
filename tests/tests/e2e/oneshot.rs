//! The daily driver from the command line: the bare prompt and a pipe, `-x`, `--no-save`,
//! `pull`, `config`, the client's own log, and completions that ask the daemon. The built
//! `chinwag` autostarting its daemon against the fake Ollama, as in `cli.rs`.

use crate::cli::{Cleanup, chinwag, run, text};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::bin;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_prompt_or_a_pipe_asks_as_ask_does() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "why is the sky blue"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello from the fake.\n");
    assert_eq!(
        fake.chats()[0]["messages"][0]["content"],
        "why is the sky blue"
    );

    // A pipe alone, and a pipe with words: stdin first, as with `ask`.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "--json", "review"]);
    let out = run(cmd, Some("fn main() {}\n")).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"type\":\"done\""),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        fake.chats()[1]["messages"][0]["content"],
        "fn main() {}\n\nreview"
    );
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.arg("-c");
    let out = run(cmd, Some("and more?")).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let history = &fake.chats()[2]["messages"];
    assert_eq!(history.as_array().map(Vec::len), Some(3), "{history}");

    // A subcommand's name is still the subcommand.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["models", "--json"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("llama3.2:latest"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_prints_only_the_code_of_the_fenced_blocks() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let answer = [
        "Try:\n\n```sh\njq '.name'\n",
        "```\n\nor\n\n```\njq .\n```\n",
    ];
    fake.script(chinwag_tests::fake_ollama::reply("llama3.2", &answer));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "-x", "a jq filter for names"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jq '.name'\n");
    assert_eq!(
        fake.chats()[0]["messages"][0]["content"],
        "a jq filter for names"
    );
    fake.script(chinwag_tests::fake_ollama::reply("llama3.2", &answer));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["ask", "-m", "llama3.2", "-x", "all", "again"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jq '.name'\njq .\n");
    // No code: nothing on stdout, and a failure a script can see.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "-x", "just words"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("no fenced code block"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_save_answers_and_keeps_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "--no-save", "a secret question"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello from the fake.\n");
    assert_eq!(fake.chats().len(), 1);
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let out = run(cmd, None).await;
    assert_eq!(text(&out.stdout).trim(), "[]", "nothing kept");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "search", "secret", "--json"]);
    let out = run(cmd, None).await;
    assert_eq!(text(&out.stdout).trim(), "[]", "nothing to find");
    // It only starts new conversations.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["--no-save", "-c", "more"]);
    assert_eq!(run(cmd, None).await.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_relays_ollamas_progress_and_a_failed_pull_says_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.state().pullable.push("qwen2.5".into());
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["pull", "qwen2.5"]);
    let out = run(cmd, None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "pulling manifest", "{stderr}");
    assert!(lines[1].starts_with("pulling dde5aa3fc5ff"), "{stderr}");
    assert!(lines[1].contains("0%"), "{stderr}");
    assert_eq!(
        &lines[2..],
        [
            "verifying sha256 digest",
            "writing manifest",
            "pulled qwen2.5:latest"
        ]
    );
    let pulls: Vec<_> = fake
        .state()
        .requests
        .iter()
        .filter(|r| r.path == "/api/pull")
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(
        pulls,
        vec![serde_json::json!({"model": "qwen2.5:latest", "stream": true})]
    );
    // The model is there at once, with its details.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "qwen2.5", "hi"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.arg("models");
    let listed = text(&run(cmd, None).await.stdout);
    let line = listed
        .lines()
        .find(|l| l.contains("qwen2.5:latest"))
        .unwrap_or_default();
    assert!(
        line.contains("128k ctx") && line.contains("Q4_K_M"),
        "{listed}"
    );

    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["pull", "no-such-model"]);
    let out = run(cmd, None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "model not found: {stderr}");
    assert!(stderr.contains("file does not exist"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_says_where_things_are_and_default_prints_both_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.arg("config");
    let out = run(cmd, None).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        shown.contains("chinwag.toml (absent: the defaults)"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("ollama_host = \"{}\"", fake.host())),
        "{shown}"
    );
    assert!(shown.contains("max_rounds = 8"), "{shown}");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["config", "--default"]);
    let out = run(cmd, None).await;
    let shown = text(&out.stdout);
    assert!(shown.contains("# theme = \"dark\""), "{shown}");
    assert!(shown.contains("# send = [\"Enter\"]"), "{shown}");
    assert!(shown.contains("approval_timeout_secs = 300"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_logs_to_a_private_file_in_its_state_dir_and_never_the_words() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "my secret words"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let log = dir.path().join("state/chinwag/chinwag.log");
    let text = std::fs::read_to_string(&log).expect("the client's log");
    assert!(text.contains("chinwag starts"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let mode = std::fs::metadata(&log).expect("log").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_completes_models_bots_and_conversations_from_the_daemon() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    // One conversation to complete.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "hi"]);
    assert_eq!(run(cmd, None).await.status.code(), Some(0));
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let list: serde_json::Value =
        serde_json::from_slice(&run(cmd, None).await.stdout).expect("list");
    let id = list[0]["id"].as_str().expect("id").to_string();
    // bash, with the built binary on its PATH, asks the completion for -m and -C.
    let bin_dir = bin("chinwag").parent().expect("bin dir").to_path_buf();
    let complete = |words: &str, cword: usize| {
        format!(
            "source <(chinwag completions bash); COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _chinwag chinwag \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        )
    };
    for (script, want) in [
        (complete("chinwag -m ''", 2), "llama3.2:latest"),
        (complete("chinwag ask -C ''", 3), id.as_str()),
    ] {
        let mut cmd = Command::new("bash");
        chinwag_tests::harness::isolated_vars(dir.path(), &fake.host())
            .into_iter()
            .for_each(|(k, v)| {
                cmd.env(k, v);
            });
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("PATH", path).arg("-c").arg(&script);
        let out = cmd.output().await.expect("bash");
        let got = text(&out.stdout);
        assert!(
            got.lines().any(|l| l == want),
            "{want} not in {got:?} (stderr {})",
            text(&out.stderr)
        );
    }
}
