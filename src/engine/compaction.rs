//! Compaction of one level from the level below, exactly as Litestream 0.5.17's
//! `Store.CompactDB` and `Compactor.Compact` do it, so a replica compacted by either tool looks
//! the same.
//!
//! One run at destination level `n` (1..=8), source level `n − 1`:
//! 1. "Too early": if the newest file of level `n` (the one with the greatest MaxTXID) was
//!    created after the last interval boundary, do nothing (a restart does not compact twice in
//!    one interval).
//! 2. "Nothing new": if the newest source file's MaxTXID is ≤ the newest destination file's
//!    MinTXID, do nothing.
//! 3. Inputs: every source file whose MinTXID ≥ (destination MaxTXID + 1), in listing order. None
//!    left ⇒ nothing new.
//! 4. Merge them with the LTX compactor (`NoChecksum`; inputs must be contiguous; the latest
//!    input wins each page; the output header's timestamp, commit and MaxTXID are the last
//!    input's) into one file `<min of inputs>-<max of inputs>.ltx`, uploaded at level `n` with
//!    the header timestamp as its time. The first level-1 file therefore starts at TXID 1 and
//!    is a full snapshot.
//!
//! Which inputs exist is always decided by the replica's listing (a local L0 file that is not
//! uploaded yet is never compacted); for level 1 each input is read from the local meta
//! directory when it is there (the same bytes that were uploaded) and from the replica
//! otherwise. Inputs stream in with one chunk and one page per input in memory; the merged
//! output is held in memory until it is uploaded (at most about the database size for a
//! snapshot-sized L1 file), because the replica client uploads `Bytes`.
//!
//! Compaction only ever adds a file whose TXID range is exactly the union of its inputs and
//! whose pages are the database as of its MaxTXID; it deletes nothing, so every TXID that was
//! restorable before a run stays restorable after it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::ltx::{self, CompactOptions, Decoder, FileName, Header, LtxError, Txid};
use crate::storage::{LtxFileInfo, LtxReadStream, ReplicaClient};

use super::blocking_stream::BlockingStreamReader;
use super::level_schedule::{is_too_early, prev_boundary};
use super::replica_failure::replica_failure;
use super::{EngineError, MetaDir};

/// The snapshot level: full database files built from the live database, never by compaction.
pub const SNAPSHOT_LEVEL: u8 = 9;

/// The highest level compaction can write (`levels:` allows at most 8 entries).
pub const MAX_COMPACTION_LEVEL: u8 = 8;

/// Why a compaction run wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactionSkip {
    /// The destination's newest file was created after the last interval boundary.
    TooEarly {
        /// CreatedAt of the destination's newest file.
        newest_created_at: DateTime<Utc>,
        /// The last interval boundary before now.
        boundary: DateTime<Utc>,
    },
    /// The source level holds no TXID the destination does not already cover.
    NothingNew {
        /// MaxTXID of the source's newest file (0 when the source is empty).
        src_max_txid: Txid,
        /// MinTXID of the destination's newest file (0 when the destination is empty).
        dst_min_txid: Txid,
    },
}

/// The newest file of a level as Litestream picks it (`MaxLTXFileInfo`): the first file in
/// listing order with the greatest MaxTXID; `None` for an empty level.
pub fn newest_file(files: &[LtxFileInfo]) -> Option<&LtxFileInfo> {
    files
        .iter()
        .fold(None, |best: Option<&LtxFileInfo>, f| match best {
            Some(b) if f.max_txid <= b.max_txid => Some(b),
            _ => Some(f),
        })
}

