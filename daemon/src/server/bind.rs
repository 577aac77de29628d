//! Binding listeners safely and accepting connections.
//!
//! The Unix socket lives in a 0700 directory, is 0600 itself, and is guarded by a lock file so
//! two daemons never share it. A connecting peer must be the daemon's own user (or root).
//! TCP is loopback-only until remote access (TLS + tokens) lands.

use super::registry::Registry;
use super::{Admission, session};
use crate::auth::Identity;
use crate::daemon::Daemon;
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

/// Binds the TCP listener: any address with TLS, loopback only without.
pub async fn bind_tcp(addr: SocketAddr, tls: bool) -> Result<Listener> {
    // Tokens are always required on TCP; beyond loopback, they must not travel in clear.
    if !addr.ip().is_loopback() && !tls {
        bail!(
            "refusing to listen on {addr} without TLS: set [tls] cert and key in chinwagd.toml \
             (chinwagd tls self-signed --host NAME makes a pair), or listen on 127.0.0.1 or ::1"
        );
    }
    let l = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    Ok(Listener::Tcp(l))
}

/// A connection just accepted, by kind.
enum Accepted {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Unix { listener, .. } => Ok(Accepted::Unix(listener.accept().await?.0)),
            Listener::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                tracing::debug!(%addr, "tcp connection");
                Ok(Accepted::Tcp(stream))
            }
        }
    }
}

/// Accepts until shutdown, one session task per connection.
pub(super) async fn accept_loop(
    d: Arc<Daemon>,
    listener: Listener,
    conns: TaskTracker,
    live: Arc<Registry>,
) {
    let own_uid = rustix::process::getuid().as_raw();
    let owner = Identity::local_owner();
    loop {
        let accepted = tokio::select! {
            _ = d.shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                backoff_after_accept_error().await;
            }
            Ok(Accepted::Unix(stream)) => {
                let uid = stream.peer_cred().map(|c| c.uid()).ok();
                if uid != Some(own_uid) && uid != Some(0) {
                    tracing::warn!(peer_uid = ?uid, "refused a connection from another user");
                    continue;
                }
                let admission = Admission::Local(owner.clone());
                conns.spawn(session::run(
                    Arc::clone(&d),
                    stream,
                    admission,
                    Arc::clone(&live),
                ));
            }
            // Every TCP peer, loopback included, is named by its token at the upgrade: any
            // local user can reach 127.0.0.1. Plain TCP is loopback only, where `Host` must
            // name this machine (DNS rebinding); TLS speaks for itself.
            Ok(Accepted::Tcp(stream)) => match d.tls() {
                None => {
                    let admission = Admission::Tcp { check_host: true };
                    conns.spawn(session::run(
                        Arc::clone(&d),
                        stream,
                        admission,
                        Arc::clone(&live),
                    ));
                }
                Some(server) => {
                    let (d, live) = (Arc::clone(&d), Arc::clone(&live));
                    conns.spawn(async move {
                        let acceptor = tokio_rustls::TlsAcceptor::from(server);
                        let handshake = tokio::time::timeout(
                            super::upgrade::HANDSHAKE_TIMEOUT,
                            acceptor.accept(stream),
                        );
                        match handshake.await {
                            Ok(Ok(tls)) => {
                                let admission = Admission::Tcp { check_host: false };
                                session::run(d, tls, admission, live).await;
                            }
                            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!("TLS handshake timed out"),
                        }
                    });
                }
            },
        }
    }
    if let Listener::Unix { path, .. } = &listener {
        let _ = std::fs::remove_file(path);
    }
}

/// Out of file descriptors and similar: pause instead of spinning.
async fn backoff_after_accept_error() {
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}
