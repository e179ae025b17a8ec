//! `ltx`: the timeline of a replica — its LTX files at one level or all levels, with level,
//! TXID range, size, creation time and, when asked, page counts (Litestream's `litestream ltx`
//! and MCP tool `litestream_ltx`).
//!
//! A call is windowed, so a replica of 100,000 files is cheap to browse: a TXID range, a time
//! range and a `limit`, and a `next` cursor to page on. Each level is listed only from the
//! cursor on and only until the window is full (see [`crate::storage::LtxWindow`] for what each
//! backend reads). Page counts need each file's header and page index: they are read lazily
//! (a few ranged reads per file, never the pages), only for the files returned, and at most
//! [`MAX_PAGE_COUNTS`] per call.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::ReplicaTarget;
use super::litestream_text::rfc3339_seconds;
use super::ltx_cursor::LtxCursor;
use super::tabwriter::litestream_table;
use super::timestamp::{self, rfc3339};
use super::{OpsContext, OpsError};
use crate::ltx::{FileName, Txid};
use crate::storage::{LtxFileInfo, LtxWindow, LtxWindowPage, ReplicaClient, StorageError};

/// The highest level (snapshots).
pub const MAX_LEVEL: u8 = 9;
/// At most this many files get a page count per call; later files have none.
pub const MAX_PAGE_COUNTS: usize = 1000;
/// Page indexes read at once.
const PAGE_COUNT_CONCURRENCY: usize = 8;

/// Parameters of `ltx` (Litestream's MCP `litestream_ltx`: `path`, `config`; plus the level
/// and the window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LtxParams {
    /// A database path (its configured replica is listed) or a replica URL.
    pub path: String,
    /// Configuration file; default: the context's configuration. Unused for replica URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Level `0`…`9`, or `all`; default `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Only files whose TXID range reaches this TXID (16 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_txid: Option<String>,
    /// Only files starting at or before this TXID (16 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_txid: Option<String>,
    /// Only files created at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only files created at or before this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// At most this many files; default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Continue after this cursor (the `next` of a previous result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Read each returned file's header and page index for its page count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub page_count: bool,
}

/// One page of a replica's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LtxResult {
    /// The replica URL (without secrets).
    pub replica_url: String,
    /// The replica type (`file`, `s3`, `gs`, `abs`).
    pub replica_type: String,
    /// The database, when the replica was found through the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The files, by level, then TXID.
    pub files: Vec<LtxFileEntry>,
    /// The cursor of the next page, when more files match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Files that match but got no page count because of [`MAX_PAGE_COUNTS`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub page_counts_omitted: usize,
}

/// One LTX file of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LtxFileEntry {
    /// The compaction level (0 = per-sync files, 9 = snapshots).
    pub level: u8,
    /// First TXID covered (16 hex digits).
    #[schemars(with = "String")]
    pub min_txid: Txid,
    /// Last TXID covered (16 hex digits).
    #[schemars(with = "String")]
    pub max_txid: Txid,
    /// Size in bytes.
    pub size: u64,
    /// Creation time (RFC 3339).
    #[serde(with = "rfc3339")]
    #[schemars(with = "String")]
    pub created_at: DateTime<Utc>,
    /// Page frames in the file (when asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u64>,
    /// Database size in pages after applying the file (its header's commit; when asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<u32>,
    /// Why the page count could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count_error: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl From<LtxFileInfo> for LtxFileEntry {
    fn from(f: LtxFileInfo) -> Self {
        LtxFileEntry {
            level: f.level,
            min_txid: f.min_txid,
            max_txid: f.max_txid,
            size: f.size,
            created_at: f.created_at,
            page_count: None,
            commit: None,
            page_count_error: None,
        }
    }
}

/// A row of `litestream ltx -json`, keys in Litestream's order; `page_count` and `commit`
/// only when page counts were asked for (null when unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LitestreamLtxRow {
    /// The level.
    pub level: u8,
    /// First TXID.
    pub min_txid: Txid,
    /// Last TXID.
    pub max_txid: Txid,
    /// Size in bytes.
    pub size: u64,
    /// Creation time, RFC 3339 at second precision.
    pub timestamp: String,
    /// Page frames in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_count: Option<Option<u64>>,
    /// Database size in pages after the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<Option<u32>>,
}

