//! `chinwag ask`: one question, the reply streamed to stdout, then exit with a status.
//!
//! Only the reply goes to stdout; everything else goes to stderr. If the connection drops
//! mid-reply the request is resent with the same idempotency key, so the daemon answers with
//! the stored turn and the rest of the reply instead of asking twice.

use crate::ask_tools::{Approver, on_tool};
use crate::autostart::connect;
use crate::backoff::{Backoff, connect_retrying};
use crate::cli::{AskArgs, ConnArgs, OneShotArgs};
use crate::conn::Connection;
use crate::exit::ClientError;
use chinwag_protocol::{
    ClientMsg, ConversationId, ErrorBody, ErrorCode, GenOptions, MessageStatus, ServerMsg,
};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How many times a dropped connection is re-established during one reply.
const MAX_RESUMES: u32 = 5;

/// The prompt: piped stdin first, then the words, separated by a blank line.
pub fn build_prompt(stdin: Option<&str>, words: &[String]) -> Option<String> {
    let args = words.join(" ");
    let stdin = stdin.map(str::trim_end).filter(|s| !s.trim().is_empty());
    let prompt = match (stdin, args.trim().is_empty()) {
        (Some(s), true) => s.to_string(),
        (Some(s), false) => format!("{s}\n\n{args}"),
        (None, false) => args,
        (None, true) => return None,
    };
    Some(prompt)
}

fn options(a: &OneShotArgs) -> GenOptions {
    GenOptions {
        system: a.system.clone(),
        temperature: a.temperature,
        top_p: a.top_p,
        seed: a.seed,
        num_predict: a.max_tokens,
        num_ctx: a.num_ctx,
        stop: a.stop.clone(),
        keep_alive: a.keep_alive.clone(),
        think: a.think.clone(),
    }
}

/// The Markdown renderer for stdout, when it is a terminal and the reply is shown as text:
/// the client config's theme (none with `NO_COLOR`), the terminal's width.
fn rendered(one: &OneShotArgs) -> Option<crate::text::stream::MarkdownStream> {
    use crate::text::theme::Theme;
    if one.raw || one.json || one.extract.is_some() || !std::io::stdout().is_terminal() {
        return None;
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let name = crate::ui::config::path()
        .and_then(|p| crate::ui::config::ClientConfig::load(&p).ok())
        .map(|c| c.theme)
        .unwrap_or_default();
    let width = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).max(20));
    Some(crate::text::stream::MarkdownStream::new(
        width,
        Theme::pick(name, no_color),
        !no_color,
    ))
}

/// Where the reply goes: streamed text, buffered text, or JSON events.
pub(crate) struct Output {
    json: bool,
    buffered: bool,
    show_thinking: bool,
    /// Bytes of the reply already written (or buffered).
    written: usize,
    /// Where the next `delta` of the current request starts in the reply: a `replay` may
    /// carry less than was already written, and the deltas after it continue from its end.
    stream_pos: usize,
    buffer: String,
    ends_with_newline: bool,
    /// stdout went away (`| head`): stop writing, still finish cleanly.
    closed: bool,
    /// `-x`: print only the code of the fenced blocks, once the reply is whole.
    extract: Option<crate::extract::Extract>,
    /// On a terminal (unless `--raw`): the reply laid out as the chat screen lays it out.
    markdown: Option<crate::text::stream::MarkdownStream>,
}

impl Output {
    pub(crate) fn new(one: &OneShotArgs) -> Output {
        Output {
            json: one.json,
            buffered: one.no_stream || one.extract.is_some(),
            extract: one.extract,
            show_thinking: one.show_thinking,
            written: 0,
            stream_pos: 0,
            buffer: String::new(),
            ends_with_newline: false,
            closed: false,
            markdown: rendered(one),
        }
    }

