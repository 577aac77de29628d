//! Identity over TCP: each token speaks for its user, users never see each other's
//! conversations, scopes limit what a token reaches, a revoked token's live socket closes,
//! and the CLI manages users and tokens. The Unix socket names the OS user by login name.

use crate::chat;
use chinwag_protocol::{ClientMsg, ConversationId, ErrorCode, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, bin, isolated_vars, make_token, test_config};
use std::time::Duration;

fn code(m: &ServerMsg) -> Option<ErrorCode> {
    match m {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

async fn tcp_daemon(dir: &std::path::Path, fake: &FakeOllama) -> (TestDaemon, std::path::PathBuf) {
    let mut config = test_config(dir, &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let db = config.database.clone();
    (TestDaemon::start(dir, config).await, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_over_tcp_never_reach_each_others_conversations() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let alice_token = make_token(&config.database, "alice", "chat", None).await;
    let bob_token = make_token(&config.database, "bob", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let mut alice = TestClient::try_connect_tcp(addr, Some(&alice_token))
        .await
        .expect("in");
    let mut bob = TestClient::try_connect_tcp(addr, Some(&bob_token))
        .await
        .expect("in");

    alice.send(&chat("a", "alice's secret plan")).await;
    let msgs = alice.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let (conv, user_msg) = match &msgs[0] {
        ServerMsg::ChatStarted {
            conversation,
            user_message,
            ..
        } => (conversation.clone(), user_message.clone()),
        other => panic!("{other:?}"),
    };
    // Neither the owner of the socket nor another token sees it.
    let mut owner = TestClient::connect(&daemon.socket).await;
    for c in [&mut bob, &mut owner] {
        assert!(c.conversations().await.is_empty());
        match c
            .call(ClientMsg::Search {
                id: "s".into(),
                query: "secret".into(),
                limit: None,
            })
            .await
        {
            ServerMsg::SearchResults { hits, .. } => assert!(hits.is_empty()),
            other => panic!("{other:?}"),
        }
        let by_id = |id: &str, conv: &ConversationId| -> Vec<ClientMsg> {
            let c = conv.clone();
            vec![
                ClientMsg::GetConversation {
                    id: id.into(),
                    conversation: c.clone(),
                },
                ClientMsg::Attach {
                    id: id.into(),
                    conversation: c.clone(),
                },
                ClientMsg::Cancel {
                    id: id.into(),
                    conversation: c.clone(),
                },
                ClientMsg::RenameConversation {
                    id: id.into(),
                    conversation: c.clone(),
                    title: "mine now".into(),
                },
                ClientMsg::History {
                    id: id.into(),
                    conversation: c.clone(),
                    before: None,
                    limit: None,
                },
                ClientMsg::DeleteConversation {
                    id: id.into(),
                    conversation: c,
                },
            ]
        };
        // One at a time: each reply comes before the next request, so one id serves all.
        for (i, msg) in by_id("x", &conv).into_iter().enumerate() {
            assert_eq!(
                code(&c.call(msg).await),
                Some(ErrorCode::NotFound),
                "request {i}"
            );
        }
        // A turn into her conversation, replacing her message.
        let mut steal = chat("r", "overwrite");
        if let ClientMsg::Chat {
            conversation,
            replace_from,
            ..
        } = &mut steal
        {
            *conversation = Some(conv.clone());
            *replace_from = Some(user_msg.clone());
        }
        assert_eq!(code(&c.call(steal).await), Some(ErrorCode::NotFound));
    }
    // Still hers, whole.
    let stored = alice.stored(&conv).await;
    assert_eq!(stored[0].content, "alice's secret plan");
    assert_eq!(alice.conversations().await[0].title, "alice's secret plan");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_limit_what_a_token_reaches() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let exec_only = make_token(&config.database, "carol", "exec", None).await;
    let chat_only = make_token(&config.database, "carol", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("tcp");
    let mut c = TestClient::try_connect_tcp(addr, Some(&exec_only))
        .await
        .expect("in");
    assert_eq!(
        code(&c.call(chat("c", "hi")).await),
        Some(ErrorCode::Forbidden)
    );
    assert!(matches!(
        c.call(ClientMsg::Ping { id: "p".into() }).await,
        ServerMsg::Pong { .. }
    ));
    let mut c = TestClient::try_connect_tcp(addr, Some(&chat_only))
        .await
        .expect("in");
    for admin in [
        ClientMsg::Reload { id: "r".into() },
        ClientMsg::Shutdown { id: "s".into() },
    ] {
        assert_eq!(code(&c.call(admin).await), Some(ErrorCode::Forbidden));
    }
    assert!(matches!(
        c.call(ClientMsg::Status { id: "st".into() }).await,
        ServerMsg::Status(_)
    ));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_closes_its_live_socket_and_the_cli_manages_tokens() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let (daemon, _db) = tcp_daemon(dir.path(), &fake).await;
    let addr = daemon.tcp.expect("tcp");
    let admin = |args: &[&str]| {
        let mut cmd = std::process::Command::new(bin("chinwag"));
        cmd.env_clear()
            .envs(isolated_vars(dir.path(), &fake.host()));
        cmd.arg("daemon").arg("--database").arg(&daemon.database);
        let out = cmd.args(args).output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(admin(&["user", "add", "dave"]).0, Some(0));
    let (code_, err_out, stderr) = admin(&["user", "add", "dave"]);
    assert_eq!(code_, Some(1), "a second add is refused");
    assert!(stderr.contains("already exists"), "{err_out}{stderr}");
    let (ok, token, stderr) = admin(&["token", "create", "--user", "dave", "--label", "laptop"]);
    assert_eq!(ok, Some(0), "{stderr}");
    let token = token.trim().to_string();
    assert!(token.starts_with("cw_"));
    let (_, listing, _) = admin(&["token", "list"]);
    assert!(
        listing.contains("dave") && listing.contains("laptop"),
        "{listing}"
    );
    assert!(
        !listing.contains(&token[16..]),
        "the secret is never listed"
    );
    // The running daemon picks the new token up within a second.
    chinwag_tests::harness::wait_until("the new token works", || async {
        TestClient::try_connect_tcp(addr, Some(&token))
            .await
            .is_ok()
    })
    .await;
    let mut live = TestClient::try_connect_tcp(addr, Some(&token))
        .await
        .expect("in");

    let (ok, said, stderr) = admin(&["token", "revoke", &token[..15]]);
    assert_eq!(ok, Some(0), "{stderr}");
    assert!(said.contains("revoked"), "{said}");
    let closed = tokio::time::timeout(Duration::from_secs(5), live.recv_frame())
        .await
        .expect("the socket closes within the refresh period");
    match closed {
        Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => {
            assert_eq!(u16::from(f.code), 1008, "{f:?}");
        }
        other => panic!("expected a 1008 close, got {other:?}"),
    }
    assert_eq!(
        TestClient::try_connect_tcp(addr, Some(&token)).await.err(),
        Some(401)
    );

    // Removing a user closes their sockets too.
    let second = make_token(&daemon.database, "dave", "chat", None).await;
    chinwag_tests::harness::wait_until("the second token works", || async {
        TestClient::try_connect_tcp(addr, Some(&second))
            .await
            .is_ok()
    })
    .await;
    let mut live = TestClient::try_connect_tcp(addr, Some(&second))
        .await
        .expect("in");
    let (ok, said, _) = admin(&["user", "rm", "dave"]);
    assert_eq!(ok, Some(0));
    assert!(said.contains("removed dave"), "{said}");
    let closed = tokio::time::timeout(Duration::from_secs(5), live.recv_frame())
        .await
        .expect("closed");
    assert!(closed.is_none_or(|m| m.is_close()));
    daemon.stop().await;
}

#[tokio::test]
async fn the_unix_socket_names_its_peer_by_login_name() {
    let (_dir, _fake, daemon) = crate::setup().await;
    let mut c = TestClient::connect_raw(&daemon.socket).await;
    c.send(&ClientMsg::Hello {
        id: "h".into(),
        protocol: chinwag_protocol::PROTOCOL_VERSION,
        client: None,
    })
    .await;
    match c.recv().await {
        ServerMsg::Hello { user, .. } => {
            let uid = rustix::process::getuid().as_raw();
            assert_eq!(user, chinwagd::auth::login_name(uid));
            assert!(!user.starts_with("uid "), "a name, not a number: {user}");
        }
        other => panic!("{other:?}"),
    }
    daemon.stop().await;
}
