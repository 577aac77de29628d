//! Golden-JSON and round-trip tests: every message's wire form is pinned here, so a change to
//! the contract shows up as a failing diff rather than a silent break for third-party clients.

#![allow(clippy::expect_used, reason = "test helpers fail the test on bad data")]

use chinwag_protocol::*;
use serde_json::{Value, json};

mod server;

/// Asserts `msg` serialises to exactly `golden`, that `golden` parses back to `msg`, and
/// that `kind()` names its `type`.
fn golden_client(msg: ClientMsg, golden: Value) {
    assert_eq!(golden["type"], msg.kind(), "{msg:?}");
    assert_eq!(
        serde_json::to_value(&msg).expect("serialise"),
        golden,
        "{msg:?}"
    );
    let back: ClientMsg = serde_json::from_value(golden).expect("parse golden");
    assert_eq!(back, msg);
}

pub(crate) fn golden_server(msg: ServerMsg, golden: Value) {
    assert_eq!(
        serde_json::to_value(&msg).expect("serialise"),
        golden,
        "{msg:?}"
    );
    let back: ServerMsg = serde_json::from_value(golden).expect("parse golden");
    assert_eq!(back, msg);
}

pub(crate) fn cid(s: &str) -> ConversationId {
    ConversationId(s.into())
}

pub(crate) fn mid(s: &str) -> MessageId {
    MessageId(s.into())
}

