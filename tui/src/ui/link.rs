//! The TUI's connection to the daemon, as a task: connects (starting a local daemon when
//! none runs), forwards daemon messages as events, sends what the state machine asks, and
//! when the connection breaks, reconnects with backoff forever, reporting each attempt.
//!
//! It never decides anything about conversations: after a reconnect the state machine
//! re-opens and re-attaches what it had open.

use super::event::{Event, LinkEvent};
use crate::backoff::{Backoff, connect_retrying, is_final};
use crate::cli::ConnArgs;
use crate::conn::Endpoint;
use crate::exit::ClientError;
use chinwag_protocol::ClientMsg;
use std::time::Duration;
use tokio::sync::mpsc;

/// Longest wait between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Starts the connection task. Messages sent while disconnected are dropped: the state
/// machine resends what matters when it hears `Connected`.
pub fn spawn(args: ConnArgs, events: mpsc::Sender<Event>) -> mpsc::UnboundedSender<ClientMsg> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(args, events, rx));
    tx
}

async fn run(
    args: ConnArgs,
    events: mpsc::Sender<Event>,
    mut outgoing: mpsc::UnboundedReceiver<ClientMsg>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), MAX_BACKOFF);
    // Attempts since the connection was last up; the first after a loss is reported below.
    let mut lost = 0u32;
    loop {
        // Each failed attempt is reported; a full queue only skips a report, a closed one
        // (the screen is gone) stops.
        let report = |attempt: u32, e: &ClientError| {
            let ev = LinkEvent::Reconnecting {
                attempt: lost + attempt,
                why: e.to_string(),
            };
            !matches!(
                events.try_send(Event::Link(ev)),
                Err(mpsc::error::TrySendError::Closed(_))
            )
        };
        let mut conn = match connect_retrying(&args, &mut backoff, None, report).await {
            Ok(c) => c,
            // Retrying cannot fix a bad token, an untrusted certificate or a bad URL.
            Err(e) if is_final(&e) => {
                let _ = events
                    .send(Event::Link(LinkEvent::Refused { why: e.to_string() }))
                    .await;
                return;
            }
            // The screen is gone.
            Err(_) => return,
        };
        // Whatever was queued while away is stale; the state machine resends on Connected.
        while outgoing.try_recv().is_ok() {}
        let ev = LinkEvent::Connected {
            endpoint: match &conn.endpoint {
                Endpoint::Url(r) => r.label(),
                unix => unix.to_string(),
            },
            remote: matches!(conn.endpoint, Endpoint::Url(..)),
            user: conn.hello.user.clone(),
            max_message_bytes: conn.hello.max_message_bytes,
        };
        if events.send(Event::Link(ev)).await.is_err() {
            return;
        }
        let why = loop {
            tokio::select! {
                msg = conn.recv() => match msg {
                    Ok(m) => {
                        if events.send(Event::Server(m)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => break e.to_string(),
                },
                out = outgoing.recv() => match out {
                    Some(m) => {
                        if let Err(e) = conn.send(&m).await {
                            break e.to_string();
                        }
                    }
                    None => return,
                },
            }
        };
        tracing::info!(%why, "lost the daemon; reconnecting");
        lost = 1;
        if events
            .send(Event::Link(LinkEvent::Reconnecting { attempt: 1, why }))
            .await
            .is_err()
        {
            return;
        }
    }
}
