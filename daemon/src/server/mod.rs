//! The network edge: listeners, the WebSocket upgrade, and one session per connection.
//!
//! [`serve`] takes bound listeners and the daemon; it returns after shutdown has drained every
//! connection and every generation has stored its end.

mod bind;
mod dispatch;
mod session;
mod upgrade;

pub use bind::{Listener, bind_tcp, bind_unix};

use crate::daemon::Daemon;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// How long shutdown waits for connections to say goodbye before it stops waiting.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The owner key conversations are stored under.
    pub owner: String,
    /// A name to show.
    pub display: String,
    /// TCP peers must send a loopback `Host` header (DNS rebinding defence).
    pub check_host: bool,
}

/// Serves until `daemon.shutdown` fires, then drains and returns.
pub async fn serve(daemon: Arc<Daemon>, listeners: Vec<Listener>) {
    let connections = TaskTracker::new();
    let accept_loops = TaskTracker::new();
    for listener in listeners {
        daemon.add_listening(listener.describe());
        accept_loops.spawn(bind::accept_loop(
            Arc::clone(&daemon),
            listener,
            connections.clone(),
        ));
    }
    accept_loops.close();
    daemon.shutdown.cancelled().await;
    tracing::info!("shutting down: closing connections and storing replies in progress");
    accept_loops.wait().await;
    connections.close();
    daemon.runners.close();
    let drained = async {
        connections.wait().await;
        daemon.runners.wait().await;
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
        tracing::warn!("shutdown: some connections did not close in time");
    }
    daemon.store.close().await;
    tracing::info!("stopped");
}
