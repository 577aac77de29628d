//! Decoding a frame and running the request it carries. Every failure becomes an error frame
//! with a stable code and the request's id; nothing here closes the connection.

mod conversations;
mod exec;
mod info;
mod turns;

use super::outbox::Session;
use crate::auth::Scopes;
use chinwag_protocol::{
    ClientMsg, ConversationId, ErrorBody, ErrorCode, PROTOCOL_VERSION, ServerMsg,
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

/// Parses one text frame into a request, or says precisely why it is not one. A good frame
/// is parsed once; only a bad one is looked at again, for its `id` and a precise reason.
fn decode(text: &str) -> Result<ClientMsg, (String, ErrorBody)> {
    let first = match serde_json::from_str::<ClientMsg>(text) {
        Ok(msg) => return Ok(msg),
        Err(e) => e,
    };
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
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return Err((id, invalid("the message has no \"type\" string")));
    };
    let text = first.to_string();
    // Only the request's own type being unknown is `unknown_type`; an unknown value deeper
    // in a known request (a decision, an attachment's kind) is a bad request.
    let code = if text.starts_with(&format!("unknown variant `{kind}`")) {
        ErrorCode::UnknownType
    } else {
        ErrorCode::InvalidRequest
    };
    Err((id, ErrorBody::new(code, text)))
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
            let span = tracing::info_span!("req", id = msg.id(), kind = msg.kind());
            s.tasks.spawn(tracing::Instrument::instrument(
                async move {
                    let id = msg.id().to_string();
                    if let Err(body) = run_request(&task_session, msg).await {
                        send_error(&task_session, &id, body).await;
                    }
                    drop(permit);
                },
                span,
            ));
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
        ClientMsg::Exec { .. }
        | ClientMsg::ExecCheck { .. }
        | ClientMsg::CancelExec { .. }
        | ClientMsg::GetPolicy { .. } => (!scopes.exec).then_some("exec"),
        ClientMsg::Audit { .. } => (!scopes.exec && !scopes.admin).then_some("exec"),
        // A pull fills the daemon's disk: the owner's call.
        ClientMsg::Pull { .. } => (!scopes.admin).then_some("admin"),
        _ => (!scopes.chat).then_some("chat"),
    }
}
/// Runs one request after the scope check: each family of requests has its own module.
async fn run_request(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    if let Some(scope) = needed_scope(&msg, s.peer.scopes) {
        return Err(ErrorBody::new(
            ErrorCode::Forbidden,
            format!("this connection's token lacks the {scope} scope; ask for a token with it"),
        ));
    }
    if let ClientMsg::ListConversations { limit: Some(0), .. }
    | ClientMsg::History { limit: Some(0), .. }
    | ClientMsg::Search { limit: Some(0), .. }
    | ClientMsg::Audit { limit: Some(0), .. } = &msg
    {
        return Err(invalid("limit must be at least 1"));
    }
    match msg {
        ClientMsg::Hello { .. } | ClientMsg::Ping { .. } => Ok(()),
        ClientMsg::Chat { .. }
        | ClientMsg::Cancel { .. }
        | ClientMsg::Attach { .. }
        | ClientMsg::Approve { .. } => turns::run(s, msg).await,
        ClientMsg::Exec { .. } | ClientMsg::ExecCheck { .. } => exec::run(s, msg).await,
        ClientMsg::CancelExec { id, exec } => {
            exec::cancel(s, &exec);
            s.send(ServerMsg::Ok { id }).await;
            Ok(())
        }
        ClientMsg::Audit { .. } => exec::audit(s, msg).await,
        ClientMsg::GetPolicy { id, cwd } => {
            let (root, sandbox, programs) =
                crate::exec::show::describe(&s.d.config().exec, cwd.as_deref());
            s.send(ServerMsg::Policy {
                id,
                root,
                sandbox,
                programs,
            })
            .await;
            Ok(())
        }
        ClientMsg::ListConversations { .. }
        | ClientMsg::GetConversation { .. }
        | ClientMsg::GetMessageText { .. }
        | ClientMsg::RenameConversation { .. }
        | ClientMsg::DeleteConversation { .. }
        | ClientMsg::History { .. }
        | ClientMsg::Search { .. } => conversations::run(s, msg).await,
        ClientMsg::ListModels { .. }
        | ClientMsg::ListBots { .. }
        | ClientMsg::ListGenerations { .. }
        | ClientMsg::Pull { .. }
        | ClientMsg::Status { .. }
        | ClientMsg::Reload { .. }
        | ClientMsg::Shutdown { .. } => info::run(s, msg).await,
    }
}