/// Litestream's two pre-checks of a compaction into a level with `interval`, given the newest
/// files of the destination and source levels; `None` means "go ahead".
pub fn compaction_skip(
    dst_newest: Option<&LtxFileInfo>,
    src_newest: Option<&LtxFileInfo>,
    interval: Duration,
    now: DateTime<Utc>,
) -> Option<CompactionSkip> {
    if let Some(dst) = dst_newest
        && is_too_early(Some(dst.created_at), interval, now)
    {
        return Some(CompactionSkip::TooEarly {
            newest_created_at: dst.created_at,
            boundary: prev_boundary(now, interval),
        });
    }
    let src_max = src_newest.map_or(Txid::ZERO, |f| f.max_txid);
    let dst_min = dst_newest.map_or(Txid::ZERO, |f| f.min_txid);
    if src_max <= dst_min {
        return Some(CompactionSkip::NothingNew {
            src_max_txid: src_max,
            dst_min_txid: dst_min,
        });
    }
    None
}

/// The source files one compaction merges: every file of `src` (in listing order) whose MinTXID
/// is at least the destination's MaxTXID + 1 (all of them when the destination is empty).
///
/// A file whose TXIDs all lie within files already taken is left out: a level never holds
/// such overlaps in Litestream, but an interrupted L0 roll-up can leave the merged file beside
/// the files it replaced, and merging both in TXID order would let an older page win.
pub fn compaction_inputs(
    src: &[LtxFileInfo],
    dst_newest: Option<&LtxFileInfo>,
) -> Vec<LtxFileInfo> {
    let seek = dst_newest.map_or(Txid::ZERO, |f| f.max_txid).next();
    let mut candidates: Vec<&LtxFileInfo> = src.iter().filter(|f| f.min_txid >= seek).collect();
    candidates.sort_by_key(|f| (f.min_txid, std::cmp::Reverse(f.max_txid)));
    let mut reached: Option<Txid> = None;
    let mut out = Vec::with_capacity(candidates.len());
    for f in candidates {
        if reached.is_some_and(|r| f.max_txid <= r) {
            continue;
        }
        reached = Some(reached.map_or(f.max_txid, |r| r.max(f.max_txid)));
        out.push(f.clone());
    }
    out
}

/// Compacts level `level − 1` into `level` (1..=8) by Litestream's rules (see the module
/// docs), reading level-0 inputs from `local_l0` when present there; returns the uploaded
/// file, or `None` when the run was skipped (too early or nothing new). After a successful
/// level-1 compaction Litestream enforces L0 retention; the caller does that.
pub async fn compact_level(
    client: &ReplicaClient,
    local_l0: Option<&MetaDir>,
    level: u8,
    interval: Duration,
    now: DateTime<Utc>,
) -> Result<Option<LtxFileInfo>, EngineError> {
    if !(1..=MAX_COMPACTION_LEVEL).contains(&level) {
        return Err(EngineError::Config(format!(
            "compaction level {level} is out of range: levels 1 to {MAX_COMPACTION_LEVEL} are \
             compacted from the level below (level {SNAPSHOT_LEVEL} holds snapshots)"
        )));
    }
    let src_level = level - 1;
    let dst = list(client, level).await?;
    let dst_newest = newest_file(&dst);
    if let Some(skip @ CompactionSkip::TooEarly { .. }) =
        compaction_skip(dst_newest, None, interval, now)
    {
        tracing::debug!(level, ?skip, "compaction skipped");
        return Ok(None);
    }
    let src = list(client, src_level).await?;
    if let Some(skip) = compaction_skip(dst_newest, newest_file(&src), interval, now) {
        tracing::debug!(level, ?skip, "compaction skipped");
        return Ok(None);
    }
    let inputs = compaction_inputs(&src, dst_newest);
    let Some(name) = span(&inputs) else {
        tracing::debug!(
            level,
            "compaction skipped: no source file after the destination"
        );
        return Ok(None);
    };

    let local = if src_level == 0 { local_l0 } else { None };
    let mut opened = Vec::with_capacity(inputs.len());
    for input in &inputs {
        opened.push(open_input(client, local, input).await?);
    }
    let out_label = PathBuf::from(format!(
        "{} (merge of {} level-{src_level} files)",
        client.ltx_key(level, name),
        inputs.len()
    ));
    let capacity = inputs
        .iter()
        .map(|f| f.size)
        .sum::<u64>()
        .min(64 * 1024 * 1024) as usize;
    let runtime = tokio::runtime::Handle::current();
    let merge_label = out_label.clone();
    let merged =
        tokio::task::spawn_blocking(move || merge(opened, capacity, runtime, &merge_label))
            .await
            .map_err(|e| {
                EngineError::io(
                    "running the compaction merge",
                    &out_label,
                    std::io::Error::other(e),
                )
            })??;
    let (bytes, header) = merged;
    if header.min_txid != name.min_txid || header.max_txid != name.max_txid {
        return Err(EngineError::Ltx {
            path: out_label,
            source: LtxError::InvalidArgument {
                name: "inputs",
                reason: format!(
                    "the merged header covers {}-{} but the listed inputs cover {}-{}",
                    header.min_txid, header.max_txid, name.min_txid, name.max_txid
                ),
            },
        });
    }
    let info = client
        .write_ltx(level, name, Bytes::from(bytes), header.timestamp)
        .await
        .map_err(|e| replica_failure(client, "uploading the compacted file", e))?;
    tracing::info!(
        level,
        min_txid = %info.min_txid,
        max_txid = %info.max_txid,
        size = info.size,
        inputs = inputs.len(),
        "compaction complete"
    );
    Ok(Some(info))
}

