//! The conformance suite: each statement of `shared/PROTOCOL.md`, tested through the wire
//! alone (JSON values over a WebSocket, [`chinwag_tests::wire`]). A module per section of the
//! document, a test per statement, named after it. The daemon is set up in process through
//! its config; what is checked is only what a third-party client would see.
//!
//! Statements tested elsewhere, because they need a tool the wire does not give: a client
//! that never reads (1008, `connection.rs`), deltas surviving `kill -9` (`crash.rs`), TLS
//! (`tls.rs`).

mod attach;
mod chat;
mod control;
mod conventions;
mod errors;
mod limits;
mod pages;
mod refusals;
mod search;
mod tools;
mod transport;

use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, make_token, test_config};
use chinwag_tests::wire::Wire;
use chinwagd::Config;
use std::collections::HashMap;
use tempfile::TempDir;

/// A daemon on a fake Ollama, with the Unix socket and loopback TCP, and tokens made before
/// it started.
pub struct Rig {
    pub fake: FakeOllama,
    pub daemon: TestDaemon,
    pub tokens: HashMap<String, String>,
    _dir: TempDir,
}

impl Rig {
    /// The default config; no token users.
    pub async fn start() -> Rig {
        Rig::with(&[], |_| {}).await
    }

    /// `users` (name, scopes) get a token each; `adjust` changes the config first.
    pub async fn with(users: &[(&str, &str)], adjust: impl FnOnce(&mut Config)) -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let fake = FakeOllama::start().await;
        let mut config = test_config(dir.path(), &fake.host());
        config.listen = Some("127.0.0.1:0".parse().expect("addr"));
        // A `loading` notice only where a test asks for one: on a loaded machine the first
        // token of a held reply can take longer than the default second.
        config.timeouts.loading_notice = std::time::Duration::from_secs(60);
        adjust(&mut config);
        let mut tokens = HashMap::new();
        for (user, scopes) in users {
            let token = make_token(&config.database, user, scopes, None).await;
            tokens.insert((*user).to_string(), token);
        }
        let daemon = TestDaemon::start(dir.path(), config).await;
        Rig {
            fake,
            daemon,
            tokens,
            _dir: dir,
        }
    }

    /// The daemon's own OS user, past hello.
    pub async fn local(&self) -> Wire {
        Wire::local(&self.daemon.socket).await
    }

    /// A token user over loopback TCP, past hello.
    pub async fn remote(&self, user: &str) -> Wire {
        Wire::remote(self.addr(), &self.tokens[user]).await
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.daemon.tcp.expect("the rig listens on TCP")
    }

    pub async fn stop(self) {
        self.daemon.stop().await;
    }
}
