//! Owner-scoped reads and the small writes users ask for (rename, delete).

use super::errors::{SqlContext, StoreError, StoreErrorKind};
use super::search::fts_query;
use super::{Store, now_ms};
use crate::frame::{PAGE_BUDGET, TEXT_SLICE_BYTES, chunk_at, utf8_prefix};
use chinwag_protocol::{
    ConversationId, ConversationSummary, GenOptions, MessageId, MessageStatus, Role, SearchHit,
    StoredMessage, TextPart,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Shortest id prefix accepted in place of a whole conversation id: any unique prefix works
/// (a prefix that matches several conversations is refused as ambiguous).
pub const MIN_ID_PREFIX: usize = 1;

/// A conversation with its per-conversation settings.
#[derive(Debug, Clone)]
pub struct ConversationInfo {
    pub summary: ConversationSummary,
    pub system: Option<String>,
    /// The last turn's options, `system` aside.
    pub options: GenOptions,
}

const SUMMARY_COLUMNS: &str = "c.id, c.title, c.model, c.bot, c.created_at, c.updated_at,
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id), c.system, c.options";

fn summary_row(r: &Row<'_>) -> rusqlite::Result<ConversationInfo> {
    Ok(ConversationInfo {
        summary: ConversationSummary {
            id: ConversationId(r.get(0)?),
            title: r.get(1)?,
            model: r.get(2)?,
            bot: r.get(3)?,
            created_at_ms: r.get(4)?,
            updated_at_ms: r.get(5)?,
            message_count: r.get::<_, i64>(6)?.max(0) as u64,
        },
        system: r.get(7)?,
        options: r
            .get::<_, Option<String>>(8)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    })
}

const MESSAGE_COLUMNS: &str =
    "id, role, content, thinking, status, model, created_at, error, error_code, tools, attachments";

fn message_row(r: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let role: String = r.get(1)?;
    let status: String = r.get(4)?;
    Ok(StoredMessage {
        id: MessageId(r.get(0)?),
        role: parse_role(&role),
        content: r.get(2)?,
        thinking: r.get(3)?,
        status: MessageStatus::parse(&status).unwrap_or(MessageStatus::Incomplete),
        model: r.get(5)?,
        created_at_ms: r.get(6)?,
        error: r.get(7)?,
        error_code: r
            .get::<_, Option<String>>(8)?
            .and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok()),
        truncated: false,
        tools: r
            .get::<_, Option<String>>(9)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
        attachments: r
            .get::<_, Option<String>>(10)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    })
}

fn parse_role(s: &str) -> Role {
    match s {
        "system" => Role::System,
        "user" => Role::User,
        _ => Role::Assistant,
    }
}

/// Resolves a whole id or a unique prefix of one, among `owner`'s conversations only.
fn resolve(conn: &Connection, owner: &str, id: &str) -> Result<ConversationInfo, StoreError> {
    let sql =
        format!("SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.owner = ?1 AND c.id = ?2");
    if let Some(found) = conn
        .query_row(&sql, params![owner, id], summary_row)
        .optional()
        .ctx("reading a conversation")?
    {
        return Ok(found);
    }
    let not_found = || StoreError::new(StoreErrorKind::NotFound, "no such conversation");
    if id.len() < MIN_ID_PREFIX || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM conversations c
          WHERE c.owner = ?1 AND c.id >= ?2 AND c.id < ?2 || 'g' LIMIT 2"
    );
    let mut stmt = conn.prepare(&sql).ctx("preparing prefix lookup")?;
    let mut found: Vec<ConversationInfo> = stmt
        .query_map(params![owner, id.to_ascii_lowercase()], summary_row)
        .ctx("looking up an id prefix")?
        .collect::<Result<_, _>>()
        .ctx("reading prefix matches")?;
    match found.len() {
        0 => Err(not_found()),
        1 => Ok(found.remove(0)),
        _ => Err(StoreError::new(
            StoreErrorKind::Ambiguous,
            "ambiguous id prefix",
        )),
    }
}

