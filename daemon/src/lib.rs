//! chinwagd: the chinwag daemon as a library, so tests drive the real code.
pub mod ollama;
pub mod store;
