//! `/run` in the chat screen: the request, the block as output streams and the command ends,
//! sharing into the next message, refusals, cancelling, and blocks that keep their place.

use super::*;
use crate::ui::command_block::End;

/// Types `/run …`, presses Enter, and returns the `exec` request.
fn run(app: &mut App, line: &str) -> (String, Vec<String>, Option<String>) {
    type_text(app, &format!("/run {line}"));
    let fx = key(app, KeyCode::Enter);
    match sent(&fx).as_slice() {
        [ClientMsg::Exec { id, argv, cwd }] => (id.clone(), argv.clone(), cwd.clone()),
        other => panic!("no exec was sent: {other:?} ({:?})", app.notice),
    }
}

fn output(app: &mut App, id: &str, stream: &str, text: &str) {
    app.update(Event::Server(ServerMsg::ExecOutput {
        id: id.into(),
        stream: stream.into(),
        text: text.into(),
        lossy: false,
    }));
}

fn exit(app: &mut App, id: &str, code: i32) {
    app.update(Event::Server(ServerMsg::ExecExit {
        id: id.into(),
        code: Some(code),
        signal: None,
        timed_out: false,
        cancelled: false,
        truncated: false,
        bytes: 10,
        duration_ms: 4,
        sandbox: "landlock".into(),
    }));
}

fn block(app: &App) -> &crate::ui::command_block::CommandBlock {
    app.transcript
        .entries
        .iter()
        .rev()
        .find_map(|e| e.command.as_deref())
        .expect("a command block")
}

#[test]
fn run_sends_the_argv_split_like_a_shell_and_the_screens_directory() {
    let mut app = app();
    connect(&mut app);
    let (_, argv, cwd) = run(&mut app, "rg 'fn main' src");
    assert_eq!(argv, ["rg", "fn main", "src"]);
    assert_eq!(cwd.as_deref(), Some("/home/me/proj"));
    assert_eq!(block(&app).line(), "rg 'fn main' src");
    // Unbalanced quotes and nothing to run are said, and nothing is sent.
    type_text(&mut app, "/run cat 'oops");
    assert!(sent(&key(&mut app, KeyCode::Enter)).is_empty());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("quote"))
    );
    type_text(&mut app, "/run");
    assert!(sent(&key(&mut app, KeyCode::Enter)).is_empty());
}

#[test]
fn a_remote_daemon_gets_no_local_directory() {
    let mut app = app();
    app.update(Event::Link(LinkEvent::Connected {
        endpoint: "wss://chat.example.org".into(),
        remote: true,
        user: "me".into(),
        max_message_bytes: 256 * 1024,
    }));
    let (_, _, cwd) = run(&mut app, "ls");
    assert_eq!(cwd, None);
}

#[test]
fn output_streams_into_the_block_and_the_end_says_how_it_went() {
    let mut app = app();
    connect(&mut app);
    let (id, _, _) = run(&mut app, "cat notes.txt");
    assert_eq!(block(&app).end, None);
    output(&mut app, &id, "stdout", "one\n");
    output(&mut app, &id, "stderr", "cat: x: No such file\n");
    assert_eq!(block(&app).text(), "one\ncat: x: No such file\n");
    exit(&mut app, &id, 1);
    assert_eq!(
        block(&app).end,
        Some(End::Ran {
            ok: false,
            summary: "exit 1 · 4 ms · landlock".into()
        })
    );
    assert!(!app.requests.contains_key(&id), "the request is done");
}

#[test]
fn a_refusal_shows_the_rule_and_an_error_says_why() {
    let mut app = app();
    connect(&mut app);
    let (id, _, _) = run(&mut app, "sh -c id");
    app.update(Event::Server(ServerMsg::CommandRejected {
        id,
        rule: "not-in-policy".into(),
        message: "sh is not in the policy".into(),
    }));
    assert!(matches!(&block(&app).end, Some(End::Refused { rule, .. }) if rule == "not-in-policy"));
    let (id, _, _) = run(&mut app, "ls");
    app.update(Event::Server(ServerMsg::Error {
        id,
        code: ErrorCode::Forbidden,
        message: "this connection's token lacks the exec scope".into(),
        retry_after_ms: None,
    }));
    assert!(matches!(&block(&app).end, Some(End::Failed(why)) if why.contains("exec scope")));
}

