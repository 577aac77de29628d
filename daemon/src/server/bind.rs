//! Binding listeners safely and accepting connections.
//!
//! The Unix socket lives in a 0700 directory, is 0600 itself, and is guarded by a lock file so
//! two daemons never share it. A connecting peer must be the daemon's own user (or root).
//! TCP always needs a token; beyond loopback it needs TLS, or a declared TLS-terminating proxy
//! (`trust_proxy`), and then plain TCP serves only that proxy and loopback.

use super::Admission;
use super::caps::Caps;
use super::front::{self, Door};
use super::registry::Registry;
use crate::auth::Identity;
use crate::daemon::Daemon;
use crate::metrics::Transport;
use anyhow::{Context, Result, bail};
use std::fs::{File, OpenOptions};
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_util::task::TaskTracker;

/// A bound listener, ready for [`super::serve`].
#[derive(Debug)]
pub enum Listener {
    Unix {
        listener: UnixListener,
        path: PathBuf,
        /// Held for the daemon's life: the single-instance lock.
        _lock: File,
    },
    Tcp(TcpListener),
}

impl Listener {
    pub fn describe(&self) -> String {
        match self {
            Listener::Unix { path, .. } => path.display().to_string(),
            Listener::Tcp(l) => match l.local_addr() {
                Ok(a) => format!("tcp {a}"),
                Err(_) => "tcp ?".into(),
            },
        }
    }
}

/// Binds the Unix socket at `path`, taking the single-instance lock first.
pub fn bind_unix(path: &Path) -> Result<Listener> {
    let dir = path
        .parent()
        .context("the socket path has no parent directory")?;
    crate::private_fs::ensure_private_dir(dir).context("the socket's directory cannot be used")?;
    let lock_path = path.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "another chinwagd is already running (it holds {})",
            lock_path.display()
        );
    }
    match std::fs::remove_file(path) {
        Ok(()) => tracing::info!(socket = %path.display(), "removed a stale socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing stale {}", path.display())),
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("binding {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting {}", path.display()))?;
    Ok(Listener::Unix {
        listener,
        path: path.to_path_buf(),
        _lock: lock,
    })
}

/// Binds the TCP listener: any address with TLS, loopback only without, unless a
/// TLS-terminating proxy in front is declared (`trust_proxy`).
pub async fn bind_tcp(addr: SocketAddr, tls: bool, behind_proxy: bool) -> Result<Listener> {
    check_listen(addr, tls, behind_proxy)?;
    let l = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    Ok(Listener::Tcp(l))
}

/// Tokens are always required on TCP; beyond loopback, they must not travel in clear: a
/// listener there needs TLS or a declared TLS-terminating proxy.
pub fn check_listen(addr: SocketAddr, tls: bool, behind_proxy: bool) -> Result<()> {
    if !addr.ip().is_loopback() && !tls && !behind_proxy {
        bail!(
            "refusing to listen on {addr} without TLS: set [tls] cert and key in chinwagd.toml \
             (chinwagd tls self-signed --host NAME makes a pair), or listen on 127.0.0.1 or ::1, \
             or name the TLS-terminating proxy in front with trust_proxy = [\"ADDRESS\"]"
        );
    }
    Ok(())
}

/// A connection just accepted, by kind.
enum Accepted {
    Unix(UnixStream),
    Tcp(TcpStream, SocketAddr),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Unix { listener, .. } => Ok(Accepted::Unix(listener.accept().await?.0)),
            Listener::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                tracing::debug!(%addr, "tcp connection");
                Ok(Accepted::Tcp(stream, addr))
            }
        }
    }
}

