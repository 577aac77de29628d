//! Screens as a user sees them, drawn into a `TestBackend` and pinned with insta snapshots
//! (text only; colours are covered by the theme tests).

use crate::ui::app::App;
use crate::ui::app::tests::{app, connect, delta, done, key, press, start_chat, type_text};
use crate::ui::event::{Event, LinkEvent};
use chinwag_protocol::{ConversationId, ConversationSummary, MessageStatus, ModelInfo, ServerMsg};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Draws `app` at `w`×`h` and returns the screen as text, trailing spaces trimmed.
fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.update(Event::Resize {
        width: w,
        height: h,
    });
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| super::draw(f, app)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..w {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                // The cell under the second half of a wide character.
                skip -= 1;
                continue;
            }
            skip = crate::text::wrap::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const REPLY: &str = "## FizzBuzz\n\nHere is a **short** version in *Rust*:\n\n```rust\nfn main() {\n    for i in 1..=15 {\n        println!(\"{i}\");\n    }\n}\n```\n\n| input | output | note |\n|---|---|---|\n| 3 | Fizz | divisible by three, so the word replaces the number |\n| 5 | Buzz | five |\n\n- fast\n- no allocations\n\n> quoted wisdom\n\nSee [the docs](https://doc.rust-lang.org).\n";

fn streamed() -> App {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "write fizzbuzz");
    // Arrives in uneven pieces, as it would stream.
    for piece in REPLY.as_bytes().chunks(7) {
        delta(&mut app, std::str::from_utf8(piece).expect("ascii"));
    }
    done(&mut app, MessageStatus::Complete);
    app
}

