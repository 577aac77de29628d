//! `chinwag history …`, `models`, `bots`, `status`: one request each, printed for people or
//! as JSON for scripts.

use crate::autostart::connect;
use crate::cli::{ConnArgs, ExportFormat, HistoryCommand};
use crate::conn::{Connection, unexpected};
use crate::exit::ClientError;
use crate::render;
use chinwag_protocol::{
    ClientMsg, ConversationId, ConversationSummary, ErrorBody, ErrorCode, MessageId, ServerMsg,
    StoredMessage, TextPart,
};
use std::io::Write;

pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<(), ClientError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| ClientError::Other(e.into()))?;
    println!("{text}");
    Ok(())
}

pub(crate) fn print(text: &str) -> Result<(), ClientError> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(())
}

/// A whole conversation, as `history show --json` and `export --format json` print it.
#[derive(Debug, serde::Serialize)]
pub struct FullConversation {
    pub conversation: ConversationSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<StoredMessage>,
}

/// Fetches a whole conversation: the newest page, older pages while there are any, and the
/// rest of every message too big for one frame.
pub async fn get_conversation(
    conn: &mut Connection,
    id: &str,
) -> Result<FullConversation, ClientError> {
    let reply = conn
        .call(|rid| ClientMsg::GetConversation {
            id: rid,
            conversation: ConversationId(id.to_string()),
        })
        .await?;
    let ServerMsg::Conversation {
        conversation,
        system,
        mut messages,
        mut has_more,
        ..
    } = reply
    else {
        return Err(unexpected(&reply));
    };
    while has_more && let Some(first) = messages.first().map(|m| m.id.clone()) {
        let reply = conn
            .call(|rid| ClientMsg::History {
                id: rid,
                conversation: conversation.id.clone(),
                before: Some(first),
                limit: Some(1000),
            })
            .await?;
        let ServerMsg::Messages {
            items,
            has_more: more,
            ..
        } = reply
        else {
            return Err(unexpected(&reply));
        };
        has_more = more && !items.is_empty();
        messages.splice(0..0, items);
    }
    for m in messages.iter_mut().filter(|m| m.truncated) {
        m.content = message_text(conn, &m.id, TextPart::Content).await?;
        m.thinking = message_text(conn, &m.id, TextPart::Thinking).await?;
        m.truncated = false;
    }
    Ok(FullConversation {
        conversation,
        system,
        messages,
    })
}

/// One message's whole text, read slice by slice.
async fn message_text(
    conn: &mut Connection,
    message: &MessageId,
    part: TextPart,
) -> Result<String, ClientError> {
    let mut text = String::new();
    loop {
        let offset = text.len() as u64;
        let reply = conn
            .call(|rid| ClientMsg::GetMessageText {
                id: rid,
                message: message.clone(),
                part,
                offset,
            })
            .await?;
        let ServerMsg::MessageText {
            text: slice,
            total_bytes,
            ..
        } = reply
        else {
            return Err(unexpected(&reply));
        };
        if slice.is_empty() && (text.len() as u64) < total_bytes {
            return Err(ClientError::Connection(
                "the daemon sent an empty slice of a message".into(),
            ));
        }
        text.push_str(&slice);
        if text.len() as u64 >= total_bytes {
            return Ok(text);
        }
    }
}

