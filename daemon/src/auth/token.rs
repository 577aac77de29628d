//! Bearer tokens: `cw_<id>_<secret>`. The id (12 hex digits) is public: it names the token in
//! listings, logs and revocation. The secret is 256 random bits (64 hex digits); only its
//! SHA-256 is stored, and it is compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every token starts with, so a leaked one is recognisable (and scannable).
pub const PREFIX: &str = "cw_";
const ID_HEX: usize = 12;
const SECRET_BYTES: usize = 32;

/// A token just made: the whole secret string (shown once) and what is stored of it.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// `cw_<id>_<secret>`: printed once, never stored.
    pub secret: String,
    /// `cw_<id>`: the public name.
    pub id: String,
    /// SHA-256 of the secret part.
    pub hash: [u8; 32],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a token's secret part.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Makes a fresh token from the operating system's randomness.
pub fn generate() -> Result<NewToken, getrandom::Error> {
    let mut id = [0u8; ID_HEX / 2];
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut id)?;
    getrandom::fill(&mut secret)?;
    let (id, secret) = (hex(&id), hex(&secret));
    Ok(NewToken {
        secret: format!("{PREFIX}{id}_{secret}"),
        id: format!("{PREFIX}{id}"),
        hash: hash_secret(&secret),
    })
}

/// Splits a presented token into its public id and its secret; `None` when it is not one of
/// ours (wrong shape: nothing is looked up for it).
pub fn parse(presented: &str) -> Option<(String, &str)> {
    let rest = presented.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hexish = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(id, ID_HEX) && hexish(secret, SECRET_BYTES * 2))
        .then(|| (format!("{PREFIX}{id}"), secret))
}

/// Whether `text` is a token's public id (`cw_` and 12 hex digits), as `token list` shows it.
pub fn parse_id(text: &str) -> Option<&str> {
    let hex = text.strip_prefix(PREFIX)?;
    (hex.len() == ID_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(text)
}

/// Whether `secret` hashes to `stored`, in time that does not depend on where they differ.
pub fn secret_matches(secret: &str, stored: &[u8]) -> bool {
    bool::from(hash_secret(secret).as_slice().ct_eq(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_and_only_its_secret_matches() {
        let t = generate().expect("randomness");
        assert!(t.secret.starts_with("cw_"));
        assert_eq!(t.secret.len(), 3 + 12 + 1 + 64);
        let (id, secret) = parse(&t.secret).expect("ours");
        assert_eq!(id, t.id);
        assert!(secret_matches(secret, &t.hash));
        let other = generate().expect("randomness");
        assert_ne!(other.id, t.id);
        let (_, other_secret) = parse(&other.secret).expect("ours");
        assert!(!secret_matches(other_secret, &t.hash));
    }

    #[test]
    fn anything_else_is_not_a_token() {
        for bad in [
            "",
            "Bearer x",
            "cw_",
            "cw_123_456",
            "cw_zzzzzzzzzzzz_0000000000000000000000000000000000000000000000000000000000000000",
            "xx_0123456789ab_0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
