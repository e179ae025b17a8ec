//! From the file as written to the configuration ltx-tui uses: defaults, paths, merged replicas.
//!
//! Resolution applies Litestream's defaults, promotes a per-database `snapshot` to the global
//! one when the global one is absent, normalises paths (`~`, SQLite prefixes, absolute against
//! the working directory), folds the deprecated `replicas:` list into `replica`, merges the
//! top-level replica settings into every replica, derives each replica's type from its URL, and
//! applies the `LOG_LEVEL` override. Replica rules that depend on merged settings (a URL together
//! with `path` or `bucket`, a missing bucket or host) are checked here, like Litestream's replica
//! builders do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::defaults;
use super::duration::GoDuration;
use super::location::YamlPath;
use super::model::{Config, DbConfig, EnvCredentials};
use super::options::LoadOptions;
use super::paths;
use super::raw::{RawConfig, RawDb, RawReplica};
use super::replica::{ReplicaConfig, ReplicaSettings, ReplicaType};
use super::replica_url::ReplicaUrl;
use super::secret::Secret;
use super::sections::{LOG_LEVELS, LevelConfig, SnapshotConfig, SnapshotSettings};
use super::validate::Issue;

/// Builds the resolved configuration from a validated raw one.
pub(crate) fn resolve(raw: RawConfig, origin: &Path, opts: &LoadOptions) -> Result<Config, Issue> {
    let global = raw.shared;
    let top = raw.own;
    let root = YamlPath::root();
    let mut warnings = Vec::new();
    let home = opts.home.as_deref();
    let cwd = opts.cwd.as_path();

    let raw_dbs = top.dbs.unwrap_or_default();
    let snapshot = promote_snapshot(top.snapshot.unwrap_or_default(), &raw_dbs);

    let mut logging = top.logging.unwrap_or_default();
    if let Some(level) = opts.var("LOG_LEVEL") {
        if LOG_LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            logging.level = level.to_owned();
        } else {
            warnings.push(format!(
                "LOG_LEVEL={level:?} is not a log level (trace, debug, info, warn, error); \
                 using {:?} from the file",
                logging.level
            ));
        }
    }

    let mut dbs = Vec::with_capacity(raw_dbs.len());
    let mut seen: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for (i, db) in raw_dbs.into_iter().enumerate() {
        let path = root.key("dbs").index(i);
        let resolved = resolve_db(db, &path, &global, opts, &mut warnings)?;
        if let Some(p) = resolved.path.clone().or_else(|| resolved.dir.clone())
            && let Some(j) = seen.insert(p.clone(), i)
        {
            let key = if resolved.path.is_some() {
                "path"
            } else {
                "dir"
            };
            return Err(Issue::value(
                path.key(key),
                format!("{} is already configured by dbs[{j}]", p.display()),
            ));
        }
        dbs.push(resolved);
    }

    let mut restore_dirs = Vec::new();
    for (i, d) in top.restore_dirs.unwrap_or_default().iter().enumerate() {
        restore_dirs.push(
            paths::resolve_path(d, home, cwd)
                .map_err(|e| Issue::value(root.key("restore-dirs").index(i), e))?,
        );
    }

    let mut mcp_servers = top.mcp_servers.unwrap_or_default();
    for (i, s) in mcp_servers.iter_mut().enumerate() {
        if let Some(dir) = &s.cwd {
            let text = dir.to_string_lossy().into_owned();
            s.cwd = Some(
                paths::resolve_path(&text, home, cwd)
                    .map_err(|e| Issue::value(root.key("mcp-servers").index(i).key("cwd"), e))?,
            );
        }
    }

    let mut replica_defaults = global;
    replica_defaults.age = None;

    Ok(Config {
        origin: origin.to_path_buf(),
        addr: top.addr,
        mcp_addr: top.mcp_addr,
        mcp_token: top.mcp_token.filter(|t| !t.is_empty()),
        restore_dirs,
        exec: top.exec,
        logging,
        levels: top.levels.unwrap_or_else(|| {
            defaults::LEVEL_INTERVALS
                .iter()
                .map(|&interval| LevelConfig { interval })
                .collect()
        }),
        snapshot,
        l0_retention: top.l0_retention.unwrap_or(defaults::L0_RETENTION),
        l0_retention_check_interval: top
            .l0_retention_check_interval
            .unwrap_or(defaults::L0_RETENTION_CHECK_INTERVAL),
        l0_rollup: top.l0_rollup.unwrap_or(defaults::L0_ROLLUP),
        retention: top.retention.unwrap_or_default(),
        validation: top.validation.unwrap_or_default(),
        verify_compaction: top.verify_compaction.unwrap_or(false),
        heartbeat_url: top.heartbeat_url,
        heartbeat_interval: top
            .heartbeat_interval
            .unwrap_or(defaults::HEARTBEAT_INTERVAL),
        shutdown_sync_timeout: top
            .shutdown_sync_timeout
            .unwrap_or(defaults::SHUTDOWN_SYNC_TIMEOUT),
        shutdown_sync_interval: top
            .shutdown_sync_interval
            .unwrap_or(defaults::SHUTDOWN_SYNC_INTERVAL),
        socket: top.socket.unwrap_or_default(),
        replica_defaults,
        dbs,
        mcp_servers,
        ui: top.ui.unwrap_or_default(),
        env_credentials: env_credentials(opts),
        warnings,
    })
}

