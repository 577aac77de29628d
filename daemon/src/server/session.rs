//! One WebSocket connection: a reader loop, a writer task behind a bounded channel, keepalive,
//! and the tasks running its requests. A vanished client ends the session, never a generation.

use super::{Peer, dispatch, upgrade};
use crate::daemon::Daemon;
use chinwag_protocol::ServerMsg;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Frames queued for one client before senders wait.
const OUTBOUND_CAPACITY: usize = 64;
/// A client that leaves a frame unread this long is cut off (close 1008).
const SLOW_CLIENT_DEADLINE: Duration = Duration::from_secs(30);
/// Keepalive ping period; two missed periods close the connection.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Requests one connection may have running at once; more wait (backpressure on reading).
const MAX_INFLIGHT: usize = 16;

/// A connection's shared state, handed to every request task.
#[derive(Debug)]
pub(super) struct Session {
    pub d: Arc<Daemon>,
    pub peer: Peer,
    out: mpsc::Sender<Message>,
    /// Fires when the connection ends, for any reason.
    pub cancel: CancellationToken,
    close_frame: Mutex<Option<CloseFrame>>,
    pub hello_done: AtomicBool,
    pub tasks: TaskTracker,
    pub permits: Arc<Semaphore>,
}

impl Session {
    /// Queues a frame. `false` once the connection is gone. A client that does not read for
    /// [`SLOW_CLIENT_DEADLINE`] is disconnected; the generation it watched goes on.
    pub async fn send(&self, msg: ServerMsg) -> bool {
        let text = match serde_json::to_string(&msg) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "could not encode a frame");
                return false;
            }
        };
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            r = tokio::time::timeout(SLOW_CLIENT_DEADLINE, self.out.send(Message::text(text))) => match r {
                Ok(Ok(())) => true,
                Ok(Err(_)) => false,
                Err(_) => {
                    tracing::warn!("client stopped reading; closing its connection");
                    self.close(CloseCode::Policy, "client too slow to read");
                    false
                }
            },
        }
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
}

fn now_ms(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

/// Runs one connection to its end.
pub(super) async fn run<S>(d: Arc<Daemon>, stream: S, peer: Peer)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws = match upgrade::accept(stream, d.config.max_message_bytes, peer.check_host).await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::debug!(error = %e, "connection refused at the upgrade");
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Message>(OUTBOUND_CAPACITY);
    let s = Arc::new(Session {
        d: Arc::clone(&d),
        peer,
        out: tx,
        cancel: CancellationToken::new(),
        close_frame: Mutex::new(None),
        hello_done: AtomicBool::new(false),
        tasks: TaskTracker::new(),
        permits: Arc::new(Semaphore::new(MAX_INFLIGHT)),
    });
    let epoch = Instant::now();
    let last_seen = Arc::new(AtomicU64::new(0));

    let writer = {
        let s = Arc::clone(&s);
        let last_seen = Arc::clone(&last_seen);
        tokio::spawn(async move {
            let mut ping =
                tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
            loop {
                tokio::select! {
                    biased;
                    m = rx.recv() => match m {
                        Some(m) => if sink.send(m).await.is_err() { break },
                        None => break,
                    },
                    _ = s.cancel.cancelled() => break,
                    _ = ping.tick() => {
                        let idle = now_ms(epoch).saturating_sub(last_seen.load(Ordering::Relaxed));
                        if idle > 2 * PING_EVERY.as_millis() as u64 + 5_000 {
                            tracing::info!("no pong from the client; closing");
                            s.close(CloseCode::Away, "keepalive timeout");
                            break;
                        }
                        if sink.send(Message::Ping(Vec::new().into())).await.is_err() { break }
                    }
                }
            }
            let frame = s.close_frame.lock().ok().and_then(|mut f| f.take());
            if let Some(frame) = frame {
                let _ = sink.send(Message::Close(Some(frame))).await;
            }
            let _ = sink.close().await;
        })
    };

    loop {
        let frame = tokio::select! {
            _ = s.cancel.cancelled() => break,
            _ = d.shutdown.cancelled() => {
                s.close(CloseCode::Away, "daemon shutting down");
                break;
            }
            f = source.next() => f,
        };
        last_seen.store(now_ms(epoch), Ordering::Relaxed);
        match frame {
            None | Some(Ok(Message::Close(_))) => break,
            Some(Ok(Message::Text(text))) => dispatch::handle_text(&s, text.as_str()).await,
            Some(Ok(Message::Binary(_))) => {
                dispatch::send_error(
                    &s,
                    "",
                    dispatch::invalid("binary frames are not part of protocol v1; send JSON text"),
                )
                .await;
            }
            Some(Ok(_)) => {} // ping/pong: tungstenite answers pings itself
            Some(Err(WsError::Capacity(e))) => {
                tracing::info!(error = %e, "frame over the size limit; closing 1009");
                s.close(CloseCode::Size, "message too big");
                break;
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "connection ended");
                break;
            }
        }
    }
    s.cancel.cancel();
    s.tasks.close();
    s.tasks.wait().await;
    let _ = writer.await;
}
