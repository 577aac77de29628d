//! The client's own log: `$XDG_STATE_HOME/chinwag/chinwag.log` (0600 in a 0700 directory),
//! never the terminal, so a user can send it when something breaks. `CHINWAG_LOG` sets the
//! level (`info` by default); a file past 4 MiB starts over at the next run. Message text
//! never goes in it.

use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

/// Where the log goes.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", chinwag_protocol::paths::APP_DIR).map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .join("chinwag.log")
    })
}

const MAX_BYTES: u64 = 4 << 20;

/// Starts logging to the file; a log that cannot be opened only means no log.
pub fn init() {
    let Some(path) = path() else { return };
    let Some(dir) = path.parent() else { return };
    if chinwagd::private_fs::ensure_private_dir(dir).is_err() {
        return;
    }
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
        let _ = std::fs::remove_file(&path);
    }
    if chinwagd::private_fs::restrict_file(&path).is_err() {
        return;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path);
    let Ok(file) = file else { return };
    let filter = EnvFilter::try_from_env("CHINWAG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}
