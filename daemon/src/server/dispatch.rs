//! Decoding a frame and running the request it carries. Every failure becomes an error frame
//! with a stable code and the request's id; nothing here closes the connection.

use super::session::Session;
use crate::auth::Scopes;
use crate::chat::{ChatParams, ChatStart, default_model, start_chat, stored_end};
use crate::frame::{MAX_DELTA_BYTES, chunk_at};
use crate::generation::{GenEnd, WatchEvent, Watcher};
use chinwag_protocol::{
    ClientMsg, ConversationId, ErrorBody, ErrorCode, OllamaStatus, PROTOCOL_VERSION, ServerMsg,
    StatusReply, UserLimits,
};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) fn invalid(msg: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidRequest, msg)
}

pub(super) async fn send_error(s: &Session, id: &str, body: ErrorBody) {
    s.send(ServerMsg::error(id, body)).await;
}

/// Parses one text frame into a request, or says precisely why it is not one.
fn decode(text: &str) -> Result<ClientMsg, (String, ErrorBody)> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            String::new(),
            ErrorBody::new(
                ErrorCode::InvalidJson,
                format!("the frame is not valid JSON: {e}"),
            ),
        )
    })?;
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !value.is_object() {
        return Err((
            id,
            invalid("a message must be a JSON object with a \"type\""),
        ));
    }
    if value.get("type").and_then(Value::as_str).is_none() {
        return Err((id, invalid("the message has no \"type\" string")));
    }
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        let code = if text.starts_with("unknown variant") {
            ErrorCode::UnknownType
        } else {
            ErrorCode::InvalidRequest
        };
        (id, ErrorBody::new(code, text))
    })
}

/// Handles one text frame. Quick requests are answered inline; the rest run as tasks so a
/// long one (a chat) does not hold up the next frame.
pub(super) async fn handle_text(s: &Arc<Session>, text: &str) {
    let msg = match decode(text) {
        Ok(m) => m,
        Err((id, body)) => return send_error(s, &id, body).await,
    };
    match msg {
        ClientMsg::Hello {
            id,
            protocol,
            client,
        } => {
            if protocol != PROTOCOL_VERSION {
                let body = ErrorBody::new(
                    ErrorCode::UnsupportedVersion,
                    format!(
                        "protocol v{protocol} is not supported; this daemon speaks v{PROTOCOL_VERSION}"
                    ),
                );
                return send_error(s, &id, body).await;
            }
            tracing::debug!(client = client.as_deref().unwrap_or("?"), "hello");
            s.hello_done.store(true, Ordering::Relaxed);
            s.send(ServerMsg::Hello {
                id,
                protocol: PROTOCOL_VERSION,
                server: concat!("chinwagd/", env!("CARGO_PKG_VERSION")).into(),
                user: s.peer.display.clone(),
                max_message_bytes: s.d.config().max_message_bytes as u64,
            })
            .await;
        }
        _ if !s.hello_done.load(Ordering::Relaxed) => {
            let body = ErrorBody::new(ErrorCode::HelloRequired, "send a hello first");
            send_error(s, msg.id(), body).await;
        }
        ClientMsg::Ping { id } => {
            s.send(ServerMsg::Pong { id }).await;
        }
        msg => {
            let Ok(permit) = Arc::clone(&s.permits).acquire_owned().await else {
                return;
            };
            let task_session = Arc::clone(s);
            s.tasks.spawn(async move {
                let id = msg.id().to_string();
                if let Err(body) = run_request(&task_session, msg).await {
                    send_error(&task_session, &id, body).await;
                }
                drop(permit);
            });
        }
    }
}

/// Resolves a conversation id (or unique prefix) among the caller's own.
async fn resolve(s: &Session, id: &ConversationId) -> Result<ConversationId, ErrorBody> {
    let info =
        s.d.store
            .conversation(&s.peer.owner, &id.0)
            .await
            .map_err(|e| e.to_body())?;
    Ok(info.summary.id)
}

/// The scope a request needs, by name, if any.
fn needed_scope(msg: &ClientMsg, scopes: Scopes) -> Option<&'static str> {
    match msg {
        ClientMsg::Hello { .. } | ClientMsg::Ping { .. } | ClientMsg::Status { .. } => None,
        ClientMsg::Reload { .. } | ClientMsg::Shutdown { .. } => (!scopes.admin).then_some("admin"),
        _ => (!scopes.chat).then_some("chat"),
    }
}

