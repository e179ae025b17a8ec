//! Replication lag: how far the replica is behind the database, in seconds, bytes and TXIDs.
//!
//! The engine cannot see SQLite commit times, so a commit's time is when the engine first saw
//! the WAL grow past what the replica holds (file-change notifications make that milliseconds
//! after the commit). The tracker remembers the earliest such moment that is not yet covered by
//! an upload; lag in seconds is the time since then, and 0 when the replica is caught up.

use std::time::{Duration, Instant};

use super::status::Lag;

/// Tracks the oldest change not yet durable in the replica.
#[derive(Debug, Default, Clone)]
pub struct LagTracker {
    /// When the oldest change not yet uploaded was first seen, with the local TXID that will
    /// hold it (None while that change is still only in the WAL).
    pending: Vec<(Instant, Option<u64>)>,
}

impl LagTracker {
    /// Records that the WAL changed at `seen` (only the first unsynced change matters).
    pub fn wal_changed(&mut self, seen: Instant) {
        if !self.pending.iter().any(|(_, txid)| txid.is_none()) {
            self.pending.push((seen, None));
        }
    }

    /// Records that a sync wrote the pending WAL changes into local TXID `txid`.
    pub fn synced(&mut self, txid: u64) {
        for entry in &mut self.pending {
            if entry.1.is_none() {
                entry.1 = Some(txid);
            }
        }
    }

    /// Records that the replica now holds every TXID up to `replica_txid`.
    pub fn uploaded(&mut self, replica_txid: u64) {
        self.pending
            .retain(|(_, txid)| txid.is_none_or(|t| t > replica_txid));
    }

    /// Records that a sync found nothing new in the WAL (the change was already captured).
    pub fn nothing_pending_in_wal(&mut self) {
        self.pending.retain(|(_, txid)| txid.is_some());
    }

    /// When the oldest change not yet in the replica was first seen (`None` when caught up).
    pub fn oldest_pending(&self) -> Option<Instant> {
        self.pending.iter().map(|(seen, _)| *seen).min()
    }

    /// Seconds since the oldest change not yet in the replica, as of `now`.
    pub fn seconds(&self, now: Instant) -> f64 {
        self.pending
            .iter()
            .map(|(seen, _)| now.saturating_duration_since(*seen))
            .max()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
    }

    /// The full lag figure.
    pub fn lag(&self, now: Instant, pending_bytes: u64, local_txid: u64, replica_txid: u64) -> Lag {
        Lag {
            seconds: self.seconds(now),
            pending_bytes,
            pending_txids: local_txid.saturating_sub(replica_txid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_the_first_unreplicated_change_until_its_upload() {
        let t0 = Instant::now();
        let mut lag = LagTracker::default();
        assert_eq!(lag.seconds(t0), 0.0);
        lag.wal_changed(t0);
        lag.wal_changed(t0 + Duration::from_millis(5));
        assert_eq!(lag.seconds(t0 + Duration::from_millis(50)), 0.05);
        lag.synced(7);
        lag.wal_changed(t0 + Duration::from_millis(60));
        lag.uploaded(7);
        // The change at 60 ms is still only in the WAL.
        assert!((lag.seconds(t0 + Duration::from_millis(100)) - 0.04).abs() < 1e-9);
        lag.synced(8);
        lag.uploaded(8);
        assert_eq!(lag.seconds(t0 + Duration::from_secs(9)), 0.0);
    }

    #[test]
    fn a_notification_without_new_frames_does_not_count_as_lag() {
        let t0 = Instant::now();
        let mut lag = LagTracker::default();
        lag.wal_changed(t0);
        lag.nothing_pending_in_wal();
        assert_eq!(lag.seconds(t0 + Duration::from_secs(1)), 0.0);
    }
}
