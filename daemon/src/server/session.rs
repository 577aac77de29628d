//! One WebSocket connection: a reader loop, a writer task behind a bounded channel, keepalive,
//! and the tasks running its requests. A vanished client ends the session, never a generation.

use super::caps::{AddrSlot, OpenSocket};
use super::dispatch;
use super::outbox::{Outbound, Session};
use super::registry::Registry;
use crate::auth::Identity;
use crate::daemon::Daemon;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Requests one connection may have running at once; more wait (backpressure on reading).
const MAX_INFLIGHT: usize = 16;
/// How long, past the shutdown grace, a stopping daemon lets a connection's requests send
/// their `done` (the cut replies are being stored).
const DONE_MARGIN: Duration = Duration::from_secs(5);
/// How long the goodbye (close frame) may take before the socket is just dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

fn now_ms(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

/// Counts a connection in `status` for as long as it lives.
struct Counted<'a>(&'a AtomicU64);

impl<'a> Counted<'a> {
    fn new(n: &'a AtomicU64) -> Self {
        n.fetch_add(1, Ordering::Relaxed);
        Counted(n)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a write did not happen.
enum WriteFail {
    /// The connection is ending anyway (cancelled, or the socket broke).
    Gone,
    /// The client left the frame unread past the deadline; part of it may be in the socket.
    TooSlow,
}

/// Writes one frame, giving up when the session ends or the client does not take it in time.
/// Every await of the writer goes through here, so a client that stops reading can never hold
/// the writer (and with it the connection) open.
async fn write_frame<W>(sink: &mut W, msg: Message, s: &Session) -> Result<(), WriteFail>
where
    W: futures_util::Sink<Message, Error = WsError> + Unpin,
{
    tokio::select! {
        _ = s.cancel.cancelled() => Err(WriteFail::Gone),
        r = tokio::time::timeout(s.d.config().timeouts.client_write, sink.send(msg)) => match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "writing to the client failed");
                Err(WriteFail::Gone)
            }
            Err(_) => Err(WriteFail::TooSlow),
        },
    }
}

/// The writer task: frames from the queue, keepalive pings, and the idle cut-off.
async fn writer<W>(
    s: Arc<Session>,
    mut sink: W,
    mut rx: mpsc::Receiver<Outbound>,
    seen: Arc<AtomicU64>,
    epoch: Instant,
) where
    W: futures_util::Sink<Message, Error = WsError> + Unpin,
{
    let t = s.d.config().timeouts;
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + t.ping_every, t.ping_every);
    let idle_ms = t.client_idle.as_millis() as u64;
    let idle_at =
        |seen: u64| tokio::time::Instant::from_std(epoch) + Duration::from_millis(seen + idle_ms);
    let mut idle_deadline = idle_at(seen.load(Ordering::Relaxed));
    let mut clean = true;
    loop {
        let result = tokio::select! {
            biased;
            _ = s.cancel.cancelled() => break,
            m = rx.recv() => match m {
                Some(frame) => write_frame(&mut sink, frame.msg, &s).await,
                None => break,
            },
            _ = tokio::time::sleep_until(idle_deadline) => {
                let last = seen.load(Ordering::Relaxed);
                if now_ms(epoch).saturating_sub(last) >= idle_ms {
                    tracing::info!("nothing from the client, not even a pong; closing");
                    s.close(CloseCode::Away, "keepalive timeout");
                    break;
                }
                idle_deadline = idle_at(last);
                Ok(())
            }
            _ = ping.tick() => write_frame(&mut sink, Message::Ping(Vec::new().into()), &s).await,
        };
        match result {
            Ok(()) => {}
            Err(WriteFail::Gone) => break,
            Err(WriteFail::TooSlow) => {
                tracing::warn!("client stopped reading; closing its connection");
                s.close(CloseCode::Policy, "client too slow to read");
                // A frame may be half written: a close frame after it would be garbage.
                clean = false;
                break;
            }
        }
    }
    // However the writer ends, the connection ends with it: no session outlives its writer.
    s.cancel.cancel();
    let frame = s.take_close_frame();
    if clean {
        let goodbye = async {
            // Frames already queued (an `ok` to a shutdown, say) go out before the close.
            while let Ok(queued) = rx.try_recv() {
                if sink.send(queued.msg).await.is_err() {
                    return;
                }
            }
            if let Some(frame) = frame {
                let _ = sink.send(Message::Close(Some(frame))).await;
            }
            let _ = sink.close().await;
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, goodbye).await;
    }
}

/// What a session holds for its whole life: the registry it joins, and its places under the
/// caps (its socket, its client address).
#[derive(Debug)]
pub(super) struct Held {
    pub live: Arc<Registry>,
    pub _open: OpenSocket,
    pub _client: AddrSlot,
    pub _counted: crate::metrics::Connected,
}

/// A WebSocket on an upgraded HTTP connection, whatever the transport under it.
pub(super) type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// Runs one upgraded connection to its end.
pub(super) async fn run(d: Arc<Daemon>, ws: Ws, peer: Identity, held: Held) {
    let live = held.live;
    let _counted = Counted::new(&d.connections);
    let (sink, mut source) = ws.split();
    let (s, rx) = Session::new(Arc::clone(&d), peer, MAX_INFLIGHT);
    let _registered = live.add(&s);
    let epoch = Instant::now();
    let last_seen = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn(tracing::Instrument::in_current_span(writer(
        Arc::clone(&s),
        sink,
        rx,
        Arc::clone(&last_seen),
        epoch,
    )));

    let mut drained: Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>> = None;
    loop {
        let frame = tokio::select! {
            _ = s.cancel.cancelled() => break,
            _ = d.shutdown.cancelled(), if drained.is_none() => {
                // The daemon is stopping: requests go on being read (a new chat is told
                // `shutting_down`) while the replies in flight finish or are cut at the end of
                // the grace; each watcher gets its `done` before the close.
                s.tasks.close();
                let wait = d.config().timeouts.shutdown_grace + DONE_MARGIN;
                let tasks = s.tasks.clone();
                drained = Some(Box::pin(async move {
                    let _ = tokio::time::timeout(wait, tasks.wait()).await;
                }));
                continue;
            }
            _ = async {
                match drained.as_mut() {
                    Some(d) => d.await,
                    None => std::future::pending().await,
                }
            }, if drained.is_some() => {
                // What the requests sent (a shutdown's `ok`, a reply's `done`) goes out
                // before the close: cancelling now could cut a frame mid-write.
                let _ = tokio::time::timeout(CLOSE_GRACE, s.flushed()).await;
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
            Some(Err(e)) => {
                if let Some((code, reason)) = close_for(&e) {
                    tracing::info!(error = %e, "bad frame; closing {}", u16::from(code));
                    s.close(code, reason);
                } else {
                    tracing::debug!(error = %e, "connection ended");
                }
                break;
            }
        }
    }
    s.cancel.cancel();
    s.tasks.close();
    s.tasks.wait().await;
    let _ = writer.await;
}

/// The close code a broken frame earns (RFC 6455 §7.4.1); `None` when the socket just ended.
fn close_for(e: &WsError) -> Option<(CloseCode, &'static str)> {
    match e {
        WsError::Capacity(_) => Some((CloseCode::Size, "message too big")),
        WsError::Utf8(_) => Some((CloseCode::Invalid, "text frame is not valid UTF-8")),
        // A client that just went away is not a protocol error worth a close frame.
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) => Some((CloseCode::Protocol, "WebSocket protocol violation")),
        _ => None,
    }
}
