//! The history store: durability across restarts, search, owner isolation, a full disk.

use crate::{chat, setup};
use chinwag_protocol::{ClientMsg, ConversationId, MessageId, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::harness::{TestDaemon, test_config};
use chinwagd::store::{NewTurn, Store, StoreErrorKind, StoreOptions, TurnOutcome, new_id};

#[tokio::test]
async fn history_survives_a_restart_and_search_finds_an_old_reply() {
    let (dir, fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    fake.script(chinwag_tests::fake_ollama::reply(
        "llama3.2",
        &["The answer involves ", "photosynthesis."],
    ));
    c.send(&chat("x", "how do plants eat?")).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    drop(c);
    daemon.stop().await;

    let daemon = TestDaemon::start(dir.path(), test_config(dir.path(), &fake.host())).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let hits = match c
        .call(ClientMsg::Search {
            id: "s".into(),
            query: "photosynth*".into(),
            limit: None,
        })
        .await
    {
        ServerMsg::SearchResults { hits, .. } => hits,
        other => panic!("{other:?}"),
    };
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].snippet.contains("[photosynthesis]"),
        "{}",
        hits[0].snippet
    );
    assert_eq!(hits[0].title, "how do plants eat?");
    assert_eq!(c.conversations().await[0].message_count, 2);
    daemon.stop().await;
}

fn turn(owner: &str, content: &str) -> NewTurn {
    NewTurn {
        owner: owner.into(),
        conversation: None,
        new_conversation: ConversationId(new_id()),
        user_message: MessageId(new_id()),
        assistant_message: MessageId(new_id()),
        content: content.into(),
        model: "m".into(),
        bot: None,
        system: None,
        options: Default::default(),
        idempotency_key: None,
        replace_from: None,
        attachments: Vec::new(),
        ephemeral: false,
    }
}

async fn begin(store: &Store, t: NewTurn) -> ConversationId {
    match store.begin_turn(t).await.expect("begin") {
        TurnOutcome::New(ids) => ids.conversation,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn owners_cannot_see_or_touch_each_others_conversations() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("h.db"), &StoreOptions::default()).expect("open");
    let alice = begin(&store, turn("alice", "alice's secret zebra")).await;
    let _bob = begin(&store, turn("bob", "bob's own zebra")).await;

    assert!(store.conversation("alice", &alice.0).await.is_ok());
    let prefix = &alice.0[..6];
    assert_eq!(
        store
            .conversation("bob", &alice.0)
            .await
            .expect_err("hidden")
            .kind,
        StoreErrorKind::NotFound
    );
    assert_eq!(
        store
            .conversation("bob", prefix)
            .await
            .expect_err("hidden")
            .kind,
        StoreErrorKind::NotFound
    );
    assert!(
        store
            .messages("bob", &alice)
            .await
            .expect("query")
            .is_empty()
    );
    let (bobs, _) = store
        .list_conversations("bob", 50, 0, None)
        .await
        .expect("list");
    assert_eq!(bobs.len(), 1);
    assert_ne!(bobs[0].id, alice);
    let hits = store.search("bob", "zebra", 10).await.expect("search");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].snippet.contains("bob"));
    let e = store
        .rename_conversation("bob", &alice, "mine".into())
        .await
        .expect_err("not bob's");
    assert_eq!(e.kind, StoreErrorKind::NotFound);
    let e = store
        .delete_conversation("bob", &alice)
        .await
        .expect_err("not bob's");
    assert_eq!(e.kind, StoreErrorKind::NotFound);
    let mut t = turn("bob", "sneaking in");
    t.conversation = Some(alice.clone());
    assert_eq!(
        store.begin_turn(t).await.expect_err("not bob's").kind,
        StoreErrorKind::NotFound
    );
    assert_eq!(
        store
            .messages("alice", &alice)
            .await
            .expect("alice reads")
            .len(),
        2,
        "alice's turn is intact"
    );
    store.close().await;
}