/// The global snapshot settings, taking a per-database value where the global one is absent.
fn promote_snapshot(global: SnapshotSettings, dbs: &[RawDb]) -> SnapshotConfig {
    let per_db = |pick: fn(&SnapshotSettings) -> Option<GoDuration>| {
        dbs.iter().find_map(|d| d.snapshot.as_ref().and_then(pick))
    };
    SnapshotConfig {
        interval: global
            .interval
            .or_else(|| per_db(|s| s.interval))
            .unwrap_or(defaults::SNAPSHOT_INTERVAL),
        retention: global
            .retention
            .or_else(|| per_db(|s| s.retention))
            .unwrap_or(defaults::SNAPSHOT_RETENTION),
    }
}

/// Resolves one `dbs` entry.
fn resolve_db(
    db: RawDb,
    path: &YamlPath,
    global: &ReplicaSettings,
    opts: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<DbConfig, Issue> {
    let home = opts.home.as_deref();
    let cwd = opts.cwd.as_path();
    let resolve_opt = |value: &Option<String>, key: &str, db_path: bool| {
        value
            .as_deref()
            .map(|v| {
                let r = if db_path {
                    paths::resolve_db_path(v, home, cwd)
                } else {
                    paths::resolve_path(v, home, cwd)
                };
                r.map_err(|e| Issue::value(path.key(key), e))
            })
            .transpose()
    };
    let (raw_replica, replica_path) = match (db.replica, db.replicas) {
        (Some(r), _) => (Some(r), path.key("replica")),
        (None, Some(list)) => {
            warnings.push(format!(
                "{path}.replicas is deprecated: write `replica:` with a single mapping instead"
            ));
            (list.into_iter().next(), path.key("replicas").index(0))
        }
        (None, None) => (None, path.key("replica")),
    };
    let replica = raw_replica
        .map(|r| resolve_replica(r, &replica_path, global, opts, warnings))
        .transpose()?;
    Ok(DbConfig {
        path: resolve_opt(&db.path, "path", true)?,
        dir: resolve_opt(&db.dir, "dir", false)?,
        pattern: db.pattern,
        recursive: db.recursive,
        watch: db.watch,
        meta_path: resolve_opt(&db.meta_path, "meta-path", false)?,
        meta_dir: resolve_opt(&db.meta_dir, "meta-dir", false)?,
        monitor_interval: db.monitor_interval.unwrap_or(defaults::MONITOR_INTERVAL),
        checkpoint_interval: db
            .checkpoint_interval
            .unwrap_or(defaults::CHECKPOINT_INTERVAL),
        busy_timeout: db.busy_timeout.unwrap_or(defaults::BUSY_TIMEOUT),
        min_checkpoint_page_count: db
            .min_checkpoint_page_count
            .unwrap_or(defaults::MIN_CHECKPOINT_PAGE_COUNT),
        truncate_page_n: db
            .truncate_page_n
            .filter(|n| *n != 0)
            .unwrap_or(defaults::TRUNCATE_PAGE_N),
        max_sync_wal_bytes: db
            .max_sync_wal_bytes
            .unwrap_or(defaults::MAX_SYNC_WAL_BYTES),
        restart_windows: db.restart_windows.unwrap_or(defaults::RESTART_WINDOWS),
        restore_if_db_not_exists: db.restore_if_db_not_exists,
        replica,
    })
}

/// Resolves one replica: merged settings, type, URL, path, and the builder rules.
fn resolve_replica(
    raw: RawReplica,
    path: &YamlPath,
    global: &ReplicaSettings,
    opts: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<ReplicaConfig, Issue> {
    let own = raw.own;
    let mut settings = raw.shared;
    settings.fill_from(global);
    settings.age = None;
    if settings.sync_interval.is_none() {
        settings.sync_interval = Some(defaults::SYNC_INTERVAL);
    }
    if settings.max_sync_ltx_files.is_none() {
        settings.max_sync_ltx_files = Some(defaults::MAX_SYNC_LTX_FILES);
    }
    if own.name.is_some() {
        warnings.push(format!(
            "{path}.name is deprecated and ignored by Litestream 0.5"
        ));
    }
    let url = own
        .url
        .as_deref()
        .filter(|u| !u.is_empty())
        .map(|u| ReplicaUrl::parse(u).map_err(|e| Issue::value(path.key("url"), e)))
        .transpose()?;
    let replica_type = match &url {
        Some(u) => u.replica_type(),
        None => own
            .replica_type
            .as_deref()
            .and_then(ReplicaType::from_name)
            .unwrap_or(ReplicaType::File),
    };
    let mut dest = own.path.filter(|p| !p.is_empty());
    if let Some(p) = &dest
        && is_url(p)
    {
        return Err(Issue::value(
            path.key("path"),
            format!("replica path cannot be a URL ({p:?}); use the `url` key instead"),
        ));
    }
    if url.is_some() {
        if replica_type != ReplicaType::Nats && dest.is_some() {
            return Err(Issue::key(
                path.key("path"),
                format!("cannot specify both `url` and `path` for this {replica_type} replica"),
            ));
        }
        if matches!(
            replica_type,
            ReplicaType::S3 | ReplicaType::Gs | ReplicaType::Abs | ReplicaType::Oss
        ) && settings.bucket.is_some()
        {
            let origin = if global.bucket.is_some() && settings.bucket == global.bucket {
                " (set at the top level as a default for every replica)"
            } else {
                ""
            };
            return Err(Issue::value(
                path.key("url"),
                format!(
                    "cannot specify both `url` and `bucket`{origin} for this {replica_type} replica"
                ),
            ));
        }
    }
    let missing = |what: &str| {
        Issue::value(
            path.clone(),
            format!("{what} required for this {replica_type} replica: set `url`, or `{what}`"),
        )
    };
    let url_host = url
        .as_ref()
        .map(|u| u.host.as_str())
        .filter(|h| !h.is_empty());
    match replica_type {
        ReplicaType::File => {
            let p = url.as_ref().map(|u| u.path.clone()).or(dest.clone());
            let Some(p) = p else {
                return Err(missing("path"));
            };
            let resolved = paths::resolve_path(&p, opts.home.as_deref(), &opts.cwd)
                .map_err(|e| Issue::value(path.key("path"), e))?;
            if url.is_none() {
                dest = Some(resolved.to_string_lossy().into_owned());
            }
        }
        ReplicaType::S3 | ReplicaType::Gs | ReplicaType::Oss | ReplicaType::Abs => {
            if settings.bucket.is_none() && url_host.is_none() {
                return Err(missing("bucket"));
            }
        }
        ReplicaType::Sftp => {
            if settings.host.is_none() && url_host.is_none() {
                return Err(missing("host"));
            }
            let url_user = url.as_ref().and_then(|u| u.user.as_deref());
            if settings.user.is_none() && url_user.is_none() {
                return Err(missing("user"));
            }
        }
        ReplicaType::Webdav => {
            if settings.webdav_url.is_none() && url_host.is_none() {
                return Err(missing("webdav-url"));
            }
        }
        ReplicaType::Nats => {
            let url_bucket = url
                .as_ref()
                .map(|u| u.path.trim_matches('/'))
                .filter(|b| !b.is_empty());
            if settings.bucket.is_none() && url_bucket.is_none() {
                return Err(missing("bucket"));
            }
            if settings.client_cert.is_some() != settings.client_key.is_some() {
                return Err(Issue::value(
                    path.clone(),
                    "client-cert and client-key must both be specified for mutual TLS",
                ));
            }
        }
    }
    if let Some(p) = &settings.sse_customer_key_path
        && (p == "~" || p.starts_with("~/"))
    {
        let expanded = paths::expand_home(p, opts.home.as_deref())
            .map_err(|e| Issue::value(path.key("sse-customer-key-path"), e))?;
        settings.sse_customer_key_path = Some(expanded.to_string_lossy().into_owned());
    }
    Ok(ReplicaConfig {
        replica_type,
        name: own.name,
        url,
        path: dest,
        settings,
    })
}

/// Litestream's `IsURL`: `^\w+://`.
fn is_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The S3 credentials the environment provides, `AWS_*` first, then `LITESTREAM_*`.
fn env_credentials(opts: &LoadOptions) -> EnvCredentials {
    let pick = |aws: &'static str, litestream: &'static str| {
        opts.var(aws)
            .map(|v| (v.to_owned(), aws))
            .or_else(|| opts.var(litestream).map(|v| (v.to_owned(), litestream)))
    };
    EnvCredentials {
        access_key_id: pick("AWS_ACCESS_KEY_ID", "LITESTREAM_ACCESS_KEY_ID"),
        secret_access_key: pick("AWS_SECRET_ACCESS_KEY", "LITESTREAM_SECRET_ACCESS_KEY")
            .map(|(v, from)| (Secret::new(v), from)),
    }
}
