//! Per-user rate limits: chat messages per minute with a burst (GCRA, `governor`), output
//! tokens per minute (`tokens`), and a cap on the replies one user has generating at once. Token users share one quota shape; the
//! daemon's own OS user (the Unix socket) has a generous one of its own. The clock is a
//! parameter, so tests move time by hand instead of sleeping; state is pruned every minute.
//! What a user has left is read from governor's snapshot of their last admitted message.

mod tokens;

use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A quota shape, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    /// Chat messages a minute, sustained.
    pub messages_per_minute: u32,
    /// How many may come at once before the rate applies.
    pub burst: u32,
    /// Replies generating at once.
    pub concurrent_generations: u32,
    /// Output tokens a minute, counted as replies end.
    pub output_tokens_per_minute: u32,
}

impl LimitConfig {
    /// For token users: the seeds' default for a hosted daemon.
    pub const REMOTE: LimitConfig = LimitConfig {
        messages_per_minute: 10,
        burst: 10,
        concurrent_generations: 2,
        output_tokens_per_minute: 20_000,
    };
    /// For the daemon's own OS user on the Unix socket: generous; it is their machine.
    pub const LOCAL: LimitConfig = LimitConfig {
        messages_per_minute: 600,
        burst: 60,
        concurrent_generations: 8,
        output_tokens_per_minute: 1_000_000,
    };

    fn quota(self) -> Quota {
        let per_minute =
            NonZeroU32::new(self.messages_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::per_minute(per_minute).allow_burst(burst)
    }

    /// How long one message takes to come back.
    fn period(self) -> Duration {
        self.quota().replenish_interval()
    }
}

/// The monotonic clock, for governor.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    type Instant = Instant;
    fn now(&self) -> Instant {
        Instant::now()
    }
}

type Keyed<C> = RateLimiter<String, HashMapStateStore<String>, C, StateInformationMiddleware>;

/// The limiters for every user.
#[derive(Debug)]
pub struct Limits<C: Clock<Instant = Instant> = MonotonicClock> {
    remote: Keyed<C>,
    local: Keyed<C>,
    /// Users (by `user:NAME`) and tokens (by `cw_…` id) with limits of their own, each with
    /// its own limiter.
    users: HashMap<String, (Keyed<C>, LimitConfig)>,
    /// Per owner: messages left right after their last admitted one, when that was, and the
    /// quota shape that counted it.
    last: Mutex<HashMap<String, Left>>,
    /// Output tokens, per owner.
    tokens: tokens::TokenBuckets,
    clock: C,
    pub remote_config: LimitConfig,
    pub local_config: LimitConfig,
}

/// Why a chat is refused, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Over the message rate: come back after this long.
    Rate { retry_after: Duration },
    /// Too many replies generating for this user already.
    Concurrency { limit: u32 },
    /// Over the output tokens a minute: come back after this long.
    Tokens {
        retry_after: Duration,
        per_minute: u32,
    },
}

impl Refused {
    /// The limit that refused, as `/metrics` names it.
    pub fn limit(&self) -> &'static str {
        match self {
            Refused::Rate { .. } => "messages",
            Refused::Concurrency { .. } => "concurrent_generations",
            Refused::Tokens { .. } => "output_tokens",
        }
    }
}

impl Limits {
    pub fn new(remote: LimitConfig, local: LimitConfig) -> Limits {
        Limits::with_clock(remote, local, MonotonicClock)
    }
}

fn keyed<C: Clock<Instant = Instant> + Clone>(config: LimitConfig, clock: &C) -> Keyed<C> {
    let plain: RateLimiter<String, HashMapStateStore<String>, C> =
        RateLimiter::new(config.quota(), HashMapStateStore::default(), clock.clone());
    plain.with_middleware::<StateInformationMiddleware>()
}

/// Messages left after an admitted one, at the time, under the quota that admitted it.
type Left = (u32, Instant, LimitConfig);

/// Messages left after `left_then` at `then`, `now`: one comes back each period, up to the
/// burst. The fraction of a period already earned is not counted, so this is never more than
/// the limiter would admit (and at most one fewer).
fn refilled((left_then, then, config): Left, now: Instant) -> u32 {
    let period = config.period().as_nanos().max(1);
    let back = now.saturating_duration_since(then).as_nanos() / period;
    let back = u32::try_from(back).unwrap_or(u32::MAX);
    left_then.saturating_add(back).min(config.burst.max(1))
}