/// The newest messages before `before_seq` (at most `limit`) whose encoding fits in
/// [`PAGE_BUDGET`], oldest first, and whether older ones remain. The first message always
/// comes; one too big for a frame by itself comes `truncated`, its texts cut to
/// [`TEXT_SLICE_BYTES`] (the rest is read with [`Store::message_text`]).
fn page_before(
    conn: &Connection,
    owner: &str,
    conversation: &str,
    before_seq: i64,
    limit: u32,
) -> Result<(Vec<StoredMessage>, bool), StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
          WHERE owner = ?1 AND conversation_id = ?2 AND seq < ?3
          ORDER BY seq DESC"
    );
    let mut stmt = conn.prepare(&sql).ctx("preparing a page")?;
    let mut rows = stmt
        .query(params![owner, conversation, before_seq])
        .ctx("reading a page")?;
    let mut items = Vec::new();
    let mut used = 0;
    let mut has_more = false;
    while let Some(row) = rows.next().ctx("reading a page")? {
        if items.len() >= limit as usize {
            has_more = true;
            break;
        }
        let mut m = message_row(row).ctx("reading a message")?;
        // A page shows what was attached, not the files themselves.
        m.attachments = m.attachments.iter().map(|a| a.summary()).collect();
        let mut size = encoded_len(&m);
        if size > PAGE_BUDGET && items.is_empty() {
            m.content = chunk_at(&m.content, 0, TEXT_SLICE_BYTES).to_string();
            m.thinking = chunk_at(&m.thinking, 0, TEXT_SLICE_BYTES).to_string();
            m.truncated = true;
            cut_tool_outputs(&mut m);
            size = encoded_len(&m);
        }
        if used + size > PAGE_BUDGET && !items.is_empty() {
            has_more = true;
            break;
        }
        used += size;
        items.push(m);
    }
    items.reverse();
    Ok((items, has_more))
}

/// In a message too big for a frame, each tool result keeps only its start.
fn cut_tool_outputs(m: &mut StoredMessage) {
    for e in &mut m.tools {
        if let chinwag_protocol::ToolEvent::Result {
            output, truncated, ..
        } = &mut e.event
            && output.len() > TOOL_OUTPUT_SLICE_BYTES
        {
            *output = chunk_at(output, 0, TOOL_OUTPUT_SLICE_BYTES).to_string();
            *truncated = true;
        }
    }
}

/// What a tool result keeps in a truncated message.
const TOOL_OUTPUT_SLICE_BYTES: usize = 512;

fn encoded_len(m: &StoredMessage) -> usize {
    serde_json::to_string(m).map_or(usize::MAX, |s| s.len())
}

