//! Caps at the edge, checked before anything costly: total open sockets (over it, 503 with
//! `Retry-After`), TLS/HTTP handshakes in flight per remote address (over it, the socket is
//! dropped: an address flooding handshakes gets nothing), and, at the upgrade once the peer is
//! known, connections per user and per client address (429 with `Retry-After`). Loopback
//! peers are local users, not a flood to fend off, so the per-address caps leave them alone.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a refused connection is told to wait before trying again, in seconds.
pub const RETRY_AFTER_SECS_STR: &str = "5";

/// The caps, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapConfig {
    pub max_connections: usize,
    pub max_connections_per_user: usize,
    pub max_connections_per_ip: usize,
    pub max_handshakes_per_ip: usize,
}

impl Default for CapConfig {
    fn default() -> Self {
        CapConfig {
            max_connections: 10_000,
            max_connections_per_user: 32,
            max_connections_per_ip: 256,
            max_handshakes_per_ip: 64,
        }
    }
}

#[derive(Debug, Default)]
pub struct Caps {
    open: AtomicUsize,
    /// Handshakes in flight, by the address that connected.
    pub handshakes: Arc<PerAddr>,
    /// Upgraded connections, by client address (behind a trusted proxy, the forwarded one).
    pub clients: Arc<PerAddr>,
}

/// One open socket, counted until dropped.
#[derive(Debug)]
pub struct OpenSocket(Arc<Caps>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Caps {
    /// Counts a socket just accepted; `None` when the daemon is full.
    pub fn open(self: &Arc<Self>, max: usize) -> Option<OpenSocket> {
        let before = self.open.fetch_add(1, Ordering::Relaxed);
        let socket = OpenSocket(Arc::clone(self));
        (before < max).then_some(socket)
    }

    /// Sockets open now.
    pub fn open_now(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// A count per remote address. Entries leave the map when their count falls to zero, so
/// its size is bounded by what is held, not by how many addresses ever came.
#[derive(Debug, Default)]
pub struct PerAddr(Mutex<HashMap<IpAddr, usize>>);

/// One place held under a [`PerAddr`] cap, given back when dropped.
#[derive(Debug)]
pub struct AddrSlot(Arc<PerAddr>, Option<IpAddr>);

impl Drop for AddrSlot {
    fn drop(&mut self) {
        let Some(ip) = self.1 else { return };
        if let Ok(mut h) = (self.0).0.lock()
            && let Some(n) = h.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                h.remove(&ip);
            }
        }
    }
}

impl PerAddr {
    /// Takes a place for `ip`; `None` when that address already holds `max`. Loopback
    /// addresses (and `None`, the Unix socket) are not counted.
    pub fn take(self: &Arc<Self>, ip: Option<IpAddr>, max: usize) -> Option<AddrSlot> {
        let Some(ip) = ip.filter(|ip| !ip.is_loopback()) else {
            return Some(AddrSlot(Arc::clone(self), None));
        };
        let mut h = self.0.lock().ok()?;
        let n = h.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddrSlot(Arc::clone(self), Some(ip)))
    }

    /// Addresses holding at least one place.
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.0.lock().map_or(0, |h| h.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_over_the_total_are_refused_and_freed_ones_count_again() {
        let caps = Arc::new(Caps::default());
        let a = caps.open(2).expect("first");
        let _b = caps.open(2).expect("second");
        assert!(caps.open(2).is_none(), "full");
        drop(a);
        assert!(caps.open(2).is_some(), "room again");
    }

    #[test]
    fn places_are_capped_per_remote_address_but_not_for_loopback() {
        let per = Arc::new(PerAddr::default());
        let far: IpAddr = "203.0.113.7".parse().expect("ip");
        let held: Vec<_> = (0..3).filter_map(|_| per.take(Some(far), 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(per.take(Some(far), 3).is_none());
        let other: IpAddr = "203.0.113.8".parse().expect("ip");
        assert!(
            per.take(Some(other), 3).is_some(),
            "another address is unaffected"
        );
        let local: IpAddr = "127.0.0.1".parse().expect("ip");
        let many: Vec<_> = (0..100).filter_map(|_| per.take(Some(local), 3)).collect();
        assert_eq!(many.len(), 100);
        assert!(per.take(None, 3).is_some(), "the Unix socket");
        drop(held);
        assert!(per.take(Some(far), 3).is_some());
        assert_eq!(per.addresses(), 0, "given-back places leave no entry");
    }
}
