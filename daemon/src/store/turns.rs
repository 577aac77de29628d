//! The chat write path: begin a turn (user message + empty reply, one commit), append to the
//! reply as it streams, finish it with a status. Also start-up recovery of cut replies.

use super::errors::{SqlContext, StoreError, StoreErrorKind};
use super::{INTERRUPTED_REPLY, Store, now_ms};
use chinwag_protocol::{
    ConversationId, ErrorCode, GenOptions, GenStats, MessageId, MessageStatus, StoredToolEvent,
};
use rusqlite::{Connection, OptionalExtension, params};

/// What a chat request asks the store to record.
#[derive(Debug, Clone)]
pub struct NewTurn {
    pub owner: String,
    /// An existing conversation (already resolved from any prefix)...
    pub conversation: Option<ConversationId>,
    /// ...or the id to create a new one under.
    pub new_conversation: ConversationId,
    /// Ids chosen by the caller, so it can register the generation before the commit.
    pub user_message: MessageId,
    pub assistant_message: MessageId,
    pub content: String,
    pub model: String,
    pub bot: Option<String>,
    /// The conversation's system prompt from this turn on.
    pub system: Option<String>,
    /// This turn's options as the client gave them (`system` aside), kept with the
    /// conversation so a client reopening it can go on with them.
    pub options: GenOptions,
    pub idempotency_key: Option<String>,
    /// Regenerate/edit: delete this user message and everything after it in the same commit.
    pub replace_from: Option<MessageId>,
    /// Files sent with the user message, kept with it (checked by the caller).
    pub attachments: Vec<chinwag_protocol::Attachment>,
    /// A new conversation to forget once its reply ends.
    pub ephemeral: bool,
}

/// The ids a turn was stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnIds {
    pub conversation: ConversationId,
    pub user_message: MessageId,
    pub assistant_message: MessageId,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    /// Stored now.
    New(TurnIds),
    /// The idempotency key was stored before: nothing new was written.
    Existing(TurnIds),
}

/// How a reply ended.
#[derive(Debug, Clone)]
pub struct ReplyEnd {
    pub status: MessageStatus,
    pub error: Option<String>,
    pub error_code: Option<ErrorCode>,
    pub done_reason: Option<String>,
    pub stats: Option<GenStats>,
}