impl Store {
    /// One of `owner`'s conversations, by id or unique id prefix.
    pub async fn conversation(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<ConversationInfo, StoreError> {
        let (owner, id) = (owner.to_string(), id.to_string());
        self.read(move |conn| resolve(conn, &owner, &id)).await
    }

    /// `owner`'s conversations, most recently updated first. `cursor` (from a previous page's
    /// `next_cursor`) wins over `offset`.
    pub async fn list_conversations(
        &self,
        owner: &str,
        limit: u32,
        offset: u32,
        cursor: Option<String>,
    ) -> Result<(Vec<ConversationSummary>, Option<String>), StoreError> {
        let owner = owner.to_string();
        let limit = limit.clamp(1, 1000);
        self.read(move |conn| {
            let fetch = i64::from(limit) + 1;
            // A cursor is a keyset position; without one the keyset test is off and the
            // offset applies.
            let (after_ts, after_id, offset) = match cursor {
                Some(cursor) => {
                    let (ts, id) = cursor
                        .split_once(':')
                        .and_then(|(ts, id)| Some((ts.parse::<i64>().ok()?, id.to_string())))
                        .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound, "bad cursor"))?;
                    (Some(ts), Some(id), 0)
                }
                None => (None, None, offset),
            };
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.owner = ?1
                   AND (?2 IS NULL OR c.updated_at < ?2 OR (c.updated_at = ?2 AND c.id < ?3))
                 ORDER BY c.updated_at DESC, c.id DESC LIMIT ?4 OFFSET ?5"
            );
            let mut stmt = conn.prepare(&sql).ctx("preparing list")?;
            let mut items: Vec<ConversationSummary> = stmt
                .query_map(params![owner, after_ts, after_id, fetch, offset], |r| {
                    summary_row(r).map(|i| i.summary)
                })
                .ctx("listing")?
                .collect::<Result<_, _>>()
                .ctx("reading a conversation")?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items
                    .last()
                    .map(|c| format!("{}:{}", c.updated_at_ms, c.id))
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    /// The newest messages of one of `owner`'s conversations that fit in one frame, oldest
    /// first, and whether older ones remain.
    pub async fn conversation_page(
        &self,
        owner: &str,
        id: &ConversationId,
    ) -> Result<(Vec<StoredMessage>, bool), StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.read(move |conn| page_before(conn, &owner, &id, i64::MAX, 100_000))
            .await
    }

