//! Exponential backoff after errors, as Litestream does it: the retry delay doubles from the
//! base interval up to a ceiling (5 minutes) and resets on success.

use std::time::Duration;

/// The longest wait between retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Tracks consecutive failures and the delay before the next attempt.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff whose first retry waits `base`.
    pub fn new(base: Duration) -> Self {
        Backoff { base, failures: 0 }
    }

    /// Records a failure and returns how long to wait before retrying.
    pub fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.current()
    }

    /// Records a success: the next failure starts from the base again.
    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The delay for the current failure count (zero when healthy).
    pub fn current(&self) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(self.failures - 1).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes_and_resets_on_success() {
        let mut b = Backoff::new(Duration::from_secs(1));
        assert_eq!(b.current(), Duration::ZERO);
        assert_eq!(b.fail(), Duration::from_secs(1));
        assert_eq!(b.fail(), Duration::from_secs(2));
        assert_eq!(b.fail(), Duration::from_secs(4));
        for _ in 0..40 {
            b.fail();
        }
        assert_eq!(b.current(), MAX_BACKOFF);
        b.succeed();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.fail(), Duration::from_secs(1));
    }
}