/// Accepts until shutdown, one session task per connection, within the caps.
pub(super) async fn accept_loop(
    d: Arc<Daemon>,
    listener: Listener,
    conns: TaskTracker,
    live: Arc<Registry>,
    caps: Arc<Caps>,
) {
    let own_uid = rustix::process::getuid().as_raw();
    let owner = Identity::local_owner();
    loop {
        let accepted = tokio::select! {
            _ = d.shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        let accepted = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                backoff_after_accept_error().await;
                continue;
            }
        };
        let cfg = d.config().caps;
        let open = caps.open(cfg.max_connections);
        let full = open.is_none();
        let door = |admission, transport, handshake| Door {
            admission,
            transport,
            live: Arc::clone(&live),
            caps: Arc::clone(&caps),
            open,
            handshake,
        };
        match accepted {
            Accepted::Unix(stream) => {
                let uid = stream.peer_cred().map(|c| c.uid()).ok();
                if uid != Some(own_uid) && uid != Some(0) {
                    tracing::warn!(peer_uid = ?uid, "refused a connection from another user");
                    continue;
                }
                // A full daemon still answers (503) through the front.
                let door = door(Admission::Local(owner.clone()), Transport::Unix, None);
                conns.spawn(front::serve(Arc::clone(&d), stream, door));
            }
            // Every TCP peer, loopback included, is named by its token at the upgrade: any
            // local user can reach 127.0.0.1. Plain TCP is loopback only, where `Host` must
            // name this machine (DNS rebinding); TLS speaks for itself.
            Accepted::Tcp(stream, addr) => {
                let tls = d.tls();
                let proxied = d.config().trust_proxy.contains(&addr.ip());
                // Plain TCP beyond loopback is only for the declared proxy: anyone else
                // would be sending a token in clear.
                if !plain_peer_allowed(tls.is_some(), addr.ip(), proxied) {
                    tracing::warn!(%addr, "refused plain TCP from an address that is not a trusted proxy");
                    continue;
                }
                // A full daemon answers 503 in plain HTTP, but spends no TLS handshake on it.
                if full && tls.is_some() {
                    continue;
                }
                // An address with too many handshakes in flight gets nothing at all; a trusted
                // proxy speaks for many clients and is not counted.
                let counted = (!proxied).then_some(addr.ip());
                let Some(handshake) = caps.handshakes.take(counted, cfg.max_handshakes_per_ip)
                else {
                    tracing::debug!(%addr, "too many handshakes from this address");
                    continue;
                };
                let admission = Admission::Tcp {
                    // Behind a proxy, Host is the public name.
                    check_host: tls.is_none() && !proxied,
                    peer: addr.ip(),
                    proxied,
                };
                let transport = if tls.is_some() {
                    Transport::Tls
                } else {
                    Transport::Tcp
                };
                let door = door(admission, transport, Some(handshake));
                match tls {
                    None => {
                        conns.spawn(front::serve(Arc::clone(&d), stream, door));
                    }
                    Some(server) => {
                        conns.spawn(tls_front(Arc::clone(&d), stream, server, door));
                    }
                }
            }
        }
    }
    if let Listener::Unix { path, .. } = &listener {
        let _ = std::fs::remove_file(path);
    }
}

/// Whether a TCP peer may be served: over TLS anyone; in plain, loopback or a trusted proxy.
fn plain_peer_allowed(tls: bool, peer: std::net::IpAddr, proxied: bool) -> bool {
    tls || peer.is_loopback() || proxied
}

/// The TLS handshake (within the upgrade's deadline), then the HTTP front.
async fn tls_front(
    d: Arc<Daemon>,
    stream: TcpStream,
    server: Arc<rustls::ServerConfig>,
    door: Door,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let handshake =
        tokio::time::timeout(super::upgrade::HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    match handshake.await {
        Ok(Ok(tls)) => front::serve(d, tls, door).await,
        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!("TLS handshake timed out"),
    }
}

/// Out of file descriptors and similar: pause instead of spinning.
async fn backoff_after_accept_error() {
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::plain_peer_allowed;
    use std::net::IpAddr;

    #[test]
    fn plain_tcp_beyond_loopback_is_served_only_to_the_trusted_proxy() {
        let far: IpAddr = "203.0.113.7".parse().expect("ip");
        let local: IpAddr = "::1".parse().expect("ip");
        assert!(!plain_peer_allowed(false, far, false), "a token in clear");
        assert!(plain_peer_allowed(false, far, true), "the declared proxy");
        assert!(plain_peer_allowed(false, local, false));
        assert!(
            plain_peer_allowed(true, far, false),
            "TLS speaks for itself"
        );
    }
}
