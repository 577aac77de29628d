//! Generations belong to the daemon, not to a socket.
//!
//! A [`Generation`] holds the reply so far as an ordered log (text, tool calls, approvals,
//! tool results) and wakes its watchers through a version counter. Watchers read the log by
//! index from where they are, so a slow client gets bigger deltas instead of lagging, the
//! generation never waits for a client, and a client that attaches late replays exactly
//! what a live one saw. The runner (`run`) streams from the backend, runs the tools the
//! model asks for, and writes to the store; `approval` holds the calls waiting for a user.

mod approval;
mod calls;
mod run;
mod stored;
#[cfg(test)]
mod tests;

pub use approval::{Answer, Approvals, Pending};
pub use calls::TurnTools;
pub use run::{GenJob, Usage, conclude, run_generation};
pub use stored::{Piece, pieces};

use crate::frame::{MAX_DELTA_BYTES, chunk_at};
use chinwag_protocol::{
    ConversationId, ErrorBody, GenStats, GenerationInfo, MessageId, MessageStatus, ToolEvent,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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

/// One entry of a reply's log. Text that comes between two tool events is one entry that
/// grows; everything else is an entry of its own.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Text { content: String, thinking: String },
    Tool(ToolEvent),
}

#[derive(Debug, Default)]
struct GenState {
    /// The reply as an ordered log. Watchers read it by index (and by offset within the text
    /// entry they are in), so a late watcher replays exactly what a live one saw.
    log: Vec<Entry>,
    /// Bytes of content and of thinking in the whole log.
    content_len: usize,
    thinking_len: usize,
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
    /// Tool calls waiting for a user's answer.
    pub approvals: Approvals,
    /// For `list_generations`: when it began, and its pace.
    started_at_ms: i64,
    /// Chunks of text from the backend (about a token each), and when the first came: counted
    /// on the hot path without a lock.
    tokens: AtomicU64,
    first_token: OnceLock<std::time::Instant>,
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
            s.content_len += content.len();
            s.thinking_len += thinking.len();
            match s.log.last_mut() {
                Some(Entry::Text {
                    content: c,
                    thinking: t,
                }) => {
                    c.push_str(content);
                    t.push_str(thinking);
                }
                _ => s.log.push(Entry::Text {
                    content: content.to_string(),
                    thinking: thinking.to_string(),
                }),
            }
        }
        self.version.send_modify(|v| *v += 1);
    }

    /// Counts one chunk of text from the backend.
    pub fn count_token(&self) {
        self.first_token.get_or_init(std::time::Instant::now);
        self.tokens.fetch_add(1, Ordering::Relaxed);
    }

    /// The reply as `list_generations` shows it.
    pub fn info(&self) -> GenerationInfo {
        let tokens = self.tokens.load(Ordering::Relaxed);
        let per_second = self
            .first_token
            .get()
            .map(|f| f.elapsed().as_secs_f64())
            .filter(|s| *s > 0.0 && tokens > 1)
            .map(|s| (tokens - 1) as f64 / s);
        let state = if self.approvals.waiting() {
            "asking"
        } else if tokens == 0 {
            "starting"
        } else {
            "generating"
        };
        GenerationInfo {
            conversation: self.conversation.clone(),
            message: self.message.clone(),
            model: self.model.clone(),
            started_at_ms: self.started_at_ms,
            state: state.to_string(),
            output_tokens: tokens,
            tokens_per_second: per_second,
        }
    }

    /// Appends a tool event after the text so far and wakes watchers.
    pub fn push_tool(&self, event: ToolEvent) {
        self.state().log.push(Entry::Tool(event));
        self.version.send_modify(|v| *v += 1);
    }

    /// Bytes of reply (content and thinking) so far.
    pub fn text_len(&self) -> usize {
        let s = self.state();
        s.content_len + s.thinking_len
    }

    /// Bytes of content and of thinking so far: where an event appended now stands.
    pub fn text_at(&self) -> (usize, usize) {
        let s = self.state();
        (s.content_len, s.thinking_len)
    }

    /// The reply's text so far, each part whole (for the next round's history).
    pub fn text(&self) -> (String, String) {
        let s = self.state();
        let (mut content, mut thinking) = (String::new(), String::new());
        for e in &s.log {
            if let Entry::Text {
                content: c,
                thinking: t,
            } = e
            {
                content.push_str(c);
                thinking.push_str(t);
            }
        }
        (content, thinking)
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
            at: Cursor::default(),
            told_loading: false,
            done: false,
        }
    }

    /// A watcher, and the start of the reply's first text (to send as a replay, at most
    /// [`MAX_DELTA_BYTES`] of each part); the watcher goes on from there, through the rest
    /// of the log in order.
    pub fn watch_after_snapshot(self: &Arc<Self>) -> (Watcher, String, String) {
        let mut w = self.watch();
        let s = self.state();
        let Some(Entry::Text {
            content: c,
            thinking: t,
        }) = s.log.first()
        else {
            return (w, String::new(), String::new());
        };
        let content = chunk_at(c, 0, MAX_DELTA_BYTES).to_string();
        let thinking = chunk_at(t, 0, MAX_DELTA_BYTES).to_string();
        w.at.content = content.len();
        w.at.thinking = thinking.len();
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
    Tool(ToolEvent),
    Done(GenEnd),
}

