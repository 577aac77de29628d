//! Tests of what surrounds a chat: conversations bigger than a frame, drafts and quitting,
//! Ollama's health, exports, and the terminal keys (redraw, suspend, undo).

use super::*;
use chinwag_protocol::GenOptions;

#[test]
fn esc_stops_a_reply_on_the_daemon_and_ctrl_c_quits_when_idle() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "hi");
    let fx = key(&mut app, KeyCode::Esc);
    assert!(
        matches!(sent(&fx).as_slice(), [ClientMsg::Cancel { conversation, .. }] if *conversation == conv(1))
    );
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(
        matches!(sent(&fx).as_slice(), [ClientMsg::Cancel { .. }]),
        "still generating"
    );
    done(&mut app, MessageStatus::Cancelled);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("kept")));
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        fx,
        vec![
            Effect::SaveDraft {
                conversation: Some(conv(1)),
                text: String::new()
            },
            Effect::Quit
        ]
    );
}

#[test]
fn q_quits_only_outside_the_input() {
    let mut app = app();
    connect(&mut app);
    let fx = key(&mut app, KeyCode::Char('q'));
    assert!(fx.is_empty());
    assert_eq!(app.input_text(), "q");
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, Focus::Transcript);
    assert_eq!(
        key(&mut app, KeyCode::Char('q')),
        vec![
            Effect::SaveDraft {
                conversation: None,
                text: String::new()
            },
            Effect::Quit
        ]
    );
}

#[test]
fn a_kept_draft_comes_back_when_its_conversation_opens() {
    let mut app = app();
    let fx = connect(&mut app);
    assert!(
        fx.contains(&Effect::LoadDraft(None)),
        "a new chat asks for its draft: {fx:?}"
    );
    app.update(Event::DraftLoaded {
        conversation: None,
        text: "from last time".into(),
    });
    assert_eq!(app.input_text(), "from last time");
    // A draft that arrives for another conversation, or over typed text, changes nothing.
    app.update(Event::DraftLoaded {
        conversation: Some(conv(9)),
        text: "other".into(),
    });
    assert_eq!(app.input_text(), "from last time");
}

#[test]
fn ctrl_c_with_a_draft_asks_first_and_the_draft_is_kept() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "half a thought");
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(fx.is_empty(), "not quit yet: {fx:?}");
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("again"))
    );
    // Any other key disarms it.
    key(&mut app, KeyCode::Char('!'));
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(fx.is_empty(), "asks again after another key: {fx:?}");
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        fx,
        vec![
            Effect::SaveDraft {
                conversation: None,
                text: "half a thought!".into()
            },
            Effect::Quit
        ]
    );
}