async fn run_request(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let d = &s.d;
    let owner = s.peer.owner.as_str();
    if let Some(scope) = needed_scope(&msg, s.peer.scopes) {
        return Err(ErrorBody::new(
            ErrorCode::Forbidden,
            format!("this connection's token lacks the {scope} scope; ask for a token with it"),
        ));
    }
    if let ClientMsg::ListConversations { limit: Some(0), .. }
    | ClientMsg::History { limit: Some(0), .. }
    | ClientMsg::Search { limit: Some(0), .. } = &msg
    {
        return Err(invalid("limit must be at least 1"));
    }
    match msg {
        ClientMsg::Hello { .. } | ClientMsg::Ping { .. } => {}
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
            let params = ChatParams {
                conversation,
                bot,
                model,
                content,
                options,
                idempotency_key,
                replace_from,
            };
            match start_chat(d, &s.peer, params).await? {
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
        ClientMsg::ListConversations {
            id,
            limit,
            offset,
            cursor,
        } => {
            let (items, next_cursor) = d
                .store
                .list_conversations(owner, limit.unwrap_or(50), offset.unwrap_or(0), cursor)
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::Conversations {
                id,
                items,
                next_cursor,
            })
            .await;
        }
        ClientMsg::GetConversation { id, conversation } => {
            let info = d
                .store
                .conversation(owner, &conversation.0)
                .await
                .map_err(|e| e.to_body())?;
            let (messages, has_more) = d
                .store
                .conversation_page(owner, &info.summary.id)
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::Conversation {
                id,
                conversation: info.summary,
                system: info.system,
                messages,
                has_more,
                options: info.options,
            })
            .await;
        }
        ClientMsg::GetMessageText {
            id,
            message,
            part,
            offset,
        } => {
            let (text, total_bytes) = d
                .store
                .message_text(owner, &message, part, offset)
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::MessageText {
                id,
                message,
                part,
                offset,
                text,
                total_bytes,
            })
            .await;
        }
        ClientMsg::RenameConversation {
            id,
            conversation,
            title,
        } => {
            let title = title.trim().to_string();
            if title.is_empty() || title.chars().count() > 200 {
                return Err(invalid("a title must be 1 to 200 characters"));
            }
            let conversation = resolve(s, &conversation).await?;
            d.store
                .rename_conversation(owner, &conversation, title)
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::Ok { id }).await;
        }
        ClientMsg::DeleteConversation { id, conversation } => {
            let conversation = resolve(s, &conversation).await?;
            if let Some(g) = d.generations.get(owner, &conversation) {
                g.cancel();
            }
            d.store
                .delete_conversation(owner, &conversation)
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::Ok { id }).await;
        }
        ClientMsg::History {
            id,
            conversation,
            before,
            limit,
        } => {
            let conversation = resolve(s, &conversation).await?;
            let (items, has_more) = d
                .store
                .history_page(owner, &conversation, before, limit.unwrap_or(50))
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::Messages {
                id,
                conversation,
                items,
                has_more,
            })
            .await;
        }
        ClientMsg::Search { id, query, limit } => {
            if query.trim().is_empty() {
                return Err(invalid("the search query is empty"));
            }
            let hits = d
                .store
                .search(owner, &query, limit.unwrap_or(20))
                .await
                .map_err(|e| e.to_body())?;
            s.send(ServerMsg::SearchResults { id, hits }).await;
        }
        ClientMsg::ListModels { id } => {
            let models = d.models.list(&d.ollama, true).await?;
            let default_model = default_model(d, owner).await.ok();
            s.send(ServerMsg::Models {
                id,
                models,
                default_model,
            })
            .await;
        }
        ClientMsg::ListBots { id } => {
            let config = d.config();
            let bots = config.bots.iter().map(|(name, b)| b.info(name)).collect();
            s.send(ServerMsg::Bots {
                id,
                bots,
                default_bot: config.default_bot.clone(),
            })
            .await;
        }
        ClientMsg::Reload { id } => {
            let report = crate::reload::reload(d).map_err(|why| {
                ErrorBody::new(
                    ErrorCode::InvalidRequest,
                    format!("the new config is refused and the old one stays: {why}"),
                )
            })?;
            s.send(ServerMsg::Reloaded {
                id,
                changed: report.changed,
                needs_restart: report.needs_restart,
            })
            .await;
        }
        ClientMsg::Shutdown { id } => {
            tracing::info!(user = %s.peer.display, "shutdown asked by a client");
            s.send(ServerMsg::Ok { id }).await;
            d.shutdown.cancel();
        }
        ClientMsg::Status { id } => {
            let (reachable, version, error) = match d.ollama.version().await {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e.to_body().message)),
            };
            let default_model = if reachable {
                default_model(d, owner).await.ok()
            } else {
                d.config().default_model.clone()
            };
            s.send(ServerMsg::Status(StatusReply {
                id,
                version: env!("CARGO_PKG_VERSION").into(),
                protocol: PROTOCOL_VERSION,
                pid: std::process::id(),
                uptime_ms: d.uptime_ms(),
                listening: d.listening(),
                store_path: d.store.path().display().to_string(),
                user: s.peer.display.clone(),
                ollama: OllamaStatus {
                    url: d.ollama.base_url().to_string(),
                    reachable,
                    version,
                    error,
                },
                default_model,
                active_generations: d.generations.count() as u64,
                connections: d.connections.load(Ordering::Relaxed),
                limits: Some({
                    let l = d.limits();
                    let c = if s.peer.token.is_none() {
                        l.local_config
                    } else {
                        l.remote_config
                    };
                    UserLimits {
                        messages_per_minute: c.messages_per_minute,
                        burst: c.burst,
                        concurrent_generations: c.concurrent_generations,
                    }
                }),
            }))
            .await;
        }
    }
    Ok(())
}

/// Sends the reply so far, then follows it live.
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
