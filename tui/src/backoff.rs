//! The one way the client waits and reconnects: doubling waits up to a cap, and a connect
//! retried through them (autostarting the daemon again if it died) until it works, a refusal
//! that retrying cannot fix, or the attempts run out. The chat screen's link and `ask`'s
//! resume both use it.

use crate::autostart;
use crate::cli::ConnArgs;
use crate::conn::Connection;
use crate::exit::ClientError;
use chinwag_protocol::ErrorCode;
use std::time::Duration;

/// Waits that double from `first` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff {
            first,
            next: first,
            max,
        }
    }

    /// Sleeps the next wait.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.step()).await;
    }

    /// The next wait, and the one after it doubled (up to the cap).
    fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }

    /// Back to the first wait (after a success).
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// A refusal that retrying cannot fix: a bad token, an untrusted or unsafe endpoint, bad
/// flags.
pub fn is_final(e: &ClientError) -> bool {
    match e {
        ClientError::Unsafe(_) | ClientError::Usage(_) => true,
        ClientError::Server(b) => matches!(b.code, ErrorCode::Unauthorized | ErrorCode::Forbidden),
        _ => false,
    }
}

/// Connects, retrying with `backoff` after each failure that retrying can fix; `failed` hears
/// each (attempt number, why) and says whether to go on. Gives up after `attempts` when set.
pub async fn connect_retrying(
    args: &ConnArgs,
    backoff: &mut Backoff,
    attempts: Option<u32>,
    mut failed: impl FnMut(u32, &ClientError) -> bool,
) -> Result<Connection, ClientError> {
    let mut attempt = 0u32;
    loop {
        match autostart::connect(args).await {
            Ok(c) => {
                backoff.reset();
                return Ok(c);
            }
            Err(e) if is_final(&e) => return Err(e),
            Err(e) => {
                attempt += 1;
                if attempts.is_some_and(|n| attempt >= n) || !failed(attempt, &e) {
                    return Err(e);
                }
                backoff.wait().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_start_over_after_a_success() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(350));
        let waits: Vec<Duration> = (0..4).map(|_| b.step()).collect();
        assert_eq!(waits, [ms(100), ms(200), ms(350), ms(350)]);
        b.reset();
        assert_eq!(b.step(), ms(100));
    }
}
