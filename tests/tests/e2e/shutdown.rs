//! Graceful shutdown: a stopping daemon takes no new chats, lets replies in progress finish
//! within `[timeouts] shutdown_grace_secs`, stores any it must cut as `incomplete`, tells
//! every client (`done`, then close 1001), and exits 0 on SIGTERM.

use chinwag_protocol::{ClientMsg, ErrorCode, MessageStatus, ServerMsg};
use chinwag_tests::client::{TestClient, chat};
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line};
use chinwag_tests::harness::{DaemonProcess, TestDaemon, test_config};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A reply that sends a word, then waits for the test.
fn held() -> Script {
    Script::Stream(vec![
        Part::Bytes(line("llama3.2", "first ", false).into_bytes()),
        Part::Gate,
        Part::Bytes(line("llama3.2", "and last", true).into_bytes()),
    ])
}

/// Reads `c` to its end: the `done` it got (if any) and the close code.
async fn done_then_close(c: &mut TestClient) -> (Option<(MessageStatus, Option<ErrorCode>)>, u16) {
    let mut done = None;
    loop {
        match c.recv_frame().await {
            Some(Message::Text(t)) => {
                if let Ok(ServerMsg::Done { status, error, .. }) = serde_json::from_str(t.as_str())
                {
                    done = Some((status, error.map(|e| e.code)));
                }
            }
            Some(Message::Close(Some(f))) => return (done, f.code.into()),
            other => panic!("expected done then a close, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_ends_within_the_grace_completes_and_new_chats_are_refused_meanwhile() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.timeouts.shutdown_grace = Duration::from_secs(30);
    fake.script(held());
    let daemon = TestDaemon::start(dir.path(), config.clone()).await;
    let mut asker = TestClient::connect(&daemon.socket).await;
    asker.send(&chat("c", "go")).await;
    asker.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let mut other = TestClient::connect(&daemon.socket).await;
    let stopping = tokio::spawn(daemon.stop());
    // Once it stops accepting, a chat on a connection still open (it waits for its reply;
    // an idle one is closed at once) is refused, saying why.
    chinwag_tests::harness::wait_until("the daemon stops accepting", || async {
        tokio::net::UnixStream::connect(&config.socket)
            .await
            .is_err()
    })
    .await;
    match asker.call(chat("n", "new")).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::ShuttingDown),
        m => panic!("expected shutting_down, got {m:?}"),
    }
    fake.release();
    assert_eq!(
        done_then_close(&mut asker).await,
        (Some((MessageStatus::Complete, None)), 1001),
        "the reply finished within the grace"
    );
    assert_eq!(done_then_close(&mut other).await, (None, 1001));
    stopping.await.expect("stopped");
    // What was stored says the same.
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let id = c.conversations().await[0].id.clone();
    let stored = c.stored(&id).await;
    assert_eq!(stored[1].status, MessageStatus::Complete);
    assert_eq!(stored[1].content, "first and last");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cuts_a_reply_past_the_grace_stores_it_incomplete_and_exits_0() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let config_dir = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        "[timeouts]\nshutdown_grace_secs = 1\n",
    )
    .expect("config");
    fake.script(held());
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let socket = daemon.socket.clone();
    let mut asker = TestClient::connect(&socket).await;
    asker.send(&chat("c", "go")).await;
    asker.until(|m| matches!(m, ServerMsg::Delta { .. })).await;
    let mut watcher = TestClient::connect(&socket).await;
    let conversation = asker.conversations().await[0].id.clone();
    watcher
        .send(&ClientMsg::Attach {
            id: "a".into(),
            conversation: conversation.clone(),
        })
        .await;
    watcher
        .until(|m| matches!(m, ServerMsg::Replay { .. }))
        .await;
    let exit = tokio::spawn(daemon.terminate());
    for c in [&mut asker, &mut watcher] {
        assert_eq!(
            done_then_close(c).await,
            (
                Some((MessageStatus::Incomplete, Some(ErrorCode::ShuttingDown))),
                1001
            )
        );
    }
    let status = exit.await.expect("joined");
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Stored as cut, with what came before the cut.
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let stored = c.stored(&conversation).await;
    assert_eq!(
        (stored[1].status, stored[1].content.as_str()),
        (MessageStatus::Incomplete, "first ")
    );
    assert_eq!(daemon.terminate().await.code(), Some(0));
}
