//! Logging: to a daily-rotated file in the state dir (never message contents), and to stderr
//! when asked. Returns a guard that flushes the file on drop.

use anyhow::{Context, Result};
use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// Installs the global subscriber. `filter` uses `RUST_LOG` syntax (e.g. `info,chinwagd=debug`).
pub fn init(dir: &Path, filter: &str, also_stderr: bool) -> Result<WorkerGuard> {
    crate::private_fs::ensure_private_dir(dir).context("the log directory cannot be used")?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("chinwagd")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .with_context(|| format!("opening a log file in {}", dir.display()))?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_new(filter).with_context(|| format!("bad log filter {filter:?}"))?;
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(file)
        .with_ansi(false);
    let stderr_layer =
        also_stderr.then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .context("installing the logger")?;
    Ok(guard)
}
