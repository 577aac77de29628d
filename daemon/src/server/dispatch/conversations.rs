//! Conversations: list, get (paged by size), message text by slices, rename, delete,
//! history pages and search.

use super::super::outbox::Session;
use super::{invalid, resolve};
use chinwag_protocol::{ClientMsg, ErrorBody, ServerMsg};
use std::sync::Arc;

/// Runs a request of this family (the dispatcher routes only these here).
pub(super) async fn run(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let d = &s.d;
    let owner = s.peer.owner.as_str();
    match msg {
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
        // Routed elsewhere by the dispatcher.
        _ => {}
    }
    Ok(())
}
