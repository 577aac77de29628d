//! `chinwagd user …` and `chinwagd token …`: managing who may connect over TCP. They work on
//! the store file directly (a running daemon picks changes up within a second) and never mark
//! a running daemon's replies as cut.

use crate::auth::{Scopes, token};
use crate::store::{Store, StoreOptions, TokenRecord, now_ms};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// `user …`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user who can be given tokens
    Add { name: String },
    /// List users and how many live tokens each has
    List,
    /// Remove a user: their tokens, live connections and conversations go too
    Rm { name: String },
}

/// `token …`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TokenCommand {
    /// Make a token for a user and print it once (only its hash is kept)
    ///
    /// The token is rate-limited as its user is, unless chinwagd.toml gives its id limits
    /// of its own under [limits.tokens.ID].
    Create {
        /// The user it speaks for
        #[arg(long)]
        user: String,
        /// What it may do: chat, exec, admin (comma-separated)
        #[arg(long, default_value = "chat")]
        scope: String,
        /// How long it lasts: 30d, 12h, 90m (default: until revoked)
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
        /// A note to tell tokens apart (laptop, ci)
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens: id, user, scopes, created, last used, expiry (never the secret)
    List,
    /// Revoke a token by its id (cw_…, or a unique prefix); its connections close within 2 s
    Revoke { id: String },
}

/// `tls …`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TlsCommand {
    /// Make a self-signed certificate and key for the TCP listener; prints the fingerprint
    /// clients pin and the lines to add to chinwagd.toml
    SelfSigned {
        /// A name or address clients use to reach this daemon (repeatable)
        #[arg(long = "host", required = true, value_name = "NAME")]
        hosts: Vec<String>,
        /// Where to write cert.pem and key.pem [default: $XDG_CONFIG_HOME/chinwag/tls]
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// Runs a tls command and returns what to print.
pub fn run_tls(cmd: &TlsCommand, default_dir: &Path) -> Result<String> {
    match cmd {
        TlsCommand::SelfSigned { hosts, dir } => {
            let dir = dir.clone().unwrap_or_else(|| default_dir.to_path_buf());
            let (files, print) = crate::tls::write_self_signed(&dir, hosts)?;
            Ok(format!(
                "wrote {} and {}\nfingerprint (SHA-256): {print}\n\nadd to chinwagd.toml:\n[tls]\ncert = {:?}\nkey = {:?}\n\nclients pin it: chinwag --url wss://{}:PORT/ --fingerprint {print}\n",
                files.cert.display(),
                files.key.display(),
                files.cert.display().to_string(),
                files.key.display().to_string(),
                hosts.first().map(String::as_str).unwrap_or("HOST"),
            ))
        }
    }
}

/// A store handle for admin work: migrations run, replies left as they are.
pub fn open_store(database: &Path) -> Result<Store> {
    let opts = StoreOptions {
        skip_recovery: true,
        ..StoreOptions::default()
    };
    Store::open(database, &opts)
        .with_context(|| format!("opening the history store {}", database.display()))
}

/// `30d`, `12h`, `90m`, `45s` as milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (n, unit) = text.split_at(split);
    let n: i64 = n
        .parse()
        .with_context(|| format!("{text:?} is not a duration like 30d, 12h or 90m"))?;
    let unit_ms = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => bail!("{text:?} is not a duration like 30d, 12h or 90m"),
    };
    if n <= 0 {
        bail!("{text:?}: a token's life must be positive");
    }
    n.checked_mul(unit_ms)
        .with_context(|| format!("{text:?} is too long"))
}

/// Creates a token; returns the secret (to print once) and its id.
pub async fn create_token(
    store: &Store,
    user: &str,
    scope: &str,
    expires: Option<&str>,
    label: Option<String>,
) -> Result<(String, String)> {
    let scopes = Scopes::parse(scope).map_err(anyhow::Error::msg)?;
    let now = now_ms();
    let expires_at_ms = expires.map(parse_duration_ms).transpose()?.map(|d| now + d);
    let t = token::generate().context("reading randomness for the token")?;
    store
        .add_token(TokenRecord {
            id: t.id.clone(),
            user: user.to_string(),
            hash: t.hash.to_vec(),
            scopes: scopes.names(),
            label,
            created_at_ms: now,
            expires_at_ms,
            last_used_at_ms: None,
            revoked: false,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    Ok((t.secret, t.id))
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(|| "-".into(), |t| t.strftime("%Y-%m-%d %H:%M").to_string())
}

/// Runs a user command and returns what to print.
pub async fn run_user(store: &Store, cmd: &UserCommand) -> Result<String> {
    let detail = |e: crate::store::StoreError| anyhow::anyhow!("{}", e.detail);
    Ok(match cmd {
        UserCommand::Add { name } => {
            store.add_user(name).await.map_err(detail)?;
            format!("added user {name}; give them a token: chinwagd token create --user {name}\n")
        }
        UserCommand::List => {
            let users = store.list_users().await.map_err(detail)?;
            let mut out = String::new();
            for u in users {
                out.push_str(&format!(
                    "{:<20} {:>3} tokens  since {}\n",
                    u.name,
                    u.tokens,
                    when(Some(u.created_at_ms))
                ));
            }
            out
        }
        UserCommand::Rm { name } => {
            let r = store.remove_user(name).await.map_err(detail)?;
            format!(
                "removed {name}: {} tokens and {} conversations; their connections close within 2 s\n",
                r.tokens, r.conversations
            )
        }
    })
}

/// Runs a token command and returns what to print.
pub async fn run_token(store: &Store, cmd: &TokenCommand) -> Result<String> {
    let detail = |e: crate::store::StoreError| anyhow::anyhow!("{}", e.detail);
    Ok(match cmd {
        TokenCommand::Create {
            user,
            scope,
            expires,
            label,
        } => {
            let (secret, _) =
                create_token(store, user, scope, expires.as_deref(), label.clone()).await?;
            format!("{secret}\n")
        }
        TokenCommand::List => {
            let mut out = format!(
                "{:<16} {:<12} {:<16} {:<16} {:<16} {:<16} {}\n",
                "ID", "USER", "SCOPES", "CREATED", "LAST USED", "EXPIRES", "LABEL"
            );
            let now = now_ms();
            for t in store.list_tokens().await.map_err(detail)? {
                let expires = if t.revoked {
                    "revoked".to_string()
                } else if t.expires_at_ms.is_some_and(|e| e <= now) {
                    "expired".to_string()
                } else {
                    when(t.expires_at_ms)
                };
                out.push_str(&format!(
                    "{:<16} {:<12} {:<16} {:<16} {:<16} {:<16} {}\n",
                    t.id,
                    t.user,
                    t.scopes,
                    when(Some(t.created_at_ms)),
                    when(t.last_used_at_ms),
                    expires,
                    t.label.unwrap_or_default()
                ));
            }
            out
        }
        TokenCommand::Revoke { id } => {
            let full = store.revoke_token(id).await.map_err(detail)?;
            format!("revoked {full}; its connections close within 2 s\n")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration_ms("30d").ok(), Some(30 * 86_400_000));
        assert_eq!(parse_duration_ms("90m").ok(), Some(90 * 60_000));
        assert!(parse_duration_ms("0d").is_err());
        assert!(parse_duration_ms("forever").is_err());
        assert!(parse_duration_ms("").is_err());
    }
}
