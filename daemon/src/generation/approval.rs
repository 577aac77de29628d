//! Tool calls waiting for a user: the runner asks and waits (with its timeout), any of the
//! owner's connections answers. The wait lives with the generation, not with a socket, so a
//! client may leave and another answer.

use chinwag_protocol::Decision;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// A user's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub decision: Decision,
    pub reason: Option<String>,
    /// Who answered.
    pub by: String,
}

/// A call waiting.
#[derive(Debug)]
pub struct Pending {
    pub tool: String,
    reply: oneshot::Sender<Answer>,
}

/// The calls of one reply waiting for an answer, by call id.
#[derive(Debug, Default)]
pub struct Approvals(Mutex<HashMap<String, Pending>>);

impl Approvals {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens the wait for `call`; the answer comes on the receiver.
    pub fn ask(&self, call: &str, tool: &str) -> oneshot::Receiver<Answer> {
        let (reply, rx) = oneshot::channel();
        self.map().insert(
            call.to_string(),
            Pending {
                tool: tool.to_string(),
                reply,
            },
        );
        rx
    }

    /// Whether any call waits.
    pub fn waiting(&self) -> bool {
        !self.map().is_empty()
    }

    /// The tool of a call waiting, if `call` waits.
    pub fn tool_of(&self, call: &str) -> Option<String> {
        self.map().get(call).map(|p| p.tool.clone())
    }

    /// Answers a waiting call. False when nothing waits under that id (never asked,
    /// answered already, or timed out).
    pub fn answer(&self, call: &str, answer: Answer) -> bool {
        match self.map().remove(call) {
            Some(p) => p.reply.send(answer).is_ok(),
            None => false,
        }
    }

    /// Ends a wait without an answer (timeout, cancel, shutdown).
    pub fn forget(&self, call: &str) {
        self.map().remove(call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(decision: Decision) -> Answer {
        Answer {
            decision,
            reason: None,
            by: "alice".into(),
        }
    }

    #[tokio::test]
    async fn one_answer_per_call_and_only_while_it_waits() {
        let a = Approvals::default();
        assert!(!a.answer("1", answer(Decision::Once)), "nothing asked");
        let rx = a.ask("1", "read_file");
        assert_eq!(a.tool_of("1").as_deref(), Some("read_file"));
        assert!(a.answer("1", answer(Decision::Deny)));
        assert!(!a.answer("1", answer(Decision::Once)), "answered already");
        assert_eq!(rx.await.unwrap().decision, Decision::Deny);
        let _rx = a.ask("2", "run_command");
        a.forget("2");
        assert!(!a.answer("2", answer(Decision::Once)), "timed out");
    }
}
