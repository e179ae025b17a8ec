//! `ltx-tui ltx inspect FILE...`: decode and verify LTX files and show what they hold.
//!
//! Exit code 0 when every file verifies, 1 when any file is invalid (the reason is printed for
//! each), 2 for usage errors.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::CommandOutcome;
use crate::ltx::{
    DecodeSummary, Decoder, LtxError, PageFrame, PageIndexEntry, PageVariant, SeekRangeReader,
    read_page_index,
};

/// Arguments of `ltx-tui ltx inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// LTX files to inspect.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// List every page frame (pgno, offset, frame size, compressed size, variant).
    #[arg(long)]
    pub pages: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Everything `inspect` learned about one valid file.
#[derive(Debug, Serialize)]
struct Report {
    path: PathBuf,
    summary: DecodeSummary,
    timestamp: String,
    frames: Vec<PageFrame>,
    index_matches_frames: bool,
}

/// One line of JSON output: a report or an error.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum JsonLine {
    Ok(Box<Report>),
    Err { path: PathBuf, error: String },
}

/// Runs the command.
pub fn run(args: &InspectArgs) -> CommandOutcome {
    let mut outcome = CommandOutcome::Ok;
    let mut json = Vec::new();
    for path in &args.files {
        match inspect(path) {
            Ok(report) => {
                if args.json {
                    json.push(JsonLine::Ok(Box::new(report)));
                } else {
                    print_report(&report, args.pages);
                }
            }
            Err(err) => {
                outcome = CommandOutcome::Failed;
                if args.json {
                    json.push(JsonLine::Err {
                        path: path.clone(),
                        error: err.to_string(),
                    });
                }
                eprintln!("ltx-tui: {}: invalid LTX file: {err}", path.display());
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&json) {
            Ok(text) => println!("{text}"),
            Err(err) => {
                eprintln!("ltx-tui: cannot encode JSON: {err}");
                return CommandOutcome::Failed;
            }
        }
    }
    outcome
}

fn inspect(path: &Path) -> Result<Report, LtxError> {
    let open = |operation| move |source| LtxError::Io { operation, source };
    let file = File::open(path).map_err(open("opening file"))?;
    let mut dec = Decoder::new(BufReader::with_capacity(256 * 1024, file))?;
    let mut page = vec![0u8; dec.header().page_size as usize];
    let mut frames = Vec::new();
    while let Some(frame) = dec.next_page(&mut page)? {
        frames.push(frame);
    }
    let summary = dec.finish()?;
    let view = read_page_index(&mut SeekRangeReader(
        File::open(path).map_err(open("opening file"))?,
    ))?;
    let from_frames: Vec<PageIndexEntry> = frames
        .iter()
        .map(|f| PageIndexEntry {
            pgno: f.pgno,
            offset: f.offset,
            size: f.size,
        })
        .collect();
    let mut sorted = from_frames.clone();
    sorted.sort_by_key(|e| e.pgno);
    Ok(Report {
        path: path.to_path_buf(),
        timestamp: format_millis(summary.header.timestamp),
        index_matches_frames: view.entries == sorted,
        summary,
        frames,
    })
}

/// RFC 3339 with milliseconds in UTC, Litestream's fixed timestamp format.
fn format_millis(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| format!("{ms} ms (out of range)"))
}

/// Compresses a page list into ranges: `1-4, 7, 9-10`.
fn page_ranges(frames: &[PageFrame]) -> String {
    let mut pgnos: Vec<u32> = frames.iter().map(|f| f.pgno).collect();
    pgnos.sort_unstable();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pgnos.len() {
        let start = pgnos[i];
        let mut end = start;
        while i + 1 < pgnos.len() && pgnos[i + 1] == end + 1 {
            i += 1;
            end = pgnos[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(", ")
}

fn print_report(r: &Report, list_pages: bool) {
    let s = &r.summary;
    let h = &s.header;
    let flags = if h.no_checksum() { " (NoChecksum)" } else { "" };
    let kind = if h.is_snapshot() {
        "snapshot"
    } else {
        "incremental"
    };
    let variants = {
        let legacy = r
            .frames
            .iter()
            .filter(|f| f.variant == PageVariant::LegacyFrame)
            .count();
        match (legacy, r.frames.len()) {
            (0, _) => "block".to_string(),
            (l, n) if l == n => "legacy LZ4 frame".to_string(),
            (l, n) => format!("{} block, {l} legacy LZ4 frame", n - l),
        }
    };
    let compressed: u64 = r.frames.iter().map(|f| f.compressed_size).sum();
    println!("{}: ok ({kind})", r.path.display());
    println!("  flags                {:#010x}{flags}", h.flags);
    println!("  page size            {}", h.page_size);
    println!(
        "  commit               {} pages ({} bytes)",
        h.commit,
        u64::from(h.commit) * u64::from(h.page_size)
    );
    println!("  txid range           {}-{}", h.min_txid, h.max_txid);
    println!(
        "  timestamp            {} ({} ms)",
        r.timestamp, h.timestamp
    );
    println!("  pre-apply checksum   {}", h.pre_apply_checksum);
    println!(
        "  wal                  offset {}, size {}, salts {:08x}/{:08x}",
        h.wal_offset, h.wal_size, h.wal_salt1, h.wal_salt2
    );
    println!("  node id              {}", h.node_id);
    println!(
        "  pages                {} frames ({variants}, {compressed} bytes compressed): {}",
        s.page_count,
        page_ranges(&r.frames)
    );
    println!(
        "  page index           {} entries, {} bytes (stored size {}){}",
        s.index_entries,
        s.index_size_actual,
        s.index_size_stored,
        if r.index_matches_frames {
            ""
        } else {
            " WARNING: entries differ from the page frames"
        }
    );
    println!("  post-apply checksum  {}", s.trailer.post_apply_checksum);
    println!(
        "  file checksum        {} (verified)",
        s.trailer.file_checksum
    );
    println!("  file size            {} bytes", s.file_size);
    if list_pages {
        println!(
            "  {:>10}  {:>12}  {:>8}  {:>10}  variant",
            "pgno", "offset", "size", "compressed"
        );
        for f in &r.frames {
            let variant = match f.variant {
                PageVariant::Block => "block",
                PageVariant::LegacyFrame => "legacy-frame",
            };
            println!(
                "  {:>10}  {:>12}  {:>8}  {:>10}  {variant}",
                f.pgno, f.offset, f.size, f.compressed_size
            );
        }
    }
}
