//! `chinwag daemon stop|restart|reload`: control the running daemon over its own socket, so
//! nobody has to find its pid. Stop waits until the process is gone; restart then starts a
//! new one as `chinwag` would; reload reports what changed, or why the new config is refused.

use crate::autostart::connect;
use crate::cli::{ConnArgs, DaemonAction};
use crate::conn::{Connection, Endpoint, unexpected};
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ServerMsg};
use std::time::Duration;

/// How long a stopping daemon may take to store its replies and exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn run(action: &DaemonAction, outer: &ConnArgs) -> Result<(), ClientError> {
    match action {
        // Handled before the runtime starts: they work on the store, not the socket.
        DaemonAction::User(_)
        | DaemonAction::Token(_)
        | DaemonAction::Tls(_)
        | DaemonAction::Config(_) => Ok(()),
        DaemonAction::Stop(conn) => {
            match stop(&conn.or(outer)).await? {
                Some(pid) => eprintln!("stopped the daemon (pid {pid})"),
                None => eprintln!("no daemon was running"),
            }
            Ok(())
        }
        DaemonAction::Restart(conn) => {
            let args = conn.or(outer);
            stop(&args).await?;
            let mut c = connect(&ConnArgs {
                no_autostart: false,
                ..args
            })
            .await?;
            let pid = status_pid(&mut c).await?;
            eprintln!("started a new daemon (pid {pid})");
            Ok(())
        }
        DaemonAction::Reload(conn) => {
            let mut c = existing(&conn.or(outer)).await?;
            let reply = c.call(|id| ClientMsg::Reload { id }).await?;
            let ServerMsg::Reloaded {
                changed,
                needs_restart,
                ..
            } = reply
            else {
                return Err(unexpected(&reply));
            };
            if changed.is_empty() {
                eprintln!("reloaded; nothing that applies in place changed");
            } else {
                eprintln!("reloaded: {}", changed.join(", "));
            }
            if !needs_restart.is_empty() {
                eprintln!(
                    "changed, but only after `chinwag daemon restart`: {}",
                    needs_restart.join(", ")
                );
            }
            Ok(())
        }
    }
}

/// A connection to a daemon that already runs: never starts one.
async fn existing(args: &ConnArgs) -> Result<Connection, ClientError> {
    connect(&ConnArgs {
        no_autostart: true,
        ..args.clone()
    })
    .await
}

async fn status_pid(c: &mut Connection) -> Result<u32, ClientError> {
    match c.call(|id| ClientMsg::Status { id }).await? {
        ServerMsg::Status(st) => Ok(st.pid),
        other => Err(unexpected(&other)),
    }
}

/// Asks the daemon to stop and waits until its process is gone; `None` if none ran.
async fn stop(args: &ConnArgs) -> Result<Option<u32>, ClientError> {
    let mut c = match existing(args).await {
        Ok(c) => c,
        Err(ClientError::DaemonUnreachable(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let pid = status_pid(&mut c).await?;
    c.call(|id| ClientMsg::Shutdown { id }).await?;
    let endpoint = c.endpoint.clone();
    let gone = async {
        // The connection closes once the daemon has stored its replies and stops serving.
        while c.recv().await.is_ok() {}
        // A local daemon is gone when its single-instance lock is free: a new one can start.
        if let Endpoint::Unix(socket) = &endpoint {
            let mut pause =
                crate::backoff::Backoff::new(Duration::from_millis(5), Duration::from_millis(100));
            while !lock_is_free(&socket.with_extension("lock")) {
                pause.wait().await;
            }
        }
    };
    tokio::time::timeout(STOP_TIMEOUT, gone)
        .await
        .map_err(|_| {
            ClientError::Connection(format!(
                "the daemon (pid {pid}) was asked to stop but still runs after {}s",
                STOP_TIMEOUT.as_secs()
            ))
        })?;
    Ok(Some(pid))
}

/// Whether nobody holds the daemon's single-instance lock (the daemon holds it until its
/// process exits). A missing lock file is free too.
fn lock_is_free(path: &std::path::Path) -> bool {
    match std::fs::File::open(path) {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => true,
    }
}