#[test]
fn client_messages_have_stable_json() {
    golden_client(
        ClientMsg::Hello {
            id: "1".into(),
            protocol: 1,
            client: Some("chinwag/0.1.0".into()),
        },
        json!({"type":"hello","id":"1","protocol":1,"client":"chinwag/0.1.0"}),
    );
    golden_client(
        ClientMsg::Chat {
            id: "2".into(),
            conversation: None,
            bot: Some("coder".into()),
            model: Some("llama3.2".into()),
            content: "why is the sky blue?".into(),
            options: GenOptions {
                system: Some("be brief".into()),
                temperature: Some(0.5),
                top_p: Some(0.25),
                seed: Some(42),
                num_predict: Some(128),
                num_ctx: Some(8192),
                stop: vec!["END".into()],
                keep_alive: Some("5m".into()),
                think: Some(Think::Level("high".into())),
            },
            idempotency_key: Some("k-1".into()),
            replace_from: None,
            tools: Some(vec!["read_file".into()]),
            attachments: vec![Attachment {
                name: "notes.md".into(),
                kind: AttachmentKind::Text,
                bytes: 9,
                mime: None,
                text: Some("buy milk\n".into()),
                data: None,
            }],
            ephemeral: false,
        },
        json!({"type":"chat","id":"2","bot":"coder","model":"llama3.2",
               "content":"why is the sky blue?",
               "options":{"system":"be brief","temperature":0.5,"top_p":0.25,"seed":42,
                          "num_predict":128,"num_ctx":8192,"stop":["END"],"keep_alive":"5m",
                          "think":"high"},
               "idempotency_key":"k-1","tools":["read_file"],
               "attachments":[{"name":"notes.md","kind":"text","bytes":9,"text":"buy milk\n"}]}),
    );
    golden_client(
        ClientMsg::Chat {
            id: "3".into(),
            conversation: Some(cid("c1")),
            bot: None,
            model: None,
            content: "and in French?".into(),
            options: GenOptions::default(),
            idempotency_key: None,
            replace_from: None,
            tools: None,
            attachments: Vec::new(),
            ephemeral: false,
        },
        json!({"type":"chat","id":"3","conversation":"c1","content":"and in French?"}),
    );
    golden_client(
        ClientMsg::Cancel {
            id: "4".into(),
            conversation: cid("c1"),
        },
        json!({"type":"cancel","id":"4","conversation":"c1"}),
    );
    golden_client(
        ClientMsg::Approve {
            id: "4".into(),
            conversation: cid("c1"),
            call: "1".into(),
            decision: Decision::Conversation,
            reason: None,
        },
        json!({"type":"approve","id":"4","conversation":"c1","call":"1","decision":"conversation"}),
    );
    golden_client(
        ClientMsg::Pull {
            id: "16".into(),
            model: "qwen2.5".into(),
        },
        json!({"type":"pull","id":"16","model":"qwen2.5"}),
    );
    golden_client(
        ClientMsg::ListGenerations { id: "15".into() },
        json!({"type":"list_generations","id":"15"}),
    );
    golden_client(
        ClientMsg::Attach {
            id: "5".into(),
            conversation: cid("c1"),
        },
        json!({"type":"attach","id":"5","conversation":"c1"}),
    );
    golden_client(
        ClientMsg::ListConversations {
            id: "6".into(),
            limit: Some(20),
            offset: None,
            cursor: Some("abc".into()),
        },
        json!({"type":"list_conversations","id":"6","limit":20,"cursor":"abc"}),
    );
    golden_client(
        ClientMsg::GetConversation {
            id: "7".into(),
            conversation: cid("c1"),
        },
        json!({"type":"get_conversation","id":"7","conversation":"c1"}),
    );
    golden_client(
        ClientMsg::RenameConversation {
            id: "8".into(),
            conversation: cid("c1"),
            title: "Sky".into(),
        },
        json!({"type":"rename_conversation","id":"8","conversation":"c1","title":"Sky"}),
    );
    golden_client(
        ClientMsg::DeleteConversation {
            id: "9".into(),
            conversation: cid("c1"),
        },
        json!({"type":"delete_conversation","id":"9","conversation":"c1"}),
    );
    golden_client(
        ClientMsg::History {
            id: "10".into(),
            conversation: cid("c1"),
            before: Some(mid("m9")),
            limit: Some(50),
        },
        json!({"type":"history","id":"10","conversation":"c1","before":"m9","limit":50}),
    );
    golden_client(
        ClientMsg::Reload { id: "17".into() },
        json!({"type":"reload","id":"17"}),
    );
    golden_client(
        ClientMsg::Shutdown { id: "18".into() },
        json!({"type":"shutdown","id":"18"}),
    );
    golden_client(
        ClientMsg::Exec {
            id: "19".into(),
            argv: vec!["git".into(), "status".into()],
            cwd: Some("/home/a/proj".into()),
        },
        json!({"type":"exec","id":"19","argv":["git","status"],"cwd":"/home/a/proj"}),
    );
    golden_client(
        ClientMsg::Audit {
            id: "21".into(),
            since_ms: Some(1_700_000_000_000),
            limit: Some(50),
        },
        json!({"type":"audit","id":"21","since_ms":1_700_000_000_000_i64,"limit":50}),
    );
    golden_client(
        ClientMsg::CancelExec {
            id: "22".into(),
            exec: "19".into(),
        },
        json!({"type":"cancel_exec","id":"22","exec":"19"}),
    );
    golden_client(
        ClientMsg::ExecCheck {
            id: "20".into(),
            argv: vec!["find".into(), ".".into(), "-delete".into()],
            cwd: None,
        },
        json!({"type":"exec_check","id":"20","argv":["find",".","-delete"]}),
    );
    golden_client(
        ClientMsg::GetMessageText {
            id: "16".into(),
            message: mid("m2"),
            part: TextPart::Thinking,
            offset: 65536,
        },
        json!({"type":"get_message_text","id":"16","message":"m2","part":"thinking","offset":65536}),
    );
    golden_client(
        ClientMsg::Search {
            id: "11".into(),
            query: "rayleigh".into(),
            limit: None,
        },
        json!({"type":"search","id":"11","query":"rayleigh"}),
    );
    golden_client(
        ClientMsg::ListModels { id: "12".into() },
        json!({"type":"list_models","id":"12"}),
    );
    golden_client(
        ClientMsg::ListBots { id: "13".into() },
        json!({"type":"list_bots","id":"13"}),
    );
    golden_client(
        ClientMsg::Status { id: "14".into() },
        json!({"type":"status","id":"14"}),
    );
    golden_client(
        ClientMsg::Ping { id: "15".into() },
        json!({"type":"ping","id":"15"}),
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let msg: ClientMsg =
        serde_json::from_str(r#"{"type":"ping","id":"x","from_the_future":{"nested":[1,2]}}"#)
            .expect("unknown fields must be tolerated");
    assert_eq!(msg, ClientMsg::Ping { id: "x".into() });
    let msg: ServerMsg =
        serde_json::from_str(r#"{"type":"ok","id":"y","extra":true}"#).expect("tolerant");
    assert_eq!(msg.id(), "y");
}

#[test]
fn missing_required_field_and_unknown_type_are_errors() {
    let missing = serde_json::from_str::<ClientMsg>(r#"{"type":"chat","id":"1"}"#)
        .expect_err("content is required");
    assert!(missing.to_string().contains("content"), "{missing}");
    let unknown = serde_json::from_str::<ClientMsg>(r#"{"type":"dance","id":"1"}"#)
        .expect_err("unknown type");
    assert!(unknown.to_string().contains("dance"), "{unknown}");
}

#[test]
fn every_error_code_round_trips_by_name() {
    use ErrorCode::*;
    for code in [
        InvalidJson,
        InvalidRequest,
        UnknownType,
        UnsupportedVersion,
        HelloRequired,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        RateLimited,
        MessageTooLarge,
        ModelNotFound,
        NoModel,
        BackendUnavailable,
        BackendBusy,
        BackendError,
        BackendTimeout,
        StorageError,
        ShuttingDown,
        Internal,
    ] {
        let json = serde_json::to_value(code).expect("serialise");
        assert_eq!(json, Value::String(code.as_str().into()));
        assert_eq!(
            serde_json::from_value::<ErrorCode>(json).expect("parse"),
            code
        );
    }
}

#[test]
fn message_status_names_round_trip() {
    use MessageStatus::*;
    for s in [Complete, Streaming, Incomplete, Error, Cancelled] {
        assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_value(s).expect("ser"),
            Value::String(s.as_str().into())
        );
    }
    assert_eq!(MessageStatus::parse("done"), None);
}

#[test]
fn gen_options_fill_from_a_base() {
    let base = GenOptions {
        system: Some("base".into()),
        temperature: Some(0.1),
        stop: vec!["x".into()],
        ..GenOptions::default()
    };
    let req = GenOptions {
        temperature: Some(0.9),
        ..GenOptions::default()
    };
    let merged = req.or(&base);
    assert_eq!(merged.temperature, Some(0.9));
    assert_eq!(merged.system.as_deref(), Some("base"));
    assert_eq!(merged.stop, vec!["x".to_string()]);
}
