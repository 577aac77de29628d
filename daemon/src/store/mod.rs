//! The history store: conversations and messages in SQLite (WAL), scoped by owner.
//!
//! Writes go through one writer thread with group commit (`writer`); a value returned from a
//! write has been committed. Reads use their own connection and never wait on writes. Every
//! query that takes an `owner` only ever sees that owner's rows.

mod audit;
mod errors;
mod grants;
mod queries;
pub use queries::{ConversationInfo, MIN_ID_PREFIX};
mod readers;
mod schema;
mod search;
mod turns;
mod users;
mod writer;

pub use errors::{StoreError, StoreErrorKind};
pub use turns::{NewTurn, ReplyEnd, TurnIds, TurnOutcome};
pub use users::{Removed, TokenRecord, UserInfo, user_owner, valid_user_name};

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How hard each commit pushes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// `synchronous=NORMAL`: survives kill -9 and crashes of the daemon; a power cut may lose
    /// the last commits (never corrupts).
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced; survives power loss.
    Full,
}

/// Options for [`Store::open`].
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Caps the database size in pages (`PRAGMA max_page_count`); tests use it to make the
    /// store "full" without filling a real disk.
    pub max_page_count: Option<u64>,
    /// How long one search may run before it is stopped ([`SEARCH_BUDGET`] when unset).
    pub search_budget: Option<Duration>,
    /// Leave replies left `streaming` alone: for admin commands that open the store while a
    /// daemon may be running (only the daemon may declare its replies cut).
    pub skip_recovery: bool,
}

/// Buckets of the commit-time histogram, in seconds: 50 µs to 1 s.
const COMMIT_BUCKETS: [f64; 10] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.1, 1.0,
];

/// How long one search may run by default: far more than any sane query needs.
pub const SEARCH_BUDGET: Duration = Duration::from_secs(2);

/// A handle on the history store. Cheap to clone; all clones share one writer.
#[derive(Debug, Clone)]
pub struct Store {
    writer: writer::Writer,
    readers: Arc<readers::ReadPool>,
    search_budget: Duration,
    path: PathBuf,
    /// How long each group commit takes, for `/metrics`.
    commit_seconds: Histogram,
}

/// What the daemon says on a reply it found cut when it started.
pub const INTERRUPTED_REPLY: &str = "the daemon stopped before this reply ended";

impl Store {
    /// Opens (creating if needed) the database at `path`, runs migrations, and marks replies
    /// left `streaming` by a previous run as `incomplete`.
    pub fn open(path: &Path, opts: &StoreOptions) -> Result<Store, StoreError> {
        make_private(path)?;
        let conn = Connection::open(path)
            .map_err(|e| StoreError::from_sqlite(e, &format!("opening {}", path.display())))?;
        schema::configure(&conn, opts)?;
        schema::migrate(&conn)?;
        if !opts.skip_recovery {
            turns::recover_interrupted(&conn)?;
        }
        let commit_seconds = Histogram::new(COMMIT_BUCKETS);
        Ok(Store {
            writer: writer::Writer::spawn(conn, commit_seconds.clone())?,
            commit_seconds,
            readers: Arc::new(readers::ReadPool::open(path)?),
            search_budget: opts.search_budget.unwrap_or(SEARCH_BUDGET),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Each group commit's duration, in seconds (shared: the writer records into it).
    pub fn commit_seconds(&self) -> Histogram {
        self.commit_seconds.clone()
    }

    /// Rewrites the probe row: proof that the store takes writes now (`/ready`).
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        self.write(|conn| {
            conn.execute(
                "INSERT INTO probe (id, at_ms) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
                [now_ms()],
            )
            .map(drop)
            .map_err(|e| StoreError::from_sqlite(e, "writing the probe row"))
        })
        .await
    }

    /// Runs `f` on a read connection of the pool, off the async runtime.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.read(None, f).await
    }

    /// Like [`Store::read`], stopped with [`StoreErrorKind::TooSlow`] past the search budget.
    async fn read_bounded<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.read(Some(self.search_budget), f).await
    }

    /// Runs `f` inside the writer's next group commit; returns once that commit is durable.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.run(f).await
    }

    /// Stops accepting writes, finishes those queued, and waits for the writer thread to end.
    pub async fn close(&self) {
        self.writer.close().await;
    }
}

/// The store's directory is 0700 and its files 0600, whatever the umask. SQLite gives the
/// `-wal` and `-shm` files the mode of the database file, so creating that one 0600 first is
/// enough for new stores; older ones are tightened here.
fn make_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let private = |e: crate::private_fs::PrivateDirError| {
        StoreError::other(format!("the history store cannot be kept private: {e}"))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_fs::ensure_private_dir(dir).map_err(private)?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        crate::private_fs::restrict_file(Path::new(&file)).map_err(private)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::other(format!("creating {}: {e}", path.display())))?;
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh random id: 32 lowercase hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