#[test]
fn shared_output_goes_with_the_next_message_once() {
    let mut app = app();
    connect(&mut app);
    let (id, _, _) = run(&mut app, "--share wc -l notes.txt");
    output(&mut app, &id, "stdout", "2 notes.txt\n");
    exit(&mut app, &id, 0);
    assert!(block(&app).shared);
    let chat = start_chat(&mut app, "what is this?");
    let ClientMsg::Chat { content, .. } = chat else {
        panic!("{chat:?}");
    };
    assert_eq!(
        content,
        "Output of `wc -l notes.txt` (exit 0 · 4 ms · landlock):\n```\n2 notes.txt\n```\n\nwhat is this?"
    );
    done(&mut app, MessageStatus::Complete);
    let second = start_chat(&mut app, "and now?");
    assert!(matches!(second, ClientMsg::Chat { content, .. } if content == "and now?"));
}

#[test]
fn s_in_the_transcript_shares_a_block_afterwards_but_not_a_refused_one() {
    let mut app = app();
    connect(&mut app);
    let (id, _, _) = run(&mut app, "ls");
    output(&mut app, &id, "stdout", "a\n");
    exit(&mut app, &id, 0);
    let (refused, _, _) = run(&mut app, "sh");
    app.update(Event::Server(ServerMsg::CommandRejected {
        id: refused,
        rule: "not-in-policy".into(),
        message: "no".into(),
    }));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, Focus::Transcript);
    key(&mut app, KeyCode::Char('s'));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("only a command that ran"))
    );
    key(&mut app, KeyCode::Char('['));
    key(&mut app, KeyCode::Char('s'));
    assert!(
        app.transcript.entries[0]
            .command
            .as_ref()
            .is_some_and(|c| c.shared)
    );
    assert_eq!(app.shared.len(), 1);
}

#[test]
fn esc_stops_a_running_command_and_a_lost_connection_ends_its_block() {
    let mut app = app();
    connect(&mut app);
    let (id, _, _) = run(&mut app, "find .");
    let fx = key(&mut app, KeyCode::Esc);
    assert!(matches!(sent(&fx).as_slice(), [ClientMsg::CancelExec { exec, .. }] if *exec == id));
    app.update(Event::Link(LinkEvent::Reconnecting {
        attempt: 1,
        why: "gone".into(),
    }));
    assert!(matches!(&block(&app).end, Some(End::Failed(why)) if why.contains("connection")));
}

#[test]
fn blocks_keep_their_place_when_the_conversation_loads_again() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "hello");
    done(&mut app, MessageStatus::Complete);
    let (id, _, _) = run(&mut app, "pwd");
    exit(&mut app, &id, 0);
    let messages: Vec<StoredMessage> = app
        .transcript
        .entries
        .iter()
        .filter(|e| e.command.is_none())
        .map(|e| StoredMessage {
            id: e.id.clone().expect("stored"),
            role: e.role,
            content: e.content.clone(),
            thinking: String::new(),
            status: MessageStatus::Complete,
            model: None,
            error: None,
            created_at_ms: 0,
            error_code: None,
            truncated: false,
            tools: Vec::new(),
            attachments: Vec::new(),
        })
        .collect();
    // A reconnect loads the open conversation again.
    connect(&mut app);
    let open = app
        .requests
        .iter()
        .find(|(_, r)| matches!(r, Req::Open(_)))
        .map(|(id, _)| id.clone())
        .expect("the conversation is fetched again");
    app.update(Event::Server(ServerMsg::Conversation {
        id: open,
        conversation: ConversationSummary {
            id: conv(1),
            title: "hello".into(),
            model: None,
            bot: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            message_count: 2,
        },
        system: None,
        messages,
        has_more: false,
        options: GenOptions::default(),
    }));
    let kinds: Vec<bool> = app
        .transcript
        .entries
        .iter()
        .map(|e| e.command.is_some())
        .collect();
    assert_eq!(
        kinds,
        [false, false, true],
        "the block stays after the reply it followed"
    );
}