    /// Every message of one of `owner`'s conversations, oldest first (for building a turn;
    /// never sent to a client whole).
    pub async fn messages(
        &self,
        owner: &str,
        id: &ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.read(move |conn| {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE owner = ?1 AND conversation_id = ?2
                 ORDER BY seq"
            );
            let mut stmt = conn.prepare(&sql).ctx("preparing messages")?;
            let rows = stmt
                .query_map(params![owner, id], message_row)
                .ctx("reading messages")?;
            rows.collect::<Result<_, _>>().ctx("reading a message")
        })
        .await
    }

    /// Up to `limit` messages before `before` (or the newest) that fit in one frame, oldest
    /// first, and whether older ones remain. See `page_before`.
    pub async fn history_page(
        &self,
        owner: &str,
        id: &ConversationId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<(Vec<StoredMessage>, bool), StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        let limit = limit.clamp(1, 1000);
        self.read(move |conn| {
            let before_seq: i64 = match before {
                Some(m) => conn
                    .query_row(
                        "SELECT seq FROM messages WHERE id = ?1 AND owner = ?2 AND conversation_id = ?3",
                        params![m.0, owner, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .ctx("finding the page anchor")?
                    .ok_or_else(|| StoreError::new(StoreErrorKind::NoSuchMessage, "no such message"))?,
                None => i64::MAX,
            };
            page_before(conn, &owner, &id, before_seq, limit)
        })
        .await
    }

    /// A slice of one of `owner`'s messages' text: up to [`TEXT_SLICE_BYTES`] from byte
    /// `offset` (which must start a char), and the text's whole length in bytes.
    pub async fn message_text(
        &self,
        owner: &str,
        id: &MessageId,
        part: TextPart,
        offset: u64,
    ) -> Result<(String, u64), StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.read(move |conn| {
            // Bytes, not chars: `substr` on a BLOB counts bytes, so no long text is read whole.
            let sql = match part {
                TextPart::Content => {
                    "SELECT length(CAST(content AS BLOB)), substr(CAST(content AS BLOB), ?3, ?4)
                       FROM messages WHERE id = ?1 AND owner = ?2"
                }
                TextPart::Thinking => {
                    "SELECT length(CAST(thinking AS BLOB)), substr(CAST(thinking AS BLOB), ?3, ?4)
                       FROM messages WHERE id = ?1 AND owner = ?2"
                }
            };
            let start = i64::try_from(offset).unwrap_or(i64::MAX).saturating_add(1);
            let (total, bytes): (i64, Vec<u8>) = conn
                .query_row(
                    sql,
                    params![id, owner, start, TEXT_SLICE_BYTES as i64],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                        ))
                    },
                )
                .optional()
                .ctx("reading a message's text")?
                .ok_or_else(|| StoreError::new(StoreErrorKind::NoSuchMessage, "no such message"))?;
            let total = total.max(0) as u64;
            if offset > total || bytes.first().is_some_and(|b| b & 0xC0 == 0x80) {
                return Err(StoreError::new(
                    StoreErrorKind::Invalid,
                    format!(
                        "offset {offset} is not the start of a character of this {total}-byte text"
                    ),
                ));
            }
            Ok((utf8_prefix(&bytes).to_string(), total))
        })
        .await
    }

    /// One stored message by id, if it is `owner`'s.
    pub async fn message(
        &self,
        owner: &str,
        id: &MessageId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.read(move |conn| {
            let sql =
                format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1 AND owner = ?2");
            conn.query_row(&sql, params![id, owner], message_row)
                .optional()
                .ctx("reading a message")
        })
        .await
    }

    /// Full-text search over `owner`'s messages, best matches first.
    pub async fn search(
        &self,
        owner: &str,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts) =
            fts_query(query).map_err(|e| StoreError::new(StoreErrorKind::Invalid, e))?
        else {
            return Ok(Vec::new());
        };
        let owner = owner.to_string();
        let limit = limit.clamp(1, 500);
        self.read_bounded(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT m.conversation_id, c.title, m.id, m.role,
                            snippet(messages_fts, 0, '[', ']', '…', 12), m.created_at
                       FROM messages_fts
                       JOIN messages m ON m.seq = messages_fts.rowid
                       JOIN conversations c ON c.id = m.conversation_id
                      WHERE messages_fts MATCH ?1 AND m.owner = ?2
                      ORDER BY bm25(messages_fts), m.seq DESC
                      LIMIT ?3",
                )
                .ctx("preparing search")?;
            let rows = stmt
                .query_map(params![fts, owner, limit], |r| {
                    Ok(SearchHit {
                        conversation: ConversationId(r.get(0)?),
                        title: r.get(1)?,
                        message: MessageId(r.get(2)?),
                        role: parse_role(&r.get::<_, String>(3)?),
                        snippet: r.get(4)?,
                        created_at_ms: r.get(5)?,
                    })
                })
                .ctx("searching")?;
            rows.collect::<Result<_, _>>().ctx("reading a hit")
        })
        .await
    }

    /// The model of `owner`'s most recent complete reply, if any: a model that failed never
    /// becomes the one "used last".
    pub async fn last_used_model(&self, owner: &str) -> Result<Option<String>, StoreError> {
        let owner = owner.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT model FROM messages WHERE owner = ?1 AND role = 'assistant'
                   AND status = 'complete' AND model IS NOT NULL ORDER BY seq DESC LIMIT 1",
                params![owner],
                |r| r.get(0),
            )
            .optional()
            .ctx("finding the last used model")
        })
        .await
    }

    /// Renames one of `owner`'s conversations.
    pub async fn rename_conversation(
        &self,
        owner: &str,
        id: &ConversationId,
        title: String,
    ) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE conversations SET title = ?3, updated_at = ?4 WHERE id = ?1 AND owner = ?2",
                    params![id, owner, title, now_ms()],
                )
                .ctx("renaming")?;
            if n == 0 {
                return Err(StoreError::new(StoreErrorKind::NotFound, "no such conversation"));
            }
            Ok(())
        })
        .await
    }

    /// Deletes one of `owner`'s conversations and all its messages.
    pub async fn delete_conversation(
        &self,
        owner: &str,
        id: &ConversationId,
    ) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_string(), id.0.clone());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM conversations WHERE id = ?1 AND owner = ?2",
                    params![id, owner],
                )
                .ctx("deleting")?;
            if n == 0 {
                return Err(StoreError::new(
                    StoreErrorKind::NotFound,
                    "no such conversation",
                ));
            }
            Ok(())
        })
        .await
    }
}
