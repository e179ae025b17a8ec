//! The timeline's model: a window of time over a replica's LTX files (lanes L0…L3 and L9), a
//! cursor, zoom and follow. Only the files of the loaded window are held (about three spans
//! around what is visible), asked with `since`/`until` from the [`TimelineSource`] (`ops::ltx`
//! for a local database, the host's `ltx_timeline` for a remote one); drawing buckets them
//! per screen column with binary searches, so a frame costs columns × log(files), never a
//! walk over every file.

use std::path::PathBuf;
use std::time::SystemTime;

use super::timeline_source::TimelineSource;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ltx::Txid;
use crate::ops::LtxFileEntry;

/// The levels drawn as lanes.
pub const LANES: [LaneLevel; 5] = [
    LaneLevel(0),
    LaneLevel(1),
    LaneLevel(2),
    LaneLevel(3),
    LaneLevel(9),
];
/// Width of the lane labels ("L0 ").
pub const LABEL_WIDTH: u16 = 4;
/// The most files one window load asks for.
pub const MAX_WINDOW_FILES: usize = 200_000;
/// The zoom ladder, in seconds.
pub const SPANS: [i64; 11] = [
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
    6 * 3600,
    86400,
    7 * 86400,
    30 * 86400,
];
const DEFAULT_SPAN: usize = 4;

/// A level shown as a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneLevel(pub u8);

/// The timeline of one database.
#[derive(Debug, Clone)]
pub struct TimelineState {
    /// The database shown.
    pub source: Option<TimelineSource>,
    /// Right edge of the visible window.
    pub end: DateTime<Utc>,
    span: usize,
    /// The cursor.
    pub cursor: DateTime<Utc>,
    /// The window follows the present (cursor at now).
    pub follow: bool,
    files: Vec<LtxFileEntry>,
    lane_times: Vec<Vec<i64>>,
    lane_files: Vec<Vec<usize>>,
    all_times: Vec<i64>,
    /// The time range the held files cover.
    pub loaded: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last load hit its limit ([`MAX_WINDOW_FILES`] locally): the window holds more.
    pub truncated: bool,
    /// Sequence number of the newest request (older answers are dropped).
    pub seq: u64,
    /// A request is in flight.
    pub loading: bool,
    /// Load again when the current request ends (new files arrived meanwhile).
    pub reload: bool,
    /// Why the last load failed.
    pub error: Option<String>,
}

/// The files of a window, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedWindow {
    /// The files (any order).
    pub files: Vec<LtxFileEntry>,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// Until (inclusive).
    pub to: DateTime<Utc>,
    /// The window holds more files than were listed.
    pub truncated: bool,
}

/// The answer to a window request: the files, or the error.
pub type WindowFiles = Result<LoadedWindow, String>;

/// A request for the files of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRequest {
    /// Sequence number.
    pub seq: u64,
    /// The database.
    pub source: TimelineSource,
    /// From (inclusive).
    pub since: DateTime<Utc>,
    /// Until (inclusive).
    pub until: DateTime<Utc>,
}

