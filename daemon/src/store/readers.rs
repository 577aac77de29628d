//! A small pool of read-only connections, so one slow read (a heavy search) cannot make every
//! other client's reads wait. Each connection has a progress handler that interrupts a read
//! that runs past its deadline; only reads given a budget have one.

use super::errors::{SqlContext, StoreError, StoreErrorKind};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Read connections per store: reads beyond this many at once wait for one.
pub(super) const READERS: usize = 4;
/// SQLite virtual-machine steps between two looks at the deadline.
const CHECK_EVERY_OPS: i32 = 1_000;

/// One read connection and the deadline its progress handler enforces (0 = none).
#[derive(Debug)]
struct Reader {
    conn: Connection,
    /// Milliseconds after `epoch` when the current read must stop.
    deadline_ms: Arc<AtomicU64>,
}

#[derive(Debug)]
pub(super) struct ReadPool {
    readers: Vec<Mutex<Reader>>,
    free: Semaphore,
    epoch: Instant,
}

impl ReadPool {
    pub(super) fn open(path: &Path) -> Result<ReadPool, StoreError> {
        let epoch = Instant::now();
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let mut conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ctx("opening a read connection")?;
            conn.busy_timeout(Duration::from_secs(5))
                .ctx("configuring a read connection")?;
            let deadline_ms = Arc::new(AtomicU64::new(0));
            let watched = Arc::clone(&deadline_ms);
            conn.progress_handler(
                CHECK_EVERY_OPS,
                Some(move || {
                    let d = watched.load(Ordering::Relaxed);
                    d != 0 && epoch.elapsed().as_millis() as u64 >= d
                }),
            )
            .ctx("installing the read deadline")?;
            readers.push(Mutex::new(Reader { conn, deadline_ms }));
        }
        Ok(ReadPool {
            readers,
            free: Semaphore::new(READERS),
            epoch,
        })
    }

    /// Runs `f` on a free read connection, off the async runtime. With a `budget`, a read
    /// still running after it is interrupted and fails with [`StoreErrorKind::TooSlow`].
    pub(super) async fn read<T, F>(
        self: &Arc<Self>,
        budget: Option<Duration>,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .free
            .acquire()
            .await
            .map_err(|_| StoreError::other("the read pool is closed"))?;
        let pool = Arc::clone(self);
        let out = tokio::task::spawn_blocking(move || {
            let reader = pool.take();
            let deadline =
                budget.map_or(0, |b| (pool.epoch.elapsed() + b).as_millis().max(1) as u64);
            reader.deadline_ms.store(deadline, Ordering::Relaxed);
            let out = f(&reader.conn);
            reader.deadline_ms.store(0, Ordering::Relaxed);
            out.map_err(|e| {
                if deadline != 0 && e.detail.contains("interrupted") {
                    StoreError::new(StoreErrorKind::TooSlow, e.detail)
                } else {
                    e
                }
            })
        })
        .await
        .map_err(|e| StoreError::other(format!("read task failed: {e}")))?;
        drop(permit);
        out
    }

    /// A connection nobody uses: the permit held by the caller guarantees one is free.
    fn take(&self) -> MutexGuard<'_, Reader> {
        for r in &self.readers {
            match r.try_lock() {
                Ok(g) => return g,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        // Not reached while permits match connections; waiting is still correct.
        self.readers[0].lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool_on_a_fresh_store(dir: &Path) -> Arc<ReadPool> {
        let path = dir.join("h.db");
        let setup = Connection::open(&path).expect("open");
        setup
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (7);")
            .expect("schema");
        Arc::new(ReadPool::open(&path).expect("pool"))
    }

    fn read_x(c: &Connection) -> Result<i64, StoreError> {
        c.query_row("SELECT x FROM t", [], |r| r.get(0))
            .ctx("reading")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_that_is_held_up_does_not_hold_up_the_others() {
        let dir = tempfile::tempdir().expect("tmp");
        let pool = pool_on_a_fresh_store(dir.path());
        let (entered_tx, entered_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let slow = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move {
                pool.read(None, move |c| {
                    let _ = entered_tx.send(());
                    let _ = release_rx.recv();
                    read_x(c)
                })
                .await
            }
        });
        entered_rx.await.expect("the slow read started");
        let others = async {
            for _ in 0..3 * READERS {
                assert_eq!(pool.read(None, read_x).await.expect("read"), 7);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), others)
            .await
            .expect("other reads go on while one is held up");
        release_tx.send(()).expect("release");
        assert_eq!(slow.await.expect("task").expect("slow read"), 7);
    }

    #[tokio::test]
    async fn a_read_past_its_budget_is_stopped_and_the_connection_stays_usable() {
        let dir = tempfile::tempdir().expect("tmp");
        let pool = pool_on_a_fresh_store(dir.path());
        let endless = |c: &Connection| {
            c.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
                 SELECT count(*) FROM n",
                [],
                |r| r.get::<_, i64>(0),
            )
            .ctx("counting forever")
        };
        for _ in 0..READERS + 1 {
            let e = pool
                .read(Some(Duration::from_millis(10)), endless)
                .await
                .expect_err("stopped");
            assert_eq!(e.kind, StoreErrorKind::TooSlow, "{e}");
        }
        assert_eq!(pool.read(None, read_x).await.expect("read"), 7);
    }
}
