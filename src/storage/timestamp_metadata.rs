//! The object metadata that carries an LTX file's header timestamp, as Litestream 0.5.17 writes
//! it: s3 and gs `litestream-timestamp`, abs `litestreamtimestamp` (Azure metadata names cannot
//! hold a dash), the value in Go's RFC3339Nano form (`2026-11-21T17:35:42.961Z`: UTC, trailing
//! zeros of the fraction trimmed, no fraction at all on a whole second). A `file` replica keeps
//! the timestamp as the file's mtime instead.

use chrono::{DateTime, Utc};

use super::ReplicaKind;

/// The metadata key of the timestamp on s3, gs (and memory) objects.
pub const TIMESTAMP_METADATA_KEY: &str = "litestream-timestamp";

/// The metadata key of the timestamp on abs blobs.
pub const ABS_TIMESTAMP_METADATA_KEY: &str = "litestreamtimestamp";

/// The metadata key `kind` stores the timestamp under; `None` for `file` (mtime instead).
pub fn timestamp_metadata_key(kind: ReplicaKind) -> Option<&'static str> {
    match kind {
        ReplicaKind::S3 | ReplicaKind::Gs | ReplicaKind::Memory => Some(TIMESTAMP_METADATA_KEY),
        ReplicaKind::Abs => Some(ABS_TIMESTAMP_METADATA_KEY),
        ReplicaKind::File => None,
    }
}

/// The instant `ms` milliseconds after the Unix epoch; `None` if out of chrono's range.
pub fn datetime_from_ms(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
}

/// Formats `t` as Go's `time.RFC3339Nano` does for a UTC time.
pub fn format_rfc3339_nano(t: DateTime<Utc>) -> String {
    let mut text = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// Parses an RFC 3339 timestamp (any fraction length, any offset) into UTC.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go_rfc3339_nano() {
        let at = |ms| format_rfc3339_nano(datetime_from_ms(ms).unwrap());
        assert_eq!(at(1_795_282_542_961), "2026-11-21T17:35:42.961Z");
        assert_eq!(at(1_795_282_542_960), "2026-11-21T17:35:42.96Z");
        assert_eq!(at(1_795_282_542_900), "2026-11-21T17:35:42.9Z");
        assert_eq!(at(1_795_282_542_000), "2026-11-21T17:35:42Z");
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn parses_what_it_formats_and_other_offsets() {
        let t = datetime_from_ms(1_795_282_542_961).unwrap();
        assert_eq!(parse_rfc3339(&format_rfc3339_nano(t)), Some(t));
        assert_eq!(parse_rfc3339("2026-11-21T18:35:42.961+01:00"), Some(t));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn abs_key_has_no_dash_and_file_has_no_key() {
        assert_eq!(
            timestamp_metadata_key(ReplicaKind::Abs),
            Some("litestreamtimestamp")
        );
        assert_eq!(timestamp_metadata_key(ReplicaKind::File), None);
    }
}