/// What lies under the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorInfo<'a> {
    /// The newest TXID replicated at the cursor time, among the held files.
    pub txid: Option<Txid>,
    /// The newest file of each lane at or before the cursor.
    pub files: Vec<(LaneLevel, &'a LtxFileEntry)>,
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn to_utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

impl TimelineState {
    /// A timeline following the present.
    pub fn new(now: SystemTime) -> TimelineState {
        let now = to_utc(now);
        TimelineState {
            source: None,
            end: now,
            span: DEFAULT_SPAN,
            cursor: now,
            follow: true,
            files: Vec::new(),
            lane_times: vec![Vec::new(); LANES.len()],
            lane_files: vec![Vec::new(); LANES.len()],
            all_times: Vec::new(),
            loaded: None,
            truncated: false,
            seq: 0,
            loading: false,
            reload: false,
            error: None,
        }
    }

    /// The screen column where the lanes start (after the border and the lane labels).
    pub fn lane_origin() -> u16 {
        1 + LABEL_WIDTH
    }

    /// The visible span.
    pub fn span(&self) -> TimeDelta {
        TimeDelta::seconds(SPANS[self.span])
    }

    /// Left edge of the visible window.
    pub fn start(&self) -> DateTime<Utc> {
        self.end - self.span()
    }

    /// Columns of the lanes for a terminal `width` columns wide (inside the pane border).
    pub fn columns(width: u16) -> u16 {
        width.saturating_sub(2 + LABEL_WIDTH).max(1)
    }

    /// Files held.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The files held, by creation time.
    pub fn files(&self) -> &[LtxFileEntry] {
        &self.files
    }

    /// Shows the local database `db`; a different database drops the held files.
    pub fn set_db(&mut self, db: PathBuf) {
        self.set_source(TimelineSource::Local(db));
    }

    /// Shows `source`; a different database drops the held files, its error, and any answer
    /// still on its way.
    pub fn set_source(&mut self, source: TimelineSource) {
        if self.source.as_ref() != Some(&source) {
            self.source = Some(source);
            self.files.clear();
            self.all_times.clear();
            self.lane_times = vec![Vec::new(); LANES.len()];
            self.lane_files = vec![Vec::new(); LANES.len()];
            self.loaded = None;
            self.loading = false;
            self.reload = false;
            self.truncated = false;
            self.error = None;
            self.seq += 1;
        }
    }

    /// Forgets the loaded window so the next look loads it again (new files arrived).
    pub fn invalidate(&mut self) {
        self.loaded = None;
    }

    /// Moves with the present when following.
    pub fn tick(&mut self, now: SystemTime) {
        if self.follow {
            self.end = to_utc(now);
            self.cursor = self.end;
        }
    }

    /// A request for the window around the visible one, if none is in flight (else a reload
    /// is queued).
    pub fn request(&mut self) -> Option<WindowRequest> {
        let source = self.source.clone()?;
        if self.loading {
            self.reload = true;
            return None;
        }
        self.seq += 1;
        self.loading = true;
        self.reload = false;
        let span = self.span();
        Some(WindowRequest {
            seq: self.seq,
            source,
            since: self.start() - span,
            until: self.end + span,
        })
    }

    /// A request if the visible window is not inside the loaded one.
    pub fn request_if_needed(&mut self) -> Option<WindowRequest> {
        match self.loaded {
            Some((from, to)) if from <= self.start() && (to >= self.end || self.follow) => None,
            _ => self.request(),
        }
    }

    /// Takes the answer of request `seq`; returns a follow-up request when a reload was
    /// queued.
    pub fn loaded(&mut self, seq: u64, result: WindowFiles) -> Option<WindowRequest> {
        if seq != self.seq {
            return None;
        }
        self.loading = false;
        match result {
            Ok(LoadedWindow {
                mut files,
                from,
                to,
                truncated,
            }) => {
                self.truncated = truncated;
                files.sort_by_key(|f| (f.created_at, f.level, f.min_txid));
                self.lane_files = LANES
                    .iter()
                    .map(|lane| {
                        (0..files.len())
                            .filter(|&i| files[i].level == lane.0)
                            .collect()
                    })
                    .collect();
                self.lane_times = self
                    .lane_files
                    .iter()
                    .map(|idx| idx.iter().map(|&i| millis(files[i].created_at)).collect())
                    .collect();
                self.all_times = files.iter().map(|f| millis(f.created_at)).collect();
                self.files = files;
                self.loaded = Some((from, to));
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        if self.reload { self.request() } else { None }
    }

    /// Files of lane `lane` per column, over `columns` columns of the visible window.
    pub fn buckets(&self, lane: usize, columns: u16) -> Vec<usize> {
        let Some(times) = self.lane_times.get(lane) else {
            return vec![0; columns as usize];
        };
        let start = millis(self.start());
        let width = (self.span().num_milliseconds()).max(1);
        let cols = i64::from(columns.max(1));
        (0..cols)
            .map(|c| {
                let from = start + width * c / cols;
                let to = start + width * (c + 1) / cols;
                let lo = times.partition_point(|t| *t < from);
                let hi = times.partition_point(|t| *t < to);
                hi - lo
            })
            .collect()
    }

    /// The column of the cursor, if it is in the visible window.
    pub fn cursor_column(&self, columns: u16) -> Option<u16> {
        let offset = (self.cursor - self.start()).num_milliseconds();
        let width = self.span().num_milliseconds().max(1);
        if offset < 0 || offset > width {
            return None;
        }
        let col = offset * i64::from(columns) / width;
        Some((col as u16).min(columns.saturating_sub(1)))
    }

    /// What the cursor points at.
    pub fn at_cursor(&self) -> CursorInfo<'_> {
        let t = millis(self.cursor);
        let mut files = Vec::new();
        for (i, lane) in LANES.iter().enumerate() {
            let (Some(times), Some(idx)) = (self.lane_times.get(i), self.lane_files.get(i)) else {
                continue;
            };
            let n = times.partition_point(|x| *x <= t);
            if let Some(f) = n
                .checked_sub(1)
                .and_then(|k| idx.get(k))
                .and_then(|&j| self.files.get(j))
            {
                files.push((*lane, f));
            }
        }
        let txid = files.iter().map(|(_, f)| f.max_txid).max();
        CursorInfo { txid, files }
    }

    /// Moves the cursor by `columns_moved` columns (of `columns`), panning the window to keep
    /// it visible. Leaves follow mode when moving back.
    pub fn scrub(&mut self, columns_moved: i64, columns: u16, now: SystemTime) {
        let step = self.span().num_milliseconds() / i64::from(columns.max(1));
        self.move_cursor_to(
            self.cursor + TimeDelta::milliseconds(step * columns_moved),
            now,
        );
    }

    /// Puts the cursor at `t` (not past now), panning the window to keep it visible.
    pub fn move_cursor_to(&mut self, t: DateTime<Utc>, now: SystemTime) {
        let now = to_utc(now);
        self.cursor = t.min(now);
        self.follow = self.cursor >= now;
        if self.follow {
            self.end = now;
        } else if self.cursor < self.start() {
            self.end = self.cursor + self.span();
        } else if self.cursor > self.end {
            self.end = self.cursor;
        }
    }

    /// Jumps to the next (`forward`) or previous file after the cursor; false when the held
    /// files have none (the cursor then moves one span).
    pub fn jump_file(&mut self, forward: bool, now: SystemTime) -> bool {
        let t = millis(self.cursor);
        let target = if forward {
            self.all_times.iter().find(|x| **x > t).copied()
        } else {
            let i = self.all_times.partition_point(|x| *x < t);
            i.checked_sub(1).map(|i| self.all_times[i])
        };
        match target.and_then(DateTime::<Utc>::from_timestamp_millis) {
            Some(at) => {
                self.move_cursor_to(at, now);
                true
            }
            None => {
                let span = self.span();
                let to = if forward {
                    self.cursor + span
                } else {
                    self.cursor - span
                };
                self.move_cursor_to(to, now);
                false
            }
        }
    }

    /// Centres the window on `t`.
    pub fn goto(&mut self, t: DateTime<Utc>, now: SystemTime) {
        self.move_cursor_to(t, now);
        if !self.follow {
            self.end = (self.cursor + self.span() / 2).min(to_utc(now));
        }
    }

    fn rezoom(&mut self, span: usize, now: SystemTime) {
        self.span = span;
        if self.follow {
            self.end = to_utc(now);
        } else {
            self.end = (self.cursor + self.span() / 2).min(to_utc(now));
        }
    }

    /// Narrows the window around the cursor.
    pub fn zoom_in(&mut self, now: SystemTime) {
        self.rezoom(self.span.saturating_sub(1), now);
    }

    /// Widens the window around the cursor.
    pub fn zoom_out(&mut self, now: SystemTime) {
        self.rezoom((self.span + 1).min(SPANS.len() - 1), now);
    }

    /// The default zoom, following the present.
    pub fn zoom_reset(&mut self, now: SystemTime) {
        self.follow = true;
        self.cursor = to_utc(now);
        self.rezoom(DEFAULT_SPAN, now);
    }

    /// When the followed window next moves by a column.
    pub fn next_column_turnover(&self, now: SystemTime, width: u16) -> Option<SystemTime> {
        let step = self.span().num_milliseconds() / i64::from(Self::columns(width));
        let step = std::time::Duration::from_millis(u64::try_from(step).ok()?.max(250));
        Some(now + step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(level: u8, txid: u64, at: DateTime<Utc>) -> LtxFileEntry {
        LtxFileEntry {
            level,
            min_txid: Txid(txid),
            max_txid: Txid(txid),
            size: 100,
            created_at: at,
            page_count: None,
            commit: None,
            page_count_error: None,
        }
    }

    #[test]
    fn buckets_cursor_and_jumps_over_held_files() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let mut tl = TimelineState::new(now);
        tl.set_db(PathBuf::from("/a.db"));
        let req = tl.request().unwrap();
        let t = to_utc(now);
        let files = vec![
            file(0, 1, t - TimeDelta::seconds(300)),
            file(0, 2, t - TimeDelta::seconds(200)),
            file(1, 2, t - TimeDelta::seconds(100)),
        ];
        let window = LoadedWindow {
            files,
            from: req.since,
            to: req.until,
            truncated: false,
        };
        assert!(tl.loaded(req.seq, Ok(window)).is_none());
        let b0 = tl.buckets(0, 10);
        assert_eq!(b0.iter().sum::<usize>(), 2);
        assert_eq!(
            b0[5], 1,
            "300 s before the end of a 600 s window is the middle column"
        );
        assert_eq!(tl.cursor_column(10), Some(9));
        assert!(tl.jump_file(false, now));
        assert_eq!(tl.cursor, t - TimeDelta::seconds(100));
        assert!(!tl.follow);
        let info = tl.at_cursor();
        assert_eq!(info.txid, Some(Txid(2)));
        assert_eq!(info.files.len(), 2);
        assert!(tl.jump_file(false, now));
        assert!(tl.jump_file(false, now));
        assert_eq!(tl.at_cursor().txid, Some(Txid(1)));
        tl.zoom_reset(now);
        assert!(tl.follow);
    }

    #[test]
    fn stale_answers_are_dropped_and_reloads_are_queued() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let mut tl = TimelineState::new(now);
        tl.set_db(PathBuf::from("/a.db"));
        let first = tl.request().unwrap();
        assert!(tl.request().is_none(), "one request in flight");
        let next = tl.loaded(first.seq, Err("boom".into()));
        assert!(next.is_some(), "the queued reload goes out");
        assert!(tl.loaded(first.seq, Err("late".into())).is_none());
        assert_eq!(tl.error.as_deref(), Some("boom"));
    }

    #[test]
    fn a_new_source_drops_the_files_the_error_and_late_answers() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let mut tl = TimelineState::new(now);
        tl.set_db(PathBuf::from("/a.db"));
        let local = tl.request().unwrap();
        assert!(tl.loaded(local.seq, Err("boom".into())).is_none());
        let remote = TimelineSource::Remote(super::super::fleet::RemoteDbRef {
            host: "db2".into(),
            path: "/srv/orders.db".into(),
        });
        tl.set_source(remote.clone());
        assert_eq!(tl.error, None);
        let req = tl.request().unwrap();
        assert_eq!(req.source, remote);
        let t = to_utc(now);
        let window = LoadedWindow {
            files: vec![file(0, 5, t - TimeDelta::seconds(30))],
            from: req.since,
            to: req.until,
            truncated: true,
        };
        assert!(tl.loaded(local.seq, Ok(window.clone())).is_none());
        assert_eq!(tl.file_count(), 0, "the local answer came too late");
        assert!(tl.loaded(req.seq, Ok(window)).is_none());
        assert_eq!(tl.file_count(), 1);
        assert!(tl.truncated);
        assert_eq!(tl.at_cursor().txid, Some(Txid(5)));
    }
}
