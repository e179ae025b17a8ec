//! The rules a well-formed configuration must also satisfy (Litestream's and ltx-tui's own).
//!
//! Litestream's `Config.Validate` and replica builders reject: non-positive snapshot interval or
//! retention, L0 retention and check interval, shutdown sync interval, level intervals and sync
//! intervals; a negative shutdown sync timeout; a heartbeat interval under one minute or a
//! non-HTTP heartbeat URL; `path` together with `dir`, neither of them, `dir` without `pattern`,
//! `watch` or `meta-dir` without `dir`; `replica` together with `replicas`, more than one replica;
//! age encryption; and per-database snapshot settings that disagree. ltx-tui adds: listen
//! addresses need a port, a non-loopback `mcp-addr` needs `mcp-token`, attached MCP server names
//! are short, lower-case and unique, and each transport has what it needs. Every rule reports
//! the YAML path of the key or value at fault, so the error can name its line and column.

use std::collections::BTreeMap;

use super::addr::{is_loopback, parse_listen_addr};
use super::defaults;
use super::duration::GoDuration;
use super::location::{Target, YamlPath};
use super::mcp_servers::{McpServerConfig, Transport, name_problem};
use super::raw::{RawConfig, RawDb, RawReplica};
use super::replica::{REPLICA_TYPES, ReplicaSettings, ReplicaType};
use super::sections::{LOG_LEVELS, LevelConfig, SnapshotSettings};

/// A rule broken at a place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Issue {
    /// The YAML path of the offending node.
    pub path: YamlPath,
    /// Whether the key or the value is at fault.
    pub target: Target,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Issue {
    /// An issue about the value at `path`.
    pub fn value(path: YamlPath, message: impl Into<String>) -> Self {
        Issue {
            path,
            target: Target::Value,
            message: message.into(),
        }
    }

    /// An issue about the key at `path`.
    pub fn key(path: YamlPath, message: impl Into<String>) -> Self {
        Issue {
            path,
            target: Target::Key,
            message: message.into(),
        }
    }
}

/// Checks every rule, returning the first broken one.
pub(crate) fn validate(raw: &RawConfig) -> Result<(), Issue> {
    let top = &raw.own;
    let root = YamlPath::root();
    if let Some(s) = &top.snapshot {
        check_snapshot(s, &root.key("snapshot"))?;
    }
    positive(top.l0_retention, &root.key("l0-retention"), "l0 retention")?;
    positive(
        top.l0_retention_check_interval,
        &root.key("l0-retention-check-interval"),
        "l0 retention check interval",
    )?;
    if let Some(d) = top.l0_rollup
        && d.is_negative()
    {
        return Err(Issue::value(
            root.key("l0-rollup"),
            format!("l0-rollup must be >= 0 (got {d}; 0s disables the roll-up)"),
        ));
    }
    if let Some(d) = top.shutdown_sync_timeout
        && d.is_negative()
    {
        return Err(Issue::value(
            root.key("shutdown-sync-timeout"),
            format!("shutdown-sync-timeout must be >= 0 (got {d})"),
        ));
    }
    positive(
        top.shutdown_sync_interval,
        &root.key("shutdown-sync-interval"),
        "shutdown sync interval",
    )?;
    if let Some(url) = &top.heartbeat_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Issue::value(
            root.key("heartbeat-url"),
            format!("heartbeat URL must be a valid HTTP or HTTPS URL (got {url:?})"),
        ));
    }
    if let Some(d) = top.heartbeat_interval
        && d < defaults::MIN_HEARTBEAT_INTERVAL
    {
        return Err(Issue::value(
            root.key("heartbeat-interval"),
            format!("heartbeat interval must be at least 1 minute (got {d})"),
        ));
    }
    if let Some(levels) = &top.levels {
        check_levels(levels, &root.key("levels"))?;
    }
    if let Some(logging) = &top.logging
        && !LOG_LEVELS.contains(&logging.level.to_ascii_lowercase().as_str())
    {
        return Err(Issue::value(
            root.key("logging").key("level"),
            format!(
                "unknown log level {:?}: expected one of trace, debug, info, warn, error",
                logging.level
            ),
        ));
    }
    check_settings(&raw.shared, &root)?;
    let dbs = top.dbs.as_deref().unwrap_or_default();
    for (i, db) in dbs.iter().enumerate() {
        check_db(db, &root.key("dbs").index(i))?;
    }
    check_snapshot_agreement(dbs)?;
    if let Some(addr) = &top.addr {
        parse_listen_addr(addr).map_err(|e| Issue::value(root.key("addr"), e))?;
    }
    check_mcp_addr(
        top.mcp_addr.as_deref(),
        top.mcp_token.as_ref().map(|t| t.is_empty()),
    )?;
    for (i, dir) in top.restore_dirs.iter().flatten().enumerate() {
        if dir.trim().is_empty() {
            return Err(Issue::value(
                root.key("restore-dirs").index(i),
                "empty restore directory: expected a directory path",
            ));
        }
    }
    check_mcp_servers(top.mcp_servers.as_deref().unwrap_or_default())
}

