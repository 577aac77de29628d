//! The tokens the daemon accepts, held in memory so the upgrade (a synchronous callback) can
//! check one without touching the disk. The server refreshes it from the store every second,
//! so a token created or revoked by `chinwagd token …` in another process takes effect
//! within a second, and it reports which tokens stopped being valid so their sockets close.

use super::token;
use super::{Identity, Refusal, Scopes};
use crate::store::{TokenRecord, user_owner};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

#[derive(Debug, Default)]
pub struct TokenIndex {
    tokens: RwLock<HashMap<String, TokenRecord>>,
    /// Ids used since the last [`TokenIndex::take_used`], for `last used` in listings.
    used: Mutex<HashSet<String>>,
}

fn usable(r: &TokenRecord, now_ms: i64) -> bool {
    !r.revoked && r.expires_at_ms.is_none_or(|e| e > now_ms)
}

impl TokenIndex {
    /// The identity a presented token stands for, or why it is refused. An unknown id is
    /// refused without hashing anything; a known one is compared in constant time.
    pub fn authenticate(&self, presented: &str, now_ms: i64) -> Result<Identity, Refusal> {
        let (id, secret) = token::parse(presented).ok_or(Refusal::INVALID)?;
        let map = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let r = map.get(&id).ok_or(Refusal::INVALID)?;
        if !token::secret_matches(secret, &r.hash) || !usable(r, now_ms) {
            return Err(Refusal::INVALID);
        }
        let scopes = Scopes::parse(&r.scopes).map_err(|_| Refusal::INVALID)?;
        if let Ok(mut used) = self.used.lock() {
            used.insert(id.clone());
        }
        Ok(Identity {
            owner: user_owner(&r.user),
            display: r.user.clone(),
            scopes,
            token: Some(id),
            user: Some(r.user.clone()),
        })
    }

    /// Whether the token `id` may still be used (not revoked, removed or expired).
    pub fn still_valid(&self, id: &str, now_ms: i64) -> bool {
        let map = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        map.get(id).is_some_and(|r| usable(r, now_ms))
    }

    /// Replaces the index with the store's tokens now.
    pub fn replace(&self, records: Vec<TokenRecord>) {
        let fresh: HashMap<String, TokenRecord> =
            records.into_iter().map(|r| (r.id.clone(), r)).collect();
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = fresh;
    }

    /// The ids used since the last call.
    pub fn take_used(&self) -> Vec<String> {
        self.used
            .lock()
            .map(|mut u| u.drain().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(t: &token::NewToken, expires: Option<i64>, revoked: bool) -> TokenRecord {
        TokenRecord {
            id: t.id.clone(),
            user: "alice".into(),
            hash: t.hash.to_vec(),
            scopes: "chat".into(),
            label: None,
            created_at_ms: 0,
            expires_at_ms: expires,
            last_used_at_ms: None,
            revoked,
        }
    }

    #[test]
    fn only_a_known_unrevoked_unexpired_token_with_the_right_secret_gets_in() {
        let good = token::generate().expect("rng");
        let expired = token::generate().expect("rng");
        let revoked = token::generate().expect("rng");
        let unknown = token::generate().expect("rng");
        let index = TokenIndex::default();
        index.replace(vec![
            record(&good, Some(2_000), false),
            record(&expired, Some(1_000), false),
            record(&revoked, None, true),
        ]);
        let who = index.authenticate(&good.secret, 1_500).expect("valid");
        assert_eq!(who.owner, "user:alice");
        assert_eq!(who.scopes, Scopes::parse("chat").expect("scopes"));
        assert_eq!(index.take_used(), vec![good.id.clone()]);
        for bad in [&expired.secret, &revoked.secret, &unknown.secret] {
            assert_eq!(index.authenticate(bad, 1_500), Err(Refusal::INVALID));
        }
        // The right id with another token's secret.
        let forged = format!("{}_{}", good.id, &unknown.secret[16..]);
        assert_eq!(index.authenticate(&forged, 1_500), Err(Refusal::INVALID));
        assert!(index.still_valid(&good.id, 1_500));
        assert!(!index.still_valid(&good.id, 2_500), "expired since");
    }
}
