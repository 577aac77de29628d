//! Logging: to a daily-rotated file in the state dir (JSON, a retention count of files), and
//! to stderr when asked (human on a terminal, JSON otherwise, or as chosen). Every line carries
//! its spans: the connection (id, transport, user), the request (its id and type) and the
//! reply being generated (conversation, message). Message contents, token secrets and keys
//! are never logged, unless `--log-content` says so, and then the start says so loudly.

use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human on a terminal, JSON otherwise
    #[default]
    Auto,
    Human,
    Json,
}

/// What [`init`] needs.
#[derive(Debug, Clone)]
pub struct LogOptions<'a> {
    pub dir: &'a Path,
    /// `RUST_LOG` syntax (e.g. `info,chinwagd=debug`).
    pub filter: &'a str,
    pub stderr: bool,
    pub format: LogFormat,
    /// Rotated files kept (one a day).
    pub keep: usize,
    /// Message contents may be logged (debugging only).
    pub content: bool,
}

static CONTENT: AtomicBool = AtomicBool::new(false);

/// Whether message contents may be logged (`--log-content`).
pub fn content_allowed() -> bool {
    CONTENT.load(Ordering::Relaxed)
}

/// Installs the global subscriber; the guard flushes the file when dropped.
pub fn init(o: &LogOptions<'_>) -> Result<WorkerGuard> {
    crate::private_fs::ensure_private_dir(o.dir).context("the log directory cannot be used")?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("chinwagd")
        .filename_suffix("log")
        .max_log_files(o.keep.max(1))
        .build(o.dir)
        .with_context(|| format!("opening a log file in {}", o.dir.display()))?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_new(o.filter).with_context(|| format!("bad log filter {:?}", o.filter))?;
    // A file is not a terminal: JSON, unless human was asked for.
    let file_layer = match o.format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(file)
            .with_ansi(false)
            .boxed(),
        LogFormat::Auto | LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(file)
            .boxed(),
    };
    let human_stderr = match o.format {
        LogFormat::Auto => std::io::stderr().is_terminal(),
        LogFormat::Human => true,
        LogFormat::Json => false,
    };
    let stderr_layer = o.stderr.then(|| {
        if human_stderr {
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(std::io::stderr)
                .boxed()
        }
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .context("installing the logger")?;
    CONTENT.store(o.content, Ordering::Relaxed);
    if o.content {
        let warning = "--log-content is on: message contents go into the logs. \
                       Use it only to debug, and turn it off again.";
        tracing::warn!("{warning}");
        eprintln!("chinwagd: WARNING: {warning}");
    }
    Ok(guard)
}
