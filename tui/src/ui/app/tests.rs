//! Tests of the state machine: keys and server messages in, state and effects out.

use super::*;
use crate::ui::keymap::Keymap;
use crate::ui::transcript::Scroll;
use chinwag_protocol::{ErrorCode, MessageStatus, SearchHit, ServerMsg, StoredMessage};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(crate) fn app() -> App {
    let mut app = App::new(Settings {
        theme: Theme::plain(),
        keymap: Keymap::default(),
        model: Some("llama3.2".into()),
        bot: None,
        open: Open::New,
        session: "s".into(),
    });
    app.update(Event::Resize {
        width: 80,
        height: 24,
    });
    app
}

pub(crate) fn connect(app: &mut App) -> Vec<Effect> {
    app.update(Event::Link(LinkEvent::Connected {
        endpoint: "/run/chinwag.sock".into(),
        remote: false,
        user: "me".into(),
        max_message_bytes: 256 * 1024,
    }))
}

pub(crate) fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.update(Event::Key(KeyEvent::new(code, mods)))
}

pub(crate) fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    press(app, code, KeyModifiers::NONE)
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn sent(fx: &[Effect]) -> Vec<&ClientMsg> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn conv(n: u8) -> ConversationId {
    ConversationId(format!("{n:0>32}"))
}

fn mid(n: u8) -> MessageId {
    MessageId(format!("{n:x>32}"))
}

/// Sends `text` and answers with `chat_started`; returns the chat request.
pub(crate) fn start_chat(app: &mut App, text: &str) -> ClientMsg {
    type_text(app, text);
    let fx = key(app, KeyCode::Enter);
    let chat = sent(&fx)
        .into_iter()
        .find(|m| matches!(m, ClientMsg::Chat { .. }))
        .cloned()
        .expect("a chat was sent");
    let id = chat.id().to_string();
    app.update(Event::Server(ServerMsg::ChatStarted {
        id,
        conversation: conv(1),
        user_message: mid(1),
        assistant_message: mid(2),
        model: "llama3.2".into(),
        bot: None,
        resumed: false,
    }));
    chat
}

pub(crate) fn delta(app: &mut App, text: &str) {
    app.update(Event::Server(ServerMsg::Delta {
        id: "t0".into(),
        conversation: conv(1),
        message: mid(2),
        content: text.into(),
        thinking: String::new(),
    }));
}

pub(crate) fn done(app: &mut App, status: MessageStatus) -> Vec<Effect> {
    app.update(Event::Server(ServerMsg::Done {
        id: "t0".into(),
        conversation: conv(1),
        message: mid(2),
        status,
        done_reason: Some("stop".into()),
        stats: Some(GenStats {
            prompt_tokens: Some(26),
            completion_tokens: Some(282),
            tokens_per_second: Some(62.2),
            ..Default::default()
        }),
        error: None,
    }))
}

#[test]
fn enter_sends_the_typed_message_with_model_and_a_key() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "why is the sky blue?");
    let fx = key(&mut app, KeyCode::Enter);
    let chats: Vec<_> = sent(&fx);
    let [
        ClientMsg::Chat {
            content,
            model,
            conversation,
            idempotency_key,
            ..
        },
    ] = chats.as_slice()
    else {
        panic!("one chat expected, got {fx:?}");
    };
    assert_eq!(content, "why is the sky blue?");
    assert_eq!(model.as_deref(), Some("llama3.2"));
    assert_eq!(*conversation, None);
    assert!(
        idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with("s-"))
    );
    assert!(app.input.is_empty(), "the input is cleared");
    assert_eq!(app.transcript.entries.len(), 1);
    assert!(app.generating.is_some());
}

#[test]
fn alt_enter_and_ctrl_j_insert_newlines() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "one");
    press(&mut app, KeyCode::Enter, KeyModifiers::ALT);
    type_text(&mut app, "two");
    press(&mut app, KeyCode::Char('j'), KeyModifiers::CONTROL);
    type_text(&mut app, "three");
    assert_eq!(app.input_text(), "one\ntwo\nthree");
}