#[test]
fn empty_state() {
    let mut app = app();
    connect(&mut app);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn streamed_reply_with_code_and_table_80x24() {
    let mut app = streamed();
    key(&mut app, KeyCode::Home);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn streamed_reply_wide() {
    let mut app = streamed();
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    app.update(Event::Server(ServerMsg::Conversations {
        id: "t1".into(),
        items: vec![ConversationSummary {
            id: ConversationId(format!("{:0>32}", 1)),
            title: "write fizzbuzz".into(),
            model: Some("llama3.2".into()),
            bot: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            message_count: 2,
        }],
        next_cursor: None,
    }));
    insta::assert_snapshot!(screen(&mut app, 140, 48));
}

#[test]
fn mid_stream_with_an_open_code_fence() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "code please");
    delta(
        &mut app,
        "Sure:\n\n```python\ndef f(x):\n    return x * 2\n",
    );
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn error_notice() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "hello");
    let fx = key(&mut app, KeyCode::Enter);
    let Some(crate::ui::event::Effect::Send(chat)) = fx.first() else {
        panic!("a chat was sent: {fx:?}");
    };
    app.update(Event::Server(ServerMsg::Error {
        id: chat.id().into(),
        code: chinwag_protocol::ErrorCode::ModelNotFound,
        message: "model \"llama3.2\" not found".into(),
        retry_after_ms: None,
    }));
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn reconnecting_keeps_the_draft() {
    let mut app = streamed();
    app.update(Event::Link(LinkEvent::Reconnecting {
        attempt: 3,
        why: "no chinwag daemon".into(),
    }));
    type_text(&mut app, "a draft that must survive");
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn help_screen() {
    let mut app = app();
    connect(&mut app);
    key(&mut app, KeyCode::F(1));
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn help_and_command_popup_at_120_columns() {
    let mut app = app();
    connect(&mut app);
    key(&mut app, KeyCode::F(1));
    insta::assert_snapshot!("help_120x30", screen(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    insta::assert_snapshot!("slash_popup_120x30", screen(&mut app, 120, 30));
}

#[test]
fn model_picker() {
    let mut app = app();
    connect(&mut app);
    app.update(Event::Server(ServerMsg::Models {
        id: "x".into(),
        models: [
            ("llama3.2:latest", "3.2B"),
            ("qwen2.5-coder:7b", "7.6B"),
            ("mistral:7b", "7.2B"),
        ]
        .iter()
        .map(|(n, p)| ModelInfo {
            name: (*n).into(),
            size_bytes: 0,
            modified_at: None,
            family: None,
            parameter_size: Some((*p).into()),
            quantization: Some("Q4_K_M".into()),
            capabilities: Vec::new(),
            loaded: None,
            context_length: None,
        })
        .collect(),
        default_model: None,
        backends: Vec::new(),
    }));
    key(&mut app, KeyCode::F(3));
    type_text(&mut app, "7b");
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn cjk_and_emoji_keep_their_columns() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "日本語で答えて 🙏");
    delta(
        &mut app,
        "はい、日本語で答えます。これは長い文章で、端末の幅で折り返されるはずです。👍🏽 絵文字も二桁です。\n\n| 語 | 意味 |\n|---|---|\n| 猫 | cat 🐈 |\n",
    );
    done(&mut app, MessageStatus::Complete);
    insta::assert_snapshot!(screen(&mut app, 40, 20));
}

#[test]
fn your_own_messages_keep_their_indentation() {
    let mut app = app();
    connect(&mut app);
    app.update(Event::Paste(
        "fix this:\n    if x:\n        return 1".into(),
    ));
    key(&mut app, KeyCode::Enter);
    let s = screen(&mut app, 80, 24);
    // One column of margin, then the indentation as typed.
    assert!(
        s.contains("\n fix this:\n     if x:\n         return 1\n"),
        "{s}"
    );
}

#[test]
fn ollama_down_is_on_the_status_line_and_in_the_model_picker_with_the_fix_visible() {
    let mut app = app();
    connect(&mut app);
    app.ollama_up = Some(false);
    app.update(Event::Notice(crate::ui::event::Notice::error(
        "start Ollama: `ollama serve` (or set OLLAMA_HOST for the daemon) — Ollama is not reachable at http://127.0.0.1:11434",
    )));
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("● local │ Ollama down"), "{s}");
    assert!(
        s.contains("start Ollama: `ollama serve`"),
        "the fix fits at 80 columns:\n{s}"
    );
    key(&mut app, KeyCode::F(3));
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("cannot reach Ollama"), "{s}");
    assert!(!s.contains("no models yet"), "{s}");
}

#[test]
fn a_remote_daemon_shows_its_host_and_tls_state_in_the_status_line() {
    let mut app = app();
    app.update(Event::Link(LinkEvent::Connected {
        endpoint: "gpu.example:8443 · TLS, pinned AB:CD:00:00…".into(),
        remote: true,
        user: "alice".into(),
        max_message_bytes: 256 * 1024,
    }));
    let s = screen(&mut app, 100, 10);
    let status = s.lines().last().expect("a status line");
    assert!(
        status.contains("● remote gpu.example:8443 · TLS, pinned AB:CD:00:00…"),
        "{s}"
    );
}

#[test]
fn run_blocks_streaming_ended_and_refused() {
    use chinwag_protocol::ClientMsg;
    let mut app = app();
    connect(&mut app);
    let exec_id = |app: &mut App, line: &str| {
        type_text(app, line);
        key(app, KeyCode::Enter)
            .into_iter()
            .find_map(|e| match e {
                crate::ui::event::Effect::Send(ClientMsg::Exec { id, .. }) => Some(id),
                _ => None,
            })
            .expect("an exec")
    };
    let done_id = exec_id(&mut app, "/run --share git status --short");
    for (stream, text) in [
        ("stdout", " M src/main.rs\n?? notes.txt\n"),
        ("stderr", "warning: a\ttab\n"),
    ] {
        app.update(Event::Server(ServerMsg::ExecOutput {
            id: done_id.clone(),
            stream: stream.into(),
            text: text.into(),
            lossy: false,
        }));
    }
    app.update(Event::Server(ServerMsg::ExecExit {
        id: done_id,
        code: Some(0),
        signal: None,
        timed_out: false,
        cancelled: false,
        truncated: false,
        bytes: 40,
        duration_ms: 1234,
        sandbox: "landlock".into(),
    }));
    let refused = exec_id(&mut app, "/run sh -c 'id'");
    app.update(Event::Server(ServerMsg::CommandRejected {
        id: refused,
        rule: "not-in-policy".into(),
        message: "sh is not in the policy (chinwag policy lists what is)".into(),
    }));
    let running = exec_id(&mut app, "/run rg TODO");
    app.update(Event::Server(ServerMsg::ExecOutput {
        id: running,
        stream: "stdout".into(),
        text: "src/lib.rs:3:// TODO".into(),
        lossy: false,
    }));
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn a_tool_call_waiting_for_an_answer_then_its_folded_result() {
    use crate::ui::app::tests::tools::{asking_call, tool};
    use chinwag_protocol::{Decision, ToolEvent};
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "what changed?");
    delta(&mut app, "Let me check the status.");
    tool(&mut app, asking_call("1"));
    insta::assert_snapshot!("tool_waiting", screen(&mut app, 80, 16));
    tool(
        &mut app,
        ToolEvent::Approval {
            call: "1".into(),
            decision: Decision::Once,
            reason: None,
            by: Some("me".into()),
        },
    );
    tool(
        &mut app,
        ToolEvent::Result {
            call: "1".into(),
            output: "On branch main\nnothing to commit\n[exit 0]".into(),
            ok: true,
            truncated: false,
        },
    );
    delta(&mut app, "\n\nNothing changed: the tree is clean.");
    done(&mut app, MessageStatus::Complete);
    insta::assert_snapshot!("tool_answered", screen(&mut app, 80, 18));
}
