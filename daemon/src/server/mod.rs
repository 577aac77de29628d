//! The network edge: listeners, an HTTP front that admits the WebSocket upgrade, and one
//! session per connection.
//!
//! [`serve`] takes bound listeners and the daemon; it returns after shutdown has drained every
//! connection and every generation has stored its end.

mod answer;
mod bind;
pub mod caps;
mod dispatch;
mod front;
mod ops;
mod outbox;
mod registry;
mod session;
mod upgrade;

pub use bind::{Listener, bind_tcp, bind_unix, check_listen};

use crate::auth::Identity;
use crate::daemon::Daemon;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// How long, past the grace, shutdown waits for cut replies to be stored and connections to
/// say goodbye before it stops waiting.
const DRAIN_MARGIN: Duration = Duration::from_secs(10);

/// How a connection is let in: the Unix socket has already named its peer (the OS user);
/// a TCP peer is named by the token it presents at the upgrade.
#[derive(Debug, Clone)]
pub enum Admission {
    Local(Identity),
    /// TCP: a bearer token is required; on plain (loopback) TCP `Host` must name this
    /// machine (DNS rebinding).
    Tcp {
        check_host: bool,
        /// The address that connected.
        peer: std::net::IpAddr,
        /// Whether `peer` is a trusted proxy, whose `X-Forwarded-For` names the client.
        proxied: bool,
    },
}

/// Serves until `daemon.shutdown` fires, then drains and returns.
pub async fn serve(daemon: Arc<Daemon>, listeners: Vec<Listener>) {
    let connections = TaskTracker::new();
    let accept_loops = TaskTracker::new();
    let live = Arc::new(registry::Registry::default());
    let caps = Arc::new(caps::Caps::default());
    // Tokens are known before the first connection is accepted.
    registry::refresh_tokens(&daemon, &live).await;
    tokio::spawn(registry::keep_tokens_fresh(
        Arc::clone(&daemon),
        Arc::clone(&live),
    ));
    tokio::spawn(prune_limits(Arc::clone(&daemon)));
    for listener in listeners {
        let scheme = match (&listener, daemon.tls().is_some()) {
            (Listener::Unix { .. }, _) => "",
            (_, true) => "wss: ",
            (_, false) => "ws: ",
        };
        daemon.add_listening(format!("{scheme}{}", listener.describe()));
        accept_loops.spawn(bind::accept_loop(
            Arc::clone(&daemon),
            listener,
            connections.clone(),
            Arc::clone(&live),
            Arc::clone(&caps),
        ));
    }
    accept_loops.close();
    daemon.shutdown.cancelled().await;
    let grace = daemon.config().timeouts.shutdown_grace;
    tracing::info!(
        grace_secs = grace.as_secs_f64(),
        "shutting down: no new connections or chats; replies in progress may finish"
    );
    let cut = daemon.cut.clone();
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        cut.cancel();
    });
    accept_loops.wait().await;
    connections.close();
    daemon.runners.close();
    let drained = async {
        connections.wait().await;
        daemon.runners.wait().await;
    };
    if tokio::time::timeout(grace + DRAIN_MARGIN, drained)
        .await
        .is_err()
    {
        tracing::warn!("shutdown: some connections did not close in time");
    }
    daemon.store.close().await;
    tracing::info!("stopped");
}

/// Forgets rate-limit state that has recovered, every minute, until the daemon stops.
async fn prune_limits(daemon: Arc<Daemon>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = daemon.shutdown.cancelled() => return,
            _ = tick.tick() => daemon.limits().prune(),
        }
    }
}
