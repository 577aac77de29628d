//! What a user allowed a conversation's tools to do without asking again ("allow for this
//! conversation"): a JSON array of grant keys on the conversation's row.

use super::Store;
use super::errors::{SqlContext, StoreError};
use chinwag_protocol::ConversationId;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// The grants of `owner`'s conversation (none for another owner's).
    pub async fn grants(
        &self,
        owner: &str,
        conversation: &ConversationId,
    ) -> Result<Vec<String>, StoreError> {
        let (owner, id) = (owner.to_string(), conversation.0.clone());
        self.read(move |conn| {
            let raw: Option<Option<String>> = conn
                .query_row(
                    "SELECT grants FROM conversations WHERE id = ?1 AND owner = ?2",
                    params![id, owner],
                    |r| r.get(0),
                )
                .optional()
                .ctx("reading a conversation's grants")?;
            Ok(raw
                .flatten()
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default())
        })
        .await
    }

    /// Adds a grant to `owner`'s conversation (once).
    pub async fn add_grant(
        &self,
        owner: &str,
        conversation: &ConversationId,
        key: &str,
    ) -> Result<(), StoreError> {
        let (owner, id, key) = (owner.to_string(), conversation.0.clone(), key.to_string());
        self.write(move |conn| {
            conn.execute(
                "UPDATE conversations
                    SET grants = json_insert(coalesce(grants, '[]'), '$[#]', ?3)
                  WHERE id = ?1 AND owner = ?2
                    AND NOT EXISTS (SELECT 1 FROM json_each(coalesce(grants, '[]'))
                                     WHERE value = ?3)",
                params![id, owner, key],
            )
            .ctx("storing a grant")?;
            Ok(())
        })
        .await
    }
}
