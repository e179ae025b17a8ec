//! The small top-level sections: levels, snapshot, logging, socket, retention, validation, ui.
//!
//! Each section reads with its Litestream defaults already applied (a missing key takes the
//! default), rejects unknown keys, and prints back with every value shown. Rules that need more
//! than one value (levels must be positive, snapshot settings must agree across databases) live
//! in `validate.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::defaults;
use super::duration::GoDuration;

/// One compaction level (`levels[n]` configures level n+1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// How often the level is compacted from the level below; must be greater than 0.
    #[serde(default)]
    pub interval: GoDuration,
}

/// The `snapshot` section as written: either value may be absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSettings {
    /// How often a level-9 snapshot is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    /// How long snapshots are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<GoDuration>,
}

/// The resolved snapshot settings (global, with per-database values promoted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotConfig {
    /// How often a level-9 snapshot is written (default 24h).
    pub interval: GoDuration,
    /// How long snapshots are kept (default 24h).
    pub retention: GoDuration,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig {
            interval: defaults::SNAPSHOT_INTERVAL,
            retention: defaults::SNAPSHOT_RETENTION,
        }
    }
}

/// The log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `key=value` text lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
    /// Human-friendly coloured text.
    Pretty,
}

/// The `logging` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Log level: trace, debug, info, warn or error (`LOG_LEVEL` overrides it).
    pub level: String,
    /// Output format.
    #[serde(rename = "type")]
    pub format: LogFormat,
    /// Log to stderr instead of stdout.
    pub stderr: bool,
    /// Add the source file and line to each record.
    pub source: bool,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: defaults::LOG_LEVEL.to_owned(),
            format: LogFormat::Text,
            stderr: false,
            source: false,
        }
    }
}

/// The log levels Litestream understands (case-insensitive; `warning` means `warn`).
pub const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "warning", "error"];

/// A Unix file mode, written in YAML as octal (`0600`) like Go's YAML 1.1 reader does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMode(pub u32);

impl Serialize for FileMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:04o}", self.0))
    }
}

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FileModeVisitor)
    }
}

/// Reads `0600` (octal text), `0o600`, or a plain integer.
struct FileModeVisitor;

impl<'de> Visitor<'de> for FileModeVisitor {
    type Value = FileMode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an octal file mode such as 0600")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<FileMode, E> {
        u32::try_from(v)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(FileMode)
            .ok_or_else(|| E::custom(format_args!("invalid file mode {v}: expected 0000 to 7777")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<FileMode, E> {
        Err(E::custom(format_args!(
            "invalid file mode {v}: expected 0000 to 7777"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FileMode, E> {
        let digits = v.strip_prefix("0o").unwrap_or(v);
        u32::from_str_radix(digits, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(FileMode)
            .ok_or_else(|| {
                E::custom(format_args!(
                    "invalid file mode {v:?}: expected an octal mode such as 0600"
                ))
            })
    }
}

/// The `socket` section: the control socket used by Litestream's start/stop/sync commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SocketConfig {
    /// Serve the control socket.
    pub enabled: bool,
    /// Socket path (default `/var/run/litestream.sock`).
    pub path: PathBuf,
    /// Socket file mode (default 0600).
    pub permissions: FileMode,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            enabled: false,
            path: PathBuf::from(defaults::SOCKET_PATH),
            permissions: FileMode(defaults::SOCKET_PERMISSIONS),
        }
    }
}

/// The `retention` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Delete old remote files; `false` leaves that to bucket lifecycle rules.
    pub enabled: bool,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { enabled: true }
    }
}

/// The `validation` section: periodic verification of the replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationConfig {
    /// How often to validate; unset disables validation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
}

/// The `ui` section: ltx-tui's console preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Colour theme name.
    pub theme: String,
    /// Capture the mouse (off by default so terminal selection keeps working).
    pub mouse: bool,
    /// Key rebindings: action name to key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keymap: BTreeMap<String, String>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: defaults::UI_THEME.to_owned(),
            mouse: false,
            keymap: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn file_modes_read_octal_like_go_yaml() {
        let m: FileMode = serde_yaml_ng::from_str("0600").unwrap();
        assert_eq!(m, FileMode(0o600));
        let m: FileMode = serde_yaml_ng::from_str("0o640").unwrap();
        assert_eq!(m, FileMode(0o640));
        let m: FileMode = serde_yaml_ng::from_str("'0644'").unwrap();
        assert_eq!(m, FileMode(0o644));
        assert_eq!(
            serde_yaml_ng::to_string(&FileMode(0o600)).unwrap().trim(),
            "'0600'"
        );
        assert!(serde_yaml_ng::from_str::<FileMode>("0900").is_err());
    }

    #[test]
    fn sections_default_and_reject_unknown_keys() {
        let l: LoggingConfig = serde_yaml_ng::from_str("type: json").unwrap();
        assert_eq!(l.level, "info");
        assert_eq!(l.format, LogFormat::Json);
        let err = serde_yaml_ng::from_str::<UiConfig>("mouse: true\ntheem: x").unwrap_err();
        assert!(err.to_string().contains("unknown field `theem`"), "{err}");
        let s: SocketConfig = serde_yaml_ng::from_str("enabled: true").unwrap();
        assert_eq!(s.path, PathBuf::from("/var/run/litestream.sock"));
        assert_eq!(s.permissions, FileMode(0o600));
    }
}
