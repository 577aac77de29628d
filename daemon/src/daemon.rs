//! The daemon's shared state: config, store, Ollama client, running generations, shutdown.

use crate::auth::TokenIndex;
use crate::config::Config;
use crate::generation::Generations;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::models::ModelCatalog;
use crate::ollama::OllamaClient;
use crate::store::Store;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything a connection needs, shared by all of them.
#[derive(Debug)]
pub struct Daemon {
    /// The config in force; [`Daemon::config`] reads it, a reload replaces it.
    config: RwLock<Arc<Config>>,
    pub store: Store,
    pub ollama: OllamaClient,
    /// The default Ollama and `[backends]` (fixed until restart).
    pub backends: crate::backend::Backends,
    /// Ollama's model list, briefly cached; every chat's model is checked against it.
    pub models: ModelCatalog,
    /// The bearer tokens TCP peers may present, kept fresh from the store.
    pub tokens: TokenIndex,
    /// The TLS side of the TCP listener, when `[tls]` is set; replaced by a reload.
    tls: RwLock<Option<Arc<rustls::ServerConfig>>>,
    /// Places for replies in flight to the backend (`max_generations`; fixed until restart).
    pub backend_slots: Arc<tokio::sync::Semaphore>,
    /// Per-user rate limits; rebuilt when a reload changes them.
    limits: RwLock<Arc<Limits>>,
    pub generations: Arc<Generations>,
    /// Generation runners; shutdown waits for them to store their end.
    pub runners: TaskTracker,
    /// Fires once, when the daemon begins to stop.
    pub shutdown: CancellationToken,
    /// Fires when a stopping daemon's grace is over: replies still running are cut.
    pub cut: CancellationToken,
    /// WebSocket connections open now (past the upgrade).
    pub connections: AtomicU64,
    /// What `/metrics` exposes.
    pub metrics: Arc<Metrics>,
    /// Commands running now, per user.
    pub exec_running: Arc<crate::exec::Running>,
    started: Instant,
    listening: Mutex<Vec<String>>,
}

impl Daemon {
    pub fn new(config: Config, store: Store, shutdown: CancellationToken) -> Arc<Daemon> {
        // One HTTP client (one pool, one TLS set-up) for every backend.
        let http = crate::backend::http_client(&config.ollama_roots);
        let ollama = OllamaClient::with_http(http.clone(), config.ollama.clone());
        let backends = crate::backend::Backends::new(ollama.clone(), &config.backends, &http)
            .unwrap_or_else(|e| {
                // The config was checked at load; a key unset since then leaves the backend out.
                tracing::error!(error = %e, "backends not started; only Ollama is used");
                crate::backend::Backends::only(ollama.clone())
            });
        let limits = Limits::new(config.limits, config.local_limits)
            .with_users(&config.user_limits)
            .with_tokens(&config.token_limits);
        let slots = config.max_generations;
        let metrics = Arc::new(Metrics::new(store.commit_seconds()));
        Arc::new(Daemon {
            config: RwLock::new(Arc::new(config)),
            store,
            ollama,
            backends,
            models: ModelCatalog::default(),
            tokens: TokenIndex::default(),
            limits: RwLock::new(Arc::new(limits)),
            tls: RwLock::new(None),
            backend_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            generations: Arc::new(Generations::default()),
            runners: TaskTracker::new(),
            shutdown,
            cut: CancellationToken::new(),
            connections: AtomicU64::new(0),
            metrics,
            exec_running: Arc::default(),
            started: Instant::now(),
            listening: Mutex::new(Vec::new()),
        })
    }

    /// The config in force now (a snapshot: a reload does not change it under the caller).
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts a reloaded config in force (new limits start with whole quotas).
    pub fn set_config(&self, config: Config) {
        let old = self.config();
        if old.limits != config.limits
            || old.local_limits != config.local_limits
            || old.user_limits != config.user_limits
            || old.token_limits != config.token_limits
        {
            let fresh = Limits::new(config.limits, config.local_limits)
                .with_users(&config.user_limits)
                .with_tokens(&config.token_limits);
            *self.limits.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        }
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    /// The TLS config for new TCP connections, if any.
    pub fn tls(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.tls.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts a (re)loaded certificate in force for new connections.
    pub fn set_tls(&self, tls: Option<Arc<rustls::ServerConfig>>) {
        *self.tls.write().unwrap_or_else(|p| p.into_inner()) = tls;
    }

    /// The rate limits in force now.
    pub fn limits(&self) -> Arc<Limits> {
        Arc::clone(&self.limits.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn uptime_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Records an address the daemon serves on, for `status`.
    pub fn add_listening(&self, what: String) {
        if let Ok(mut l) = self.listening.lock() {
            l.push(what);
        }
    }

    pub fn listening(&self) -> Vec<String> {
        self.listening.lock().map(|l| l.clone()).unwrap_or_default()
    }
}