/// Rejects a duration that is set and not greater than zero.
fn positive(d: Option<GoDuration>, path: &YamlPath, what: &str) -> Result<(), Issue> {
    match d {
        Some(d) if !d.is_positive() => Err(Issue::value(
            path.clone(),
            format!("{what} must be greater than 0 (got {d})"),
        )),
        _ => Ok(()),
    }
}

/// Rejects a duration that is set and negative.
fn not_negative(d: Option<GoDuration>, path: &YamlPath) -> Result<(), Issue> {
    match d {
        Some(d) if d.is_negative() => Err(Issue::value(
            path.clone(),
            format!("negative duration {d}: expected 0 or more, such as 1s"),
        )),
        _ => Ok(()),
    }
}

/// Snapshot interval and retention must be positive.
fn check_snapshot(s: &SnapshotSettings, path: &YamlPath) -> Result<(), Issue> {
    positive(s.interval, &path.key("interval"), "snapshot interval")?;
    positive(s.retention, &path.key("retention"), "snapshot retention")
}

/// At most eight levels, each with a positive interval.
fn check_levels(levels: &[LevelConfig], path: &YamlPath) -> Result<(), Issue> {
    if levels.len() > defaults::MAX_LEVELS {
        return Err(Issue::value(
            path.index(defaults::MAX_LEVELS),
            format!(
                "too many compaction levels ({}): expected at most {} (level 9 is the snapshot level)",
                levels.len(),
                defaults::MAX_LEVELS
            ),
        ));
    }
    for (i, level) in levels.iter().enumerate() {
        positive(
            Some(level.interval),
            &path.index(i).key("interval"),
            "compaction interval",
        )?;
    }
    Ok(())
}

/// Rules on replica settings, wherever they appear.
fn check_settings(s: &ReplicaSettings, path: &YamlPath) -> Result<(), Issue> {
    positive(s.sync_interval, &path.key("sync-interval"), "sync interval")?;
    not_negative(s.validation_interval, &path.key("validation-interval"))?;
    not_negative(s.reconnect_wait, &path.key("reconnect-wait"))?;
    not_negative(s.timeout, &path.key("timeout"))?;
    if let Some(age) = &s.age
        && !(age.identities.is_empty() && age.recipients.is_empty())
    {
        return Err(Issue::key(
            path.key("age"),
            "age encryption is not supported by Litestream 0.5 (replicas would be written \
             unencrypted); remove `age`, or use Litestream v0.3.x if you need encryption",
        ));
    }
    Ok(())
}

