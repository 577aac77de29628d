//! What a request handler gets of its connection: the daemon, who the peer is, and a
//! bounded outbox. The session loop (`session.rs`) owns the socket; the dispatcher
//! (`dispatch/`) only sees this, so the two do not depend on each other.

use crate::auth::Identity;
use crate::daemon::Daemon;
use chinwag_protocol::ServerMsg;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Frames queued for one client before senders wait.
const OUTBOUND_CAPACITY: usize = 64;
/// Bytes of frames queued for one client before senders wait: with the write buffer, this
/// bounds what a client that never reads can make the daemon hold.
const OUTBOUND_BYTES: usize = 128 * 1024;

/// A frame on its way out, holding its share of the byte budget until it is written.
#[derive(Debug)]
pub(super) struct Outbound {
    pub msg: Message,
    _budget: OwnedSemaphorePermit,
}

/// A connection's shared state, handed to every request task.
#[derive(Debug)]
pub(super) struct Session {
    pub d: Arc<Daemon>,
    /// Who is on the other end, as decided at the upgrade.
    pub peer: Identity,
    out: mpsc::Sender<Outbound>,
    budget: Arc<Semaphore>,
    /// Fires when the connection ends, for any reason.
    pub cancel: CancellationToken,
    close_frame: Mutex<Option<CloseFrame>>,
    pub hello_done: AtomicBool,
    pub tasks: TaskTracker,
    pub permits: Arc<Semaphore>,
    /// Commands this connection runs, by the id of the `exec` that started them.
    pub execs: Mutex<std::collections::HashMap<String, CancellationToken>>,
}

impl Session {
    /// A session for `peer`, and the receiving end of its outbox (for the writer task).
    pub fn new(
        d: Arc<Daemon>,
        peer: Identity,
        max_inflight: usize,
    ) -> (Arc<Session>, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel::<Outbound>(OUTBOUND_CAPACITY);
        let s = Arc::new(Session {
            d,
            peer,
            out: tx,
            budget: Arc::new(Semaphore::new(OUTBOUND_BYTES)),
            cancel: CancellationToken::new(),
            close_frame: Mutex::new(None),
            hello_done: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            permits: Arc::new(Semaphore::new(max_inflight)),
            execs: Mutex::default(),
        });
        (s, rx)
    }

    /// Queues a frame. `false` once the connection is gone. A client that does not read for
    /// the configured write timeout is disconnected; the generation it watched goes on.
    pub async fn send(&self, msg: ServerMsg) -> bool {
        let text = match serde_json::to_string(&msg) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "could not encode a frame");
                return false;
            }
        };
        let cost = text.len().clamp(1, OUTBOUND_BYTES) as u32;
        let queue = async {
            let budget = Arc::clone(&self.budget)
                .acquire_many_owned(cost)
                .await
                .ok()?;
            let frame = Outbound {
                msg: Message::text(text),
                _budget: budget,
            };
            self.out.send(frame).await.ok()
        };
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            r = tokio::time::timeout(self.d.config().timeouts.client_write, queue) => match r {
                Ok(queued) => queued.is_some(),
                Err(_) => {
                    tracing::warn!("client stopped reading; closing its connection");
                    self.close(CloseCode::Policy, "client too slow to read");
                    false
                }
            },
        }
    }

    /// Returns once every frame queued so far has been written (or dropped): the writer
    /// holds each frame's share of the byte budget until then.
    pub async fn flushed(&self) {
        let _all = self.budget.acquire_many(OUTBOUND_BYTES as u32).await;
    }

    /// Ends the connection with a close frame.
    pub fn close(&self, code: CloseCode, reason: &str) {
        if let Ok(mut f) = self.close_frame.lock()
            && f.is_none()
        {
            *f = Some(CloseFrame {
                code,
                reason: reason.to_string().into(),
            });
        }
        self.cancel.cancel();
    }

    /// The close frame to send, once (set by [`Session::close`]).
    pub fn take_close_frame(&self) -> Option<CloseFrame> {
        self.close_frame.lock().ok().and_then(|mut f| f.take())
    }
}
