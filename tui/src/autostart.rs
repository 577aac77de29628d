//! Finding the daemon, and starting a local one when none runs.
//!
//! The daemon started is this very executable's `chinwag daemon`, so client and daemon always
//! come from the same build. It runs detached (own process group, stdio away from the
//! terminal) and logs to the state dir; its early stderr goes to a file beside the socket so a
//! failed start can be explained.

use crate::cli::ConnArgs;
use crate::conn::{Connection, Endpoint, Remote};
use crate::exit::ClientError;
use chinwag_protocol::paths;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long a freshly started daemon may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Where to connect, from flags, then `CHINWAG_SOCKET`, then the default socket.
pub fn endpoint(args: &ConnArgs) -> Result<Endpoint, ClientError> {
    if let Some(url) = &args.url {
        // What `chinwag login` kept for this URL fills in what the flags leave out.
        let kept = match crate::remotes::path() {
            Some(p) => crate::remotes::find(&p, url)?,
            None => None,
        };
        let kept_token = kept.as_ref().map(|k| k.token.clone());
        return Ok(Endpoint::Url(Remote {
            url: url.clone(),
            token: token(args)?.or(kept_token),
            trust: crate::tls::Trust {
                ca_file: args
                    .ca_file
                    .clone()
                    .or_else(|| kept.as_ref().and_then(|k| k.ca_file.clone())),
                fingerprint: args
                    .fingerprint
                    .clone()
                    .or_else(|| kept.as_ref().and_then(|k| k.fingerprint.clone())),
                pinned_in: match (&args.fingerprint, &kept) {
                    (None, Some(k)) if k.fingerprint.is_some() => crate::remotes::path(),
                    _ => None,
                },
            },
        }));
    }
    let socket = args
        .socket
        .clone()
        .or_else(|| {
            std::env::var_os("CHINWAG_SOCKET")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(default_socket);
    Ok(Endpoint::Unix(socket))
}

/// The bearer token for a remote daemon: `--token-file`, else `CHINWAG_TOKEN`. Never a flag
/// holding the token itself (it would show in `ps`).
fn token(args: &ConnArgs) -> Result<Option<String>, ClientError> {
    if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ClientError::Usage(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ))
        })?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(ClientError::Usage(format!(
                "{} holds no token",
                path.display()
            )));
        }
        return Ok(Some(token));
    }
    Ok(std::env::var("CHINWAG_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty()))
}

fn default_socket() -> PathBuf {
    let runtime = paths::runtime_dir_from_env(rustix::process::getuid().as_raw());
    paths::default_socket(&runtime)
}

/// Connects, starting a local daemon first when none answers (unless told not to).
pub async fn connect(args: &ConnArgs) -> Result<Connection, ClientError> {
    let ep = endpoint(args)?;
    match Connection::open(&ep).await {
        Ok(c) => return Ok(c),
        Err(ClientError::DaemonUnreachable(why)) => {
            let Endpoint::Unix(socket) = &ep else {
                return Err(ClientError::DaemonUnreachable(why));
            };
            if args.no_autostart {
                return Err(ClientError::DaemonUnreachable(format!(
                    "{why}; start one with `chinwag daemon` or drop --no-autostart"
                )));
            }
            start_daemon(socket).await?;
        }
        Err(e) => return Err(e),
    }
    Connection::open(&ep).await
}

/// Starts `chinwag daemon --socket SOCKET` detached and waits until it accepts connections.
async fn start_daemon(socket: &Path) -> Result<(), ClientError> {
    let exe = std::env::current_exe().map_err(|e| {
        ClientError::DaemonUnreachable(format!(
            "cannot find the chinwag executable to start a daemon: {e}"
        ))
    })?;
    let dir = socket.parent().unwrap_or(Path::new("."));
    chinwagd::private_fs::ensure_private_dir(dir)
        .map_err(|e| ClientError::Unsafe(format!("not starting a daemon: {e}")))?;
    let err_path = socket.with_extension("stderr");
    let err_file = chinwagd::private_fs::create_private_file(&err_path)
        .map_err(|e| ClientError::DaemonUnreachable(format!("cannot start a daemon: {e}")))?;
    tracing::debug!(exe = %exe.display(), socket = %socket.display(), "starting a daemon");
    #[expect(
        clippy::disallowed_methods,
        reason = "the daemon autostart: this very binary, as `chinwag daemon`"
    )]
    let mut child = Command::new(&exe)
        .arg("daemon")
        .arg("--socket")
        .arg(socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .process_group(0)
        .spawn()
        .map_err(|e| {
            ClientError::DaemonUnreachable(format!(
                "cannot start the daemon ({}): {e}",
                exe.display()
            ))
        })?;
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    let mut wait =
        crate::backoff::Backoff::new(Duration::from_millis(10), Duration::from_millis(200));
    loop {
        if tokio::net::UnixStream::connect(socket).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Lost a start race to another client? Then its daemon will answer shortly.
            let text = std::fs::read_to_string(&err_path).unwrap_or_default();
            if !text.contains("already running") {
                let detail = text.trim();
                return Err(ClientError::DaemonUnreachable(format!(
                    "the daemon failed to start ({status}){}{detail}",
                    if detail.is_empty() { "" } else { ": " }
                )));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ClientError::DaemonUnreachable(format!(
                "started a daemon, but it did not open {} within {}s (see {})",
                socket.display(),
                START_TIMEOUT.as_secs(),
                err_path.display()
            )));
        }
        wait.wait().await;
    }
}