/// Rules on one `dbs` entry.
fn check_db(db: &RawDb, path: &YamlPath) -> Result<(), Issue> {
    for (key, value) in [("path", &db.path), ("dir", &db.dir)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Issue::value(
                path.key(key),
                format!("empty database {key}: expected a path such as /var/lib/app/app.db"),
            ));
        }
    }
    match (&db.path, &db.dir) {
        (Some(_), Some(_)) => {
            return Err(Issue::key(
                path.key("dir"),
                "cannot specify both `path` and `dir`",
            ));
        }
        (None, None) => {
            return Err(Issue::value(
                path.clone(),
                "must specify either `path` (one database) or `dir` with `pattern` (a directory)",
            ));
        }
        _ => {}
    }
    let has_dir = db.dir.is_some();
    if has_dir && db.pattern.as_deref().is_none_or(str::is_empty) {
        return Err(Issue::key(
            path.key("dir"),
            "`pattern` is required when using `dir` (for example pattern: \"*.db\")",
        ));
    }
    if db.watch && !has_dir {
        return Err(Issue::key(
            path.key("watch"),
            "`watch` can only be enabled with `dir`",
        ));
    }
    if db.recursive && !has_dir {
        return Err(Issue::key(
            path.key("recursive"),
            "`recursive` can only be used with `dir`",
        ));
    }
    if db.meta_dir.is_some() && !has_dir {
        return Err(Issue::key(
            path.key("meta-dir"),
            "`meta-dir` can only be used with `dir`",
        ));
    }
    if db.meta_dir.is_some() && db.meta_path.is_some() {
        return Err(Issue::key(
            path.key("meta-dir"),
            "cannot specify both `meta-path` and `meta-dir`",
        ));
    }
    if let Some(s) = &db.snapshot {
        check_snapshot(s, &path.key("snapshot"))?;
    }
    for (key, d) in [
        ("monitor-interval", db.monitor_interval),
        ("checkpoint-interval", db.checkpoint_interval),
        ("busy-timeout", db.busy_timeout),
    ] {
        not_negative(d, &path.key(key))?;
    }
    if db.replica.is_some() && db.replicas.is_some() {
        return Err(Issue::key(
            path.key("replicas"),
            "cannot specify both `replica` and `replicas` (use `replica`; `replicas` is deprecated)",
        ));
    }
    if let Some(replica) = &db.replica {
        check_replica(replica, &path.key("replica"))?;
    }
    if let Some(list) = &db.replicas {
        if list.len() > 1 {
            return Err(Issue::value(
                path.key("replicas").index(1),
                format!(
                    "{} replicas given: multiple replicas on a single database are no longer \
                     supported; expected one `replica`",
                    list.len()
                ),
            ));
        }
        for (i, r) in list.iter().enumerate() {
            check_replica(r, &path.key("replicas").index(i))?;
        }
    }
    Ok(())
}

/// Rules on a replica mapping that do not depend on the top-level defaults.
fn check_replica(r: &RawReplica, path: &YamlPath) -> Result<(), Issue> {
    if let Some(t) = &r.own.replica_type
        && ReplicaType::from_name(t).is_none()
    {
        return Err(Issue::value(
            path.key("type"),
            format!(
                "unknown replica type {t:?}: expected one of {}",
                REPLICA_TYPES.join(", ")
            ),
        ));
    }
    check_settings(&r.shared, path)
}