/// The name covering `inputs`: the smallest MinTXID to the greatest MaxTXID.
fn span(inputs: &[LtxFileInfo]) -> Option<FileName> {
    let min = inputs.iter().map(|f| f.min_txid).min()?;
    let max = inputs.iter().map(|f| f.max_txid).max()?;
    Some(FileName::new(min, max))
}

async fn list(client: &ReplicaClient, level: u8) -> Result<Vec<LtxFileInfo>, EngineError> {
    client
        .list_ltx_files(level, Txid::ZERO)
        .await
        .map_err(|e| replica_failure(client, "listing files for compaction", e))
}

/// One compaction input, opened but not yet decoded.
enum OpenInput {
    /// A local L0 file in the meta directory.
    Local { path: PathBuf, file: File },
    /// A replica object being streamed.
    Remote { key: PathBuf, stream: LtxReadStream },
}

/// Opens `input` from the meta directory when it is there, else from the replica.
async fn open_input(
    client: &ReplicaClient,
    local: Option<&MetaDir>,
    input: &LtxFileInfo,
) -> Result<OpenInput, EngineError> {
    if let Some(meta) = local {
        let path = meta.l0_dir().join(input.name().to_string());
        match tokio::fs::File::open(&path).await {
            Ok(file) => {
                return Ok(OpenInput::Local {
                    path,
                    file: file.into_std().await,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(EngineError::io(
                    "opening local L0 file to compact",
                    &path,
                    e,
                ));
            }
        }
    }
    let stream = client
        .open_ltx(input.level, input.name())
        .await
        .map_err(|e| replica_failure(client, "opening a file to compact", e))?;
    Ok(OpenInput::Remote {
        key: PathBuf::from(client.ltx_key(input.level, input.name()).to_string()),
        stream,
    })
}

type InputReader = Box<dyn BufRead + Send>;

/// Decodes every input's header and merges them into one LTX file held in memory.
fn merge(
    inputs: Vec<OpenInput>,
    capacity: usize,
    runtime: tokio::runtime::Handle,
    out_label: &std::path::Path,
) -> Result<(Vec<u8>, Header), EngineError> {
    let mut decoders: Vec<Decoder<InputReader>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (path, reader): (PathBuf, InputReader) = match input {
            OpenInput::Local { path, file } => (path, Box::new(BufReader::new(file))),
            OpenInput::Remote { key, stream } => (
                key,
                Box::new(BlockingStreamReader::new(stream.stream, runtime.clone())),
            ),
        };
        decoders.push(Decoder::new(reader).map_err(|source| EngineError::Ltx { path, source })?);
    }
    let (bytes, header, _trailer) = ltx::compact(
        decoders,
        Vec::with_capacity(capacity),
        CompactOptions::default(),
    )
    .map_err(|source| EngineError::Ltx {
        path: out_label.to_path_buf(),
        source,
    })?;
    Ok((bytes, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(min: u64, max: u64, created_s: i64) -> LtxFileInfo {
        LtxFileInfo {
            level: 1,
            min_txid: Txid(min),
            max_txid: Txid(max),
            size: 100,
            created_at: DateTime::<Utc>::from_timestamp(created_s, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn newest_file_is_the_first_with_the_greatest_max_txid() {
        assert_eq!(newest_file(&[]), None);
        let files = [info(1, 5, 0), info(6, 9, 1), info(3, 9, 2), info(7, 8, 3)];
        assert_eq!(newest_file(&files), Some(&files[1]));
    }

    #[test]
    fn skip_rules_follow_litestream() {
        let s30 = Duration::from_secs(30);
        let now = DateTime::<Utc>::from_timestamp(1_000_000_020, 0).unwrap_or_default();
        // Boundary is 1_000_000_020 - (1_000_000_020 + go offset) mod 30.
        let boundary = prev_boundary(now, s30);
        let dst_after = info(1, 5, boundary.timestamp() + 1);
        let dst_before = info(1, 5, boundary.timestamp() - 1);
        let src = info(6, 6, 0);
        assert!(matches!(
            compaction_skip(Some(&dst_after), Some(&src), s30, now),
            Some(CompactionSkip::TooEarly { .. })
        ));
        assert_eq!(
            compaction_skip(Some(&dst_before), Some(&src), s30, now),
            None
        );
        // Source max ≤ destination min: nothing new.
        let old_src = info(1, 1, 0);
        assert_eq!(
            compaction_skip(Some(&dst_before), Some(&old_src), s30, now),
            Some(CompactionSkip::NothingNew {
                src_max_txid: Txid(1),
                dst_min_txid: Txid(1)
            })
        );
        // Empty source, empty destination.
        assert!(matches!(
            compaction_skip(None, None, s30, now),
            Some(CompactionSkip::NothingNew { .. })
        ));
        assert_eq!(compaction_skip(None, Some(&src), s30, now), None);
    }

    #[test]
    fn inputs_start_after_the_destination_max() {
        let src = [info(1, 1, 0), info(2, 2, 0), info(3, 3, 0), info(4, 4, 0)];
        let all: Vec<u64> = compaction_inputs(&src, None)
            .iter()
            .map(|f| f.min_txid.0)
            .collect();
        assert_eq!(all, [1, 2, 3, 4]);
        let dst = info(1, 2, 0);
        let rest: Vec<u64> = compaction_inputs(&src, Some(&dst))
            .iter()
            .map(|f| f.min_txid.0)
            .collect();
        assert_eq!(rest, [3, 4]);
    }

    #[test]
    fn inputs_skip_files_covered_by_a_rolled_up_file() {
        // An interrupted roll-up left 4-6 beside 4, 5 and 6.
        let src = [
            info(3, 3, 0),
            info(4, 4, 0),
            info(4, 6, 1),
            info(5, 5, 0),
            info(6, 6, 0),
            info(7, 7, 2),
        ];
        let dst = info(1, 2, 0);
        let picked: Vec<(u64, u64)> = compaction_inputs(&src, Some(&dst))
            .iter()
            .map(|f| (f.min_txid.0, f.max_txid.0))
            .collect();
        assert_eq!(picked, vec![(3, 3), (4, 6), (7, 7)]);
        // Without overlaps the listing order is kept and nothing is dropped.
        let plain = [info(3, 3, 0), info(4, 5, 0), info(6, 6, 0)];
        assert_eq!(compaction_inputs(&plain, Some(&dst)).len(), 3);
    }
}
