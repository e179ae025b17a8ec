//! The delay before restarting a failed server: doubles from a base per consecutive failure up
//! to a ceiling, and starts over once the server became ready again.

use std::time::Duration;

/// Consecutive failures and the resulting delay.
#[derive(Debug, Clone)]
pub struct RestartBackoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl RestartBackoff {
    /// First delay `base`, never more than `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        RestartBackoff {
            base,
            max,
            failures: 0,
        }
    }

    /// Records a failure; returns the delay before the next attempt.
    pub fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let factor = 1u32
            .checked_shl(self.failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The server became ready: the next failure waits `base` again.
    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_ceiling_and_resets() {
        let mut b = RestartBackoff::new(Duration::from_millis(100), Duration::from_millis(350));
        assert_eq!(b.fail(), Duration::from_millis(100));
        assert_eq!(b.fail(), Duration::from_millis(200));
        assert_eq!(b.fail(), Duration::from_millis(350));
        for _ in 0..50 {
            b.fail();
        }
        assert_eq!(b.fail(), Duration::from_millis(350));
        b.succeed();
        assert_eq!(b.fail(), Duration::from_millis(100));
    }
}
