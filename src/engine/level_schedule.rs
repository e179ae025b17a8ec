//! When each compaction level runs, as Litestream 0.5.17's `CompactionLevel` decides it.
//!
//! A level with interval `d` wakes at the next multiple of `d` (boundaries are aligned the way Go's
//! `time.Time.Truncate` aligns them: multiples of `d` counted from Go's zero time,
//! 0001-01-01T00:00:00Z, in UTC; for every interval that divides a day, such as the defaults 30 s,
//! 5 min, 1 h and 24 h, these are exactly the multiples counted from the Unix epoch) and once
//! immediately when its task starts. A run that finds the level's newest file created after the
//! last boundary is "too early" and does nothing, so restarts do not compact twice in one
//! interval. Everything here is a pure function of the time passed in: the per-database task owns
//! the timers.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Seconds from Go's zero time (0001-01-01T00:00:00Z) to the Unix epoch.
const GO_ZERO_TO_UNIX_EPOCH_SECS: i128 = 62_135_596_800;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// The last interval boundary at or before `now` (Litestream's `PrevCompactionAt`: `now`
/// truncated to a multiple of `interval`); `now` itself when `interval` is zero.
pub fn prev_boundary(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = interval.as_nanos() as i128;
    if step == 0 {
        return now;
    }
    let unix_nanos = unix_nanos(now);
    let since_go_zero = unix_nanos + GO_ZERO_TO_UNIX_EPOCH_SECS * NANOS_PER_SEC;
    from_unix_nanos(unix_nanos - since_go_zero.rem_euclid(step))
}

/// The first interval boundary strictly after `now` (Litestream's `NextCompactionAt`:
/// [`prev_boundary`] plus one interval); `now` itself when `interval` is zero.
pub fn next_boundary(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let prev = prev_boundary(now, interval);
    from_unix_nanos(unix_nanos(prev) + interval.as_nanos() as i128)
}

/// How long to sleep from `now` until `at`; zero when `at` is not in the future.
pub fn delay_until(now: DateTime<Utc>, at: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

/// True when a level's newest file was created after the last boundary before `now`, so
/// compacting into that level now would run twice in one interval (Litestream's
/// `ErrCompactionTooEarly`); false when the level is empty.
pub fn is_too_early(
    newest_created_at: Option<DateTime<Utc>>,
    interval: Duration,
    now: DateTime<Utc>,
) -> bool {
    newest_created_at.is_some_and(|created| created > prev_boundary(now, interval))
}

/// The wake-up schedule of one level: once immediately at start, then at every boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelSchedule {
    interval: Duration,
    started: bool,
}

impl LevelSchedule {
    /// A schedule for a level compacted every `interval` that has not run yet.
    pub fn new(interval: Duration) -> Self {
        LevelSchedule {
            interval,
            started: false,
        }
    }

    /// The level's interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When the level should run next: `now` on the first call (a level runs once immediately
    /// at start), afterwards the first boundary after `now`. Pass the time the previous run
    /// started, as Litestream does, so a run that overshoots a boundary is followed at once.
    pub fn next_run(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        if !self.started {
            self.started = true;
            return now;
        }
        next_boundary(now, self.interval)
    }

    /// [`LevelSchedule::next_run`] as a delay from `now`, for `tokio::time::sleep`.
    pub fn next_delay(&mut self, now: DateTime<Utc>) -> Duration {
        let at = self.next_run(now);
        delay_until(now, at)
    }
}

fn unix_nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * NANOS_PER_SEC + i128::from(t.timestamp_subsec_nanos())
}

