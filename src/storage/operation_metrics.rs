//! Per-operation counters of one replica client, in the shape of Litestream's
//! `litestream_replica_operation_*` metrics (labels `replica_type`, `operation` GET/PUT/LIST/
//! DELETE, and `code` for errors), so the engine can export them under the same names:
//!
//! | Litestream metric | here |
//! |---|---|
//! | `litestream_replica_operation_total` (counter) | [`OperationStats::total`] |
//! | `litestream_replica_operation_bytes` (counter) | [`OperationStats::bytes`] |
//! | `litestream_replica_operation_duration_seconds` (histogram, buckets 0.01…60 s) | [`OperationStats::duration`] |
//! | `litestream_replica_operation_errors_total{code}` (counter) | [`OperationStats::errors`] |
//!
//! As in Litestream, `total` and `bytes` count successful operations; failures count in
//! `errors` by code. The code is the `object_store` error kind (`NotFound`, `PermissionDenied`,
//! `Generic`, …, and `InjectedFault` for faults from [`super::FaultyStore`]): `object_store`
//! does not expose the provider's own code (`AccessDenied`, `NoSuchKey`). Durations are
//! observed for every attempt. This file only counts; it never formats Prometheus text.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The operation label of Litestream's replica metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperationKind {
    /// Reads: GET (whole or ranged) and HEAD.
    Get,
    /// Writes: PUT, multipart uploads, server-side copies.
    Put,
    /// Listings.
    List,
    /// Deletes (counted per object).
    Delete,
}

impl OperationKind {
    /// Every kind, in label order.
    pub const ALL: [OperationKind; 4] = [
        OperationKind::Get,
        OperationKind::Put,
        OperationKind::List,
        OperationKind::Delete,
    ];

    /// The label value: `GET`, `PUT`, `LIST` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Get => "GET",
            OperationKind::Put => "PUT",
            OperationKind::List => "LIST",
            OperationKind::Delete => "DELETE",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            OperationKind::Get => 0,
            OperationKind::Put => 1,
            OperationKind::List => 2,
            OperationKind::Delete => 3,
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Upper bounds (seconds) of Litestream's `litestream_replica_operation_duration_seconds`
/// buckets; `+Inf` is implied by [`DurationHistogram::count`].
pub const DURATION_BUCKETS_SECONDS: [f64; 9] = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0];

/// A Prometheus-style histogram of operation durations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DurationHistogram {
    /// Observations per bucket: `buckets[i]` counts durations in
    /// `(DURATION_BUCKETS_SECONDS[i-1], DURATION_BUCKETS_SECONDS[i]]` (not cumulative).
    pub buckets: [u64; DURATION_BUCKETS_SECONDS.len()],
    /// All observations, including those above the last bound.
    pub count: u64,
    /// Sum of all observations in seconds.
    pub sum_seconds: f64,
}

impl DurationHistogram {
    /// Adds one observation.
    pub fn observe(&mut self, duration: Duration) {
        let secs = duration.as_secs_f64();
        if let Some(i) = DURATION_BUCKETS_SECONDS.iter().position(|b| secs <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_seconds += secs;
    }

    /// Cumulative counts per bound, as Prometheus `_bucket{le=…}` series carry them.
    pub fn cumulative(&self) -> [u64; DURATION_BUCKETS_SECONDS.len()] {
        let mut out = self.buckets;
        for i in 1..out.len() {
            out[i] += out[i - 1];
        }
        out
    }
}

/// The counters of one operation kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationStats {
    /// Successful operations.
    pub total: u64,
    /// Bytes moved by successful operations (PUT payloads, GET bodies).
    pub bytes: u64,
    /// Failed operations by error code.
    pub errors: BTreeMap<&'static str, u64>,
    /// Durations of all attempts.
    pub duration: DurationHistogram,
}

impl OperationStats {
    /// Failed operations, all codes together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// A copy of a client's counters at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSnapshot {
    /// The `replica_type` label: `file`, `s3`, `gs`, `abs` or `memory`.
    pub replica_type: &'static str,
    /// Counters by operation kind (every kind present).
    pub operations: BTreeMap<OperationKind, OperationStats>,
}

