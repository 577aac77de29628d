//! What only a daemon can do, exposed: `chinwag ps` (your replies being generated, with
//! their pace) and `chinwag attach` (follow one from any terminal, answering its tool calls
//! as `ask` does; Ctrl-C leaves it running).

use crate::ask::{Output, follow};
use crate::ask_tools::Approver;
use crate::autostart::connect;
use crate::cli::{AttachArgs, ConnArgs, OneShotArgs};
use crate::commands::{print, print_json};
use crate::conn::{Connection, unexpected};
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ConversationId, GenerationInfo, ServerMsg};
use std::fmt::Write as _;

async fn generations(conn: &mut Connection) -> Result<Vec<GenerationInfo>, ClientError> {
    match conn.call(|id| ClientMsg::ListGenerations { id }).await? {
        ServerMsg::Generations { items, .. } => Ok(items),
        other => Err(unexpected(&other)),
    }
}

/// `chinwag ps`.
pub async fn ps(conn_args: &ConnArgs, json: bool) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let items = generations(&mut conn).await?;
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        eprintln!("nothing is being generated");
        return Ok(());
    }
    // Titles from the conversation list: replies in progress are among the newest.
    let titles = match conn
        .call(|id| ClientMsg::ListConversations {
            id,
            limit: Some(200),
            offset: None,
            cursor: None,
        })
        .await?
    {
        ServerMsg::Conversations { items, .. } => items,
        _ => Vec::new(),
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let mut out = String::new();
    for g in &items {
        let title = titles
            .iter()
            .find(|c| c.id == g.conversation)
            .map_or("", |c| c.title.as_str());
        let pace = g
            .tokens_per_second
            .map_or_else(|| "-".to_string(), |r| format!("{r:.1} tok/s"));
        let _ = writeln!(
            out,
            "{}  {:<10}  {:>6} tok  {:>11}  {:>5}s  {:<20}  {title}",
            &g.conversation.0[..g.conversation.0.len().min(8)],
            g.state,
            g.output_tokens,
            pace,
            (now - g.started_at_ms).max(0) / 1000,
            g.model,
        );
    }
    print(&out)
}

/// `chinwag attach [ID]`.
pub async fn attach(conn_args: &ConnArgs, args: &AttachArgs) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let conversation = match &args.conversation {
        Some(id) => ConversationId(id.clone()),
        None => generations(&mut conn)
            .await?
            .pop()
            .map(|g| g.conversation)
            .ok_or_else(|| ClientError::Usage("nothing of yours is being generated".into()))?,
    };
    let id = conn.next_id();
    conn.send(&ClientMsg::Attach {
        id: id.clone(),
        conversation: conversation.clone(),
    })
    .await?;
    let generating = loop {
        let msg = conn.recv().await?;
        if msg.id() != id {
            continue;
        }
        match msg {
            ServerMsg::Attached { generating, .. } => break generating,
            ServerMsg::Error {
                code,
                message,
                retry_after_ms,
                ..
            } => return Err(ClientError::from_frame(code, message, retry_after_ms)),
            _ => {}
        }
    };
    if generating.is_none() {
        eprintln!(
            "nothing is being generated in {conversation}; `chinwag history show {conversation}` shows it"
        );
        return Ok(());
    }
    let one = OneShotArgs {
        json: args.json,
        ..OneShotArgs::default()
    };
    let mut out = Output::new(&one);
    let mut approver = Approver::new(args.yes, args.json);
    // No `started`: Ctrl-C leaves the reply running.
    let result = follow(&mut conn, &id, &mut out, &mut None, &mut approver).await;
    let shown = out.finish();
    result.and(shown)
}
