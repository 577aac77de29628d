//! Caps at the edge, checked before anything costly: total open sockets (over it, 503 with
//! `Retry-After`), TLS/HTTP handshakes in flight per remote address (over it, the socket is
//! dropped: an address flooding handshakes gets nothing), and connections per user (checked
//! at the upgrade, once the user is known: 429 with `Retry-After`). Loopback peers are local
//! users, not a flood to fend off, so the per-address cap leaves them alone.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a refused connection is told to wait before trying again, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;
/// The same, as a header value.
pub const RETRY_AFTER_SECS_STR: &str = "5";

/// The caps, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapConfig {
    pub max_connections: usize,
    pub max_connections_per_user: usize,
    pub max_handshakes_per_ip: usize,
}

impl Default for CapConfig {
    fn default() -> Self {
        CapConfig {
            max_connections: 10_000,
            max_connections_per_user: 32,
            max_handshakes_per_ip: 64,
        }
    }
}

#[derive(Debug, Default)]
pub struct Caps {
    open: AtomicUsize,
    handshakes: Mutex<HashMap<IpAddr, usize>>,
}

/// One open socket, counted until dropped.
#[derive(Debug)]
pub struct OpenSocket(Arc<Caps>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One handshake in flight from an address, counted until dropped.
#[derive(Debug)]
pub struct Handshake(Arc<Caps>, Option<IpAddr>);

impl Drop for Handshake {
    fn drop(&mut self) {
        let Some(ip) = self.1 else { return };
        if let Ok(mut h) = self.0.handshakes.lock()
            && let Some(n) = h.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                h.remove(&ip);
            }
        }
    }
}

impl Caps {
    /// Counts a socket just accepted; `None` when the daemon is full.
    pub fn open(self: &Arc<Self>, max: usize) -> Option<OpenSocket> {
        let before = self.open.fetch_add(1, Ordering::Relaxed);
        let socket = OpenSocket(Arc::clone(self));
        (before < max).then_some(socket)
    }

    /// Counts a handshake from `ip`; `None` when that address has too many in flight.
    /// Loopback addresses (and the Unix socket, `None`) are not counted.
    pub fn handshake(self: &Arc<Self>, ip: Option<IpAddr>, max: usize) -> Option<Handshake> {
        let Some(ip) = ip.filter(|ip| !ip.is_loopback()) else {
            return Some(Handshake(Arc::clone(self), None));
        };
        let mut h = self.handshakes.lock().ok()?;
        let n = h.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Handshake(Arc::clone(self), Some(ip)))
    }

    /// Sockets open now.
    pub fn open_now(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// A plain HTTP refusal, for a socket refused before any upgrade machinery runs.
pub fn http_refusal(status: u16, reason: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} {reason}\r\nRetry-After: {RETRY_AFTER_SECS}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
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
    fn handshakes_are_capped_per_remote_address_but_not_for_loopback() {
        let caps = Arc::new(Caps::default());
        let far: IpAddr = "203.0.113.7".parse().expect("ip");
        let held: Vec<_> = (0..3)
            .filter_map(|_| caps.handshake(Some(far), 3))
            .collect();
        assert_eq!(held.len(), 3);
        assert!(caps.handshake(Some(far), 3).is_none());
        let other: IpAddr = "203.0.113.8".parse().expect("ip");
        assert!(
            caps.handshake(Some(other), 3).is_some(),
            "another address is unaffected"
        );
        let local: IpAddr = "127.0.0.1".parse().expect("ip");
        let many: Vec<_> = (0..100)
            .filter_map(|_| caps.handshake(Some(local), 3))
            .collect();
        assert_eq!(many.len(), 100);
        drop(held);
        assert!(caps.handshake(Some(far), 3).is_some());
    }
}
