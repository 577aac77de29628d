//! chinwag-tests: black-box helpers shared by the end-to-end suites and the load generator.

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

pub mod bench;
pub mod client;
pub mod fake_ollama;
pub mod fake_openai;
pub mod harness;
pub mod http;
pub mod other_user;
pub mod tmux;
pub mod wire;
