//! kill -9 mid-reply, 20 times: no acknowledged message is lost or duplicated, cut replies
//! read `incomplete`, and the database passes `integrity_check`.

use chinwag_protocol::{ClientMsg, GenOptions, MessageId, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line};
use chinwag_tests::harness::{DaemonProcess, isolated_database};
use rusqlite::{Connection, OpenFlags, params};

const ROUNDS: usize = 20;

fn keyed_chat(key: &str) -> ClientMsg {
    ClientMsg::Chat {
        id: key.into(),
        conversation: None,
        bot: None,
        model: Some("llama3.2".into()),
        content: format!("message {key}"),
        options: GenOptions::default(),
        idempotency_key: Some(key.into()),
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_reply_loses_and_duplicates_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut acked: Vec<(String, MessageId)> = Vec::new();
    for round in 0..ROUNDS {
        let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
        fake.script(Script::Stream(vec![
            Part::Bytes(line("llama3.2", &format!("partial {round}"), false).into_bytes()),
            Part::Gate,
        ]));
        let mut c = TestClient::connect(&daemon.socket).await;
        let key = format!("key-{round}");
        c.send(&keyed_chat(&key)).await;
        let msgs = c.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
        let user = msgs
            .iter()
            .find_map(|m| match m {
                ServerMsg::ChatStarted { user_message, .. } => Some(user_message.clone()),
                _ => None,
            })
            .expect("acknowledged");
        acked.push((key, user));
        daemon.kill9();
    }

    // One more start: the resend of an acknowledged key is answered from the store.
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let (key0, user0) = acked[0].clone();
    c.send(&keyed_chat(&key0)).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    match &msgs[0] {
        ServerMsg::ChatStarted {
            user_message,
            resumed,
            ..
        } => {
            assert!(*resumed);
            assert_eq!(user_message, &user0);
        }
        other => panic!("{other:?}"),
    }
    match msgs.last() {
        Some(ServerMsg::Done { status, .. }) => {
            assert_eq!(*status, chinwag_protocol::MessageStatus::Incomplete)
        }
        other => panic!("{other:?}"),
    }
    drop(c);
    daemon.kill9();

    let db = Connection::open_with_flags(
        isolated_database(dir.path()),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open db");
    for (key, user) in &acked {
        let (n, id): (i64, String) = db
            .query_row(
                "SELECT COUNT(*), MAX(id) FROM messages WHERE idempotency_key = ?1 AND role = 'user'",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count");
        assert_eq!(n, 1, "acknowledged message {key} stored exactly once");
        assert_eq!(&id, &user.0);
        let status: String = db
            .query_row(
                "SELECT status FROM messages WHERE reply_to = ?1",
                params![user.0],
                |r| r.get(0),
            )
            .expect("reply row");
        assert_eq!(
            status, "incomplete",
            "the reply to {key} is marked cut, never complete"
        );
    }
    let total_users: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE role = 'user'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(total_users as usize, ROUNDS);
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
}
