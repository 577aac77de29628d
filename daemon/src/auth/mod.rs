//! Who is on the other end of a connection, decided at the upgrade and carried by the session.
//!
//! The Unix socket names the OS user (all scopes: it is the daemon's owner). Every TCP peer,
//! loopback included, must present a bearer token (`Authorization: Bearer cw_…`, or for
//! browsers the `Sec-WebSocket-Protocol` form `chinwag, bearer.cw_…`), checked against an
//! in-memory index of the store's tokens that [`index`] keeps fresh.

pub mod index;
pub mod token;

pub use index::TokenIndex;

/// What a peer may do. `chat` covers conversations and models; `exec` the command executor;
/// `admin` the daemon itself (reload, shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    pub chat: bool,
    pub exec: bool,
    pub admin: bool,
}

impl Scopes {
    /// Everything: the daemon's own OS user on the Unix socket.
    pub const OWNER: Scopes = Scopes {
        chat: true,
        exec: true,
        admin: true,
    };

    /// Parses `chat,exec,admin` (any order, at least one); an unknown scope is named.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        let mut s = Scopes::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "chat" => s.chat = true,
                "exec" => s.exec = true,
                "admin" => s.admin = true,
                other => return Err(format!("unknown scope {other:?}: use chat, exec, admin")),
            }
        }
        if s == Scopes::default() {
            return Err("a token needs at least one scope: chat, exec, admin".into());
        }
        Ok(s)
    }

    /// The canonical text form, as stored and listed.
    pub fn names(self) -> String {
        [
            ("chat", self.chat),
            ("exec", self.exec),
            ("admin", self.admin),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",")
    }
}

/// An authenticated peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The owner key conversations are stored under.
    pub owner: String,
    /// A name to show (the login name, or the user's name).
    pub display: String,
    pub scopes: Scopes,
    /// The token it came with (`cw_…`), for revocation; `None` on the Unix socket.
    pub token: Option<String>,
    /// The named user, for removal; `None` on the Unix socket.
    pub user: Option<String>,
}

impl Identity {
    /// The daemon's own OS user, on the Unix socket.
    pub fn local_owner() -> Identity {
        let uid = rustix::process::getuid().as_raw();
        Identity {
            owner: format!("local:{uid}"),
            display: login_name(uid),
            scopes: Scopes::OWNER,
            token: None,
            user: None,
        }
    }
}

/// The login name of `uid` from the password database, else `$USER`, else `uid N`.
pub fn login_name(uid: u32) -> String {
    let from_passwd = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id: u32 = f.nth(1)?.parse().ok()?;
                (id == uid && !name.is_empty()).then(|| name.to_string())
            })
        });
    from_passwd
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// Why a connection was refused at the upgrade: the HTTP status and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: &'static str,
}

impl Refusal {
    pub const MISSING: Refusal = Refusal {
        status: 401,
        reason: "a bearer token is required (Authorization: Bearer cw_…)",
    };
    pub const INVALID: Refusal = Refusal {
        status: 401,
        reason: "the token is not valid (unknown, revoked or expired)",
    };
}

/// The token a request presents: `Authorization: Bearer …`, else the browser form
/// `Sec-WebSocket-Protocol: chinwag, bearer.cw_…`. `from_subprotocol` says which.
pub fn presented_token<'a>(
    authorization: Option<&'a str>,
    subprotocols: Option<&'a str>,
) -> Option<(&'a str, bool)> {
    if let Some(v) = authorization {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some((v[7..].trim(), false));
        }
    }
    subprotocols?
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("bearer."))
        .map(|t| (t, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print() {
        let s = Scopes::parse("exec, chat").expect("valid");
        assert_eq!(s.names(), "chat,exec");
        assert!(!s.admin);
        assert!(Scopes::parse("").is_err());
        assert!(
            Scopes::parse("chat,root")
                .expect_err("unknown")
                .contains("root")
        );
    }

    #[test]
    fn the_token_comes_from_the_header_or_the_subprotocol() {
        assert_eq!(
            presented_token(Some("Bearer cw_x"), None),
            Some(("cw_x", false))
        );
        assert_eq!(
            presented_token(Some("bearer  cw_x "), None),
            Some(("cw_x", false))
        );
        assert_eq!(
            presented_token(None, Some("chinwag, bearer.cw_y")),
            Some(("cw_y", true))
        );
        assert_eq!(presented_token(Some("Basic abc"), None), None);
        assert_eq!(presented_token(None, Some("chinwag")), None);
    }
}
