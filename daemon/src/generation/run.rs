//! The runner: streams one reply from its backend into the generation and the store, in
//! rounds when the model calls tools (`calls` answers them between two requests).

use super::calls::{CallState, TurnTools};
use super::{GenEnd, Generation, Generations};
use crate::backend::{Backend, BackendError, StreamEvent, ToolCall, Turn};
use crate::config::Timeouts;
use crate::limits::Limits;
use crate::metrics::{Held, Metrics};
use crate::store::{INTERRUPTED_REPLY, ReplyEnd, Store, StoreError};
use crate::tools::decide::{Next::RunCalls, after_request};
use chinwag_protocol::{ErrorBody, ErrorCode, GenStats, MessageStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Everything a runner needs.
#[derive(Debug)]
pub struct GenJob {
    pub generation: Arc<Generation>,
    /// The first request of the turn; rounds of tool calls add to it.
    pub request: Turn,
    /// The tools the turn offers and what runs them.
    pub tools: TurnTools,
    /// The conversation is forgotten once the reply ends (`--no-save`).
    pub ephemeral: bool,
    pub store: Store,
    pub backend: Backend,
    pub registry: Arc<Generations>,
    /// Cancelled when a stopping daemon's grace is over: the reply is stored `incomplete`.
    pub shutdown: CancellationToken,
    /// How long to wait for the first token and between tokens.
    pub timeouts: Timeouts,
    /// Places for replies in flight to the backend; a reply waits for one before it asks.
    pub slots: Arc<Semaphore>,
    /// Whose output-token quota the reply is charged to.
    pub usage: Usage,
    pub metrics: Arc<Metrics>,
}

/// The quota a reply's output tokens are charged to when it ends.
#[derive(Debug)]
pub struct Usage {
    pub limits: Arc<Limits>,
    pub owner: String,
    /// `None` for the daemon's own OS user.
    pub token: Option<String>,
}

impl Usage {
    /// Charges what a reply produced: the backend's token count when it reported one, else (a
    /// reply cut short) about a token for every four bytes streamed. Returns the tokens.
    fn charge(&self, eval_count: Option<u64>, streamed_bytes: usize) -> u64 {
        let tokens = eval_count.unwrap_or(streamed_bytes.div_ceil(4) as u64);
        self.limits
            .charge_output(&self.owner, self.token.as_deref(), tokens);
        tokens
    }
}

pub(super) enum Outcome {
    Done {
        done_reason: Option<String>,
        stats: GenStats,
        /// The tools the model called in this request.
        calls: Vec<ToolCall>,
    },
    Cancelled,
    ShuttingDown,
    Backend(BackendError),
    Storage(ErrorBody),
}

/// Text streamed from the backend but not yet stored (so not yet shown to anyone).
#[derive(Default)]
pub(super) struct Pending {
    content: String,
    thinking: String,
}

impl Pending {
    fn len(&self) -> usize {
        self.content.len() + self.thinking.len()
    }

    /// Puts text that failed to store back in front of what came after it.
    fn unshift(&mut self, content: String, thinking: String) {
        self.content.insert_str(0, &content);
        self.thinking.insert_str(0, &thinking);
    }

    fn take(&mut self) -> (String, String) {
        (
            std::mem::take(&mut self.content),
            std::mem::take(&mut self.thinking),
        )
    }
}

/// Runs one generation to its end and stores that end. Never panics on outside data.
pub async fn run_generation(mut job: GenJob) {
    let g = Arc::clone(&job.generation);
    let mut pending = Pending::default();
    let started = Instant::now();
    // Taken, not cloned: a long history is not copied for every turn.
    let mut request = std::mem::take(&mut job.request);
    let mut calls = CallState::new(&job.tools);
    let mut tokens: Option<u64> = None;
    let outcome = loop {
        let round_start = g.text_at().0;
        match stream_reply(&job, &request, &mut pending).await {
            Outcome::Done {
                done_reason,
                stats,
                calls: asked,
            } => {
                if let Some(n) = stats.completion_tokens {
                    tokens = Some(tokens.unwrap_or(0) + n);
                }
                let next = after_request(
                    !asked.is_empty(),
                    !request.tools.is_empty(),
                    calls.rounds,
                    job.tools.config.max_rounds,
                );
                let RunCalls { offer_tools } = next else {
                    let stats = GenStats {
                        completion_tokens: tokens,
                        ..stats
                    };
                    break Outcome::Done {
                        done_reason,
                        stats,
                        calls: Vec::new(),
                    };
                };
                // The round's text is stored (and shown) before its calls.
                if let Err(stop) = flush(&job, &mut pending).await {
                    break stop;
                }
                let text = g.text().0.get(round_start..).unwrap_or("").to_string();
                if let Err(stop) = calls.answer(&job, &mut request, text, asked).await {
                    break stop;
                }
                if !offer_tools {
                    request.tools.clear();
                }
            }
            other => break other,
        }
    };
    job.metrics
        .reply_duration
        .observe(started.elapsed().as_secs_f64());
    let (status, error, done_reason, stats) = match outcome {
        Outcome::Done {
            done_reason, stats, ..
        } => (MessageStatus::Complete, None, done_reason, Some(stats)),
        Outcome::Cancelled => (MessageStatus::Cancelled, None, None, None),
        Outcome::ShuttingDown => (
            MessageStatus::Incomplete,
            Some(ErrorBody::new(ErrorCode::ShuttingDown, INTERRUPTED_REPLY)),
            None,
            None,
        ),
        Outcome::Backend(e) => {
            tracing::warn!(conversation = %g.conversation, error = %e, "generation failed");
            let body = e.to_body();
            job.metrics.backend_error(body.code);
            (MessageStatus::Error, Some(body), None, None)
        }
        Outcome::Storage(body) => (MessageStatus::Incomplete, Some(body), None, None),
    };
    let (content, thinking) = pending.take();
    let eval_count = stats.as_ref().and_then(|s| s.completion_tokens).or(tokens);
    let end = GenEnd {
        status,
        done_reason,
        stats,
        error,
    };
    conclude(&g, &job.store, &job.registry, content, thinking, end).await;
    if job.ephemeral
        && let Err(e) = job
            .store
            .delete_conversation(&g.owner, &g.conversation)
            .await
    {
        // Deleted at the next start instead.
        tracing::error!(conversation = %g.conversation, error = %e, "could not forget an unsaved conversation");
    }
    let tokens = job.usage.charge(eval_count, g.text_len());
    job.metrics.output_tokens.inc_by(tokens);
}

/// Stores what text is waiting and shows it: the end of a round, before its tool calls.
async fn flush(job: &GenJob, pending: &mut Pending) -> Result<(), Outcome> {
    if pending.len() == 0 {
        return Ok(());
    }
    let (content, thinking) = pending.take();
    match write(job, content, thinking).await {
        Ok((content, thinking)) => {
            job.generation.push(&content, &thinking);
            Ok(())
        }
        Err((e, content, thinking)) => {
            pending.unshift(content, thinking);
            Err(Outcome::Storage(e.to_body()))
        }
    }
}

/// Stores how a reply ended (with its last unsaved text), tells its watchers, and unregisters
/// it. The one way every generation ends, whether or not its runner got to start.
pub async fn conclude(
    g: &Arc<Generation>,
    store: &Store,
    registry: &Generations,
    content: String,
    thinking: String,
    end: GenEnd,
) {
    let stored = ReplyEnd {
        status: end.status,
        error: end.error.as_ref().map(|e| e.message.clone()),
        error_code: end.error.as_ref().map(|e| e.code),
        done_reason: end.done_reason.clone(),
        stats: end.stats.clone(),
    };
    let (content_shown, thinking_shown) = (content.clone(), thinking.clone());
    let published = match store
        .finish_reply(&g.message, content, thinking, stored)
        .await
    {
        Ok(()) => end,
        Err(e) => {
            tracing::error!(conversation = %g.conversation, error = %e, "could not store the end of a reply");
            // The row stays `streaming` and is marked `incomplete` at the next start.
            GenEnd {
                status: MessageStatus::Incomplete,
                error: Some(e.to_body()),
                ..end
            }
        }
    };
    tracing::info!(conversation = %g.conversation, status = published.status.as_str(), "generation ended");
    // Unregistered before the end is published: a client that has seen `done` and attaches
    // again finds nothing generating (the store already holds the end).
    registry.remove(g);
    // The last text is shown with the end, even when storing it failed: the end says so.
    g.push(&content_shown, &thinking_shown);
    g.finish(published);
}

/// The least time between two appends of streamed text. Each append rewrites the reply's
/// row, so at 1,000 tokens/s writing every token costs more than it is worth; text waits at
/// most this long for its commit (and so for its client).
const WRITE_GAP: Duration = Duration::from_millis(20);

/// An append to the store in flight: the text it carries comes back with the result.
type Write = std::pin::Pin<
    Box<dyn Future<Output = Result<(String, String), (StoreError, String, String)>> + Send>,
>;

fn write(job: &GenJob, content: String, thinking: String) -> Write {
    let store = job.store.clone();
    let id = job.generation.message.clone();
    Box::pin(async move {
        match store
            .append_reply(&id, content.clone(), thinking.clone())
            .await
        {
            Ok(()) => Ok((content, thinking)),
            Err(e) => Err((e, content, thinking)),
        }
    })
}

/// Streams the reply. Text reaches watchers only after it is committed, so a word a client
/// has seen survives kill -9. While one write is in flight, new text waits and goes in the
/// next one: writes batch themselves to what the disk can take, and a slow disk only makes
/// deltas bigger.
async fn stream_reply(job: &GenJob, request: &Turn, pending: &mut Pending) -> Outcome {
    let g = &job.generation;
    let cancel = g.cancel_token();
    let t = job.timeouts;
    let started = Instant::now();
    // Until the first token, one deadline covers the request and the stream alike: Ollama
    // answers with its headers only once the model is loaded.
    let mut deadline = started + t.first_token;
    let notice_at = started + t.loading_notice;
    let mut got_token = false;
    let mut told_loading = false;
    let stalled = |got_token: bool| {
        let (limit, what) = if got_token {
            (t.between_tokens, "between tokens")
        } else {
            (
                t.first_token,
                "waiting for the first token; is the model still loading?",
            )
        };
        Outcome::Backend(job.backend.stalled(limit.as_secs(), what))
    };
    // A place among the replies in flight first (held to the end), then the request; the
    // wait counts towards the first token, and watchers hear `loading` meanwhile.
    let chat = async {
        let waiting = Held::new(&job.metrics.generations_waiting);
        let slot = Arc::clone(&job.slots).acquire_owned().await.ok();
        drop(waiting);
        let active = Held::new(&job.metrics.generations_active);
        (slot.map(|s| (s, active)), job.backend.chat(request).await)
    };
    tokio::pin!(chat);
    let (_slot, mut stream) = loop {
        tokio::select! {
            biased;
            _ = job.shutdown.cancelled() => return Outcome::ShuttingDown,
            _ = cancel.cancelled() => return Outcome::Cancelled,
            r = &mut chat => match r {
                (slot, Ok(s)) => break (slot, s),
                (_, Err(e)) => return Outcome::Backend(e),
            },
            _ = tokio::time::sleep_until(deadline) => return stalled(false),
            _ = tokio::time::sleep_until(notice_at), if !told_loading => {
                told_loading = true;
                g.set_loading();
            }
        }
    };
    let mut writing: Option<Write> = None;
    let mut next_write = Instant::now();
    let mut calls = Vec::new();
    let outcome = loop {
        let due = pending.len() > 0 && writing.is_none();
        if due && Instant::now() >= next_write {
            let (content, thinking) = pending.take();
            writing = Some(write(job, content, thinking));
        }
        let in_flight = async {
            match writing.as_mut() {
                Some(w) => w.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = job.shutdown.cancelled() => break Outcome::ShuttingDown,
            _ = cancel.cancelled() => break Outcome::Cancelled,
            _ = tokio::time::sleep_until(next_write), if due => {}
            written = in_flight => {
                writing = None;
                next_write = Instant::now() + WRITE_GAP;
                match written {
                    Ok((content, thinking)) => g.push(&content, &thinking),
                    Err((e, content, thinking)) => {
                        tracing::error!(conversation = %g.conversation, error = %e, "could not store streamed text; stopping");
                        pending.unshift(content, thinking);
                        break Outcome::Storage(e.to_body());
                    }
                }
            }
            ev = stream.next_event() => match ev {
                Ok(Some(StreamEvent::Delta { content, thinking })) => {
                    g.count_token();
                    if !got_token {
                        job.metrics.first_token.observe(started.elapsed().as_secs_f64());
                    }
                    got_token = true;
                    deadline = Instant::now() + t.between_tokens;
                    pending.content.push_str(&content);
                    pending.thinking.push_str(&thinking);
                }
                Ok(Some(StreamEvent::ToolCalls(more))) => {
                    got_token = true;
                    deadline = Instant::now() + t.between_tokens;
                    calls.extend(more);
                }
                Ok(Some(StreamEvent::Done { done_reason, stats })) => {
                    break Outcome::Done { done_reason, stats, calls };
                }
                Ok(None) => {
                    break Outcome::Backend(job.backend.dropped("stream ended"));
                }
                Err(e) => break Outcome::Backend(e),
            },
            _ = tokio::time::sleep_until(deadline) => break stalled(got_token),
            _ = tokio::time::sleep_until(notice_at), if !told_loading && !got_token => {
                told_loading = true;
                g.set_loading();
            }
        }
    };
    // A write in flight lands (and is shown) before the end; if it failed, its text goes
    // back in front of the rest for `conclude` to store.
    if let Some(w) = writing.take() {
        match w.await {
            Ok((content, thinking)) => g.push(&content, &thinking),
            Err((_, content, thinking)) => pending.unshift(content, thinking),
        }
    }
    outcome
}