#[test]
fn a_conversation_bigger_than_a_frame_is_fetched_page_by_page_and_slice_by_slice() {
    let mut app = app();
    connect(&mut app);
    let mut fx = Vec::new();
    app.open_conversation(conv(3), None, &mut fx);
    let open_id = sent(&fx)[0].id().to_string();
    let msg = |n: u8, content: &str, truncated| StoredMessage {
        id: mid(n),
        role: Role::Assistant,
        content: content.into(),
        thinking: String::new(),
        status: MessageStatus::Complete,
        model: None,
        created_at_ms: 0,
        error: None,
        error_code: None,
        truncated,
        tools: Vec::new(),
        attachments: Vec::new(),
    };
    let summary = ConversationSummary {
        id: conv(3),
        title: "big".into(),
        model: None,
        bot: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        message_count: 3,
    };
    let fx = app.update(Event::Server(ServerMsg::Conversation {
        id: open_id,
        conversation: summary,
        system: None,
        messages: vec![msg(3, "newest, cut: ", true)],
        has_more: true,
        options: GenOptions {
            temperature: Some(0.3),
            ..GenOptions::default()
        },
    }));
    assert_eq!(
        app.options.temperature,
        Some(0.3),
        "/temp comes back with the conversation"
    );
    let asks = sent(&fx);
    let older = asks
        .iter()
        .find_map(|m| match m {
            ClientMsg::History { id, before, .. } => Some((id.clone(), before.clone())),
            _ => None,
        })
        .expect("an older page is asked for");
    assert_eq!(older.1, Some(mid(3)));
    let slice = asks
        .iter()
        .find_map(|m| match m {
            ClientMsg::GetMessageText {
                id,
                message,
                part: chinwag_protocol::TextPart::Content,
                offset,
            } => Some((id.clone(), message.clone(), *offset)),
            _ => None,
        })
        .expect("the rest of the cut message is asked for");
    assert_eq!((slice.1.clone(), slice.2), (mid(3), 13));
    let fx = app.update(Event::Server(ServerMsg::MessageText {
        id: slice.0,
        message: mid(3),
        part: chinwag_protocol::TextPart::Content,
        offset: 13,
        text: "part two, ".into(),
        total_bytes: 27,
    }));
    let next = match sent(&fx).as_slice() {
        [ClientMsg::GetMessageText { id, offset: 23, .. }] => id.clone(),
        other => panic!("expected the next slice at 23, got {other:?}"),
    };
    app.update(Event::Server(ServerMsg::MessageText {
        id: next,
        message: mid(3),
        part: chinwag_protocol::TextPart::Content,
        offset: 23,
        text: "end.".into(),
        total_bytes: 27,
    }));
    let fx = app.update(Event::Server(ServerMsg::Messages {
        id: older.0,
        conversation: conv(3),
        items: vec![msg(1, "first", false), msg(2, "second", false)],
        has_more: false,
    }));
    assert!(
        !sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMsg::History { .. })),
        "no page is asked for past the first"
    );
    let texts: Vec<&str> = app
        .transcript
        .entries
        .iter()
        .map(|e| e.content.as_str())
        .collect();
    assert_eq!(texts, ["first", "second", "newest, cut: part two, end."]);
}

fn status(id: &str, reachable: bool) -> ServerMsg {
    ServerMsg::Status(chinwag_protocol::StatusReply {
        id: id.into(),
        version: "0.1.0".into(),
        protocol: 1,
        pid: 1,
        uptime_ms: 0,
        listening: vec![],
        store_path: String::new(),
        user: "me".into(),
        ollama: chinwag_protocol::OllamaStatus {
            url: "http://127.0.0.1:11434".into(),
            reachable,
            version: None,
            error: None,
        },
        default_model: None,
        active_generations: 0,
        connections: 1,
        limits: None,
        backends: Vec::new(),
    })
}

fn status_request(fx: &[Effect]) -> Option<String> {
    sent(fx).iter().find_map(|m| match m {
        ClientMsg::Status { id } => Some(id.clone()),
        _ => None,
    })
}

#[test]
fn ollama_down_shows_the_fix_first_and_its_return_is_noticed() {
    let mut app = app();
    let fx = connect(&mut app);
    let first = status_request(&fx).expect("status is asked on connect");
    app.update(Event::Server(status(&first, false)));
    assert_eq!(app.ollama_up, Some(false));
    let notice = app.notice.clone().expect("a notice");
    assert!(
        notice.text.starts_with("start Ollama: `ollama serve`"),
        "{notice:?}"
    );
    assert!(app.wants_tick(), "checks again while Ollama is down");
    // Too soon: no new request; after a few seconds, another status.
    let fx = app.update(Event::Tick { now_ms: 500 });
    assert!(status_request(&fx).is_none());
    let fx = app.update(Event::Tick { now_ms: 3_500 });
    let again = status_request(&fx).expect("asked again");
    let fx = app.update(Event::Server(status(&again, true)));
    assert_eq!(app.ollama_up, Some(true));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("reachable again")),
        "{:?}",
        app.notice
    );
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMsg::ListModels { .. })),
        "the models are fetched again"
    );
    assert!(!app.wants_tick());
}

