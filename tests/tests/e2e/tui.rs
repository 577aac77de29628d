//! The chat screen as a user drives it: the built `chinwag` in a real terminal (tmux),
//! against a real daemon and the fake Ollama. Keys go in with `send-keys`; what the user
//! would see comes back with `capture-pane`.

use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line, reply};
use chinwag_tests::harness::{DaemonProcess, bin, isolated_vars, kill_autostarted};
use chinwag_tests::tmux::Tmux;
use std::path::PathBuf;

/// Kills the daemon the TUI autostarted, even when the test fails.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        kill_autostarted(&self.0);
    }
}

/// `chinwag -m llama3.2` in a 100×30 terminal, once it shows it is connected.
async fn open_chat(dir: &std::path::Path, env: &[(&str, String)]) -> Tmux {
    let tui = Tmux::start(dir, env, &bin("chinwag"), &["-m", "llama3.2"], 100, 30);
    tui.wait_text("● local").await;
    tui
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_stream_second_conversation_search_and_quit() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(reply(
        "llama3.2",
        &[
            "Here is **FizzBuzz**:\n\n```rust\nfn main() {}\n",
            "```\n\n| n | say |\n|---|---|\n| 3 | Fizz |\n",
        ],
    ));
    fake.script(reply("llama3.2", &["Second ", "answer."]));
    let env = isolated_vars(dir.path(), &fake.host());
    let tui = open_chat(dir.path(), &env).await;
    tui.type_text("what is fizzbuzz");
    tui.keys(&["Enter"]);
    let s = tui
        .wait_for("the reply, its code block and table", |s| {
            s.contains("fn main() {}") && s.contains("│ 3 │ Fizz │") && s.contains("tok/s")
        })
        .await;
    assert!(s.contains("▌ [1] rust"), "{s}");
    assert!(
        !s.contains("**"),
        "Markdown is rendered, not shown raw:\n{s}"
    );

    // A second conversation.
    tui.keys(&["M-n"]);
    tui.wait_text("new conversation").await;
    tui.type_text("second question");
    tui.keys(&["Enter"]);
    let s = tui.wait_text("Second answer.").await;
    assert!(
        !s.contains("fn main"),
        "the first conversation is not shown:\n{s}"
    );

    // Search across both, and jump to the first.
    tui.keys(&["C-r"]);
    tui.type_text("fizzbuzz");
    tui.wait_for("a search hit", |s| {
        s.contains("Search all") && s.contains("[fizzbuzz]")
    })
    .await;
    tui.keys(&["Enter"]);
    tui.wait_for("the first conversation is open again", |s| {
        s.contains("fn main() {}") && !s.contains("Search all")
    })
    .await;

    // Quit when idle; the terminal comes back as it was.
    tui.keys(&["C-c"]);
    let s = tui.wait_text("[exit 0, tty restored]").await;
    assert!(!s.contains("● local"), "the alternate screen is gone:\n{s}");
    assert_eq!(fake.chats().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_mid_reply_is_survived_without_losing_a_word() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    fake.script(Script::Stream(vec![
        Part::Bytes(line("llama3.2", "The first half of the answer, ", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", "never sent", true).into_bytes()),
    ]));
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let env = isolated_vars(dir.path(), &fake.host());
    // No autostart: the test decides when the daemon comes back, so "reconnecting" shows.
    let tui = Tmux::start(
        dir.path(),
        &env,
        &bin("chinwag"),
        &["--no-autostart", "-m", "llama3.2"],
        90,
        24,
    );
    tui.wait_text("● local").await;
    tui.type_text("tell me everything");
    tui.keys(&["Enter"]);
    tui.wait_text("The first half of the answer").await;
    tui.type_text("my unsent draft");
    tui.wait_text("my unsent draft").await;

    daemon.kill9();
    let s = tui.wait_text("reconnecting").await;
    assert!(s.contains("my unsent draft"), "the draft is kept:\n{s}");

    let _daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let s = tui
        .wait_for("reconnected with the stored reply", |s| {
            s.contains("● local") && s.contains("incomplete")
        })
        .await;
    assert!(s.contains("The first half of the answer"), "{s}");
    assert!(s.contains("tell me everything"), "{s}");
    assert!(
        s.contains("my unsent draft"),
        "the draft survives the reconnect:\n{s}"
    );

    tui.keys(&["C-c"]);
    tui.wait_text("Ctrl+C again quits").await;
    tui.keys(&["C-c"]);
    tui.wait_text("[exit 0, tty restored]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_e_edits_in_a_real_editor_and_a_draft_survives_ctrl_c_and_comes_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let mut env = isolated_vars(dir.path(), &fake.host());
    env.push(("EDITOR", "vi".to_string()));
    let tui = open_chat(dir.path(), &env).await;
    tui.type_text("first question");
    tui.keys(&["Enter"]);
    tui.wait_text("Hello from the fake.").await;

    tui.type_text("my draft");
    tui.keys(&["C-e"]);
    tui.wait_for("vi shows the draft", |s| {
        s.contains("my draft") && !s.contains("● local")
    })
    .await;
    tui.keys(&["A"]);
    tui.type_text(" and more");
    tui.keys(&["Escape"]);
    tui.type_text(":wq");
    tui.keys(&["Enter"]);
    let s = tui
        .wait_for("the chat screen is back with the edited draft", |s| {
            s.contains("● local") && s.contains("my draft and more")
        })
        .await;
    assert!(
        s.contains("Hello from the fake."),
        "the transcript is redrawn:\n{s}"
    );
    assert!(!s.contains("1;1R"), "no cursor report leaked:\n{s}");

    // One Ctrl+C with a draft only asks; the second quits and keeps the draft.
    tui.keys(&["C-c"]);
    tui.wait_text("Ctrl+C again quits").await;
    tui.keys(&["C-c"]);
    let s = tui.wait_text("[exit 0, tty restored]").await;
    assert!(!s.contains("1;1R") && !s.contains("^["), "{s}");
    drop(tui);

    let tui = Tmux::start(dir.path(), &env, &bin("chinwag"), &["-c"], 100, 30);
    let s = tui
        .wait_for("the draft is back in its conversation", |s| {
            s.contains("my draft and more") && s.contains("Hello from the fake.")
        })
        .await;
    assert!(s.contains("draft from last time"), "{s}");
    tui.keys(&["C-u"]);
    tui.keys(&["C-c"]);
    tui.wait_text("[exit 0, tty restored]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_the_chat_screen_streams_shows_refusals_and_shares_into_the_next_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    fake.script(reply("llama3.2", &["Two lines, it seems."]));
    // The screen runs in a project inside the daemon's root (the isolated home).
    let proj = dir.path().join("home/proj");
    std::fs::create_dir_all(&proj).expect("proj");
    std::fs::write(proj.join("notes.txt"), "alpha\nbeta\n").expect("notes");
    let env = isolated_vars(dir.path(), &fake.host());
    let tui = Tmux::start_in(
        dir.path(),
        &proj,
        &env,
        &bin("chinwag"),
        &["-m", "llama3.2"],
        100,
        30,
    );
    tui.wait_text("● local").await;

    tui.type_text("/run cat notes.txt");
    tui.keys(&["Enter"]);
    let s = tui
        .wait_for("the output and the exit", |s| {
            s.contains("$ cat notes.txt") && s.contains("│ beta") && s.contains("└ exit 0")
        })
        .await;
    assert!(s.contains("│ alpha"), "{s}");

    tui.type_text("/run sh -c 'touch pwned'");
    tui.keys(&["Enter"]);
    tui.wait_text("refused (not-in-policy)").await;
    assert!(!proj.join("pwned").exists());

    tui.type_text("/run --share wc -l notes.txt");
    tui.keys(&["Enter"]);
    tui.wait_text("shared: goes with your next message").await;
    tui.type_text("how many lines?");
    tui.keys(&["Enter"]);
    tui.wait_text("Two lines, it seems.").await;
    let chats = fake.chats();
    let sent = chats
        .last()
        .and_then(|c| c["messages"].as_array())
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .expect("the prompt reached Ollama")
        .to_string();
    assert!(
        sent.starts_with("Output of `wc -l notes.txt` (exit 0")
            && sent.contains("2 notes.txt")
            && sent.ends_with("how many lines?"),
        "{sent}"
    );
    tui.keys(&["C-c"]);
    tui.wait_text("[exit 0, tty restored]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_is_approved_with_y_in_the_dialog_and_its_result_folds_into_the_reply() {
    use chinwag_tests::fake_ollama::tool_calls;
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    // The autostarted daemon's executor root is the isolated home.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join("notes.txt"), "buy milk\n").expect("notes");
    let fake = FakeOllama::start().await;
    fake.script(tool_calls(
        "llama3.2",
        "Let me read them.",
        &[("read_file", serde_json::json!({"path": "notes.txt"}))],
    ));
    fake.script(reply("llama3.2", &["Your notes say: buy milk."]));
    let env = isolated_vars(dir.path(), &fake.host());
    let tui = open_chat(dir.path(), &env).await;
    tui.type_text("/tools read_file");
    tui.keys(&["Enter"]);
    tui.wait_text("tools: read_file").await;
    tui.type_text("what do my notes say?");
    tui.keys(&["Enter"]);
    let s = tui
        .wait_for("the approval dialog", |s| {
            s.contains("Tool call 1") && s.contains("The model asks to use read_file")
        })
        .await;
    assert!(s.contains("y once"), "{s}");
    assert!(s.contains("notes.txt"), "{s}");
    tui.keys(&["y"]);
    let s = tui
        .wait_for("the answer after the result", |s| {
            s.contains("Your notes say: buy milk.") && s.contains("tok/s")
        })
        .await;
    assert!(s.contains("╭ read_file"), "{s}");
    assert!(s.contains("allowed once by"), "{s}");
    assert!(s.contains("▸ result · ok · 1 lines"), "{s}");
    assert!(!s.contains("Tool call 1"), "the dialog is gone:\n{s}");
    assert_eq!(
        fake.chats()[1]["messages"]
            .as_array()
            .and_then(|m| m.last())
            .map(|m| m["content"].clone()),
        Some(serde_json::json!("buy milk\n"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_on_a_terminal_lays_the_reply_out_and_raw_does_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let answer = [
        "# Sky\n\nIt is **blue**.\n\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\necho hi\n```\n",
    ];
    fake.script(reply("llama3.2", &answer));
    fake.script(reply("llama3.2", &answer));
    let env = isolated_vars(dir.path(), &fake.host());
    let tui = Tmux::start(
        dir.path(),
        &env,
        &bin("chinwag"),
        &["-m", "llama3.2", "why?"],
        80,
        24,
    );
    let s = tui.wait_text("[exit 0, tty restored]").await;
    assert!(s.contains("It is blue."), "{s}");
    assert!(
        !s.contains("**") && !s.contains("# Sky"),
        "laid out, not raw:\n{s}"
    );
    assert!(s.contains("│ 1 │ 2 │"), "a table:\n{s}");
    assert!(s.contains("[1] sh"), "a numbered code block:\n{s}");
    let raw = Tmux::start(
        dir.path(),
        &env,
        &bin("chinwag"),
        &["-m", "llama3.2", "--raw", "why?"],
        80,
        24,
    );
    let s = raw.wait_text("[exit 0, tty restored]").await;
    assert!(s.contains("It is **blue**.") && s.contains("# Sky"), "{s}");
}
