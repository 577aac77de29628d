//! chinwagd, the chinwag daemon, as a library: `main.rs` only parses flags and calls [`run`],
//! so tests drive the same code with their own listeners and shutdown trigger.

pub mod admin;
pub mod auth;
pub mod backend;
pub mod chat;
pub mod cli;
pub mod config;
pub mod config_check;
pub mod config_doc;
pub mod daemon;
pub mod exec;
pub mod frame;
pub mod generation;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod models;
pub mod ollama;
pub mod private_fs;
pub mod reload;
pub mod server;
pub mod store;
pub mod tls;
pub mod tools;

use anyhow::{Context, Result};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub use config::{Config, Dirs, Overrides};
pub use daemon::Daemon;
pub use server::{Listener, bind_tcp, bind_unix};

/// Binds the configured listeners: the Unix socket always, TCP when `listen` is set.
pub async fn bind_listeners(config: &Config) -> Result<Vec<Listener>> {
    let mut listeners = vec![bind_unix(&config.socket)?];
    if let Some(addr) = config.listen {
        listeners.push(bind_tcp(addr, config.tls.is_some(), !config.trust_proxy.is_empty()).await?);
    }
    Ok(listeners)
}

/// Opens the store and serves on `listeners` until `shutdown` fires; returns after draining.
pub async fn run(
    config: Config,
    listeners: Vec<Listener>,
    shutdown: CancellationToken,
) -> Result<()> {
    let opts = store::StoreOptions {
        durability: config.durability,
        max_page_count: None,
        search_budget: None,
        skip_recovery: false,
    };
    let store = store::Store::open(&config.database, &opts)
        .with_context(|| format!("opening the history store {}", config.database.display()))?;
    let tls = match &config.tls {
        Some(files) => {
            let (server, print) = tls::load(files)?;
            tracing::info!(fingerprint = %print, "TLS certificate loaded");
            Some(server)
        }
        None => None,
    };
    let daemon = Daemon::new(config, store, shutdown);
    daemon.set_tls(tls);
    tracing::info!(
        ollama = %daemon.ollama.base_url(),
        store = %daemon.store.path().display(),
        "chinwagd {} ready",
        env!("CARGO_PKG_VERSION")
    );
    tokio::spawn(reload_on_sighup(Arc::clone(&daemon)));
    server::serve(Arc::clone(&daemon), listeners).await;
    Ok(())
}

/// SIGHUP reloads the config, as daemons do; the outcome goes to the log.
async fn reload_on_sighup(daemon: Arc<Daemon>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with `chinwag daemon reload`");
        return;
    };
    loop {
        tokio::select! {
            _ = daemon.shutdown.cancelled() => return,
            _ = hup.recv() => {
                if let Err(why) = reload::reload(&daemon) {
                    tracing::error!("SIGHUP: the new config is refused and the old one stays: {why}");
                }
            }
        }
    }
}