impl LtxResult {
    /// The table `litestream ltx` prints (`level  min_txid  max_txid  size  created`), with a
    /// `pages` column after them when page counts were read.
    pub fn table(&self, with_pages: bool) -> String {
        let mut header: Vec<String> = ["level", "min_txid", "max_txid", "size", "created"]
            .map(str::to_owned)
            .to_vec();
        if with_pages {
            header.push("pages".to_owned());
        }
        let mut rows = vec![header];
        rows.extend(self.files.iter().map(|f| {
            let mut row = vec![
                f.level.to_string(),
                f.min_txid.to_string(),
                f.max_txid.to_string(),
                f.size.to_string(),
                rfc3339_seconds(f.created_at),
            ];
            if with_pages {
                row.push(
                    f.page_count
                        .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                );
            }
            row
        }));
        litestream_table(&rows)
    }

    /// The JSON `litestream ltx -json` prints: `[{"level", "min_txid", "max_txid", "size",
    /// "timestamp"}]`, plus `page_count` and `commit` when page counts were read.
    pub fn litestream_json(&self, with_pages: bool) -> Vec<LitestreamLtxRow> {
        self.files
            .iter()
            .map(|f| LitestreamLtxRow {
                level: f.level,
                min_txid: f.min_txid,
                max_txid: f.max_txid,
                size: f.size,
                timestamp: rfc3339_seconds(f.created_at),
                page_count: with_pages.then_some(f.page_count),
                commit: with_pages.then_some(f.commit),
            })
            .collect()
    }
}

/// Which levels a call lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelSelection {
    /// One level.
    One(u8),
    /// Levels 0 to 9.
    All,
}

impl LevelSelection {
    /// Parses `0`…`9` or `all` (absent: level 0, Litestream's default).
    pub fn parse(text: Option<&str>) -> Result<LevelSelection, OpsError> {
        match text {
            None => Ok(LevelSelection::One(0)),
            Some("all") => Ok(LevelSelection::All),
            Some(text) => match text.parse::<u8>() {
                Ok(level) if level <= MAX_LEVEL => Ok(LevelSelection::One(level)),
                _ => Err(OpsError::InvalidParam {
                    param: "level",
                    value: text.to_owned(),
                    problem: "must be between 0 and 9, or all",
                }),
            },
        }
    }

    fn levels(self) -> std::ops::RangeInclusive<u8> {
        match self {
            LevelSelection::One(level) => level..=level,
            LevelSelection::All => 0..=MAX_LEVEL,
        }
    }
}

pub(crate) fn txid_param(
    param: &'static str,
    text: Option<&str>,
) -> Result<Option<Txid>, OpsError> {
    text.map(|t| {
        t.parse().map_err(|_| OpsError::InvalidParam {
            param,
            value: t.to_owned(),
            problem: "is not a TXID (expected exactly 16 hex digits)",
        })
    })
    .transpose()
}

/// The parsed window of a call.
#[derive(Debug, Clone)]
struct Window {
    levels: LevelSelection,
    base: LtxWindow,
    cursor: Option<LtxCursor>,
    limit: Option<usize>,
}

fn window(params: &LtxParams) -> Result<Window, OpsError> {
    let since = params.since.as_deref();
    let until = params.until.as_deref();
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<LtxCursor>()
                .map_err(|problem| OpsError::InvalidParam {
                    param: "cursor",
                    value: c.to_owned(),
                    problem,
                })
        })
        .transpose()?;
    Ok(Window {
        levels: LevelSelection::parse(params.level.as_deref())?,
        base: LtxWindow {
            after: None,
            txid_from: txid_param("min_txid", params.min_txid.as_deref())?,
            txid_to: txid_param("max_txid", params.max_txid.as_deref())?,
            created_from: since
                .map(|t| timestamp::parse_param("since", t))
                .transpose()?,
            created_to: until
                .map(|t| timestamp::parse_param("until", t))
                .transpose()?,
            limit: 0,
        },
        cursor,
        limit: params.limit,
    })
}

/// The timeline of `params.path` (a database's replica or a replica URL), windowed.
pub async fn ltx(ctx: &OpsContext, params: &LtxParams) -> Result<LtxResult, OpsError> {
    window(params)?;
    let target = ctx.replica(&params.path, params.config.as_deref())?;
    ltx_on(&target, params).await
}

/// [`ltx`] on a replica the caller already opened (`params.path` and `params.config` are not
/// used): the console keeps its clients, and their metrics show what a call read.
pub async fn ltx_on(target: &ReplicaTarget, params: &LtxParams) -> Result<LtxResult, OpsError> {
    let window = window(params)?;
    let (infos, more) = list_window(target, &window).await?;
    let next = match (more, infos.last()) {
        (true, Some(last)) => Some(
            LtxCursor {
                level: last.level,
                after: last.name(),
            }
            .to_string(),
        ),
        _ => None,
    };
    let mut files: Vec<LtxFileEntry> = infos.into_iter().map(LtxFileEntry::from).collect();
    let mut omitted = 0;
    if params.page_count {
        omitted = files.len().saturating_sub(MAX_PAGE_COUNTS);
        let counted = files.len().min(MAX_PAGE_COUNTS);
        add_page_counts(&target.client, &mut files[..counted]).await;
    }
    Ok(LtxResult {
        replica_url: target.url.clone(),
        replica_type: target.client.replica_type().to_owned(),
        database: target.db_path.as_ref().map(|p| p.display().to_string()),
        files,
        next,
        page_counts_omitted: omitted,
    })
}

