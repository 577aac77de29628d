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
        cwd: Some("/home/me/proj".into()),
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
        tools: Vec::new(),
        attachments: Vec::new(),
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
    assert!(notice.contains("/pull llama3.2"), "{notice}");
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
                capabilities: Vec::new(),
                loaded: None,
                context_length: None,
            })
            .collect(),
        default_model: None,
        backends: Vec::new(),
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

mod exec;
mod files;
mod lifecycle;
mod pull;
pub(crate) mod tools;