#[test]
fn a_streamed_reply_accumulates_and_ends_with_stats() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "hi");
    delta(&mut app, "Hello");
    delta(&mut app, ", world");
    assert_eq!(app.transcript.entries[1].content, "Hello, world");
    assert_eq!(app.transcript.entries[1].status, MessageStatus::Streaming);
    let fx = done(&mut app, MessageStatus::Complete);
    assert_eq!(app.transcript.entries[1].status, MessageStatus::Complete);
    assert!(app.generating.is_none());
    assert_eq!(
        app.stats.as_ref().and_then(|s| s.tokens_per_second),
        Some(62.2)
    );
    assert_eq!(app.conversation, Some(conv(1)));
    assert_eq!(app.title, "hi");
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMsg::ListConversations { .. })),
        "the list is refreshed"
    );
}

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
fn sending_while_disconnected_keeps_the_words() {
    let mut app = app();
    type_text(&mut app, "important words");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(sent(&fx).is_empty());
    assert_eq!(app.input_text(), "important words");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("kept")));
}

#[test]
fn reconnecting_keeps_input_and_reopens_and_reattaches() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "tell me");
    delta(&mut app, "partial");
    app.update(Event::Link(LinkEvent::Reconnecting {
        attempt: 1,
        why: "the daemon closed the connection".into(),
    }));
    type_text(&mut app, "draft");
    assert!(matches!(app.link, LinkState::Reconnecting { .. }));
    let fx = connect(&mut app);
    assert_eq!(app.input_text(), "draft");
    let open = sent(&fx)
        .into_iter()
        .find_map(|m| match m {
            ClientMsg::GetConversation { id, conversation } => {
                Some((id.clone(), conversation.clone()))
            }
            _ => None,
        })
        .expect("the open conversation is fetched again");
    assert_eq!(open.1, conv(1));
    // The daemon restarted: the stored reply is what it kept, marked incomplete.
    let stored = |id: MessageId, role, content: &str, status| StoredMessage {
        id,
        role,
        content: content.into(),
        thinking: String::new(),
        status,
        model: Some("llama3.2".into()),
        created_at_ms: 0,
        error: None,
        error_code: None,
        truncated: false,
    };
    let fx = app.update(Event::Server(ServerMsg::Conversation {
        id: open.0,
        conversation: ConversationSummary {
            id: conv(1),
            title: "tell me".into(),
            model: Some("llama3.2".into()),
            bot: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            message_count: 2,
        },
        system: None,
        messages: vec![
            stored(mid(1), Role::User, "tell me", MessageStatus::Complete),
            stored(
                mid(2),
                Role::Assistant,
                "partial and more",
                MessageStatus::Incomplete,
            ),
        ],
        has_more: false,
        options: GenOptions::default(),
    }));
    assert!(matches!(sent(&fx).as_slice(), [ClientMsg::Attach { .. }]));
    let attach_id = sent(&fx)[0].id().to_string();
    app.update(Event::Server(ServerMsg::Attached {
        id: attach_id,
        conversation: conv(1),
        generating: None,
    }));
    assert_eq!(app.transcript.entries[1].content, "partial and more");
    assert_eq!(app.transcript.entries[1].status, MessageStatus::Incomplete);
    assert!(app.generating.is_none());
    assert_eq!(app.input_text(), "draft");
}

#[test]
fn a_chat_lost_before_it_started_is_resent_with_the_same_key() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "hello");
    let first = sent(&key(&mut app, KeyCode::Enter))[0].clone();
    app.update(Event::Link(LinkEvent::Reconnecting {
        attempt: 1,
        why: "gone".into(),
    }));
    let fx = connect(&mut app);
    let again = sent(&fx)
        .into_iter()
        .find(|m| matches!(m, ClientMsg::Chat { .. }))
        .expect("resent");
    let key_of = |m: &ClientMsg| match m {
        ClientMsg::Chat {
            idempotency_key, ..
        } => idempotency_key.clone(),
        _ => None,
    };
    assert_eq!(key_of(again), key_of(&first));
    assert_ne!(again.id(), first.id());
    assert_eq!(app.transcript.entries.len(), 1, "shown once");
}

