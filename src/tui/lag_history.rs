//! Replication lag over time, per database: the samples behind the lag charts, with freeze
//! (`f`) and a zoomable time span (`+`, `-`, `=`).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// One lag figure at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagSample {
    /// When it was seen.
    pub at: SystemTime,
    /// Lag in seconds.
    pub seconds: f64,
    /// Bytes not yet in the replica.
    pub pending_bytes: u64,
}

/// Samples kept per database (the oldest go first).
const MAX_SAMPLES: usize = 4096;
/// The zoom ladder of the time axis.
pub const SPANS: [Duration; 6] = [
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(900),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];
const DEFAULT_SPAN: usize = 2;
/// Lag in seconds at which the chart turns yellow.
pub const WARN_SECONDS: f64 = 1.0;
/// Lag in seconds at which the chart turns red.
pub const CRITICAL_SECONDS: f64 = 10.0;
/// Pending bytes at which the chart turns yellow.
pub const WARN_BYTES: u64 = 1 << 20;
/// Pending bytes at which the chart turns red.
pub const CRITICAL_BYTES: u64 = 64 << 20;

/// Lag samples of every database.
#[derive(Debug, Clone)]
pub struct LagHistory {
    samples: HashMap<PathBuf, VecDeque<LagSample>>,
    frozen_at: Option<SystemTime>,
    span: usize,
}

impl Default for LagHistory {
    fn default() -> Self {
        LagHistory {
            samples: HashMap::new(),
            frozen_at: None,
            span: DEFAULT_SPAN,
        }
    }
}

impl LagHistory {
    /// Records a sample (a repeat of the last value less than a second later is dropped).
    pub fn record(&mut self, db: &Path, at: SystemTime, seconds: f64, pending_bytes: u64) {
        let q = self.samples.entry(db.to_path_buf()).or_default();
        if let Some(last) = q.back()
            && last.seconds == seconds
            && last.pending_bytes == pending_bytes
            && at.duration_since(last.at).unwrap_or_default() < Duration::from_secs(1)
        {
            return;
        }
        q.push_back(LagSample {
            at,
            seconds,
            pending_bytes,
        });
        while q.len() > MAX_SAMPLES {
            q.pop_front();
        }
    }

    /// The samples of `db`, oldest first.
    pub fn samples(&self, db: &Path) -> impl Iterator<Item = &LagSample> {
        self.samples.get(db).into_iter().flatten()
    }

    /// Whether any sample exists.
    pub fn has_samples(&self) -> bool {
        self.samples.values().any(|q| !q.is_empty())
    }

    /// Freezes the charts at `now`, or unfreezes them.
    pub fn toggle_freeze(&mut self, now: SystemTime) {
        self.frozen_at = match self.frozen_at {
            Some(_) => None,
            None => Some(now),
        };
    }

    /// Whether the charts are frozen.
    pub fn frozen(&self) -> bool {
        self.frozen_at.is_some()
    }

    /// The right edge of the charts: the freeze moment, or `now`.
    pub fn end(&self, now: SystemTime) -> SystemTime {
        self.frozen_at.unwrap_or(now)
    }

    /// The visible time span.
    pub fn span(&self) -> Duration {
        SPANS[self.span]
    }

    /// How often the live chart moves: one hundredth of the span, at least a second.
    pub fn step(&self) -> Duration {
        (self.span() / 100).max(Duration::from_secs(1))
    }

    /// Narrows the time axis.
    pub fn zoom_in(&mut self) {
        self.span = self.span.saturating_sub(1);
    }

    /// Widens the time axis.
    pub fn zoom_out(&mut self) {
        self.span = (self.span + 1).min(SPANS.len() - 1);
    }

    /// Back to the default span.
    pub fn zoom_reset(&mut self) {
        self.span = DEFAULT_SPAN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_a_second_are_dropped_and_zoom_is_bounded() {
        let t0 = SystemTime::UNIX_EPOCH;
        let db = Path::new("/a.db");
        let mut h = LagHistory::default();
        h.record(db, t0, 0.0, 0);
        h.record(db, t0 + Duration::from_millis(10), 0.0, 0);
        h.record(db, t0 + Duration::from_millis(20), 0.5, 10);
        assert_eq!(h.samples(db).count(), 2);
        for _ in 0..10 {
            h.zoom_out();
        }
        assert_eq!(h.span(), SPANS[SPANS.len() - 1]);
        h.zoom_reset();
        assert_eq!(h.span(), Duration::from_secs(300));
        h.toggle_freeze(t0);
        assert_eq!(h.end(t0 + Duration::from_secs(9)), t0);
    }
}