/// A conversation's title from its first message: the first line, cut to 60 characters.
fn title_from(content: &str) -> String {
    let line = content
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("New chat");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

/// The turn stored under `owner`'s idempotency `key`, with its user message's text.
fn existing_turn(
    conn: &Connection,
    owner: &str,
    key: &str,
) -> Result<Option<(TurnIds, String)>, StoreError> {
    conn.query_row(
        "SELECT u.conversation_id, u.id, a.id, a.model, u.content
           FROM messages u JOIN messages a ON a.reply_to = u.id
          WHERE u.owner = ?1 AND u.idempotency_key = ?2",
        params![owner, key],
        |r| {
            Ok((
                TurnIds {
                    conversation: ConversationId(r.get(0)?),
                    user_message: MessageId(r.get(1)?),
                    assistant_message: MessageId(r.get(2)?),
                    model: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                },
                r.get(4)?,
            ))
        },
    )
    .optional()
    .ctx("looking up the idempotency key")
}

/// A key used again must carry the same words: anything else is a client bug, not a resend.
fn reused_key_conflict() -> StoreError {
    StoreError::new(
        StoreErrorKind::KeyReused,
        "this idempotency_key was used for a different message",
    )
}

fn begin_turn_tx(conn: &Connection, t: NewTurn) -> Result<TurnOutcome, StoreError> {
    if let Some(key) = &t.idempotency_key
        && let Some((ids, content)) = existing_turn(conn, &t.owner, key)?
    {
        if content != t.content {
            return Err(reused_key_conflict());
        }
        return Ok(TurnOutcome::Existing(ids));
    }
    let now = now_ms();
    let existed = t.conversation.is_some();
    let options = GenOptions {
        system: None,
        ..t.options.clone()
    };
    let options = (!options.is_empty())
        .then(|| serde_json::to_string(&options).ok())
        .flatten();
    let conversation = match t.conversation {
        Some(id) => {
            let n = conn
                .execute(
                    "UPDATE conversations SET model = ?3, bot = ?4, system = ?5, updated_at = ?6,
                            options = ?7
                      WHERE id = ?1 AND owner = ?2",
                    params![id.0, t.owner, t.model, t.bot, t.system, now, options],
                )
                .ctx("updating the conversation")?;
            if n == 0 {
                return Err(StoreError::new(
                    StoreErrorKind::NotFound,
                    "no such conversation",
                ));
            }
            id
        }
        None => {
            let id = t.new_conversation;
            conn.execute(
                "INSERT INTO conversations (id, owner, title, model, bot, system, created_at, updated_at,
                                            options, ephemeral)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
                params![id.0, t.owner, title_from(&t.content), t.model, t.bot, t.system, now, options,
                        t.ephemeral],
            )
            .ctx("creating the conversation")?;
            id
        }
    };
    let replace = match &t.replace_from {
        Some(from) => Some(from.clone()),
        None if existed => failed_attempt(conn, &conversation, &t.content)?,
        None => None,
    };
    if let Some(from) = &replace {
        replace_from(conn, &t.owner, &conversation, from)?;
    }
    let user = t.user_message;
    let reply = t.assistant_message;
    let attachments = (!t.attachments.is_empty())
        .then(|| serde_json::to_string(&t.attachments).ok())
        .flatten();
    conn.execute(
        "INSERT INTO messages (id, conversation_id, owner, role, content, status, idempotency_key,
                               created_at, updated_at, attachments)
         VALUES (?1, ?2, ?3, 'user', ?4, 'complete', ?5, ?6, ?6, ?7)",
        params![
            user.0,
            conversation.0,
            t.owner,
            t.content,
            t.idempotency_key,
            now,
            attachments
        ],
    )
    .ctx("storing the user message")?;
    conn.execute(
        "INSERT INTO messages (id, conversation_id, owner, role, status, model, reply_to,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, 'assistant', 'streaming', ?4, ?5, ?6, ?6)",
        params![reply.0, conversation.0, t.owner, t.model, user.0, now],
    )
    .ctx("opening the reply")?;
    Ok(TurnOutcome::New(TurnIds {
        conversation,
        user_message: user,
        assistant_message: reply,
        model: t.model,
    }))
}

/// A retry of a turn that failed before the backend produced anything: the conversation ends
/// with this same user text and an empty reply that ended in error. Its user message is the
/// one to replace, so a retry never stores the same words twice.
fn failed_attempt(
    conn: &Connection,
    conversation: &ConversationId,
    content: &str,
) -> Result<Option<MessageId>, StoreError> {
    conn.query_row(
        "SELECT u.id FROM messages a JOIN messages u ON u.id = a.reply_to
          WHERE a.conversation_id = ?1
            AND a.seq = (SELECT MAX(seq) FROM messages WHERE conversation_id = ?1)
            AND a.status IN ('error', 'incomplete') AND a.content = '' AND a.thinking = ''
            AND u.content = ?2",
        params![conversation.0, content],
        |r| r.get(0).map(MessageId),
    )
    .optional()
    .ctx("looking for a failed attempt to retry")
}

/// Deletes user message `from` and every later message of the conversation.
fn replace_from(
    conn: &Connection,
    owner: &str,
    conversation: &ConversationId,
    from: &MessageId,
) -> Result<(), StoreError> {
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM messages
              WHERE id = ?1 AND conversation_id = ?2 AND owner = ?3 AND role = 'user'",
            params![from.0, conversation.0, owner],
            |r| r.get(0),
        )
        .optional()
        .ctx("finding the message to replace")?;
    let Some(seq) = seq else {
        return Err(StoreError::new(
            StoreErrorKind::NotFound,
            "replace_from is not a user message of this conversation",
        ));
    };
    conn.execute(
        "DELETE FROM messages WHERE conversation_id = ?1 AND owner = ?2 AND seq >= ?3",
        params![conversation.0, owner, seq],
    )
    .ctx("replacing the last turn")?;
    Ok(())
}