#[test]
fn a_model_not_found_hint_is_not_repeated() {
    let mut app = app();
    connect(&mut app);
    let chat = start_chat_refused(&mut app);
    app.update(Event::Server(ServerMsg::Error {
        id: chat,
        code: ErrorCode::ModelNotFound,
        message: "model 'lama3.2' not found — did you mean llama3.2? (or `ollama pull lama3.2`)"
            .into(),
        retry_after_ms: None,
    }));
    let text = app.notice.clone().expect("notice").text;
    assert_eq!(text.matches("ollama pull").count(), 1, "{text}");
}

fn start_chat_refused(app: &mut App) -> String {
    type_text(app, "hello");
    let fx = key(app, KeyCode::Enter);
    sent(&fx)
        .iter()
        .find(|m| matches!(m, ClientMsg::Chat { .. }))
        .map(|m| m.id().to_string())
        .expect("a chat")
}

#[test]
fn export_marks_a_cancelled_reply() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "hi");
    delta(&mut app, "half");
    done(&mut app, MessageStatus::Cancelled);
    type_text(&mut app, "/export out.md");
    let fx = key(&mut app, KeyCode::Enter);
    let written = fx.iter().find_map(|e| match e {
        Effect::WriteFile { contents, .. } => Some(contents.clone()),
        _ => None,
    });
    let md = written.expect("an export");
    assert!(md.contains("half"), "{md}");
    assert!(md.contains("*[reply cancelled]*"), "{md}");
}

#[test]
fn ctrl_l_redraws_and_ctrl_z_suspends_and_undo_is_ctrl_underscore() {
    let mut app = app();
    connect(&mut app);
    assert_eq!(
        press(&mut app, KeyCode::Char('l'), KeyModifiers::CONTROL),
        vec![Effect::Redraw]
    );
    type_text(&mut app, "abc");
    assert_eq!(
        press(&mut app, KeyCode::Char('z'), KeyModifiers::CONTROL),
        vec![Effect::Suspend]
    );
    assert_eq!(app.input_text(), "abc", "Ctrl+Z does not undo any more");
    press(&mut app, KeyCode::Char('_'), KeyModifiers::CONTROL);
    assert_ne!(app.input_text(), "abc", "Ctrl+_ undoes");
}

#[test]
fn continue_with_nothing_to_continue_brings_the_new_chat_draft_and_never_erases_an_unread_one() {
    let mut app = App::new(Settings {
        theme: Theme::plain(),
        keymap: Keymap::default(),
        model: None,
        bot: None,
        open: Open::Latest,
        session: "s".into(),
        cwd: Some("/home/me/proj".into()),
    });
    let connected = connect(&mut app);
    assert!(
        !connected.contains(&Effect::LoadDraft(None)),
        "not before the list: {connected:?}"
    );
    // Quitting before the draft could be read leaves it alone.
    let mut early = App::new(Settings {
        theme: Theme::plain(),
        keymap: Keymap::default(),
        model: None,
        bot: None,
        open: Open::Latest,
        session: "s".into(),
        cwd: Some("/home/me/proj".into()),
    });
    connect(&mut early);
    let fx = press(&mut early, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(fx, vec![Effect::Quit], "an unread draft is not erased");

    let list = sent(&connected)
        .iter()
        .find_map(|m| match m {
            ClientMsg::ListConversations { id, .. } => Some(id.clone()),
            _ => None,
        })
        .expect("the list is asked for");
    let fx = app.update(Event::Server(ServerMsg::Conversations {
        id: list,
        items: vec![],
        next_cursor: None,
    }));
    assert_eq!(fx, vec![Effect::LoadDraft(None)]);
}

#[test]
fn a_refusal_retrying_cannot_fix_stops_and_says_why() {
    let mut app = app();
    type_text(&mut app, "kept");
    app.update(Event::Link(LinkEvent::Refused {
        why: "wss://gpu.example/ refused the connection: bad token".into(),
    }));
    assert_eq!(app.link, LinkState::Refused);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("bad token"))
    );
    assert_eq!(app.input_text(), "kept", "the draft stays");
    assert!(!app.wants_tick(), "no spinner, no retries");
}
