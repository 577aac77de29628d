//! `chinwag history …`, `models`, `bots`, `status`: one request each, printed for people or
//! as JSON for scripts.

use crate::autostart::connect;
use crate::cli::{ConnArgs, ExportFormat, HistoryCommand};
use crate::conn::{Connection, unexpected};
use crate::exit::ClientError;
use crate::render;
use chinwag_protocol::{ClientMsg, ConversationId, ErrorBody, ErrorCode, ServerMsg};
use std::io::Write;

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), ClientError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| ClientError::Other(e.into()))?;
    println!("{text}");
    Ok(())
}

fn print(text: &str) -> Result<(), ClientError> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(())
}

async fn get_conversation(conn: &mut Connection, id: &str) -> Result<ServerMsg, ClientError> {
    conn.call(|rid| ClientMsg::GetConversation {
        id: rid,
        conversation: ConversationId(id.to_string()),
    })
    .await
}

pub async fn history(conn_args: &ConnArgs, cmd: &HistoryCommand) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    match cmd {
        HistoryCommand::List { limit, json } => {
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
        HistoryCommand::Show { id, json } => {
            let reply = get_conversation(&mut conn, id).await?;
            if *json {
                return print_json(&reply);
            }
            let ServerMsg::Conversation {
                conversation,
                system,
                messages,
                ..
            } = reply
            else {
                return Err(unexpected(&reply));
            };
            print(&render::markdown(
                &conversation,
                system.as_deref(),
                &messages,
            ))
        }
        HistoryCommand::Search { words, limit, json } => {
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
        HistoryCommand::Export { id, format, output } => {
            let reply = get_conversation(&mut conn, id).await?;
            let text = match format {
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&reply)
                        .map_err(|e| ClientError::Other(e.into()))?
                        + "\n"
                }
                ExportFormat::Md => {
                    let ServerMsg::Conversation {
                        conversation,
                        system,
                        messages,
                        ..
                    } = &reply
                    else {
                        return Err(unexpected(&reply));
                    };
                    render::markdown(conversation, system.as_deref(), messages)
                }
            };
            match output {
                Some(path) => chinwagd::private_fs::write_private_file(path, text.as_bytes())
                    .map_err(|e| ClientError::Other(e.into())),
                None => print(&text),
            }
        }
        HistoryCommand::Rename { id, title } => {
            let title = title.join(" ");
            conn.call(|rid| ClientMsg::RenameConversation {
                id: rid,
                conversation: ConversationId(id.clone()),
                title,
            })
            .await?;
            Ok(())
        }
        HistoryCommand::Rm { id } => {
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
        ..
    } = reply
    else {
        return Err(unexpected(&reply));
    };
    if json {
        return print_json(
            &serde_json::json!({ "models": models, "default_model": default_model }),
        );
    }
    if models.is_empty() {
        eprintln!("Ollama has no models yet — pull one: ollama pull llama3.2");
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
        print_json(&st)?;
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
