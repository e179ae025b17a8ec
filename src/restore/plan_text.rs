//! The dry run's output, as `litestream restore -dry-run` prints it (header lines, then the
//! table `level file min_txid max_txid size timestamp` laid out like Go's tabwriter with
//! padding 2), followed by ltx-tui's own two lines: the total size and an estimated time. The
//! JSON form has Litestream's keys.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::RestorePlan;

/// Assumed read rate of a `file` replica for the estimate (bytes per second).
const LOCAL_BYTES_PER_SEC: f64 = 400.0 * 1024.0 * 1024.0;
/// Assumed download rate of one remote stream (bytes per second).
const REMOTE_BYTES_PER_SEC: f64 = 40.0 * 1024.0 * 1024.0;
/// Assumed latency of one remote request.
const REMOTE_REQUEST_SECS: f64 = 0.03;

/// Litestream's `-dry-run -json` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanJson {
    /// The replica URL (or the config's replica).
    pub source: String,
    /// The output path.
    pub target_path: String,
    /// The replica type (`file`, `s3`, …).
    pub replica: String,
    /// First TXID of the plan (16 hex digits).
    pub min_txid: String,
    /// Last TXID of the plan (16 hex digits).
    pub max_txid: String,
    /// The files.
    pub files: Vec<PlanFileJson>,
    /// Sum of the sizes (ltx-tui's addition).
    pub total_bytes: u64,
    /// Estimated restore time in milliseconds (ltx-tui's addition).
    pub estimated_ms: u64,
}

/// One file of [`PlanJson`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFileJson {
    /// Level.
    pub level: u8,
    /// `<min>-<max>.ltx`.
    pub name: String,
    /// First TXID (16 hex digits).
    pub min_txid: String,
    /// Last TXID (16 hex digits).
    pub max_txid: String,
    /// Bytes.
    pub size: u64,
    /// CreatedAt, RFC 3339 with seconds.
    pub timestamp: String,
}

fn seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A rough restore time: the bytes at an assumed rate, plus request latency for remote
/// replicas (spread over `parallelism` streams).
pub fn estimated_duration(plan: &RestorePlan, remote: bool, parallelism: usize) -> Duration {
    let bytes = plan.total_bytes as f64;
    let secs = if remote {
        let streams = parallelism.clamp(1, plan.files.len().max(1)) as f64;
        bytes / (REMOTE_BYTES_PER_SEC * streams.min(4.0))
            + plan.files.len() as f64 * REMOTE_REQUEST_SECS / streams
    } else {
        bytes / LOCAL_BYTES_PER_SEC
    };
    Duration::from_secs_f64(secs)
}

/// Litestream's `-dry-run -json` document for `plan`.
pub fn plan_json(
    plan: &RestorePlan,
    source: &str,
    output: &Path,
    replica_type: &str,
    estimate: Duration,
) -> PlanJson {
    PlanJson {
        source: source.to_owned(),
        target_path: output.display().to_string(),
        replica: replica_type.to_owned(),
        min_txid: plan.min_txid().to_string(),
        max_txid: plan.txid.to_string(),
        files: plan
            .files
            .iter()
            .map(|f| PlanFileJson {
                level: f.level,
                name: f.name().to_string(),
                min_txid: f.min_txid.to_string(),
                max_txid: f.max_txid.to_string(),
                size: f.size,
                timestamp: seconds(f.created_at),
            })
            .collect(),
        total_bytes: plan.total_bytes,
        estimated_ms: u64::try_from(estimate.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Lays out rows like Go's tabwriter (min width 0, padding 2, spaces): every column but the
/// last is padded to its widest cell plus two.
pub fn tabwriter(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] + 2 - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// The text `restore -dry-run` prints: Litestream's lines and table, then the total size and
/// the estimated time.
pub fn plan_text(json: &PlanJson) -> String {
    let mut rows = vec![
        ["level", "file", "min_txid", "max_txid", "size", "timestamp"]
            .map(String::from)
            .to_vec(),
    ];
    for f in &json.files {
        rows.push(vec![
            f.level.to_string(),
            f.name.clone(),
            f.min_txid.to_string(),
            f.max_txid.to_string(),
            f.size.to_string(),
            f.timestamp.clone(),
        ]);
    }
    format!(
        "Restore plan:\n  source: {}\n  target: {}\n  replica: {}\n  txid range: {} - {}\n\n\
         Files to fetch:\n{}\nTotal: {} bytes in {} files; estimated time: {:.1}s\n",
        json.source,
        json.target_path,
        json.replica,
        json.min_txid,
        json.max_txid,
        tabwriter(&rows),
        json.total_bytes,
        json.files.len(),
        json.estimated_ms as f64 / 1000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_pads_all_but_the_last_column_by_two() {
        let rows = vec![
            vec!["level".to_string(), "file".into(), "size".into()],
            vec!["9".to_string(), "a-long-name".into(), "5609".into()],
        ];
        assert_eq!(
            tabwriter(&rows),
            "level  file         size\n9      a-long-name  5609\n"
        );
    }
}