impl MetricsSnapshot {
    /// The counters of `op`.
    pub fn get(&self, op: OperationKind) -> &OperationStats {
        static EMPTY: OperationStats = OperationStats {
            total: 0,
            bytes: 0,
            errors: BTreeMap::new(),
            duration: DurationHistogram {
                buckets: [0; DURATION_BUCKETS_SECONDS.len()],
                count: 0,
                sum_seconds: 0.0,
            },
        };
        self.operations.get(&op).unwrap_or(&EMPTY)
    }
}

/// The live counters of one replica client; shared (`Arc`) between the client's
/// [`super::InstrumentedStore`] and whoever exports them.
#[derive(Debug)]
pub struct ReplicaMetrics {
    replica_type: &'static str,
    ops: Mutex<[OperationStats; 4]>,
}

impl ReplicaMetrics {
    /// Empty counters labelled `replica_type`.
    pub fn new(replica_type: &'static str) -> ReplicaMetrics {
        ReplicaMetrics {
            replica_type,
            ops: Mutex::new(Default::default()),
        }
    }

    /// The `replica_type` label.
    pub fn replica_type(&self) -> &'static str {
        self.replica_type
    }

    /// Records one attempt of `op` that took `duration`: a success moving `bytes`, or a
    /// failure with `error_code`.
    pub fn record(
        &self,
        op: OperationKind,
        duration: Duration,
        bytes: u64,
        error_code: Option<&'static str>,
    ) {
        let mut ops = self.lock();
        let stats = &mut ops[op.index()];
        stats.duration.observe(duration);
        match error_code {
            None => {
                stats.total += 1;
                stats.bytes += bytes;
            }
            Some(code) => *stats.errors.entry(code).or_default() += 1,
        }
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let ops = self.lock();
        MetricsSnapshot {
            replica_type: self.replica_type,
            operations: OperationKind::ALL
                .iter()
                .map(|op| (*op, ops[op.index()].clone()))
                .collect(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, [OperationStats; 4]> {
        // Counters stay meaningful even if a recorder panicked mid-update.
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `code` label for an `object_store` error.
pub fn error_code(err: &object_store::Error) -> &'static str {
    use object_store::Error as E;
    match err {
        E::Generic { store, .. } if *store == super::faulty_store::FAULTY_STORE_NAME => {
            "InjectedFault"
        }
        E::Generic { .. } => "Generic",
        E::NotFound { .. } => "NotFound",
        E::InvalidPath { .. } => "InvalidPath",
        E::JoinError { .. } => "JoinError",
        E::NotSupported { .. } => "NotSupported",
        E::AlreadyExists { .. } => "AlreadyExists",
        E::Precondition { .. } => "Precondition",
        E::NotModified { .. } => "NotModified",
        E::NotImplemented { .. } => "NotImplemented",
        E::PermissionDenied { .. } => "PermissionDenied",
        E::Unauthenticated { .. } => "Unauthenticated",
        E::UnknownConfigurationKey { .. } => "UnknownConfigurationKey",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_match_litestream_bounds() {
        let mut h = DurationHistogram::default();
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(10));
        h.observe(Duration::from_millis(700));
        h.observe(Duration::from_secs(90));
        assert_eq!(h.buckets, [2, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(h.cumulative(), [2, 2, 2, 2, 3, 3, 3, 3, 3]);
        assert_eq!(h.count, 4);
        assert!((h.sum_seconds - 90.715).abs() < 1e-9);
    }

    #[test]
    fn successes_count_total_and_bytes_failures_count_codes() {
        let m = ReplicaMetrics::new("s3");
        m.record(OperationKind::Put, Duration::ZERO, 100, None);
        m.record(OperationKind::Put, Duration::ZERO, 50, Some("Generic"));
        let snap = m.snapshot();
        let put = snap.get(OperationKind::Put);
        assert_eq!((put.total, put.bytes, put.error_count()), (1, 100, 1));
        assert_eq!(put.errors.get("Generic"), Some(&1));
        assert_eq!(put.duration.count, 2);
        assert_eq!(snap.get(OperationKind::Get).total, 0);
        assert_eq!(snap.replica_type, "s3");
    }
}