/// Marks replies left `streaming` by a previous run as `incomplete`, and deletes the
/// conversations it meant to forget. Run once at open.
pub(super) fn recover_interrupted(conn: &Connection) -> Result<usize, StoreError> {
    let forgotten = conn
        .execute("DELETE FROM conversations WHERE ephemeral = 1", [])
        .ctx("deleting unsaved conversations")?;
    if forgotten > 0 {
        tracing::info!(
            conversations = forgotten,
            "deleted unsaved conversations a previous run left"
        );
    }
    let n = conn
        .execute(
            "UPDATE messages SET status = 'incomplete', error = ?1, updated_at = ?2,
                    error_code = 'shutting_down'
              WHERE status = 'streaming'",
            params![INTERRUPTED_REPLY, now_ms()],
        )
        .ctx("marking interrupted replies")?;
    if n > 0 {
        tracing::warn!(
            replies = n,
            "marked replies cut by the previous run as incomplete"
        );
    }
    Ok(n)
}

impl Store {
    /// Stores the user message and an empty `streaming` reply in one commit. When it returns
    /// `New`, the user message is durable: this is the acknowledgement sent to the client.
    pub async fn begin_turn(&self, turn: NewTurn) -> Result<TurnOutcome, StoreError> {
        self.write(move |conn| begin_turn_tx(conn, turn)).await
    }

    /// The turn stored under `owner`'s idempotency `key`, if any; a key stored with other
    /// words than `content` is a conflict.
    pub async fn turn_by_key(
        &self,
        owner: &str,
        key: &str,
        content: &str,
    ) -> Result<Option<TurnIds>, StoreError> {
        let (owner, key, content) = (owner.to_string(), key.to_string(), content.to_string());
        self.read(move |conn| match existing_turn(conn, &owner, &key)? {
            Some((_, stored)) if stored != content => Err(reused_key_conflict()),
            found => Ok(found.map(|(ids, _)| ids)),
        })
        .await
    }

    /// Appends streamed text to a reply that is still `streaming`.
    pub async fn append_reply(
        &self,
        message: &MessageId,
        content: String,
        thinking: String,
    ) -> Result<(), StoreError> {
        let id = message.0.clone();
        self.write(move |conn| {
            conn.execute(
                "UPDATE messages SET content = content || ?2, thinking = thinking || ?3,
                        updated_at = ?4
                  WHERE id = ?1 AND status = 'streaming'",
                params![id, content, thinking, now_ms()],
            )
            .ctx("appending to the reply")?;
            Ok(())
        })
        .await
    }

    /// Appends a tool event to a reply being generated.
    pub async fn append_tool_event(
        &self,
        message: &MessageId,
        event: StoredToolEvent,
    ) -> Result<(), StoreError> {
        let id = message.0.clone();
        let event = serde_json::to_string(&event)
            .map_err(|e| StoreError::other(format!("encoding a tool event: {e}")))?;
        self.write(move |conn| {
            conn.execute(
                "UPDATE messages SET tools = json_insert(coalesce(tools, '[]'), '$[#]', json(?2)),
                        updated_at = ?3
                  WHERE id = ?1 AND status = 'streaming'",
                params![id, event, now_ms()],
            )
            .ctx("storing a tool event")?;
            Ok(())
        })
        .await
    }

    /// Appends the last text and sets the reply's final status.
    pub async fn finish_reply(
        &self,
        message: &MessageId,
        content: String,
        thinking: String,
        end: ReplyEnd,
    ) -> Result<(), StoreError> {
        let id = message.0.clone();
        let stats = end
            .stats
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok());
        self.write(move |conn| {
            let now = now_ms();
            conn.execute(
                "UPDATE messages SET content = content || ?2, thinking = thinking || ?3,
                        status = ?4, error = ?5, done_reason = ?6, stats = ?7, updated_at = ?8,
                        error_code = ?9
                  WHERE id = ?1 AND status = 'streaming'",
                params![
                    id,
                    content,
                    thinking,
                    end.status.as_str(),
                    end.error,
                    end.done_reason,
                    stats,
                    now,
                    end.error_code.map(ErrorCode::as_str),
                ],
            )
            .ctx("finishing the reply")?;
            conn.execute(
                "UPDATE conversations SET updated_at = ?2
                  WHERE id = (SELECT conversation_id FROM messages WHERE id = ?1)",
                params![id, now],
            )
            .ctx("touching the conversation")?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::title_from;

    #[test]
    fn titles_come_from_the_first_non_empty_line() {
        assert_eq!(
            title_from("\n  why is the sky blue?\nmore"),
            "why is the sky blue?"
        );
        assert_eq!(title_from(""), "New chat");
        let long = "é".repeat(70);
        assert_eq!(title_from(&long).chars().count(), 61);
    }
}
