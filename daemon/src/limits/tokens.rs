//! Output tokens per minute, per user: a bucket that holds a minute's worth, refills
//! continuously, and is charged after each reply with the tokens it produced. A reply's size
//! is known only at its end, so the bucket may go into debt; while it is empty or in debt a
//! new message waits until it is above zero again. (governor cannot go into debt, hence this.)

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One user's bucket: its level when last touched, and when.
#[derive(Debug, Clone, Copy)]
struct Level {
    tokens: f64,
    at: Instant,
}

/// Every user's output-token bucket, for one quota shape.
#[derive(Debug, Default)]
pub struct TokenBuckets {
    levels: Mutex<HashMap<String, (Level, u32)>>,
}

/// The level of a bucket of `per_minute` at `now`.
fn level_now(level: Level, per_minute: u32, now: Instant) -> f64 {
    let full = f64::from(per_minute);
    let earned = now.saturating_duration_since(level.at).as_secs_f64() * full / 60.0;
    (level.tokens + earned).min(full)
}

impl TokenBuckets {
    /// Whether `owner` may start a reply now; if not, how long until they may.
    pub fn check(&self, owner: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        let levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(&(level, _)) = levels.get(owner) else {
            return Ok(());
        };
        let tokens = level_now(level, per_minute, now);
        if tokens > 0.0 {
            return Ok(());
        }
        // Until the level is above zero again (a millisecond past the point where it is 0).
        let secs = -tokens * 60.0 / f64::from(per_minute.max(1));
        Err(Duration::from_secs_f64(secs.min(86_400.0)) + Duration::from_millis(1))
    }

    /// Takes `tokens` a reply produced from `owner`'s bucket.
    pub fn charge(&self, owner: &str, per_minute: u32, tokens: u64, now: Instant) {
        let mut levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        let full = Level {
            tokens: f64::from(per_minute),
            at: now,
        };
        let (level, _) = levels.get(owner).copied().unwrap_or((full, per_minute));
        // Debt is bounded: a day's worth at most, so one huge reply does not lock a user out
        // for longer than that.
        let floor = -f64::from(per_minute) * 60.0 * 24.0;
        let after = (level_now(level, per_minute, now) - tokens as f64).max(floor);
        levels.insert(
            owner.to_string(),
            (
                Level {
                    tokens: after,
                    at: now,
                },
                per_minute,
            ),
        );
    }

    /// Tokens `owner` may still use this minute (0 when in debt).
    pub fn left(&self, owner: &str, per_minute: u32, now: Instant) -> u64 {
        let levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        match levels.get(owner) {
            Some(&(level, _)) => level_now(level, per_minute, now).max(0.0) as u64,
            None => u64::from(per_minute),
        }
    }

    /// Forgets users whose bucket is full again.
    pub fn prune(&self, now: Instant) {
        let mut levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        levels.retain(|_, (level, per_minute)| {
            level_now(*level, *per_minute, now) < f64::from(*per_minute)
        });
        levels.shrink_to_fit();
    }

    /// Users remembered now.
    pub fn len(&self) -> usize {
        self.levels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_reply_puts_the_user_in_debt_until_it_is_earned_back() {
        let b = TokenBuckets::default();
        let t0 = Instant::now();
        assert_eq!(b.check("a", 600, t0), Ok(()), "a new user may start");
        assert_eq!(b.left("a", 600, t0), 600);
        b.charge("a", 600, 400, t0);
        assert_eq!(b.check("a", 600, t0), Ok(()), "200 left");
        assert_eq!(b.left("a", 600, t0), 200);
        b.charge("a", 600, 500, t0);
        // 300 in debt at 10 a second: just over 30 s until above zero.
        let wait = b.check("a", 600, t0).expect_err("in debt");
        assert!(
            wait > Duration::from_secs(30) && wait <= Duration::from_millis(30_100),
            "{wait:?}"
        );
        assert!(
            b.check("a", 600, t0 + wait - Duration::from_millis(50))
                .is_err()
        );
        assert_eq!(b.check("a", 600, t0 + wait), Ok(()));
        assert_eq!(b.check("b", 600, t0), Ok(()), "others are untouched");
        assert_eq!(b.left("a", 600, t0 + Duration::from_secs(3600)), 600);
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let b = TokenBuckets::default();
        let t0 = Instant::now();
        for i in 0..1000 {
            b.charge(&format!("u{i}"), 600, 10, t0);
        }
        b.prune(t0);
        assert_eq!(b.len(), 1000);
        b.prune(t0 + Duration::from_secs(60));
        assert_eq!(b.len(), 0);
    }
}