#[tokio::test]
async fn a_full_disk_is_an_error_not_an_ack_and_the_store_recovers_when_space_returns() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("h.db");
    let store = Store::open(&path, &StoreOptions::default()).expect("open");
    let kept = begin(&store, turn("u", "written before the disk filled")).await;
    store.close().await;

    // Reopen with a size cap: the same SQLITE_FULL a full disk gives.
    let pages: i64 = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA page_count", [], |r| r.get(0)))
        .expect("page count");
    let capped = StoreOptions {
        max_page_count: Some(pages as u64 + 2),
        ..StoreOptions::default()
    };
    let store = Store::open(&path, &capped).expect("open capped");
    let big = "z".repeat(64 * 1024);
    let mut failure = None;
    for _ in 0..20 {
        match store.begin_turn(turn("u", &big)).await {
            Ok(_) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let e = failure.expect("the cap was reached");
    assert_eq!(e.kind, StoreErrorKind::Full, "{e}");
    assert_eq!(e.to_body().code, chinwag_protocol::ErrorCode::StorageError);
    assert!(e.to_body().message.contains("full"));
    assert_eq!(
        store.messages("u", &kept).await.expect("read").len(),
        2,
        "earlier data is intact"
    );
    store.close().await;

    // Space is back: writes succeed and the file is sound.
    let store = Store::open(&path, &StoreOptions::default()).expect("reopen");
    begin(&store, turn("u", "after the disk was freed")).await;
    store.close().await;
    let ok: String = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .expect("integrity");
    assert_eq!(ok, "ok");
}

#[tokio::test]
async fn conversations_page_by_cursor_and_by_offset_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("h.db"), &StoreOptions::default()).expect("open");
    // Created back to back: several share a millisecond, so ties are broken by id.
    for i in 0..7 {
        begin(&store, turn("u", &format!("conversation {i}"))).await;
    }
    begin(&store, turn("someone else", "not mine")).await;
    let (all, none) = store
        .list_conversations("u", 100, 0, None)
        .await
        .expect("all");
    assert_eq!(all.len(), 7);
    assert_eq!(none, None);

    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = store
            .list_conversations("u", 3, 0, cursor)
            .await
            .expect("page");
        assert!(page.len() <= 3);
        paged.extend(page);
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    let ids = |v: &[chinwag_protocol::ConversationSummary]| {
        v.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&paged),
        ids(&all),
        "cursor pages cover everything once, in order"
    );

    let (page, _) = store
        .list_conversations("u", 2, 3, None)
        .await
        .expect("offset page");
    assert_eq!(ids(&page), ids(&all[3..5]));
    store.close().await;
}

#[tokio::test]
async fn a_search_too_big_to_run_is_refused_and_others_read_on() {
    let (_dir, _fake, daemon) = setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    // The review's worst case: 40,000 one-letter prefix terms in a 120 KB frame.
    let query = "a* ".repeat(40_000);
    match c
        .call(ClientMsg::Search {
            id: "s".into(),
            query,
            limit: None,
        })
        .await
    {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, chinwag_protocol::ErrorCode::InvalidRequest);
            assert!(message.contains("at most"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.conversations().await.len(), 0);
}

#[tokio::test]
async fn an_unsaved_conversation_a_crash_left_behind_is_gone_at_the_next_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("h.db");
    let store = Store::open(&path, &StoreOptions::default()).expect("open");
    let kept = store.begin_turn(turn("me", "keep me")).await.expect("kept");
    let forgotten = store
        .begin_turn(NewTurn {
            ephemeral: true,
            ..turn("me", "forget me")
        })
        .await
        .expect("stored while it generates");
    let (TurnOutcome::New(kept), TurnOutcome::New(forgotten)) = (kept, forgotten) else {
        panic!("two new turns");
    };
    // The daemon dies mid-reply: nothing ends either reply.
    drop(store);
    let store = Store::open(&path, &StoreOptions::default()).expect("reopen");
    let left = store
        .list_conversations("me", 10, 0, None)
        .await
        .expect("list")
        .0;
    let ids: Vec<&ConversationId> = left.iter().map(|c| &c.id).collect();
    assert_eq!(ids, vec![&kept.conversation]);
    assert!(
        store
            .conversation("me", &forgotten.conversation.0)
            .await
            .is_err()
    );
}