/// Where a watcher is in the log: the entry, and for a text entry the bytes of each part
/// already sent.
#[derive(Debug, Default, Clone, Copy)]
struct Cursor {
    index: usize,
    content: usize,
    thinking: usize,
}

/// Follows one generation for one client.
#[derive(Debug)]
pub struct Watcher {
    gen_: Arc<Generation>,
    rx: watch::Receiver<u64>,
    at: Cursor,
    told_loading: bool,
    done: bool,
}

impl Watcher {
    pub fn generation(&self) -> &Arc<Generation> {
        &self.gen_
    }

    /// The next entry of the log not yet seen: text as one delta of at most
    /// [`MAX_DELTA_BYTES`] per part, a tool event whole; then the end; then `None`.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if self.done {
                return None;
            }
            self.rx.borrow_and_update();
            {
                let gen_ = Arc::clone(&self.gen_);
                let s = gen_.state();
                let no_text = s.content_len == 0 && s.thinking_len == 0;
                if s.loading && no_text && s.end.is_none() && !self.told_loading {
                    self.told_loading = true;
                    return Some(WatchEvent::Loading);
                }
                if let Some(event) = self.step(&s) {
                    return Some(event);
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

    /// The next unseen piece of the log, moving the cursor past it.
    fn step(&mut self, s: &GenState) -> Option<WatchEvent> {
        while let Some(entry) = s.log.get(self.at.index) {
            match entry {
                Entry::Text { content, thinking } => {
                    let Cursor {
                        content: c,
                        thinking: t,
                        ..
                    } = self.at;
                    if content.len() > c || thinking.len() > t {
                        let content = chunk_at(content, c, MAX_DELTA_BYTES).to_string();
                        let thinking = chunk_at(thinking, t, MAX_DELTA_BYTES).to_string();
                        self.at.content += content.len();
                        self.at.thinking += thinking.len();
                        return Some(WatchEvent::Delta { content, thinking });
                    }
                    if self.at.index + 1 == s.log.len() {
                        // The last text may still grow.
                        return None;
                    }
                    self.at = Cursor {
                        index: self.at.index + 1,
                        ..Cursor::default()
                    };
                }
                Entry::Tool(event) => {
                    self.at = Cursor {
                        index: self.at.index + 1,
                        ..Cursor::default()
                    };
                    return Some(WatchEvent::Tool(event.clone()));
                }
            }
        }
        None
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
            approvals: Approvals::default(),
            started_at_ms: crate::store::now_ms(),
            tokens: AtomicU64::new(0),
            first_token: OnceLock::new(),
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

    /// `owner`'s replies being generated, oldest first.
    pub fn list_for(&self, owner: &str) -> Vec<GenerationInfo> {
        let mut items: Vec<GenerationInfo> = self
            .map()
            .values()
            .filter(|g| g.owner == owner)
            .map(|g| g.info())
            .collect();
        items.sort_by(|a, b| {
            a.started_at_ms
                .cmp(&b.started_at_ms)
                .then(a.message.cmp(&b.message))
        });
        items
    }

    pub fn count(&self) -> usize {
        self.map().len()
    }

    /// How many replies `owner` has generating now.
    pub fn count_for(&self, owner: &str) -> usize {
        self.map().values().filter(|g| g.owner == owner).count()
    }
}
