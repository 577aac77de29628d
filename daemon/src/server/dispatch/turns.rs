//! Chat turns: `chat`, `cancel`, `attach`, and following a reply to its `done` (replays,
//! deltas in slices that fit a frame).

use super::super::outbox::Session;
use super::resolve;
use crate::chat::{ChatParams, ChatStart, start_chat, stored_end};
use crate::frame::{MAX_DELTA_BYTES, chunk_at};
use crate::generation::{Answer, GenEnd, Piece, WatchEvent, Watcher, pieces};
use chinwag_protocol::{
    ClientMsg, ConversationId, Decision, ErrorBody, ErrorCode, MessageId, ServerMsg,
};
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
            tools,
            attachments,
            ephemeral,
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
                tools,
                attachments,
                ephemeral,
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
        ClientMsg::Approve {
            id,
            conversation,
            call,
            decision,
            reason,
        } => {
            let conversation = resolve(s, &conversation).await?;
            let answer = Answer {
                decision,
                reason,
                by: s.peer.display.clone(),
            };
            approve(s, &conversation, &call, answer)?;
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

/// Answers a tool call waiting in `conversation`'s reply.
fn approve(
    s: &Session,
    conversation: &ConversationId,
    call: &str,
    answer: Answer,
) -> Result<(), ErrorBody> {
    if answer.decision == Decision::Timeout {
        return Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            "decision is once, conversation or deny",
        ));
    }
    let waiting = || {
        ErrorBody::new(
            ErrorCode::NotFound,
            format!("no tool call {call:?} waits for an answer in this conversation"),
        )
    };
    let g =
        s.d.generations
            .get(&s.peer.owner, conversation)
            .ok_or_else(waiting)?;
    let tool = g.approvals.tool_of(call).ok_or_else(waiting)?;
    if answer.decision.allows() && !s.peer.scopes.exec {
        return Err(ErrorBody::new(
            ErrorCode::Forbidden,
            format!("this connection's token lacks the exec scope, which allowing {tool} needs"),
        ));
    }
    if !g.approvals.answer(call, answer) {
        return Err(waiting());
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

/// Sends a stored reply as it was logged: a `replay` of the start of its first text, then
/// `delta`s (each small enough for one frame) and `tool` events in order. `false` once the
/// client is gone.
async fn replay_stored(
    s: &Session,
    id: &str,
    conversation: &ConversationId,
    model: &str,
    m: &chinwag_protocol::StoredMessage,
) -> bool {
    let mut pieces = pieces(m).into_iter().peekable();
    let (mut content, mut thinking) = (String::new(), String::new());
    if let Some(Piece::Text { .. }) = pieces.peek()
        && let Some(Piece::Text {
            content: c,
            thinking: t,
        }) = pieces.next()
    {
        (content, thinking) = (c, t);
    }
    let (c, t) = (
        chunk_at(&content, 0, MAX_DELTA_BYTES).len(),
        chunk_at(&thinking, 0, MAX_DELTA_BYTES).len(),
    );
    let replay = ServerMsg::Replay {
        id: id.to_string(),
        conversation: conversation.clone(),
        message: m.id.clone(),
        model: model.to_string(),
        content: content[..c].to_string(),
        thinking: thinking[..t].to_string(),
    };
    if !s.send(replay).await {
        return false;
    }
    let rest = Piece::Text {
        content: content[c..].to_string(),
        thinking: thinking[t..].to_string(),
    };
    for piece in std::iter::once(rest).chain(pieces) {
        let sent = match piece {
            Piece::Text { content, thinking } => {
                send_text(s, id, conversation, &m.id, &content, &thinking).await
            }
            Piece::Tool(event) => {
                s.send(ServerMsg::Tool {
                    id: id.to_string(),
                    conversation: conversation.clone(),
                    message: m.id.clone(),
                    event,
                })
                .await
            }
        };
        if !sent {
            return false;
        }
    }
    true
}

/// Sends text as `delta`s small enough for one frame each.
async fn send_text(
    s: &Session,
    id: &str,
    conversation: &ConversationId,
    message: &MessageId,
    content: &str,
    thinking: &str,
) -> bool {
    let (mut c, mut t) = (0, 0);
    while c < content.len() || t < thinking.len() {
        let part = chunk_at(content, c, MAX_DELTA_BYTES).to_string();
        let think = chunk_at(thinking, t, MAX_DELTA_BYTES).to_string();
        (c, t) = (c + part.len(), t + think.len());
        let delta = ServerMsg::Delta {
            id: id.to_string(),
            conversation: conversation.clone(),
            message: message.clone(),
            content: part,
            thinking: think,
        };
        if !s.send(delta).await {
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
            Some(WatchEvent::Tool(event)) => {
                let tool = ServerMsg::Tool {
                    id: id.to_string(),
                    conversation: g.conversation.clone(),
                    message: g.message.clone(),
                    event,
                };
                if !s.send(tool).await {
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
    message: &MessageId,
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
