//! End-to-end suites: the real daemon (in-process or as a process), a fake Ollama, real
//! SQLite files, real sockets. One test binary for the crate.

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

mod ask_tools;
mod attachments;
mod auth;
mod both;
mod chat;
mod cli;
mod config;
mod conformance;
mod connection;
mod control;
mod crash;
mod detach;
mod edge;
mod engine;
mod errors;
mod exec;
mod exec_policy;
mod front;
mod limits;
mod local;
mod logs;
mod man;
mod oneshot;
mod openai;
mod openai_tools;
mod ops;
mod packaging;
mod shutdown;
mod stall;
mod store;
mod tls;
mod tools;
mod tools_commands;
mod tui;

use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, test_config};
use tempfile::TempDir;

/// A fake Ollama and an in-process daemon pointed at it, in a fresh temp dir.
pub async fn setup() -> (TempDir, FakeOllama, TestDaemon) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeOllama::start().await;
    let daemon = TestDaemon::start(dir.path(), test_config(dir.path(), &fake.host())).await;
    (dir, fake, daemon)
}

/// Like [`setup`], with the daemon's timeouts replaced.
pub async fn setup_with_timeouts(
    timeouts: chinwagd::config::Timeouts,
) -> (TempDir, FakeOllama, TestDaemon) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.timeouts = timeouts;
    let daemon = TestDaemon::start(dir.path(), config).await;
    (dir, fake, daemon)
}

pub use chinwag_tests::client::chat;
