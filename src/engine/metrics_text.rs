//! The Prometheus text exposition format (version 0.0.4) of an [`EngineMetricsSnapshot`], laid
//! out as Litestream's Go client writes it so scrapers, dashboards and `grep`/`awk` health
//! checks written for Litestream read ours unchanged.
//!
//! Like Go's `client_golang`: families come in name order, each with `# HELP` and `# TYPE`
//! lines (HELP texts are Litestream's); label names within a series are sorted (`operation`
//! before `replica_type`), series are sorted by label values, histogram `le` comes last, and
//! label values escape `\`, `"` and newlines. Unlike Go, a family with no series yet still
//! carries its HELP and TYPE lines, so every name is discoverable from the first scrape.
//! Replica-operation series are summed per `replica_type` over all clients, as Litestream's
//! process-wide counters are.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::storage::{DURATION_BUCKETS_SECONDS, DurationHistogram, OperationKind};

use super::metrics::{DbCounters, EngineMetricsSnapshot};

/// The `Content-Type` of the exposition, as Go's `promhttp` sends it.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's type.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One replica type's operation counters, summed over clients.
#[derive(Default)]
struct ReplicaOps {
    total: u64,
    bytes: u64,
    duration: DurationHistogram,
}

/// Renders every family of `snapshot`.
pub fn render(snapshot: &EngineMetricsSnapshot) -> String {
    let mut dbs: Vec<&DbCounters> = snapshot.databases.iter().collect();
    dbs.sort_by(|a, b| a.db.cmp(&b.db));
    // (operation, replica_type) → counters; (code, operation, replica_type) → errors.
    let mut ops: BTreeMap<(&str, &str), ReplicaOps> = BTreeMap::new();
    let mut errors: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
    for replica in &snapshot.replicas {
        for op in OperationKind::ALL {
            let stats = replica.get(op);
            let sum = ops.entry((op.as_str(), replica.replica_type)).or_default();
            sum.total += stats.total;
            sum.bytes += stats.bytes;
            add_histogram(&mut sum.duration, &stats.duration);
            for (code, n) in &stats.errors {
                *errors
                    .entry((code, op.as_str(), replica.replica_type))
                    .or_default() += n;
            }
        }
    }

    let mut out = String::new();
    let w = &mut out;
    let checkpoints = |pick: fn(&super::metrics::CheckpointCounters) -> String| {
        dbs.iter()
            .flat_map(move |d| {
                d.checkpoints
                    .iter()
                    .map(move |(mode, c)| (vec![("db", d.db.as_str()), ("mode", *mode)], pick(c)))
            })
            .collect::<Vec<_>>()
    };
    family(
        w,
        "litestream_checkpoint_count",
        "Number of checkpoint operations performed",
        Kind::Counter,
        checkpoints(|c| c.count.to_string()),
    );
    family(
        w,
        "litestream_checkpoint_error_count",
        "Number of checkpoint errors that have occurred",
        Kind::Counter,
        checkpoints(|c| c.errors.to_string()),
    );
    family(
        w,
        "litestream_checkpoint_seconds",
        "Time spent checkpointing WAL, in seconds",
        Kind::Counter,
        checkpoints(|c| float(c.seconds)),
    );
    per_db(
        w,
        &dbs,
        "litestream_compaction_verify_error_count",
        "Number of post-compaction verification failures",
        Kind::Counter,
        |d| d.compaction_verify_error_count.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_db_size",
        "The current size of the real DB",
        Kind::Gauge,
        |d| d.db_size.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_disk_full",
        "Whether replication is paused because the local disk is full",
        Kind::Gauge,
        |d| u8::from(d.disk_full).to_string(),
    );
    family(
        w,
        "litestream_l0_retention_files_total",
        "Number of L0 files by status during retention enforcement",
        Kind::Gauge,
        dbs.iter()
            .filter_map(|d| d.l0_retention.map(|r| (d, r)))
            .flat_map(|(d, r)| {
                [
                    ("eligible", r.eligible),
                    ("not_compacted", r.not_compacted),
                    ("too_recent", r.too_recent),
                ]
                .map(|(status, n)| {
                    (
                        vec![("db", d.db.as_str()), ("status", status)],
                        n.to_string(),
                    )
                })
            })
            .collect(),
    );
    let op_series = |value: fn(&ReplicaOps) -> u64| {
        ops.iter()
            .map(|((op, rt), o)| {
                (
                    vec![("operation", *op), ("replica_type", *rt)],
                    value(o).to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    family(
        w,
        "litestream_replica_operation_bytes",
        "The number of bytes used by replica operations",
        Kind::Counter,
        op_series(|o| o.bytes),
    );
    let name = "litestream_replica_operation_duration_seconds";
    header(
        w,
        name,
        "Duration of replica operations by type and operation",
        Kind::Histogram,
    );
    for ((op, rt), o) in &ops {
        let labels = [("operation", *op), ("replica_type", *rt)];
        let cumulative = o.duration.cumulative();
        for (bound, n) in DURATION_BUCKETS_SECONDS.iter().zip(cumulative) {
            let le = float(*bound);
            sample(w, name, "_bucket", &labels, Some(&le), &n.to_string());
        }
        let count = o.duration.count.to_string();
        sample(w, name, "_bucket", &labels, Some("+Inf"), &count);
        sample(
            w,
            name,
            "_sum",
            &labels,
            None,
            &float(o.duration.sum_seconds),
        );
        sample(w, name, "_count", &labels, None, &count);
    }
    family(
        w,
        "litestream_replica_operation_errors_total",
        "Number of replica operation errors by type, operation, and error code",
        Kind::Counter,
        errors
            .iter()
            .map(|((code, op, rt), n)| {
                (
                    vec![("code", *code), ("operation", *op), ("replica_type", *rt)],
                    n.to_string(),
                )
            })
            .collect(),
    );
    family(
        w,
        "litestream_replica_operation_total",
        "The number of replica operations performed",
        Kind::Counter,
        op_series(|o| o.total),
    );
    per_db(
        w,
        &dbs,
        "litestream_sync_count",
        "Number of sync operations performed",
        Kind::Counter,
        |d| d.sync_count.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_sync_error_count",
        "Number of sync errors that have occurred",
        Kind::Counter,
        |d| d.sync_error_count.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_sync_seconds",
        "Time spent syncing shadow WAL, in seconds",
        Kind::Counter,
        |d| float(d.sync_seconds),
    );
    per_db(
        w,
        &dbs,
        "litestream_total_wal_bytes",
        "Total number of bytes written to shadow WAL",
        Kind::Counter,
        |d| d.total_wal_bytes.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_txid",
        "The current transaction ID",
        Kind::Gauge,
        |d| d.txid.to_string(),
    );
    per_db(
        w,
        &dbs,
        "litestream_wal_size",
        "The current size of the real WAL",
        Kind::Gauge,
        |d| d.wal_size.to_string(),
    );
    per_db(
        w,
        &dbs,
        "ltx_replica_txid",
        "Highest TXID known to be in the replica",
        Kind::Gauge,
        |d| d.replica_txid.to_string(),
    );
    per_db(
        w,
        &dbs,
        "ltx_replication_lag_seconds",
        "Seconds since the oldest change not yet in the replica (0 when caught up)",
        Kind::Gauge,
        |d| float(d.lag_seconds),
    );
    per_db(
        w,
        &dbs,
        "ltx_replication_pending_bytes",
        "Bytes written locally (WAL and L0 files) but not yet in the replica",
        Kind::Gauge,
        |d| d.pending_bytes.to_string(),
    );
    per_db(
        w,
        &dbs,
        "ltx_replication_pending_txids",
        "TXIDs written locally but not yet in the replica",
        Kind::Gauge,
        |d| d.pending_txids.to_string(),
    );
    out
}

fn add_histogram(into: &mut DurationHistogram, h: &DurationHistogram) {
    for (a, b) in into.buckets.iter_mut().zip(h.buckets) {
        *a += b;
    }
    into.count += h.count;
    into.sum_seconds += h.sum_seconds;
}

/// A family with one series per database, labelled `db`.
fn per_db(
    w: &mut String,
    dbs: &[&DbCounters],
    name: &str,
    help: &str,
    kind: Kind,
    value: impl Fn(&DbCounters) -> String,
) {
    let series = dbs
        .iter()
        .map(|d| (vec![("db", d.db.as_str())], value(d)))
        .collect();
    family(w, name, help, kind, series);
}

/// A counter or gauge family: header, then each series.
fn family(
    w: &mut String,
    name: &str,
    help: &str,
    kind: Kind,
    series: Vec<(Vec<(&str, &str)>, String)>,
) {
    header(w, name, help, kind);
    for (labels, value) in series {
        sample(w, name, "", &labels, None, &value);
    }
}

fn header(w: &mut String, name: &str, help: &str, kind: Kind) {
    let _ = writeln!(w, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(w, "# TYPE {name} {}", kind.as_str());
}

/// One sample line; `le` (histogram buckets) follows the other labels, as in Go.
fn sample(
    w: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(&str, &str)],
    le: Option<&str>,
    value: &str,
) {
    w.push_str(name);
    w.push_str(suffix);
    let le = le.map(|le| ("le", le));
    let mut all = labels.iter().copied().chain(le).peekable();
    if all.peek().is_some() {
        w.push('{');
        for (i, (k, v)) in all.enumerate() {
            if i > 0 {
                w.push(',');
            }
            let _ = write!(w, "{k}=\"{}\"", escape_label(v));
        }
        w.push('}');
    }
    w.push(' ');
    w.push_str(value);
    w.push('\n');
}

/// A label value with `\`, `"` and newlines escaped.
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A HELP text with `\` and newlines escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A float as the text format spells it (`+Inf`, `-Inf`, `NaN`; shortest round-trip digits).
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::engine::metrics::{CheckpointCounters, L0RetentionCounts};
    use crate::storage::ReplicaMetrics;

    fn fixed_state() -> EngineMetricsSnapshot {
        let mut db = DbCounters::new("/data/app.db".into());
        db.db_size = 8192;
        db.wal_size = 4152;
        db.total_wal_bytes = 12_456;
        db.txid = 7;
        db.sync_count = 9;
        db.sync_error_count = 1;
        db.sync_seconds = 0.125;
        db.checkpoints.insert(
            "PASSIVE",
            CheckpointCounters {
                count: 2,
                errors: 1,
                seconds: 0.5,
            },
        );
        db.l0_retention = Some(L0RetentionCounts {
            eligible: 3,
            not_compacted: 1,
            too_recent: 2,
        });
        db.replica_txid = 6;
        db.lag_seconds = 1.5;
        db.pending_bytes = 4096;
        db.pending_txids = 1;
        let file = ReplicaMetrics::new("file");
        file.record(OperationKind::Put, Duration::from_millis(5), 100, None);
        file.record(OperationKind::Put, Duration::from_millis(70), 50, None);
        file.record(
            OperationKind::Put,
            Duration::from_secs(2),
            0,
            Some("Generic"),
        );
        // A second client of the same type adds to the same series.
        let file2 = ReplicaMetrics::new("file");
        file2.record(OperationKind::Get, Duration::from_secs(90), 10, None);
        EngineMetricsSnapshot {
            databases: vec![db],
            replicas: vec![file.snapshot(), file2.snapshot()],
        }
    }

    fn assert_lines(text: &str, expected: &[&str]) {
        for line in expected {
            assert!(
                text.lines().any(|l| l == *line),
                "missing line {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn renders_exact_lines_for_a_fixed_state() {
        let text = render(&fixed_state());
        let db = "{db=\"/data/app.db\"}";
        let expected: Vec<String> = [
            "# HELP litestream_db_size The current size of the real DB".to_string(),
            "# TYPE litestream_db_size gauge".into(),
            format!("litestream_db_size{db} 8192"),
            format!("litestream_wal_size{db} 4152"),
            format!("litestream_total_wal_bytes{db} 12456"),
            "# TYPE litestream_total_wal_bytes counter".into(),
            format!("litestream_txid{db} 7"),
            format!("litestream_sync_count{db} 9"),
            format!("litestream_sync_error_count{db} 1"),
            format!("litestream_sync_seconds{db} 0.125"),
            format!("litestream_disk_full{db} 0"),
            format!("litestream_compaction_verify_error_count{db} 0"),
            "litestream_checkpoint_count{db=\"/data/app.db\",mode=\"PASSIVE\"} 2".into(),
            "litestream_checkpoint_count{db=\"/data/app.db\",mode=\"TRUNCATE\"} 0".into(),
            "litestream_checkpoint_error_count{db=\"/data/app.db\",mode=\"PASSIVE\"} 1".into(),
            "litestream_checkpoint_seconds{db=\"/data/app.db\",mode=\"PASSIVE\"} 0.5".into(),
            "# TYPE litestream_checkpoint_seconds counter".into(),
            "litestream_l0_retention_files_total{db=\"/data/app.db\",status=\"eligible\"} 3".into(),
            "litestream_l0_retention_files_total{db=\"/data/app.db\",status=\"not_compacted\"} 1"
                .into(),
            "litestream_l0_retention_files_total{db=\"/data/app.db\",status=\"too_recent\"} 2"
                .into(),
            "# TYPE litestream_replica_operation_total counter".into(),
            "litestream_replica_operation_total{operation=\"PUT\",replica_type=\"file\"} 2".into(),
            "litestream_replica_operation_total{operation=\"GET\",replica_type=\"file\"} 1".into(),
            "litestream_replica_operation_total{operation=\"LIST\",replica_type=\"file\"} 0".into(),
            "litestream_replica_operation_bytes{operation=\"PUT\",replica_type=\"file\"} 150".into(),
            "litestream_replica_operation_errors_total{code=\"Generic\",operation=\"PUT\",replica_type=\"file\"} 1".into(),
            "# TYPE litestream_replica_operation_duration_seconds histogram".into(),
            "litestream_replica_operation_duration_seconds_count{operation=\"PUT\",replica_type=\"file\"} 3".into(),
            "litestream_replica_operation_duration_seconds_sum{operation=\"PUT\",replica_type=\"file\"} 2.075".into(),
            format!("ltx_replica_txid{db} 6"),
            format!("ltx_replication_lag_seconds{db} 1.5"),
            "# TYPE ltx_replication_lag_seconds gauge".into(),
            format!("ltx_replication_pending_bytes{db} 4096"),
            format!("ltx_replication_pending_txids{db} 1"),
        ]
        .into();
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_lines(&text, &expected);
        // Families in name order, each introduced by HELP then TYPE before its samples.
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 21);
        let mut current = "";
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                current = rest.split(' ').next().unwrap();
            } else if !line.starts_with('#') {
                assert!(line.starts_with(current), "{line} outside its family");
            }
        }
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let text = render(&fixed_state());
        let put = "operation=\"PUT\",replica_type=\"file\"";
        let buckets: Vec<(String, u64)> = text
            .lines()
            .filter(|l| {
                l.starts_with("litestream_replica_operation_duration_seconds_bucket{")
                    && l.contains(put)
            })
            .map(|l| {
                let le = l.split("le=\"").nth(1).unwrap().split('"').next().unwrap();
                let n = l.rsplit(' ').next().unwrap().parse().unwrap();
                (le.to_string(), n)
            })
            .collect();
        let expected = [
            ("0.01", 1),
            ("0.05", 1),
            ("0.1", 2),
            ("0.5", 2),
            ("1", 2),
            ("5", 3),
            ("10", 3),
            ("30", 3),
            ("60", 3),
            ("+Inf", 3),
        ];
        let expected: Vec<(String, u64)> =
            expected.iter().map(|(l, n)| (l.to_string(), *n)).collect();
        assert_eq!(buckets, expected);
        // 90 s is above the last bound: only +Inf and the count hold it.
        assert_lines(
            &text,
            &[
                "litestream_replica_operation_duration_seconds_bucket{operation=\"GET\",replica_type=\"file\",le=\"60\"} 0",
                "litestream_replica_operation_duration_seconds_bucket{operation=\"GET\",replica_type=\"file\",le=\"+Inf\"} 1",
                "litestream_replica_operation_duration_seconds_sum{operation=\"GET\",replica_type=\"file\"} 90",
            ],
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        let mut db = DbCounters::new("/tmp/we\"ird\\dir\nname.db".into());
        db.txid = 3;
        let text = render(&EngineMetricsSnapshot {
            databases: vec![db],
            replicas: vec![],
        });
        assert_lines(
            &text,
            &[r#"litestream_txid{db="/tmp/we\"ird\\dir\nname.db"} 3"#],
        );
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
    }

    #[test]
    fn empty_families_keep_help_and_type_and_no_l0_series_before_a_pass() {
        let db = DbCounters::new(Path::new("/d.db").display().to_string());
        let text = render(&EngineMetricsSnapshot {
            databases: vec![db],
            replicas: vec![],
        });
        assert_lines(
            &text,
            &[
                "# TYPE litestream_replica_operation_errors_total counter",
                "# TYPE litestream_l0_retention_files_total gauge",
                "# TYPE litestream_replica_operation_duration_seconds histogram",
            ],
        );
        assert!(!text.contains("litestream_l0_retention_files_total{"));
        assert!(!text.contains("litestream_replica_operation_total{"));
    }

    #[test]
    fn floats_use_the_text_format_spellings() {
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(60.0), "60");
        assert_eq!(float(0.05), "0.05");
    }
}