impl<C: Clock<Instant = Instant> + Clone> Limits<C> {
    pub fn with_clock(remote: LimitConfig, local: LimitConfig, clock: C) -> Limits<C> {
        Limits {
            remote: keyed(remote, &clock),
            local: keyed(local, &clock),
            users: HashMap::new(),
            last: Mutex::default(),
            tokens: tokens::TokenBuckets::default(),
            clock,
            remote_config: remote,
            local_config: local,
        }
    }

    /// Gives the named users (`user:NAME` owner keys) limits of their own.
    pub fn with_users(mut self, users: &BTreeMap<String, LimitConfig>) -> Self {
        self.users = users
            .iter()
            .map(|(name, c)| (format!("user:{name}"), (keyed(*c, &self.clock), *c)))
            .collect();
        self
    }

    /// Gives the named tokens (`cw_…` ids) limits of their own, counted apart from their
    /// user's.
    pub fn with_tokens(mut self, tokens: &BTreeMap<String, LimitConfig>) -> Self {
        for (id, c) in tokens {
            self.users.insert(id.clone(), (keyed(*c, &self.clock), *c));
        }
        self
    }

    /// The key a caller's quota is counted under, its limiter and its quota shape: the
    /// token's own when it has one, else the user's, else the defaults (`token` is `None` for
    /// the daemon's own OS user on the Unix socket).
    fn pick<'k>(
        &self,
        owner: &'k str,
        token: Option<&'k str>,
    ) -> (&'k str, &Keyed<C>, LimitConfig) {
        let Some(token) = token else {
            return (owner, &self.local, self.local_config);
        };
        if let Some((l, c)) = self.users.get(token) {
            return (token, l, *c);
        }
        match self.users.get(owner) {
            Some((l, c)) => (owner, l, *c),
            None => (owner, &self.remote, self.remote_config),
        }
    }

    /// The limits the caller has.
    pub fn config_for(&self, owner: &str, token: Option<&str>) -> LimitConfig {
        self.pick(owner, token).2
    }

    /// Counts one chat message for the caller if its quota allows; `generating` is how many of
    /// the owner's replies run now. A refused message uses up nothing.
    pub fn admit_chat(
        &self,
        owner: &str,
        token: Option<&str>,
        generating: usize,
    ) -> Result<(), Refused> {
        let (key, limiter, config) = self.pick(owner, token);
        if generating >= config.concurrent_generations as usize {
            return Err(Refused::Concurrency {
                limit: config.concurrent_generations,
            });
        }
        let per_minute = config.output_tokens_per_minute;
        self.tokens
            .check(key, per_minute, self.clock.now())
            .map_err(|retry_after| Refused::Tokens {
                retry_after,
                per_minute,
            })?;
        self.count(key, limiter, config)
    }

    /// Counts one request against the caller's message rate (the executor's `exec` is one,
    /// like a chat message); a refused one uses up nothing.
    pub fn admit_message(&self, owner: &str, token: Option<&str>) -> Result<(), Refused> {
        let (key, limiter, config) = self.pick(owner, token);
        self.count(key, limiter, config)
    }

    fn count(&self, key: &str, limiter: &Keyed<C>, config: LimitConfig) -> Result<(), Refused> {
        match limiter.check_key(&key.to_string()) {
            Ok(snapshot) => {
                let at = self.clock.now();
                self.last
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(
                        key.to_string(),
                        (snapshot.remaining_burst_capacity(), at, config),
                    );
                Ok(())
            }
            Err(not_until) => Err(Refused::Rate {
                retry_after: not_until.wait_time_from(self.clock.now()),
            }),
        }
    }

    /// Chat messages the caller may send right now without waiting (at least this many).
    pub fn messages_left(&self, owner: &str, token: Option<&str>) -> u32 {
        let (key, _, config) = self.pick(owner, token);
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        match last.get(key) {
            Some(&then) => refilled(then, self.clock.now()),
            None => config.burst.max(1),
        }
    }

    /// Charges the caller the output tokens one of their replies produced.
    pub fn charge_output(&self, owner: &str, token: Option<&str>, tokens: u64) {
        let (key, _, config) = self.pick(owner, token);
        self.tokens.charge(
            key,
            config.output_tokens_per_minute,
            tokens,
            self.clock.now(),
        );
    }

    /// Output tokens the caller may still use this minute.
    pub fn output_tokens_left(&self, owner: &str, token: Option<&str>) -> u64 {
        let (key, _, config) = self.pick(owner, token);
        self.tokens
            .left(key, config.output_tokens_per_minute, self.clock.now())
    }

    /// Forgets users whose quota is whole again, so a million one-off keys cannot grow
    /// memory without bound.
    pub fn prune(&self) {
        for l in [&self.remote, &self.local]
            .into_iter()
            .chain(self.users.values().map(|(l, _)| l))
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
        let now = self.clock.now();
        self.tokens.prune(now);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.retain(|_, then| refilled(*then, now) < then.2.burst.max(1));
        last.shrink_to_fit();
    }

    /// Entries the limiters remember now: message quotas and output-token buckets.
    pub fn tracked(&self) -> usize {
        self.remote.len() + self.local.len() + self.tokens.len()
    }

    /// Users whose last admitted message is remembered for `messages_left`.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Some token: these users have no limits of their own.
    const T: Option<&str> = Some("cw_000000000000");
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Time that moves only when the test says.
    #[derive(Debug, Clone)]
    struct ManualClock {
        start: Instant,
        offset_ms: Arc<AtomicU64>,
    }

    impl ManualClock {
        fn new() -> Self {
            ManualClock {
                start: Instant::now(),
                offset_ms: Arc::default(),
            }
        }
        fn advance(&self, by: Duration) {
            self.offset_ms
                .fetch_add(by.as_millis() as u64, Ordering::Relaxed);
        }
    }

    impl Clock for ManualClock {
        type Instant = Instant;
        fn now(&self) -> Instant {
            self.start + Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
        }
    }

    fn limits() -> (Limits<ManualClock>, ManualClock) {
        let clock = ManualClock::new();
        (
            Limits::with_clock(small(), LimitConfig::LOCAL, clock.clone()),
            clock,
        )
    }

    fn small() -> LimitConfig {
        LimitConfig {
            messages_per_minute: 6,
            burst: 3,
            concurrent_generations: 2,
            output_tokens_per_minute: 600,
        }
    }

    #[test]
    fn exactly_the_burst_then_one_per_interval_with_an_honest_wait() {
        let (l, clock) = limits();
        for i in 0..3 {
            assert_eq!(
                l.admit_chat("user:a", T, 0),
                Ok(()),
                "message {i} of the burst"
            );
        }
        let Err(Refused::Rate { retry_after }) = l.admit_chat("user:a", T, 0) else {
            panic!("the fourth is refused");
        };
        assert!(
            retry_after > Duration::ZERO && retry_after <= Duration::from_secs(10),
            "{retry_after:?}"
        );
        // Another user is untouched.
        assert_eq!(l.admit_chat("user:b", T, 0), Ok(()));
        // Just before the promised time: still refused; at it: let in, once.
        clock.advance(retry_after - Duration::from_millis(1));
        assert!(l.admit_chat("user:a", T, 0).is_err());
        clock.advance(Duration::from_millis(1));
        assert_eq!(l.admit_chat("user:a", T, 0), Ok(()));
        assert!(l.admit_chat("user:a", T, 0).is_err());
        // In any minute from here: 6 at most (one per 10 s).
        let mut accepted = 0;
        for _ in 0..60 {
            clock.advance(Duration::from_secs(1));
            if l.admit_chat("user:a", T, 0).is_ok() {
                accepted += 1;
            }
        }
        assert_eq!(accepted, 6);
    }

    #[test]
    fn a_user_with_limits_of_their_own_gets_them_and_others_the_default() {
        let (l, _) = limits();
        let mut users = BTreeMap::new();
        users.insert(
            "vip".to_string(),
            LimitConfig {
                messages_per_minute: 60,
                burst: 20,
                concurrent_generations: 4,
                output_tokens_per_minute: 6000,
            },
        );
        let l = l.with_users(&users);
        for i in 0..20 {
            assert_eq!(l.admit_chat("user:vip", T, 0), Ok(()), "vip message {i}");
        }
        assert!(l.admit_chat("user:vip", T, 0).is_err());
        for _ in 0..3 {
            assert_eq!(l.admit_chat("user:other", T, 0), Ok(()));
        }
        assert!(
            l.admit_chat("user:other", T, 0).is_err(),
            "the default burst is 3"
        );
        assert_eq!(l.config_for("user:vip", T).concurrent_generations, 4);
    }

    #[test]
    fn a_token_with_limits_of_its_own_is_counted_apart_from_its_user() {
        let (l, _) = limits();
        let mut tokens = BTreeMap::new();
        tokens.insert(
            "cw_0000000000cc".to_string(),
            LimitConfig {
                messages_per_minute: 1,
                burst: 1,
                concurrent_generations: 1,
                output_tokens_per_minute: 100,
            },
        );
        let l = l.with_tokens(&tokens);
        let ci = Some("cw_0000000000cc");
        assert_eq!(l.admit_chat("user:a", ci, 0), Ok(()));
        assert!(
            l.admit_chat("user:a", ci, 0).is_err(),
            "the token's burst is 1"
        );
        assert_eq!(l.messages_left("user:a", ci), 0);
        // The same user with another token has the defaults, untouched.
        assert_eq!(l.messages_left("user:a", T), 3);
        for _ in 0..3 {
            assert_eq!(l.admit_chat("user:a", T, 0), Ok(()));
        }
        assert_eq!(l.config_for("user:a", ci).output_tokens_per_minute, 100);
        assert_eq!(
            l.admit_chat("user:b", ci, 1),
            Err(Refused::Concurrency { limit: 1 })
        );
    }

    #[test]
    fn concurrency_is_capped_and_the_local_user_is_generous() {
        let (l, _) = limits();
        assert_eq!(
            l.admit_chat("user:a", T, 2),
            Err(Refused::Concurrency { limit: 2 })
        );
        for _ in 0..60 {
            assert_eq!(l.admit_chat("local:1000", None, 0), Ok(()));
        }
    }

    #[test]
    fn what_is_left_counts_down_and_comes_back_one_period_at_a_time() {
        let (l, clock) = limits();
        assert_eq!(l.messages_left("user:a", T), 3, "a new user has the burst");
        for left in [2, 1, 0] {
            l.admit_chat("user:a", T, 0).expect("within the burst");
            assert_eq!(l.messages_left("user:a", T), left);
        }
        assert!(l.admit_chat("user:a", T, 0).is_err());
        assert_eq!(l.messages_left("user:a", T), 0, "a refusal changes nothing");
        // 6 a minute: one back every 10 s, and never more than the limiter admits.
        clock.advance(Duration::from_secs(10));
        assert_eq!(l.messages_left("user:a", T), 1);
        l.admit_chat("user:a", T, 0)
            .expect("the one that came back");
        assert!(l.admit_chat("user:a", T, 0).is_err());
        clock.advance(Duration::from_secs(600));
        assert_eq!(l.messages_left("user:a", T), 3, "never above the burst");
        assert_eq!(l.messages_left("user:b", T), 3, "others untouched");
    }

    #[test]
    fn output_tokens_are_charged_at_the_end_and_a_user_in_debt_waits() {
        let (l, clock) = limits();
        l.admit_chat("user:a", T, 0).expect("first");
        l.charge_output("user:a", T, 900);
        assert_eq!(l.output_tokens_left("user:a", T), 0);
        let Err(Refused::Tokens { retry_after, .. }) = l.admit_chat("user:a", T, 0) else {
            panic!("in debt by 300 tokens");
        };
        assert_eq!(
            l.messages_left("user:a", T),
            2,
            "a refusal costs no message"
        );
        // 600 a minute is 10 a second: 300 in debt is just over 30 s.
        assert!(retry_after > Duration::from_secs(30), "{retry_after:?}");
        clock.advance(retry_after + Duration::from_millis(1));
        assert_eq!(l.admit_chat("user:a", T, 0), Ok(()));
        assert_eq!(l.admit_chat("user:b", T, 0), Ok(()), "others untouched");
    }

    #[test]
    fn keys_are_pruned_once_their_quota_is_whole() {
        let (l, clock) = limits();
        for i in 0..10_000 {
            let _ = l.admit_chat(&format!("user:{i}"), T, 0);
            l.charge_output(&format!("user:{i}"), T, 10);
        }
        assert_eq!(
            l.tracked(),
            20_000,
            "a message quota and a token bucket each"
        );
        clock.advance(Duration::from_secs(60));
        l.prune();
        assert_eq!(l.tracked(), 0);
        assert_eq!(l.remembered(), 0, "what-is-left records go too");
    }
}
