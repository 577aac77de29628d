//! Connection settings and schema migrations (`PRAGMA user_version` counts applied steps).

use super::errors::{SqlContext, StoreError};
use super::{Durability, StoreOptions};
use rusqlite::Connection;

/// Each entry moves the schema one version up. Never edit a shipped entry; append a new one.
const MIGRATIONS: &[&str] = &[
    // v1
    r#"
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    title       TEXT NOT NULL,
    model       TEXT,
    bot         TEXT,
    system      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_by_owner ON conversations(owner, updated_at DESC, id DESC);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    owner           TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content         TEXT NOT NULL DEFAULT '',
    thinking        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    model           TEXT,
    error           TEXT,
    done_reason     TEXT,
    stats           TEXT,
    reply_to        TEXT,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_conversation ON messages(conversation_id, seq);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
CREATE UNIQUE INDEX messages_idempotency ON messages(owner, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content = 'messages', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
END;
"#,
    // v2: the stable code of a reply's error, so a replay or resend says what the end said.
    "ALTER TABLE messages ADD COLUMN error_code TEXT;",
    // v3: the options of a conversation's last turn (JSON, system aside), so a reopened
    // conversation goes on with the same temperature and the rest.
    "ALTER TABLE conversations ADD COLUMN options TEXT;",
    // v4: users and their bearer tokens (only a hash of each secret is kept).
    r#"
CREATE TABLE users (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    hash         BLOB NOT NULL,
    scopes       TEXT NOT NULL,
    label        TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX tokens_by_user ON tokens(user_name);
"#,
    // v5: one row the readiness check rewrites, to prove the store takes writes.
    "CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL) STRICT;",
    // v6: the executor's audit log, one row per request, allowed or refused.
    r#"
CREATE TABLE exec_audit (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    owner       TEXT NOT NULL,
    user        TEXT NOT NULL,
    token       TEXT,
    argv        TEXT NOT NULL,
    cwd         TEXT,
    is_check    INTEGER NOT NULL,
    decision    TEXT NOT NULL,
    rule        TEXT,
    code        INTEGER,
    signal      INTEGER,
    timed_out   INTEGER NOT NULL DEFAULT 0,
    truncated   INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    sandbox     TEXT
) STRICT;
CREATE INDEX exec_audit_by_owner ON exec_audit(owner, at_ms);
"#,
    // v7: a reply's tool events (JSON array: call, approval, result, each with where in the
    // text it came), and the tools a user allowed for the whole conversation (JSON array).
    "ALTER TABLE messages ADD COLUMN tools TEXT; ALTER TABLE conversations ADD COLUMN grants TEXT;",
    // v8: the files sent with a user message (JSON array: name, kind, size, and the text or
    // the image's base64, which the model is sent again with the history).
    "ALTER TABLE messages ADD COLUMN attachments TEXT;",
    // v9: conversations forgotten once their reply ends (`--no-save`); one a previous run
    // left behind is deleted at the next start.
    "ALTER TABLE conversations ADD COLUMN ephemeral INTEGER NOT NULL DEFAULT 0;",
];

/// WAL, the chosen durability, foreign keys, and a busy timeout for the write connection.
pub(super) fn configure(conn: &Connection, opts: &StoreOptions) -> Result<(), StoreError> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .ctx("enabling WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::other(format!(
            "the store needs WAL mode, SQLite chose {mode}"
        )));
    }
    let sync = match opts.durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
    ))
    .ctx("configuring the connection")?;
    if let Some(pages) = opts.max_page_count {
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
            .ctx("capping the database size")?;
    }
    Ok(())
}

/// Applies the migrations this database has not seen yet, each in its own transaction.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .ctx("reading schema version")?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(StoreError::other(format!(
            "the history database is schema v{version}, newer than this chinwagd (v{}); \
             upgrade chinwagd",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let step = format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        );
        if let Err(e) = conn.execute_batch(&step) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(StoreError::from_sqlite(
                e,
                &format!("migrating to schema v{}", i + 1),
            ));
        }
    }
    Ok(())
}