    fn event(&mut self, msg: &ServerMsg) {
        if self.json && !self.closed {
            // The protocol's request id means nothing to a script reading events.
            let event = serde_json::to_value(msg).map(|mut v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("id");
                }
                v
            });
            match event.and_then(|v| serde_json::to_string(&v)) {
                Ok(line) => self.write_raw(&format!("{line}\n")),
                Err(e) => tracing::warn!(error = %e, "encoding an event"),
            }
        }
    }

    fn write_raw(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            self.closed = true;
        }
    }

    /// A `replay`: the reply from its start.
    fn replay(&mut self, content: &str, thinking: &str) {
        self.stream_pos = content.len();
        self.text(0, content, thinking);
    }

    /// A `delta`: the reply from where the last replay or delta ended.
    fn delta(&mut self, content: &str, thinking: &str) {
        let at = self.stream_pos;
        self.stream_pos += content.len();
        self.text(at, content, thinking);
    }

    /// Appends reply text, given as the whole reply from `offset` on (replays overlap).
    fn text(&mut self, offset: usize, content: &str, thinking: &str) {
        if self.show_thinking && !thinking.is_empty() {
            eprint!("{thinking}");
        }
        let end = offset + content.len();
        if end <= self.written {
            return;
        }
        let skip = self.written.saturating_sub(offset);
        let Some(new) = content.get(skip..) else {
            return;
        };
        self.written = end;
        if new.is_empty() {
            return;
        }
        self.ends_with_newline = new.ends_with('\n');
        if self.json {
            return;
        }
        if self.buffered {
            self.buffer.push_str(new);
        } else if !self.closed {
            match self.markdown.as_mut() {
                Some(md) => {
                    let ready = md.push(new);
                    self.write_raw(&ready);
                }
                None => self.write_raw(new),
            }
        }
    }

    /// Writes what was held back. With `-x`, only the reply's code, and a reply without any
    /// is an error.
    pub(crate) fn finish(&mut self) -> Result<(), ClientError> {
        if self.json || self.closed {
            return Ok(());
        }
        if let Some(which) = self.extract {
            let reply = std::mem::take(&mut self.buffer);
            let Some(code) = crate::extract::extract(&reply, which) else {
                return Err(ClientError::Other(anyhow::anyhow!(
                    "the reply has no fenced code block to print (-x); run without -x to see it"
                )));
            };
            self.write_raw(&code);
            return Ok(());
        }
        let mut text = std::mem::take(&mut self.buffer);
        if let Some(md) = self.markdown.as_mut() {
            let mut ready = md.push(&text);
            ready.push_str(&md.finish());
            self.write_raw(&ready);
            return Ok(());
        }
        if self.written > 0 && !self.ends_with_newline {
            text.push('\n');
        }
        if !text.is_empty() {
            self.write_raw(&text);
        }
        Ok(())
    }
}

/// Runs `chinwag ask`.
pub async fn run(
    conn_args: &ConnArgs,
    args: &AskArgs,
    stdin: Option<String>,
) -> Result<(), ClientError> {
    let prompt = build_prompt(stdin.as_deref(), &args.one.prompt).ok_or_else(|| {
        ClientError::Usage("nothing to ask: give a prompt, or pipe text into chinwag ask".into())
    })?;
    // Files are read (and refused) before anything is sent.
    let attachments = crate::files::attachments(&args.one.files, &args.one.images)?;
    let mut conn = connect(conn_args).await?;
    let size = prompt.len() as u64 + crate::files::frame_bytes(&attachments) + 4096;
    if conn.hello.max_message_bytes > 0 && size > conn.hello.max_message_bytes {
        return Err(ClientError::Usage(format!(
            "the message{} is {} KiB; the daemon accepts messages up to {} KiB \
             (max_message_bytes in its chinwagd.toml)",
            if attachments.is_empty() {
                ""
            } else {
                " with its files"
            },
            size / 1024,
            conn.hello.max_message_bytes / 1024
        )));
    }
    let conversation = if args.chat.continue_last {
        Some(last_conversation(&mut conn).await?)
    } else {
        args.chat.conversation.clone().map(ConversationId)
    };
    let key = uuid::Uuid::new_v4().simple().to_string();
    let mut approver = Approver::new(args.one.yes, args.one.json);
    let mut out = Output::new(&args.one);
    let mut started: Option<ConversationId> = None;
    let mut resumes = 0;
    loop {
        let id = conn.next_id();
        let chat = ClientMsg::Chat {
            id: id.clone(),
            // A resend of an unsaved turn is found by its key alone.
            conversation: (!args.one.no_save)
                .then(|| started.clone().or_else(|| conversation.clone()))
                .flatten(),
            bot: args.chat.bot.clone(),
            model: args.chat.model.clone(),
            content: prompt.clone(),
            options: options(&args.one),
            idempotency_key: Some(key.clone()),
            replace_from: None,
            attachments: attachments.clone(),
            ephemeral: args.one.no_save,
            tools: args.one.tools.clone().map(|t| {
                if t.iter().any(|n| n == "all") {
                    chinwag_protocol::TOOL_NAMES
                        .iter()
                        .map(|n| n.to_string())
                        .collect()
                } else {
                    t
                }
            }),
        };
        if args.one.detach {
            return detach(&mut conn, chat).await;
        }
        let result = match conn.send(&chat).await {
            Ok(()) => follow(&mut conn, &id, &mut out, &mut started, &mut approver).await,
            Err(e) => Err(e),
        };
        match result {
            Err(ClientError::Connection(why)) if resumes < MAX_RESUMES => {
                resumes += 1;
                tracing::info!(%why, "connection lost mid-reply; resuming");
                conn = reconnect(conn_args).await?;
            }
            other => {
                let shown = out.finish();
                return other.and(shown);
            }
        }
    }
}