/// Lists the window level by level, from the cursor on; returns the files and whether more
/// match after them. A `file` replica is read in one blocking task for all levels (an absent
/// level costs one failed directory open), other backends one listing per level.
async fn list_window(
    target: &ReplicaTarget,
    window: &Window,
) -> Result<(Vec<LtxFileInfo>, bool), OpsError> {
    let url = target.url.clone();
    let failed = move |source| OpsError::Replica {
        operation: "list LTX files",
        replica: url.clone(),
        source: Box::new(source),
    };
    if let Some(local) = target.client.local_windows() {
        let window = window.clone();
        let listed = tokio::task::spawn_blocking(move || {
            // Every listing below is ready at once: the lister is synchronous.
            futures::executor::block_on(window_levels(&window, |level, w| {
                std::future::ready(local.list(level, &w))
            }))
        })
        .await
        .map_err(|source| StorageError::Task {
            operation: "list LTX files",
            source,
        })
        .and_then(|listed| listed);
        return listed.map_err(failed);
    }
    window_levels(window, |level, w| async move {
        target.client.list_ltx_window(level, &w).await
    })
    .await
    .map_err(failed)
}

/// The level loop of [`list_window`] over `list` (one level's window).
async fn window_levels<F, Fut>(
    window: &Window,
    mut list: F,
) -> Result<(Vec<LtxFileInfo>, bool), StorageError>
where
    F: FnMut(u8, LtxWindow) -> Fut,
    Fut: std::future::Future<Output = Result<LtxWindowPage, StorageError>>,
{
    let mut files = Vec::new();
    for level in window.levels.levels() {
        let mut level_window = window.base.clone();
        match window.cursor {
            Some(cursor) if level < cursor.level => continue,
            Some(cursor) if level == cursor.level => level_window.after = Some(cursor.after),
            _ => {}
        }
        let remaining = window.limit.map(|l| l - files.len().min(l));
        level_window.limit = remaining.unwrap_or(usize::MAX - 1);
        let page = list(level, level_window).await?;
        files.extend(page.files);
        let full = window.limit.is_some_and(|l| files.len() >= l);
        if full {
            if page.more {
                return Ok((files, true));
            }
            // Full exactly at the end of this level: more only if a later level has a file.
            for later in window.levels.levels().filter(|l| *l > level) {
                let probe = LtxWindow {
                    limit: 1,
                    ..window.base.clone()
                };
                if !list(later, probe).await?.files.is_empty() {
                    return Ok((files, true));
                }
            }
            return Ok((files, false));
        }
    }
    Ok((files, false))
}

/// Reads the header and page index of each file (a few ranged reads each, never the pages)
/// and fills in the page counts; a file that cannot be read gets its error instead.
async fn add_page_counts(client: &ReplicaClient, files: &mut [LtxFileEntry]) {
    let jobs: Vec<(usize, u8, FileName, u64)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.level, FileName::new(f.min_txid, f.max_txid), f.size))
        .collect();
    let results: Vec<(usize, PageCountOutcome)> =
        stream::iter(jobs)
            .map(|(i, level, name, size)| async move {
                (i, page_count(client, level, name, size).await)
            })
            .buffer_unordered(PAGE_COUNT_CONCURRENCY)
            .collect()
            .await;
    for (i, result) in results {
        let Some(file) = files.get_mut(i) else {
            continue;
        };
        match result {
            Ok((pages, commit)) => {
                file.page_count = Some(pages);
                file.commit = Some(commit);
            }
            Err(e) => file.page_count_error = Some(e),
        }
    }
}

/// Page frames and commit of one file, or why they could not be read.
type PageCountOutcome = Result<(u64, u32), String>;

async fn page_count(
    client: &ReplicaClient,
    level: u8,
    name: FileName,
    size: u64,
) -> PageCountOutcome {
    let mut reader = client
        .range_reader(level, name, tokio::runtime::Handle::current())
        .with_size(size);
    let view = tokio::task::spawn_blocking(move || crate::ltx::read_page_index(&mut reader))
        .await
        .map_err(|e| format!("internal task failed: {e}"))?
        .map_err(|e| format!("level {level} {name}: {e}"))?;
    Ok((view.entries.len() as u64, view.header.commit))
}
