//! The runner: streams one reply from Ollama into the generation and the store.

use super::{GenEnd, Generation, Generations};
use crate::ollama::{ChatRequest, OllamaClient, OllamaError, StreamEvent};
use crate::store::{INTERRUPTED_REPLY, ReplyEnd, Store};
use chinwag_protocol::{ErrorBody, ErrorCode, GenStats, MessageStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Streamed text is written to the store at least this often...
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// ...or once this many bytes are waiting.
const FLUSH_BYTES: usize = 4096;

/// Everything a runner needs.
#[derive(Debug)]
pub struct GenJob {
    pub generation: Arc<Generation>,
    pub request: ChatRequest,
    pub store: Store,
    pub ollama: OllamaClient,
    pub registry: Arc<Generations>,
    /// Cancelled when the daemon shuts down: the reply is stored as `incomplete`.
    pub shutdown: CancellationToken,
}

enum Outcome {
    Done {
        done_reason: Option<String>,
        stats: GenStats,
    },
    Cancelled,
    ShuttingDown,
    Backend(OllamaError),
    Storage(ErrorBody),
}

/// Text streamed but not yet written to the store.
#[derive(Default)]
struct Pending {
    content: String,
    thinking: String,
}

impl Pending {
    fn len(&self) -> usize {
        self.content.len() + self.thinking.len()
    }

    fn take(&mut self) -> (String, String) {
        (
            std::mem::take(&mut self.content),
            std::mem::take(&mut self.thinking),
        )
    }
}

/// Runs one generation to its end and stores that end. Never panics on outside data.
pub async fn run_generation(job: GenJob) {
    let g = Arc::clone(&job.generation);
    let mut pending = Pending::default();
    let outcome = stream_reply(&job, &mut pending).await;
    let (status, error, done_reason, stats) = match outcome {
        Outcome::Done { done_reason, stats } => {
            (MessageStatus::Complete, None, done_reason, Some(stats))
        }
        Outcome::Cancelled => (MessageStatus::Cancelled, None, None, None),
        Outcome::ShuttingDown => (
            MessageStatus::Incomplete,
            Some(ErrorBody::new(ErrorCode::ShuttingDown, INTERRUPTED_REPLY)),
            None,
            None,
        ),
        Outcome::Backend(e) => {
            tracing::warn!(conversation = %g.conversation, error = %e, "generation failed");
            (MessageStatus::Error, Some(e.to_body()), None, None)
        }
        Outcome::Storage(body) => (MessageStatus::Incomplete, Some(body), None, None),
    };
    let (content, thinking) = pending.take();
    let end = GenEnd {
        status,
        done_reason,
        stats,
        error,
    };
    conclude(&g, &job.store, &job.registry, content, thinking, end).await;
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
        done_reason: end.done_reason.clone(),
        stats: end.stats.clone(),
    };
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
    g.finish(published);
    registry.remove(g);
}

async fn stream_reply(job: &GenJob, pending: &mut Pending) -> Outcome {
    let g = &job.generation;
    let cancel = g.cancel_token();
    let mut stream = tokio::select! {
        biased;
        _ = job.shutdown.cancelled() => return Outcome::ShuttingDown,
        _ = cancel.cancelled() => return Outcome::Cancelled,
        r = job.ollama.chat(&job.request) => match r {
            Ok(s) => s,
            Err(e) => return Outcome::Backend(e),
        },
    };
    let mut last_flush = Instant::now();
    loop {
        let flush_at = last_flush + FLUSH_EVERY;
        let event = tokio::select! {
            biased;
            _ = job.shutdown.cancelled() => return Outcome::ShuttingDown,
            _ = cancel.cancelled() => return Outcome::Cancelled,
            _ = tokio::time::sleep_until(flush_at), if pending.len() > 0 => None,
            ev = stream.next_event() => Some(ev),
        };
        match event {
            None => {}
            Some(Ok(Some(StreamEvent::Delta { content, thinking }))) => {
                g.push(&content, &thinking);
                pending.content.push_str(&content);
                pending.thinking.push_str(&thinking);
                if pending.len() < FLUSH_BYTES && last_flush.elapsed() < FLUSH_EVERY {
                    continue;
                }
            }
            Some(Ok(Some(StreamEvent::Done { done_reason, stats }))) => {
                return Outcome::Done { done_reason, stats };
            }
            Some(Ok(None)) => {
                return Outcome::Backend(OllamaError::Dropped {
                    detail: "stream ended".into(),
                });
            }
            Some(Err(e)) => return Outcome::Backend(e),
        }
        let (content, thinking) = pending.take();
        if let Err(e) = job
            .store
            .append_reply(&g.message, content.clone(), thinking.clone())
            .await
        {
            tracing::error!(conversation = %g.conversation, error = %e, "could not store streamed text; stopping");
            // Keep the unsaved text so the final write can try again.
            pending.content = content;
            pending.thinking = thinking;
            return Outcome::Storage(e.to_body());
        }
        last_flush = Instant::now();
    }
}