/// Per-database snapshot settings must agree, since Litestream has one snapshot schedule.
fn check_snapshot_agreement(dbs: &[RawDb]) -> Result<(), Issue> {
    let id = |db: &RawDb| {
        db.path
            .clone()
            .or_else(|| db.dir.clone())
            .unwrap_or_default()
    };
    for key in ["interval", "retention"] {
        let mut first: Option<(GoDuration, usize)> = None;
        for (i, db) in dbs.iter().enumerate() {
            let Some(s) = &db.snapshot else { continue };
            let Some(v) = (if key == "interval" {
                s.interval
            } else {
                s.retention
            }) else {
                continue;
            };
            match first {
                None => first = Some((v, i)),
                Some((w, j)) if w != v => {
                    return Err(Issue::value(
                        YamlPath::root()
                            .key("dbs")
                            .index(i)
                            .key("snapshot")
                            .key(key),
                        format!(
                            "conflicting database snapshot {key}s: {} has {w}, {} has {v}; \
                             Litestream keeps one snapshot schedule, so they must agree",
                            id(&dbs[j]),
                            id(db)
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// `mcp-addr` needs a port, and a token unless it binds loopback only.
///
/// `token_empty` is `None` when no token is set, `Some(true)` for an empty token.
fn check_mcp_addr(addr: Option<&str>, token_empty: Option<bool>) -> Result<(), Issue> {
    let Some(addr) = addr else { return Ok(()) };
    let path = YamlPath::root().key("mcp-addr");
    let parsed = parse_listen_addr(addr).map_err(|e| Issue::value(path.clone(), e))?;
    if !is_loopback(&parsed.host) && token_empty != Some(false) {
        let host = if parsed.host.is_empty() {
            "every interface".to_owned()
        } else {
            parsed.host
        };
        return Err(Issue::value(
            path,
            format!(
                "mcp-addr {addr:?} listens on {host}, not only on loopback, so `mcp-token` is \
                 required; set mcp-token, or bind 127.0.0.1"
            ),
        ));
    }
    Ok(())
}

/// Names valid and unique; each transport has what it needs and nothing it ignores.
fn check_mcp_servers(servers: &[McpServerConfig]) -> Result<(), Issue> {
    let list = YamlPath::root().key("mcp-servers");
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in servers.iter().enumerate() {
        let path = list.index(i);
        if let Some(problem) = name_problem(&s.name) {
            return Err(Issue::value(path.key("name"), problem));
        }
        if let Some(j) = names.insert(&s.name, i) {
            return Err(Issue::value(
                path.key("name"),
                format!(
                    "duplicate MCP server name {:?} (already used by mcp-servers[{j}]); names \
                     prefix tool names, so they must be unique",
                    s.name
                ),
            ));
        }
        match s.transport {
            Transport::Stdio => {
                if s.command.as_deref().is_none_or(|c| c.trim().is_empty()) {
                    return Err(Issue::value(
                        path.clone(),
                        format!(
                            "MCP server {:?} uses the stdio transport but has no `command`: \
                             expected the program to run",
                            s.name
                        ),
                    ));
                }
                for (key, set) in [("url", s.url.is_some()), ("headers", !s.headers.is_empty())] {
                    if set {
                        return Err(Issue::key(
                            path.key(key),
                            format!("`{key}` is only used by the http and sse transports"),
                        ));
                    }
                }
            }
            Transport::Http | Transport::Sse => {
                let Some(url) = &s.url else {
                    return Err(Issue::value(
                        path.clone(),
                        format!(
                            "MCP server {:?} uses the {} transport but has no `url`: expected \
                             an http:// or https:// URL",
                            s.name, s.transport
                        ),
                    ));
                };
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(Issue::value(
                        path.key("url"),
                        format!(
                            "invalid MCP server url {url:?}: expected an http:// or https:// URL"
                        ),
                    ));
                }
                let stdio_only = [
                    ("command", s.command.is_some()),
                    ("args", !s.args.is_empty()),
                    ("env", !s.env.is_empty()),
                    ("cwd", s.cwd.is_some()),
                ];
                for (key, set) in stdio_only {
                    if set {
                        return Err(Issue::key(
                            path.key(key),
                            format!("`{key}` is only used by the stdio transport"),
                        ));
                    }
                }
            }
        }
        if !s.timeout.is_positive() {
            return Err(Issue::value(
                path.key("timeout"),
                format!("timeout must be greater than 0 (got {})", s.timeout),
            ));
        }
    }
    Ok(())
}