#[test]
fn a_refused_chat_gives_the_words_back_with_what_to_do() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "hello");
    let chat = sent(&key(&mut app, KeyCode::Enter))[0].clone();
    app.update(Event::Server(ServerMsg::Error {
        id: chat.id().into(),
        code: ErrorCode::ModelNotFound,
        message: "model \"llama3.2\" not found".into(),
        retry_after_ms: None,
    }));
    assert_eq!(app.input_text(), "hello");
    assert!(app.transcript.entries.is_empty());
    assert!(app.generating.is_none());
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("ollama pull llama3.2"), "{notice}");
}

#[test]
fn rate_limits_count_down_and_block_sending_until_over() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "hello");
    let chat = sent(&key(&mut app, KeyCode::Enter))[0].clone();
    app.update(Event::Server(ServerMsg::Error {
        id: chat.id().into(),
        code: ErrorCode::RateLimited,
        message: "rate limited".into(),
        retry_after_ms: Some(3_000),
    }));
    assert_eq!(app.rate_limited_until_ms, Some(3_000));
    assert!(app.wants_tick());
    app.update(Event::Tick { now_ms: 1_000 });
    assert!(sent(&key(&mut app, KeyCode::Enter)).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("2s")));
    app.update(Event::Tick { now_ms: 3_000 });
    assert_eq!(app.rate_limited_until_ms, None);
    assert_eq!(sent(&key(&mut app, KeyCode::Enter)).len(), 1);
}

#[test]
fn up_recalls_earlier_prompts_and_down_returns_to_the_draft() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "first");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "draft");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.input_text(), "first");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.input_text(), "draft");
}

#[test]
fn scrolling_up_pauses_follow_and_end_resumes_it() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "count");
    for i in 0..100 {
        delta(&mut app, &format!("line {i}\n\n"));
    }
    assert!(app.transcript.following());
    key(&mut app, KeyCode::PageUp);
    let paused = app.transcript.scroll;
    assert!(matches!(paused, Scroll::At { .. }));
    delta(&mut app, "more\n\n");
    assert_eq!(
        app.transcript.scroll, paused,
        "new text does not move the view"
    );
    press(&mut app, KeyCode::End, KeyModifiers::CONTROL);
    assert!(app.transcript.following());
    key(&mut app, KeyCode::Home);
    assert_eq!(app.transcript.scroll, Scroll::At { entry: 0, line: 0 });
}

#[test]
fn retry_replaces_the_last_turn() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "question");
    delta(&mut app, "bad answer");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "/retry");
    let fx = key(&mut app, KeyCode::Enter);
    let [
        ClientMsg::Chat {
            content,
            replace_from,
            conversation,
            ..
        },
    ] = sent(&fx).as_slice()
    else {
        panic!("a chat expected: {fx:?}");
    };
    assert_eq!(content, "question");
    assert_eq!(replace_from.as_ref(), Some(&mid(1)));
    assert_eq!(conversation.as_ref(), Some(&conv(1)));
    assert_eq!(app.transcript.entries.len(), 1, "the old reply is gone");
}

#[test]
fn edit_puts_the_last_prompt_back_and_sends_it_in_its_place() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "qestion");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "/edit");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.input_text(), "qestion");
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "question");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(matches!(
        sent(&fx).as_slice(),
        [ClientMsg::Chat { content, replace_from: Some(r), .. }] if content == "question" && *r == mid(1)
    ));
}

#[test]
fn delete_asks_first() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "secret");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "/delete");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(sent(&fx).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::ConfirmDelete { .. })));
    let fx = key(&mut app, KeyCode::Char('y'));
    let del = sent(&fx)[0].clone();
    assert!(
        matches!(&del, ClientMsg::DeleteConversation { conversation, .. } if *conversation == conv(1))
    );
    app.update(Event::Server(ServerMsg::Ok {
        id: del.id().into(),
    }));
    assert!(app.conversation.is_none());
    assert!(app.transcript.entries.is_empty());
}

