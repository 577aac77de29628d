//! The single writer: one thread owns the write connection and commits jobs in groups.
//!
//! Each batch is one transaction; each job runs inside its own savepoint, so a job that fails
//! is rolled back alone. Results reach callers only after COMMIT returns, so a value a caller
//! sees is durable (to the chosen `synchronous` level). If COMMIT fails every job in the batch
//! gets the error and nothing of it is kept.

use super::errors::{SqlContext, StoreError, StoreErrorKind};
use prometheus_client::metrics::histogram::Histogram;
use rusqlite::Connection;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Most jobs folded into one commit.
const MAX_BATCH: usize = 512;

/// Hands the result to its caller, told whether the commit succeeded.
type Deliver = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// Runs in the writer thread (or is told why it cannot); reports success and how to deliver.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> (bool, Deliver) + Send>;

enum Msg {
    Job(Job),
    /// Finish what is queued, then stop; answer when done.
    Stop(oneshot::Sender<()>),
}

#[derive(Debug, Clone)]
pub(super) struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Job(_) => "Job",
            Msg::Stop(_) => "Stop",
        })
    }
}

impl Writer {
    /// Starts the writer thread; each batch's commit time goes into `commit_seconds`.
    pub(super) fn spawn(conn: Connection, commit_seconds: Histogram) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel::<Msg>(4096);
        std::thread::Builder::new()
            .name("chinwagd-store-writer".into())
            .spawn(move || run(conn, rx, &commit_seconds))
            .map_err(|e| StoreError::other(format!("starting the store writer: {e}")))?;
        Ok(Writer { tx })
    }

    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let res = match conn {
                Ok(conn) => f(conn),
                Err(e) => Err(e.clone()),
            };
            let ok = res.is_ok();
            let deliver: Deliver = Box::new(move |commit_err| {
                let out = match (res, commit_err) {
                    (Ok(v), None) => Ok(v),
                    (Ok(_), Some(e)) => Err(e.clone()),
                    (Err(e), _) => Err(e),
                };
                let _ = tx.send(out);
            });
            (ok, deliver)
        });
        self.tx.send(Msg::Job(job)).await.map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    /// Lets queued jobs finish, then stops the thread. Later writes fail with `Closed`.
    pub(super) async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Stop(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn closed() -> StoreError {
    StoreError::new(StoreErrorKind::Closed, "the store writer has stopped")
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Msg>, commit_seconds: &Histogram) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = Vec::new();
        let mut stop = None;
        match first {
            Msg::Job(job) => jobs.push(job),
            Msg::Stop(done) => stop = Some(done),
        }
        while stop.is_none() && jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => jobs.push(job),
                Ok(Msg::Stop(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        if !jobs.is_empty() {
            let started = Instant::now();
            commit_batch(&conn, jobs);
            commit_seconds.observe(started.elapsed().as_secs_f64());
        }
        if let Some(done) = stop {
            rx.close();
            // Jobs sent before the close still get an answer.
            let mut rest = Vec::new();
            while let Ok(Msg::Job(job)) = rx.try_recv() {
                rest.push(job);
            }
            if !rest.is_empty() {
                commit_batch(&conn, rest);
            }
            drop(conn);
            let _ = done.send(());
            return;
        }
    }
}

fn commit_batch(conn: &Connection, jobs: Vec<Job>) {
    if let Err(e) = conn
        .execute_batch("BEGIN IMMEDIATE")
        .ctx("starting a transaction")
    {
        tracing::error!(error = %e, "store: could not begin a transaction");
        for job in jobs {
            let (_, deliver) = job(Err(&e));
            deliver(None);
        }
        return;
    }
    let mut delivers = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Err(e) = conn
            .execute_batch("SAVEPOINT job")
            .ctx("opening a savepoint")
        {
            let (_, deliver) = job(Err(&e));
            delivers.push(deliver);
            continue;
        }
        let (ok, deliver) = job(Ok(conn));
        let end = if ok {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if let Err(e) = conn.execute_batch(end) {
            tracing::error!(error = %e, "store: closing a savepoint failed");
        }
        delivers.push(deliver);
    }
    let commit_err = conn.execute_batch("COMMIT").ctx("committing").err();
    if let Some(e) = &commit_err {
        tracing::error!(error = %e, "store: commit failed; the batch is reported lost");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for deliver in delivers {
        deliver(commit_err.as_ref());
    }
}
