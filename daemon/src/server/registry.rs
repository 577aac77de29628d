//! The sessions open now, so that a revoked or expired token, or a removed user, closes its
//! live sockets; and the loop that refreshes the token index from the store every second
//! (tokens are created and revoked by `chinwagd token …`, often in another process).

use super::outbox::Session;
use crate::daemon::Daemon;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How often the token index is refreshed: a revocation closes its sockets within this.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(super) struct Registry {
    next: AtomicU64,
    live: Mutex<HashMap<u64, Weak<Session>>>,
}

/// A session's place in the registry; leaving drops it.
#[derive(Debug)]
pub(super) struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut live) = self.registry.live.lock() {
            live.remove(&self.id);
        }
    }
}

impl Registry {
    pub(super) fn add(self: &Arc<Self>, s: &Arc<Session>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut live) = self.live.lock() {
            live.insert(id, Arc::downgrade(s));
        }
        Registered {
            registry: Arc::clone(self),
            id,
        }
    }

    /// How many sessions `owner` has open now.
    pub(super) fn count_owner(&self, owner: &str) -> usize {
        self.live.lock().map_or(0, |live| {
            live.values()
                .filter_map(Weak::upgrade)
                .filter(|s| s.peer.owner == owner)
                .count()
        })
    }

    /// Closes every session whose token is no longer valid; returns how many.
    fn close_revoked(&self, d: &Daemon, now_ms: i64) -> usize {
        let sessions: Vec<Arc<Session>> = match self.live.lock() {
            Ok(live) => live.values().filter_map(Weak::upgrade).collect(),
            Err(_) => return 0,
        };
        let mut closed = 0;
        for s in sessions {
            if let Some(token) = &s.peer.token
                && !d.tokens.still_valid(token, now_ms)
            {
                tracing::info!(user = %s.peer.display, %token, "token no longer valid; closing its connection");
                s.close(CloseCode::Policy, "token revoked or expired");
                closed += 1;
            }
        }
        closed
    }
}

/// Loads the store's tokens into the index, closes the sockets of tokens no longer valid,
/// and records which tokens were used.
pub(super) async fn refresh_tokens(d: &Daemon, live: &Registry) {
    match d.store.list_tokens().await {
        Ok(records) => d.tokens.replace(records),
        Err(e) => {
            // Keep the last known tokens; revocations wait for the store to answer again.
            tracing::warn!(error = %e, "could not refresh the tokens");
            return;
        }
    }
    let now = crate::store::now_ms();
    live.close_revoked(d, now);
    let used = d.tokens.take_used();
    if !used.is_empty()
        && let Err(e) = d.store.touch_tokens(used, now).await
    {
        tracing::debug!(error = %e, "could not record token use");
    }
}

/// Refreshes the tokens every [`REFRESH_EVERY`] until the daemon stops.
pub(super) async fn keep_tokens_fresh(d: Arc<Daemon>, live: Arc<Registry>) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = d.shutdown.cancelled() => return,
            _ = tick.tick() => refresh_tokens(&d, &live).await,
        }
    }
}