#[test]
fn search_jumps_to_the_hit() {
    let mut app = app();
    connect(&mut app);
    press(&mut app, KeyCode::Char('r'), KeyModifiers::CONTROL);
    type_text(&mut app, "sky");
    let fx = key(&mut app, KeyCode::Char('*'));
    let search = sent(&fx)[0].clone();
    assert!(matches!(&search, ClientMsg::Search { query, .. } if query == "sky*"));
    app.update(Event::Server(ServerMsg::SearchResults {
        id: search.id().into(),
        hits: vec![SearchHit {
            conversation: conv(7),
            title: "Sky".into(),
            message: mid(9),
            role: Role::Assistant,
            snippet: "the [sky] is blue".into(),
            created_at_ms: 0,
        }],
    }));
    let fx = key(&mut app, KeyCode::Enter);
    assert!(matches!(
        sent(&fx).as_slice(),
        [ClientMsg::GetConversation { conversation, .. }] if *conversation == conv(7)
    ));
    assert!(app.overlay.is_none());
}

#[test]
fn slash_commands_complete_and_unknown_ones_are_explained() {
    let mut app = app();
    connect(&mut app);
    type_text(&mut app, "/mo");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.input_text(), "/model ");
    type_text(&mut app, "qwen2.5");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.as_deref(), Some("qwen2.5"));
    type_text(&mut app, "/frobnicate");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(sent(&fx).is_empty());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("unknown command"))
    );
    type_text(&mut app, "//not a command");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(sent(&fx).as_slice(), [ClientMsg::Chat { content, .. }] if content == "/not a command")
    );
}

#[test]
fn copy_takes_the_nth_code_block_of_the_last_reply() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "code");
    delta(&mut app, "```sh\nls\n```\n\n```py\nprint(1)\n```\n");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "/copy 2");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Copy { text, what }] if text == "print(1)\n" && what == "code block [2]"),
        "{fx:?}"
    );
    let fx = press(&mut app, KeyCode::Char('c'), KeyModifiers::ALT);
    assert!(matches!(fx.as_slice(), [Effect::Copy { text, .. }] if text.starts_with("```sh")));
}

#[test]
fn paste_goes_into_the_input_whole() {
    let mut app = app();
    connect(&mut app);
    let text = "line one\r\nline two\n".repeat(500);
    app.update(Event::Paste(text));
    assert_eq!(app.input.lines().len(), 1001);
    assert!(app.notice.is_none());
}

#[test]
fn pickers_filter_and_pick() {
    let mut app = app();
    connect(&mut app);
    app.update(Event::Server(ServerMsg::Models {
        id: "x".into(),
        models: ["llama3.2:latest", "qwen2.5-coder:7b"]
            .iter()
            .map(|n| ModelInfo {
                name: (*n).into(),
                size_bytes: 0,
                modified_at: None,
                family: None,
                parameter_size: None,
                quantization: None,
            })
            .collect(),
        default_model: None,
    }));
    key(&mut app, KeyCode::F(3));
    type_text(&mut app, "coder");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.as_deref(), Some("qwen2.5-coder:7b"));
    assert!(app.overlay.is_none());
}

#[test]
fn a_refused_retry_brings_the_old_turn_back() {
    let mut app = app();
    connect(&mut app);
    start_chat(&mut app, "question");
    delta(&mut app, "answer");
    done(&mut app, MessageStatus::Complete);
    type_text(&mut app, "/retry");
    let retry = sent(&key(&mut app, KeyCode::Enter))[0].clone();
    let fx = app.update(Event::Server(ServerMsg::Error {
        id: retry.id().into(),
        code: ErrorCode::Conflict,
        message: "busy".into(),
        retry_after_ms: None,
    }));
    assert!(
        matches!(sent(&fx).as_slice(), [ClientMsg::GetConversation { conversation, .. }] if *conversation == conv(1)),
        "the stored conversation is fetched again: {fx:?}"
    );
    assert_eq!(app.input_text(), "question");
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
