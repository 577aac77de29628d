//! Chat turns: `chat`, `cancel`, `attach`, and following a reply to its `done` (replays,
//! deltas in slices that fit a frame).

use super::super::outbox::Session;
use super::resolve;
use crate::chat::{ChatParams, ChatStart, start_chat, stored_end};
use crate::frame::{MAX_DELTA_BYTES, chunk_at};
use crate::generation::{GenEnd, WatchEvent, Watcher};
use chinwag_protocol::{ClientMsg, ConversationId, ErrorBody, ServerMsg};
use std::sync::Arc;

/// Runs a request of this family (the dispatcher routes only these here).
pub(super) async fn run(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let d = &s.d;
    let owner = s.peer.owner.as_str();
    match msg {
        ClientMsg::Chat {
            id,
            conversation,
            bot,
            model,
            content,
            options,
            idempotency_key,
            replace_from,
        } => {
            if crate::logging::content_allowed() {
                tracing::info!(%content, "chat content (logged because --log-content is on)");
            }
            let params = ChatParams {
                conversation,
                bot,
                model,
                content,
                options,
                idempotency_key,
                replace_from,
            };
            let started = start_chat(d, &s.peer, params)
                .await
                .inspect_err(|e| d.metrics.backend_error(e.code))?;
            match started {
                ChatStart::Started {
                    turn,
                    bot,
                    generation,
                } => {
                    let w = generation.watch();
                    let started = ServerMsg::ChatStarted {
                        id: id.clone(),
                        conversation: turn.conversation,
                        user_message: turn.user_message,
                        assistant_message: turn.assistant_message,
                        model: turn.model,
                        bot,
                        resumed: false,
                    };
                    if s.send(started).await {
                        forward(s, &id, w).await;
                    }
                }
                ChatStart::Resumed { turn, live, stored } => {
                    let started = ServerMsg::ChatStarted {
                        id: id.clone(),
                        conversation: turn.conversation.clone(),
                        user_message: turn.user_message,
                        assistant_message: turn.assistant_message.clone(),
                        model: turn.model.clone(),
                        bot: None,
                        resumed: true,
                    };
                    if !s.send(started).await {
                        return Ok(());
                    }
                    if let Some(g) = live {
                        replay_and_forward(s, &id, &g).await;
                    } else if let Some(m) = stored
                        && replay_stored(s, &id, &turn.conversation, &turn.model, &m).await
                    {
                        send_done(s, &id, &turn.conversation, &m.id, stored_end(&m)).await;
                    }
                }
            }
        }
        ClientMsg::Cancel { id, conversation } => {
            let conversation = resolve(s, &conversation).await?;
            if let Some(g) = d.generations.get(owner, &conversation) {
                g.cancel();
            }
            s.send(ServerMsg::Ok { id }).await;
        }
        ClientMsg::Attach { id, conversation } => {
            let conversation = resolve(s, &conversation).await?;
            let live = d.generations.get(owner, &conversation);
            let attached = ServerMsg::Attached {
                id: id.clone(),
                conversation,
                generating: live.as_ref().map(|g| g.message.clone()),
            };
            if s.send(attached).await
                && let Some(g) = live
            {
                replay_and_forward(s, &id, &g).await;
            }
        }
        // Routed elsewhere by the dispatcher.
        _ => {}
    }
    Ok(())
}

async fn replay_and_forward(s: &Arc<Session>, id: &str, g: &Arc<crate::generation::Generation>) {
    let (w, content, thinking) = g.watch_after_snapshot();
    let replay = ServerMsg::Replay {
        id: id.to_string(),
        conversation: g.conversation.clone(),
        message: g.message.clone(),
        model: g.model.clone(),
        content,
        thinking,
    };
    if s.send(replay).await {
        forward(s, id, w).await;
    }
}

/// Sends a stored reply as a `replay` of its start and `delta`s of the rest, each small
/// enough for one frame. `false` once the client is gone.
async fn replay_stored(
    s: &Session,
    id: &str,
    conversation: &ConversationId,
    model: &str,
    m: &chinwag_protocol::StoredMessage,
) -> bool {
    let (mut c, mut t) = (0, 0);
    let mut first = true;
    while first || c < m.content.len() || t < m.thinking.len() {
        let content = chunk_at(&m.content, c, MAX_DELTA_BYTES).to_string();
        let thinking = chunk_at(&m.thinking, t, MAX_DELTA_BYTES).to_string();
        (c, t) = (c + content.len(), t + thinking.len());
        let msg = if first {
            ServerMsg::Replay {
                id: id.to_string(),
                conversation: conversation.clone(),
                message: m.id.clone(),
                model: model.to_string(),
                content,
                thinking,
            }
        } else {
            ServerMsg::Delta {
                id: id.to_string(),
                conversation: conversation.clone(),
                message: m.id.clone(),
                content,
                thinking,
            }
        };
        first = false;
        if !s.send(msg).await {
            return false;
        }
    }
    true
}

/// Streams a generation to this client until it ends or the client goes.
async fn forward(s: &Arc<Session>, id: &str, mut w: Watcher) {
    let g = Arc::clone(w.generation());
    loop {
        let ev = tokio::select! {
            _ = s.cancel.cancelled() => return,
            ev = w.next() => ev,
        };
        match ev {
            None => return,
            Some(WatchEvent::Loading) => {
                let loading = ServerMsg::Loading {
                    id: id.to_string(),
                    conversation: g.conversation.clone(),
                    message: g.message.clone(),
                    model: g.model.clone(),
                };
                if !s.send(loading).await {
                    return;
                }
            }
            Some(WatchEvent::Delta { content, thinking }) => {
                let delta = ServerMsg::Delta {
                    id: id.to_string(),
                    conversation: g.conversation.clone(),
                    message: g.message.clone(),
                    content,
                    thinking,
                };
                if !s.send(delta).await {
                    return;
                }
            }
            Some(WatchEvent::Done(end)) => {
                send_done(s, id, &g.conversation, &g.message, end).await;
                return;
            }
        }
    }
}

async fn send_done(
    s: &Session,
    id: &str,
    conversation: &ConversationId,
    message: &chinwag_protocol::MessageId,
    end: GenEnd,
) {
    s.send(ServerMsg::Done {
        id: id.to_string(),
        conversation: conversation.clone(),
        message: message.clone(),
        status: end.status,
        done_reason: end.done_reason,
        stats: end.stats,
        error: end.error,
    })
    .await;
}