/// Reads events for request `id` until its `done`; handles Ctrl-C (which cancels the reply
/// only once `started` names its conversation: a `chat` of ours, not an `attach`).
pub(crate) async fn follow(
    conn: &mut Connection,
    id: &str,
    out: &mut Output,
    started: &mut Option<ConversationId>,
    approver: &mut Approver,
) -> Result<(), ClientError> {
    loop {
        let msg = tokio::select! {
            m = conn.recv() => m?,
            _ = tokio::signal::ctrl_c() => {
                if let Some(c) = started.clone() {
                    let cancel = ClientMsg::Cancel { id: conn.next_id(), conversation: c };
                    let _ = conn.send(&cancel).await;
                    // Wait for the daemon to store the cut reply, but not forever.
                    let _ = tokio::time::timeout(Duration::from_secs(3), drain_until_done(conn, id, out)).await;
                }
                return Err(ClientError::Interrupted);
            }
        };
        if msg.id() != id {
            continue;
        }
        out.event(&msg);
        match msg {
            ServerMsg::ChatStarted { conversation, .. } => *started = Some(conversation),
            ServerMsg::Replay {
                content, thinking, ..
            } => out.replay(&content, &thinking),
            ServerMsg::Delta {
                content, thinking, ..
            } => out.delta(&content, &thinking),
            ServerMsg::Tool {
                conversation,
                event,
                ..
            } => {
                if let Err(e) = on_tool(conn, approver, &conversation, &event).await {
                    // The reply was cancelled: wait for the daemon to store that, briefly.
                    let drain = drain_until_done(conn, id, out);
                    let _ = tokio::time::timeout(Duration::from_secs(3), drain).await;
                    return Err(e);
                }
            }
            ServerMsg::Loading { model, .. } if std::io::stderr().is_terminal() && !out.json => {
                eprintln!("chinwag: waiting for {model} to load…");
            }
            ServerMsg::Done {
                status,
                error,
                done_reason,
                ..
            } => {
                if done_reason.as_deref() == Some("length") && !out.json {
                    eprintln!(
                        "chinwag: the reply was cut at the token limit (--max-tokens, or the \
                         model's num_predict)"
                    );
                }
                return done_result(status, error);
            }
            ServerMsg::Error {
                code,
                message,
                retry_after_ms,
                ..
            } => {
                return Err(ClientError::from_frame(code, message, retry_after_ms));
            }
            _ => {}
        }
    }
}

/// `--detach`: the turn is stored and its reply generating; print the conversation's id.
async fn detach(conn: &mut Connection, chat: ClientMsg) -> Result<(), ClientError> {
    let id = chat.id().to_string();
    conn.send(&chat).await?;
    loop {
        let msg = conn.recv().await?;
        if msg.id() != id {
            continue;
        }
        match msg {
            ServerMsg::ChatStarted { conversation, .. } => {
                println!("{conversation}");
                return Ok(());
            }
            ServerMsg::Error {
                code,
                message,
                retry_after_ms,
                ..
            } => return Err(ClientError::from_frame(code, message, retry_after_ms)),
            _ => {}
        }
    }
}

async fn drain_until_done(conn: &mut Connection, id: &str, out: &mut Output) {
    while let Ok(msg) = conn.recv().await {
        if msg.id() == id {
            out.event(&msg);
            if let ServerMsg::Delta {
                content, thinking, ..
            } = &msg
            {
                out.delta(content, thinking);
            }
            if matches!(msg, ServerMsg::Done { .. }) {
                return;
            }
        }
    }
}

fn done_result(status: MessageStatus, error: Option<ErrorBody>) -> Result<(), ClientError> {
    match status {
        MessageStatus::Complete => Ok(()),
        MessageStatus::Cancelled => Err(ClientError::Interrupted),
        _ => Err(ClientError::Server(error.unwrap_or_else(|| {
            ErrorBody::new(
                ErrorCode::BackendError,
                format!("the reply ended {}", status.as_str()),
            )
        }))),
    }
}

async fn last_conversation(conn: &mut Connection) -> Result<ConversationId, ClientError> {
    let reply = conn
        .call(|id| ClientMsg::ListConversations {
            id,
            limit: Some(1),
            offset: None,
            cursor: None,
        })
        .await?;
    match reply {
        ServerMsg::Conversations { items, .. } => {
            items.into_iter().next().map(|c| c.id).ok_or_else(|| {
                ClientError::Usage("there is no conversation to continue yet".into())
            })
        }
        other => Err(crate::conn::unexpected(&other)),
    }
}

/// Reconnects with backoff (starting the daemon again if it died), eight tries at most.
async fn reconnect(conn_args: &ConnArgs) -> Result<Connection, ClientError> {
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
    connect_retrying(conn_args, &mut backoff, Some(8), |_, _| true).await
}

#[cfg(test)]
mod tests {
    use super::build_prompt;

    #[test]
    fn stdin_comes_first_then_the_words() {
        let words = vec!["review".to_string(), "this".to_string()];
        assert_eq!(
            build_prompt(Some("diff --git a b\n"), &words).as_deref(),
            Some("diff --git a b\n\nreview this")
        );
        assert_eq!(build_prompt(None, &words).as_deref(), Some("review this"));
        assert_eq!(
            build_prompt(Some("only stdin\n"), &[]).as_deref(),
            Some("only stdin")
        );
        assert_eq!(build_prompt(Some("  \n"), &[]), None);
        assert_eq!(build_prompt(None, &[]), None);
    }
}
