//! Users and their bearer tokens. A user's conversations are stored under the owner key
//! [`user_owner`]; the local OS user keeps its own key. Only a token's hash is stored.

use super::errors::{SqlContext, StoreError, StoreErrorKind};
use super::{Store, now_ms};
use rusqlite::{OptionalExtension, params};

/// The owner key of a named user's conversations.
pub fn user_owner(name: &str) -> String {
    format!("user:{name}")
}

/// Whether `name` may name a user: 1 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn valid_user_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// A user as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub created_at_ms: i64,
    /// Tokens not revoked (expired ones included).
    pub tokens: u64,
}

/// A token as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub user: String,
    pub hash: Vec<u8>,
    pub scopes: String,
    pub label: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

/// What removing a user took with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub tokens: u64,
    pub conversations: u64,
}

impl Store {
    /// Adds a user; an existing name is an error that says so.
    pub async fn add_user(&self, name: &str) -> Result<(), StoreError> {
        if !valid_user_name(name) {
            return Err(StoreError::new(
                StoreErrorKind::Invalid,
                format!(
                    "{name:?} is not a user name: 1 to 32 of a-z 0-9 . _ -, starting with a letter or digit"
                ),
            ));
        }
        let name = name.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "INSERT INTO users (name, created_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![name, now_ms()],
                )
                .ctx("adding a user")?;
            if n == 0 {
                return Err(StoreError::new(
                    StoreErrorKind::Invalid,
                    format!("user {name} already exists"),
                ));
            }
            Ok(())
        })
        .await
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT u.name, u.created_at,
                            (SELECT COUNT(*) FROM tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL)
                       FROM users u ORDER BY u.name",
                )
                .ctx("preparing the user list")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(UserInfo {
                        name: r.get(0)?,
                        created_at_ms: r.get(1)?,
                        tokens: r.get::<_, i64>(2)?.max(0) as u64,
                    })
                })
                .ctx("listing users")?;
            rows.collect::<Result<_, _>>().ctx("reading a user")
        })
        .await
    }

    /// Removes a user, their tokens and their conversations.
    pub async fn remove_user(&self, name: &str) -> Result<Removed, StoreError> {
        let name = name.to_string();
        self.write(move |conn| {
            let tokens = conn
                .execute("DELETE FROM tokens WHERE user_name = ?1", params![name])
                .ctx("removing the user's tokens")?;
            let conversations = conn
                .execute(
                    "DELETE FROM conversations WHERE owner = ?1",
                    params![user_owner(&name)],
                )
                .ctx("removing the user's conversations")?;
            let n = conn
                .execute("DELETE FROM users WHERE name = ?1", params![name])
                .ctx("removing the user")?;
            if n == 0 {
                return Err(StoreError::new(
                    StoreErrorKind::Invalid,
                    format!("there is no user {name}"),
                ));
            }
            Ok(Removed {
                tokens: tokens as u64,
                conversations: conversations as u64,
            })
        })
        .await
    }

    /// Stores a new token for `user` (which must exist).
    pub async fn add_token(&self, record: TokenRecord) -> Result<(), StoreError> {
        self.write(move |conn| {
            let exists: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM users WHERE name = ?1",
                    params![record.user],
                    |r| r.get(0),
                )
                .optional()
                .ctx("finding the user")?;
            if exists.is_none() {
                return Err(StoreError::new(
                    StoreErrorKind::Invalid,
                    format!(
                        "there is no user {}; add it first: chinwagd user add {}",
                        record.user, record.user
                    ),
                ));
            }
            conn.execute(
                "INSERT INTO tokens (id, user_name, hash, scopes, label, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    record.id,
                    record.user,
                    record.hash,
                    record.scopes,
                    record.label,
                    record.created_at_ms,
                    record.expires_at_ms
                ],
            )
            .ctx("storing the token")?;
            Ok(())
        })
        .await
    }

    /// Every token (revoked ones too), newest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, user_name, hash, scopes, label, created_at, expires_at, last_used_at,
                            revoked_at IS NOT NULL
                       FROM tokens ORDER BY created_at DESC, id",
                )
                .ctx("preparing the token list")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(TokenRecord {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        hash: r.get(2)?,
                        scopes: r.get(3)?,
                        label: r.get(4)?,
                        created_at_ms: r.get(5)?,
                        expires_at_ms: r.get(6)?,
                        last_used_at_ms: r.get(7)?,
                        revoked: r.get(8)?,
                    })
                })
                .ctx("listing tokens")?;
            rows.collect::<Result<_, _>>().ctx("reading a token")
        })
        .await
    }

    /// Revokes a token by its id (`cw_…`, or a unique prefix of at least 6 characters).
    pub async fn revoke_token(&self, id: &str) -> Result<String, StoreError> {
        let id = id.to_string();
        self.write(move |conn| {
            let mut stmt = conn
                .prepare("SELECT id FROM tokens WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2")
                .ctx("finding the token")?;
            let found: Vec<String> = stmt
                .query_map(params![id], |r| r.get(0))
                .ctx("finding the token")?
                .collect::<Result<_, _>>()
                .ctx("reading a token id")?;
            let full = match found.as_slice() {
                [one] if id.len() >= 6 => one.clone(),
                [_, _] => {
                    return Err(StoreError::new(
                        StoreErrorKind::Invalid,
                        format!("{id} matches several tokens; give more of it"),
                    ));
                }
                _ => {
                    return Err(StoreError::new(
                        StoreErrorKind::Invalid,
                        format!("no token {id}"),
                    ));
                }
            };
            conn.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![full, now_ms()],
            )
            .ctx("revoking the token")?;
            Ok(full)
        })
        .await
    }

    /// Records that tokens were used (batched by the caller).
    pub async fn touch_tokens(&self, ids: Vec<String>, at_ms: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            for id in &ids {
                conn.execute(
                    "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![id, at_ms],
                )
                .ctx("recording a token's use")?;
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::valid_user_name;

    #[test]
    fn user_names_are_short_and_plain() {
        for ok in ["alice", "a", "bob.smith", "ci-runner_2", "0day"] {
            assert!(valid_user_name(ok), "{ok}");
        }
        for bad in ["", "Alice", "-x", "a b", "a/b", "é", &"x".repeat(33)] {
            assert!(!valid_user_name(bad), "{bad}");
        }
    }
}
