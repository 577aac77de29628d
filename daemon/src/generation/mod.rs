//! Generations belong to the daemon, not to a socket.
//!
//! A [`Generation`] holds the reply text so far and wakes its watchers through a version
//! counter. Watchers read what they have not sent yet, so a slow client gets bigger deltas
//! instead of lagging, the generation never waits for a client, and a client that attaches
//! late gets a replay of everything so far. The runner (`run`) streams from Ollama and
//! writes to the store.

mod run;

pub use run::{GenJob, Usage, conclude, run_generation};

use crate::frame::{MAX_DELTA_BYTES, chunk_at};
use chinwag_protocol::{ConversationId, ErrorBody, GenStats, MessageId, MessageStatus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How a generation ended, as published to watchers.
#[derive(Debug, Clone, PartialEq)]
pub struct GenEnd {
    pub status: MessageStatus,
    pub done_reason: Option<String>,
    pub stats: Option<GenStats>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Default)]
struct GenState {
    content: String,
    thinking: String,
    /// Waiting long for the first token: the model is probably loading.
    loading: bool,
    end: Option<GenEnd>,
}

/// One reply being generated.
#[derive(Debug)]
pub struct Generation {
    pub owner: String,
    pub conversation: ConversationId,
    pub message: MessageId,
    pub model: String,
    state: Mutex<GenState>,
    version: watch::Sender<u64>,
    cancel: CancellationToken,
}

impl Generation {
    fn state(&self) -> MutexGuard<'_, GenState> {
        // A poisoned lock only means a panic elsewhere mid-update; the text is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends text and wakes watchers.
    pub fn push(&self, content: &str, thinking: &str) {
        if content.is_empty() && thinking.is_empty() {
            return;
        }
        {
            let mut s = self.state();
            s.content.push_str(content);
            s.thinking.push_str(thinking);
        }
        self.version.send_modify(|v| *v += 1);
    }

    /// Bytes of reply (content and thinking) so far.
    pub fn text_len(&self) -> usize {
        let s = self.state();
        s.content.len() + s.thinking.len()
    }

    /// Tells watchers the first token is slow in coming (the model is loading).
    pub fn set_loading(&self) {
        self.state().loading = true;
        self.version.send_modify(|v| *v += 1);
    }

    /// Records the end and wakes watchers. Only the first end counts.
    pub fn finish(&self, end: GenEnd) {
        {
            let mut s = self.state();
            if s.end.is_some() {
                return;
            }
            s.end = Some(end);
        }
        self.version.send_modify(|v| *v += 1);
    }

    /// Asks the runner to stop; the partial reply is stored as `cancelled`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// A watcher that starts from the beginning of the reply.
    pub fn watch(self: &Arc<Self>) -> Watcher {
        Watcher {
            rx: self.version.subscribe(),
            gen_: Arc::clone(self),
            sent: (0, 0),
            told_loading: false,
            done: false,
        }
    }

    /// A watcher, and the start of the reply so far (to send as a replay, at most
    /// [`MAX_DELTA_BYTES`] of each part); the watcher goes on from there.
    pub fn watch_after_snapshot(self: &Arc<Self>) -> (Watcher, String, String) {
        let mut w = self.watch();
        let s = self.state();
        let content = chunk_at(&s.content, 0, MAX_DELTA_BYTES).to_string();
        let thinking = chunk_at(&s.thinking, 0, MAX_DELTA_BYTES).to_string();
        w.sent = (content.len(), thinking.len());
        (w, content, thinking)
    }
}

/// What a watcher sees next.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// The first token is slow in coming (sent at most once, and only before any text).
    Loading,
    Delta {
        content: String,
        thinking: String,
    },
    Done(GenEnd),
}

/// Follows one generation for one client.
#[derive(Debug)]
pub struct Watcher {
    gen_: Arc<Generation>,
    rx: watch::Receiver<u64>,
    sent: (usize, usize),
    told_loading: bool,
    done: bool,
}

impl Watcher {
    pub fn generation(&self) -> &Arc<Generation> {
        &self.gen_
    }

    /// What is not yet seen, as one delta of at most [`MAX_DELTA_BYTES`] per part; then the
    /// end; then `None`.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if self.done {
                return None;
            }
            self.rx.borrow_and_update();
            {
                let s = self.gen_.state();
                let (c, t) = self.sent;
                let no_text = s.content.is_empty() && s.thinking.is_empty();
                if s.loading && no_text && s.end.is_none() && !self.told_loading {
                    self.told_loading = true;
                    return Some(WatchEvent::Loading);
                }
                if s.content.len() > c || s.thinking.len() > t {
                    let content = chunk_at(&s.content, c, MAX_DELTA_BYTES).to_string();
                    let thinking = chunk_at(&s.thinking, t, MAX_DELTA_BYTES).to_string();
                    self.sent = (c + content.len(), t + thinking.len());
                    return Some(WatchEvent::Delta { content, thinking });
                }
                if let Some(end) = &s.end {
                    self.done = true;
                    return Some(WatchEvent::Done(end.clone()));
                }
            }
            if self.rx.changed().await.is_err() {
                // The generation is gone without an end: nothing more will come.
                let end = self.gen_.state().end.clone();
                self.done = true;
                return end.map(WatchEvent::Done);
            }
        }
    }
}

/// The generations running now, one per conversation at most.
#[derive(Debug, Default)]
pub struct Generations {
    map: Mutex<HashMap<ConversationId, Arc<Generation>>>,
}

impl Generations {
    fn map(&self) -> MutexGuard<'_, HashMap<ConversationId, Arc<Generation>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new generation; `None` if one already runs in that conversation.
    pub fn start(
        &self,
        owner: &str,
        conversation: &ConversationId,
        message: &MessageId,
        model: &str,
        parent: &CancellationToken,
    ) -> Option<Arc<Generation>> {
        let mut map = self.map();
        if map.contains_key(conversation) {
            return None;
        }
        let (version, _) = watch::channel(0);
        let g = Arc::new(Generation {
            owner: owner.to_string(),
            conversation: conversation.clone(),
            message: message.clone(),
            model: model.to_string(),
            state: Mutex::new(GenState::default()),
            version,
            cancel: parent.child_token(),
        });
        map.insert(conversation.clone(), Arc::clone(&g));
        Some(g)
    }

    /// The generation running in `conversation`, if it belongs to `owner`.
    pub fn get(&self, owner: &str, conversation: &ConversationId) -> Option<Arc<Generation>> {
        self.map()
            .get(conversation)
            .filter(|g| g.owner == owner)
            .cloned()
    }

    /// The generation writing `message`, if it belongs to `owner`.
    pub fn by_message(&self, owner: &str, message: &MessageId) -> Option<Arc<Generation>> {
        self.map()
            .values()
            .find(|g| g.owner == owner && &g.message == message)
            .cloned()
    }

    /// Forgets a finished generation.
    pub fn remove(&self, g: &Generation) {
        let mut map = self.map();
        if map
            .get(&g.conversation)
            .is_some_and(|cur| cur.message == g.message)
        {
            map.remove(&g.conversation);
        }
    }

    pub fn count(&self) -> usize {
        self.map().len()
    }

    /// How many replies `owner` has generating now.
    pub fn count_for(&self, owner: &str) -> usize {
        self.map().values().filter(|g| g.owner == owner).count()
    }
}