/// The instant `nanos` after the Unix epoch, clamped to chrono's range.
fn from_unix_nanos(nanos: i128) -> DateTime<Utc> {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let sub = nanos.rem_euclid(NANOS_PER_SEC) as u32;
    match i64::try_from(secs)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, sub))
    {
        Some(t) => t,
        None if nanos < 0 => DateTime::<Utc>::MIN_UTC,
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// `now - d`, clamped to chrono's range (for retention thresholds).
pub(crate) fn saturating_sub(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|delta| now.checked_sub_signed(delta))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    const S30: Duration = Duration::from_secs(30);
    const M5: Duration = Duration::from_secs(300);
    const H1: Duration = Duration::from_secs(3600);
    const H24: Duration = Duration::from_secs(86_400);

    #[test]
    fn prev_boundary_truncates_to_utc_aligned_multiples() {
        let now = at("2026-03-14T15:09:26.535897Z");
        assert_eq!(prev_boundary(now, S30), at("2026-03-14T15:09:00Z"));
        assert_eq!(prev_boundary(now, M5), at("2026-03-14T15:05:00Z"));
        assert_eq!(prev_boundary(now, H1), at("2026-03-14T15:00:00Z"));
        assert_eq!(prev_boundary(now, H24), at("2026-03-14T00:00:00Z"));
        // A time exactly on a boundary is its own previous boundary.
        let on = at("2026-03-14T15:09:30Z");
        assert_eq!(prev_boundary(on, S30), on);
    }

    #[test]
    fn next_boundary_is_strictly_after_now() {
        let now = at("2026-03-14T15:09:26.5Z");
        assert_eq!(next_boundary(now, S30), at("2026-03-14T15:09:30Z"));
        assert_eq!(next_boundary(now, H24), at("2026-03-15T00:00:00Z"));
        let on = at("2026-03-14T15:09:30Z");
        assert_eq!(next_boundary(on, S30), at("2026-03-14T15:10:00Z"));
    }

    #[test]
    fn day_dividing_intervals_align_to_the_unix_epoch() {
        let now = at("2026-03-14T15:09:26.535897Z");
        for secs in [1, 8, 30, 45, 90, 300, 900, 3600, 7200, 21_600, 86_400] {
            let interval = Duration::from_secs(secs);
            let b = prev_boundary(now, interval);
            assert_eq!(b.timestamp() % secs as i64, 0, "interval {secs}s");
            assert_eq!(b.timestamp_subsec_nanos(), 0);
            assert!(b <= now && now - b < TimeDelta::seconds(secs as i64));
        }
    }

    #[test]
    fn other_intervals_align_like_go_truncate_from_year_one() {
        // 7 h does not divide the 719162 days between year 1 and 1970, so Go's alignment
        // (from year 1) differs from a Unix-epoch one: 62135596800 s mod 25200 s = 7200 s,
        // so Go's boundaries sit 5 h past each Unix-epoch multiple of 7 h (a Unix-epoch
        // alignment would give 00:00 and 07:00 here).
        let interval = Duration::from_secs(7 * 3600);
        let now = at("1970-01-01T04:00:00Z");
        assert_eq!(prev_boundary(now, interval), at("1969-12-31T22:00:00Z"));
        assert_eq!(next_boundary(now, interval), at("1970-01-01T05:00:00Z"));
    }

    #[test]
    fn sub_second_intervals_and_times_before_the_epoch_work() {
        let interval = Duration::from_millis(250);
        assert_eq!(
            prev_boundary(at("2026-01-01T00:00:00.3Z"), interval),
            at("2026-01-01T00:00:00.25Z")
        );
        assert_eq!(
            prev_boundary(at("1969-12-31T23:59:59.9Z"), interval),
            at("1969-12-31T23:59:59.75Z")
        );
    }

    #[test]
    fn zero_interval_leaves_time_unchanged() {
        let now = at("2026-03-14T15:09:26.5Z");
        assert_eq!(prev_boundary(now, Duration::ZERO), now);
        assert_eq!(next_boundary(now, Duration::ZERO), now);
    }

    #[test]
    fn huge_intervals_clamp_instead_of_overflowing() {
        let now = at("2026-03-14T15:09:26.5Z");
        let huge = Duration::from_secs(u64::MAX);
        assert!(prev_boundary(now, huge) <= now);
        assert_eq!(next_boundary(now, huge), DateTime::<Utc>::MAX_UTC);
        assert_eq!(saturating_sub(now, huge), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn too_early_when_the_newest_file_is_after_the_last_boundary() {
        let now = at("2026-03-14T15:09:26Z");
        assert!(!is_too_early(None, S30, now));
        assert!(is_too_early(Some(at("2026-03-14T15:09:00.001Z")), S30, now));
        // Created exactly on the boundary is not after it.
        assert!(!is_too_early(Some(at("2026-03-14T15:09:00Z")), S30, now));
        assert!(!is_too_early(Some(at("2026-03-14T15:08:59Z")), S30, now));
    }

    #[test]
    fn schedule_runs_immediately_then_on_boundaries() {
        let mut s = LevelSchedule::new(S30);
        assert_eq!(s.interval(), S30);
        let start = at("2026-03-14T15:09:26Z");
        assert_eq!(s.next_run(start), start);
        assert_eq!(s.next_run(start), at("2026-03-14T15:09:30Z"));
        let mut s = LevelSchedule::new(S30);
        assert_eq!(s.next_delay(start), Duration::ZERO);
        assert_eq!(s.next_delay(start), Duration::from_secs(4));
        // A run that started on a boundary waits a whole interval.
        assert_eq!(s.next_delay(at("2026-03-14T15:09:30Z")), S30);
    }

    #[test]
    fn delay_until_never_goes_negative() {
        let now = at("2026-03-14T15:09:26Z");
        assert_eq!(delay_until(now, at("2026-03-14T15:09:20Z")), Duration::ZERO);
        assert_eq!(
            delay_until(now, at("2026-03-14T15:09:27.5Z")),
            Duration::from_millis(1500)
        );
    }
}