pub async fn history(conn_args: &ConnArgs, cmd: &HistoryCommand) -> Result<(), ClientError> {
    let mut conn = connect(&cmd.conn().or(conn_args)).await?;
    match cmd {
        HistoryCommand::List { limit, json, .. } => {
            let limit = *limit;
            let reply = conn
                .call(|id| ClientMsg::ListConversations {
                    id,
                    limit: Some(limit),
                    offset: None,
                    cursor: None,
                })
                .await?;
            let ServerMsg::Conversations { items, .. } = reply else {
                return Err(unexpected(&reply));
            };
            if *json {
                return print_json(&items);
            }
            if items.is_empty() {
                eprintln!("no conversations yet — start one with: chinwag ask \"hello\"");
            }
            print(&render::conversation_list(&items))
        }
        HistoryCommand::Show { id, json, .. } => {
            let full = get_conversation(&mut conn, id).await?;
            if *json {
                return print_json(&full);
            }
            print(&render::markdown(
                &full.conversation,
                full.system.as_deref(),
                &full.messages,
            ))
        }
        HistoryCommand::Search {
            words, limit, json, ..
        } => {
            let (query, limit) = (words.join(" "), *limit);
            let reply = conn
                .call(|id| ClientMsg::Search {
                    id,
                    query,
                    limit: Some(limit),
                })
                .await?;
            let ServerMsg::SearchResults { hits, .. } = reply else {
                return Err(unexpected(&reply));
            };
            if *json {
                return print_json(&hits);
            }
            if hits.is_empty() {
                eprintln!("no matches");
            }
            print(&render::search_hits(&hits))
        }
        HistoryCommand::Export {
            id, format, output, ..
        } => {
            let full = get_conversation(&mut conn, id).await?;
            let by_extension = || {
                let ext = output.as_ref()?.extension()?.to_str()?.to_ascii_lowercase();
                match ext.as_str() {
                    "json" => Some(ExportFormat::Json),
                    "md" | "markdown" => Some(ExportFormat::Md),
                    _ => None,
                }
            };
            let format = format.or_else(by_extension).unwrap_or(ExportFormat::Md);
            let text = match format {
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&full).map_err(|e| ClientError::Other(e.into()))?
                        + "\n"
                }
                ExportFormat::Md => {
                    render::markdown(&full.conversation, full.system.as_deref(), &full.messages)
                }
            };
            match output {
                Some(path) => chinwagd::private_fs::write_private_file(path, text.as_bytes())
                    .map_err(|e| ClientError::Other(e.into())),
                None => print(&text),
            }
        }
        HistoryCommand::Rename { id, title, .. } => {
            let title = title.join(" ");
            conn.call(|rid| ClientMsg::RenameConversation {
                id: rid,
                conversation: ConversationId(id.clone()),
                title,
            })
            .await?;
            Ok(())
        }
        HistoryCommand::Rm { id, .. } => {
            conn.call(|rid| ClientMsg::DeleteConversation {
                id: rid,
                conversation: ConversationId(id.clone()),
            })
            .await?;
            eprintln!("deleted {id}");
            Ok(())
        }
    }
}

pub async fn models(conn_args: &ConnArgs, json: bool) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let reply = conn.call(|id| ClientMsg::ListModels { id }).await?;
    let ServerMsg::Models {
        models,
        default_model,
        backends,
        ..
    } = reply
    else {
        return Err(unexpected(&reply));
    };
    if json {
        return print_json(&serde_json::json!({
            "models": models, "default_model": default_model, "backends": backends
        }));
    }
    if models.is_empty() {
        eprintln!("Ollama has no models yet — pull one: ollama pull llama3.2");
    }
    for b in backends.iter().filter(|b| !b.reachable) {
        eprintln!(
            "backend {} ({}) is not reachable, so its models are not listed: {}",
            b.name,
            b.url,
            b.error.as_deref().unwrap_or("no answer")
        );
    }
    print(&render::model_list(&models, default_model.as_deref()))
}

pub async fn bots(conn_args: &ConnArgs, json: bool) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let reply = conn.call(|id| ClientMsg::ListBots { id }).await?;
    let ServerMsg::Bots {
        bots, default_bot, ..
    } = reply
    else {
        return Err(unexpected(&reply));
    };
    if json {
        return print_json(&serde_json::json!({ "bots": bots, "default_bot": default_bot }));
    }
    if bots.is_empty() {
        eprintln!("no bots configured — add [bots.NAME] sections to chinwagd.toml");
    }
    print(&render::bot_list(&bots, default_bot.as_deref()))
}

/// Prints the daemon's state. Exits 3 when Ollama cannot be reached.
pub async fn status(conn_args: &ConnArgs, json: bool) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let reply = conn.call(|id| ClientMsg::Status { id }).await?;
    let ServerMsg::Status(st) = reply else {
        return Err(unexpected(&reply));
    };
    if json {
        // The protocol's request id means nothing to a script.
        let mut v = serde_json::to_value(&st).map_err(|e| ClientError::Other(e.into()))?;
        if let Some(o) = v.as_object_mut() {
            o.remove("id");
        }
        print_json(&v)?;
    } else {
        print(&render::status(&st))?;
    }
    if st.ollama.reachable {
        Ok(())
    } else {
        let message = st
            .ollama
            .error
            .unwrap_or_else(|| format!("cannot reach Ollama at {}", st.ollama.url));
        Err(ClientError::Server(ErrorBody::new(
            ErrorCode::BackendUnavailable,
            message,
        )))
    }
}
