//! Good configurations: `config.example.yml`, the Litestream documentation examples, and the
//! resolution rules (defaults, global replica settings, paths, environment, redaction).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ltx_tui::config::{
    self, ByteSize, Config, GoDuration, LoadOptions, LogFormat, REDACTED, ReplicaType, Transport,
    defaults,
};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn docs_dir() -> PathBuf {
    repo_file("tests/fixtures/config/litestream-docs")
}

/// A fixed outside world: working directory, home, and a few variables.
fn options() -> LoadOptions {
    let mut opts = LoadOptions::new("/srv/app");
    opts.home = Some(PathBuf::from("/home/op"));
    opts.pid = 4242;
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret-key-value"),
        ("BUCKET", "env-bucket"),
        ("DB_DIR", "/var/lib/envdb"),
        ("LTX_TUI_MCP_TOKEN", "mcp-token-value"),
        ("EDGE_01_TOKEN", "edge-token-value"),
    ] {
        opts.env.insert(k.into(), v.into());
    }
    opts
}

fn docs(name: &str) -> Config {
    config::load(&docs_dir().join(name), &options()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(text: &str) -> Config {
    config::parse_str(text, Path::new("test.yml"), &options()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every secret value used by the fixtures and the example.
const SECRETS: &[&str] = &[
    "env-secret-key-value",
    "mcp-token-value",
    "edge-token-value",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ACCOUNTKEY",
    "sig=xyz",
    "PASSWORD",
    "davpass",
    "ossecret",
];

#[test]
fn the_example_config_parses() {
    let c = config::load(&repo_file("config.example.yml"), &options()).unwrap();
    assert_eq!(c.mcp_addr.as_deref(), Some("127.0.0.1:3001"));
    assert_eq!(c.mcp_token.as_ref().unwrap().expose(), "mcp-token-value");
    assert_eq!(
        c.restore_dirs,
        [
            PathBuf::from("/var/lib/ltx-tui/restores"),
            PathBuf::from("/home/op/restores")
        ]
    );
    assert_eq!(c.snapshot.retention, GoDuration::from_hours(72));
    assert_eq!(c.socket.permissions.0, 0o600);
    let types: Vec<ReplicaType> = c
        .dbs
        .iter()
        .map(|d| d.replica.as_ref().unwrap().replica_type)
        .collect();
    assert_eq!(
        types,
        [
            ReplicaType::S3,
            ReplicaType::S3,
            ReplicaType::File,
            ReplicaType::Gs
        ]
    );
    assert_eq!(
        c.dbs[2].path.as_deref(),
        Some(Path::new("/home/op/data/notes.db"))
    );
    assert_eq!(c.dbs[3].dir.as_deref(), Some(Path::new("/var/lib/tenants")));
    // Top-level credentials reach every replica.
    let s3 = &c.dbs[0].replica.as_ref().unwrap().settings;
    assert_eq!(s3.access_key_id.as_deref(), Some("AKIAENVEXAMPLE"));
    assert_eq!(
        s3.secret_access_key.as_ref().unwrap().expose(),
        "env-secret-key-value"
    );
    assert_eq!(s3.part_size, Some(ByteSize::from_mib(5)));
    assert_eq!(c.mcp_servers.len(), 2);
    assert_eq!(c.mcp_servers[0].transport, Transport::Stdio);
    assert_eq!(c.mcp_servers[0].args[0], "-y");
    assert_eq!(c.mcp_servers[1].transport, Transport::Http);
    assert_eq!(
        c.mcp_servers[1].headers["Authorization"].expose(),
        "Bearer edge-token-value"
    );
    assert_eq!(c.mcp_servers[1].timeout, GoDuration::from_secs(10));
    assert!(!c.ui.mouse);
    assert_eq!(c.ui.keymap["quit"], "q");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn the_example_config_parses_with_an_empty_environment() {
    let mut opts = options();
    opts.env.clear();
    let c = config::load(&repo_file("config.example.yml"), &opts).unwrap();
    // An unset variable expands to "", and an empty token counts as no token.
    assert!(c.mcp_token.is_none());
}

#[test]
fn every_litestream_docs_example_parses() {
    let mut count = 0;
    for entry in std::fs::read_dir(docs_dir()).unwrap() {
        let path = entry.unwrap().path();
        let c = config::load(&path, &options()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.dbs.is_empty(), "{}", path.display());
        for db in &c.dbs {
            assert!(db.path.is_some() != db.dir.is_some(), "{}", path.display());
            assert!(db.replica.is_some(), "{}", path.display());
        }
        count += 1;
    }
    assert!(count >= 15, "only {count} examples");
}

#[test]
fn s3_replicas_by_url_and_by_fields() {
    let c = docs("s3-url.yml");
    let r = c.dbs[0].replica.as_ref().unwrap();
    assert_eq!(r.replica_type, ReplicaType::S3);
    let url = r.url.as_ref().unwrap();
    assert_eq!(
        (url.host.as_str(), url.path.as_str()),
        ("mybkt.litestream.io", "db")
    );
    assert_eq!(r.bucket(), Some("mybkt.litestream.io"));
    assert_eq!(r.destination_path(), Some("db"));

    let c = docs("s3-fields.yml");
    let r = c.dbs[0].replica.as_ref().unwrap();
    assert_eq!(r.replica_type, ReplicaType::S3);
    assert!(r.url.is_none());
    assert_eq!(r.bucket(), Some("mybkt.litestream.io"));
    assert_eq!(r.settings.region.as_deref(), Some("us-east-1"));

    let c = docs("s3-compatible-minio.yml");
    let s = &c.dbs[0].replica.as_ref().unwrap().settings;
    assert_eq!(s.endpoint.as_deref(), Some("http://localhost:9000"));
    assert_eq!(s.force_path_style, Some(true));
    assert_eq!(s.require_content_md5, Some(false));
    assert_eq!(s.concurrency, Some(5));

    let c = docs("s3-url-query-options.yml");
    let o = |i: usize| {
        c.dbs[i]
            .replica
            .as_ref()
            .unwrap()
            .url
            .as_ref()
            .unwrap()
            .s3
            .clone()
            .unwrap()
    };
    assert_eq!(o(0).endpoint.as_deref(), Some("fly.storage.tigris.dev"));
    assert_eq!(o(0).force_path_style, Some(false));
    assert_eq!(o(0).require_content_md5, Some(false));
    assert_eq!(o(1).force_path_style, Some(true));
    assert_eq!(o(1).part_size, Some(ByteSize::from_mib(10)));
    assert_eq!(o(1).concurrency, Some(4));
    assert_eq!(o(2).region.as_deref(), Some("us-west-2"));
}

#[test]
fn file_replicas_default_and_resolve_paths() {
    let c = docs("file.yml");
    let r = |i: usize| c.dbs[i].replica.clone().unwrap();
    assert_eq!(r(0).replica_type, ReplicaType::File);
    assert_eq!(r(0).destination_path(), Some("/backup/db"));
    assert_eq!(r(1).replica_type, ReplicaType::File);
    assert_eq!(r(2).replica_type, ReplicaType::File);
    assert_eq!(r(2).destination_path(), Some("/backup/third"));

    let c = parse("dbs:\n  - path: data/app.db\n    replica:\n      path: ../backups\n");
    // Relative paths are made absolute against the working directory, like filepath.Abs.
    assert_eq!(
        c.dbs[0].path.as_deref(),
        Some(Path::new("/srv/app/data/app.db"))
    );
    assert_eq!(
        c.dbs[0].replica.as_ref().unwrap().path.as_deref(),
        Some("/srv/backups")
    );
    assert_eq!(
        c.dbs[0].effective_meta_path(),
        Some(PathBuf::from("/srv/app/data/.app.db-litestream"))
    );
}

#[test]
fn other_backends_take_their_type_from_the_url() {
    let c = docs("abs.yml");
    assert_eq!(
        c.dbs[0].replica.as_ref().unwrap().replica_type,
        ReplicaType::Abs
    );
    assert_eq!(
        c.dbs[0].replica.as_ref().unwrap().bucket(),
        Some("CONTAINERNAME")
    );
    assert_eq!(
        c.dbs[1].replica.as_ref().unwrap().replica_type,
        ReplicaType::Abs
    );
    let c = docs("gs.yml");
    assert_eq!(
        c.dbs[0].replica.as_ref().unwrap().replica_type,
        ReplicaType::Gs
    );
    let c = docs("sftp.yml");
    let r = c.dbs[0].replica.as_ref().unwrap();
    assert_eq!(r.replica_type, ReplicaType::Sftp);
    assert_eq!(r.url.as_ref().unwrap().user.as_deref(), Some("USER"));
    let c = docs("webdav-nats-oss.yml");
    let types: Vec<ReplicaType> = c
        .dbs
        .iter()
        .map(|d| d.replica.as_ref().unwrap().replica_type)
        .collect();
    assert_eq!(
        types,
        [
            ReplicaType::Webdav,
            ReplicaType::Webdav,
            ReplicaType::Nats,
            ReplicaType::Oss
        ]
    );
    assert_eq!(
        c.dbs[2].replica.as_ref().unwrap().settings.max_reconnects,
        Some(-1)
    );
    // The NATS bucket is the URL path; WebDAV has no bucket.
    assert_eq!(c.dbs[2].replica.as_ref().unwrap().bucket(), Some("backups"));
    assert_eq!(c.dbs[0].replica.as_ref().unwrap().bucket(), None);
}

#[test]
fn directory_replication() {
    let c = docs("directory.yml");
    let db = &c.dbs[0];
    assert_eq!(db.dir.as_deref(), Some(Path::new("/var/lib/app/tenants")));
    assert_eq!(db.pattern.as_deref(), Some("*.db"));
    assert!(db.recursive && db.watch);
    assert_eq!(
        db.meta_dir.as_deref(),
        Some(Path::new("/var/lib/app/tenants-meta"))
    );
}

#[test]
fn top_level_replica_settings_are_defaults_for_every_replica() {
    let c = docs("global-replica-defaults.yml");
    let r1 = c.dbs[0].replica.as_ref().unwrap();
    let r2 = c.dbs[1].replica.as_ref().unwrap();
    assert_eq!(r1.sync_interval(), GoDuration::from_secs(10));
    assert_eq!(r2.sync_interval(), GoDuration::from_secs(1));
    for r in [r1, r2] {
        assert_eq!(r.settings.region.as_deref(), Some("us-west-2"));
        assert_eq!(r.settings.access_key_id.as_deref(), Some("AKIAENVEXAMPLE"));
        assert_eq!(
            r.settings.endpoint.as_deref(),
            Some("https://s3.us-west-2.amazonaws.com")
        );
    }
    assert_eq!(
        c.replica_defaults.sync_interval,
        Some(GoDuration::from_secs(10))
    );
}

#[test]
fn litestream_defaults_are_filled_in() {
    let c = docs("reference-example.yml");
    assert_eq!(c.addr.as_deref(), Some(":9090"));
    assert_eq!(c.snapshot.interval, GoDuration::from_hours(24));
    assert_eq!(c.snapshot.retention, GoDuration::from_hours(72));
    assert_eq!(c.l0_retention, GoDuration::from_mins(5));
    assert_eq!(c.l0_retention_check_interval, GoDuration::from_secs(15));
    assert_eq!(c.shutdown_sync_timeout, GoDuration::from_secs(30));
    assert_eq!(c.shutdown_sync_interval, GoDuration::from_millis(500));
    assert_eq!(c.heartbeat_interval, GoDuration::from_mins(5));
    assert!(c.retention.enabled);
    assert!(!c.socket.enabled);
    assert_eq!(c.socket.path, PathBuf::from("/var/run/litestream.sock"));
    assert_eq!(c.logging.level, "info");
    let db = &c.dbs[0];
    assert_eq!(db.monitor_interval, GoDuration::from_secs(1));
    assert_eq!(db.busy_timeout, GoDuration::from_secs(1));
    assert_eq!(db.checkpoint_interval, GoDuration::from_mins(1));
    assert_eq!(db.min_checkpoint_page_count, 1000);
    assert_eq!(db.truncate_page_n, 121_359);
    assert_eq!(db.max_sync_wal_bytes, ByteSize::from_mib(64));
    let r = db.replica.as_ref().unwrap();
    assert_eq!(r.sync_interval(), GoDuration::from_secs(1));
    assert_eq!(r.max_sync_ltx_files(), 256);

    let empty = parse("");
    let intervals: Vec<GoDuration> = empty.levels.iter().map(|l| l.interval).collect();
    assert_eq!(intervals, defaults::LEVEL_INTERVALS);
    assert!(empty.dbs.is_empty());
    // Empty sections mean "all defaults", as in Litestream.
    let c = parse("snapshot:\nlogging:\nsocket:\n");
    assert_eq!(c.snapshot.interval, defaults::SNAPSHOT_INTERVAL);
    assert_eq!(c.logging.format, LogFormat::Text);
}

#[test]
fn levels_snapshot_retention_and_validation_keys() {
    let c = docs("levels-snapshot-retention.yml");
    assert_eq!(c.levels.len(), 4);
    assert_eq!(c.levels[3].interval, GoDuration::from_hours(6));
    assert_eq!(c.snapshot.interval, GoDuration::from_hours(12));
    assert_eq!(c.l0_retention, GoDuration::from_mins(10));
    assert!(!c.retention.enabled);
    assert_eq!(c.validation.interval, Some(GoDuration::from_hours(1)));
    assert!(c.verify_compaction);
    let s = &c.dbs[0].replica.as_ref().unwrap().settings;
    assert_eq!(s.max_sync_ltx_files, Some(512));
    assert_eq!(s.auto_recover, Some(true));
}

#[test]
fn per_database_snapshots_are_promoted_when_the_global_one_is_absent() {
    let c = docs("per-db-snapshot.yml");
    assert_eq!(c.snapshot.interval, GoDuration::from_hours(6));
    assert_eq!(c.snapshot.retention, GoDuration::from_hours(48));
    // A global value wins over per-database ones.
    let c = parse(
        "snapshot: {interval: 1h}\ndbs:\n  - path: /a.db\n    snapshot: {interval: 6h}\n    replica: {path: /b}\n",
    );
    assert_eq!(c.snapshot.interval, GoDuration::from_hours(1));
}

#[test]
fn deprecated_replicas_list_is_folded_into_replica() {
    let c = docs("replicas-deprecated.yml");
    let r = c.dbs[0].replica.as_ref().unwrap();
    assert_eq!(r.replica_type, ReplicaType::S3);
    assert_eq!(r.sync_interval(), GoDuration::from_secs(10));
    assert_eq!(r.name.as_deref(), Some("primary"));
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("dbs[0].replicas is deprecated")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn environment_variables_are_expanded() {
    let c = docs("env-vars.yml");
    let db = &c.dbs[0];
    assert_eq!(db.path.as_deref(), Some(Path::new("/var/lib/envdb/app.db")));
    let r = db.replica.as_ref().unwrap();
    assert_eq!(r.url.as_ref().unwrap().host, "env-bucket");
    assert_eq!(r.url.as_ref().unwrap().path, "app-4242");
    assert_eq!(r.settings.access_key_id.as_deref(), Some("AKIAENVEXAMPLE"));

    // With expansion off, the text is taken literally.
    let mut opts = options();
    opts.expand_env = false;
    let c = config::parse_str("exec: \"run $HOME ${X}\"\n", Path::new("t.yml"), &opts).unwrap();
    assert_eq!(c.exec.as_deref(), Some("run $HOME ${X}"));
    // With expansion on, unset variables are empty and Go's rules apply.
    let c = parse("exec: \"run $UNSET ${BUCKET} $$ cost: 5$\"\n");
    assert_eq!(c.exec.as_deref(), Some("run  env-bucket  cost: 5$"));
}

#[test]
fn database_tuning_and_sqlite_prefixes() {
    let c = docs("db-tuning.yml");
    let db = &c.dbs[0];
    assert_eq!(db.path.as_deref(), Some(Path::new("/var/lib/app.db")));
    assert_eq!(db.monitor_interval, GoDuration::from_millis(100));
    assert_eq!(db.checkpoint_interval, GoDuration::ZERO);
    assert_eq!(db.busy_timeout, GoDuration::from_secs(5));
    assert_eq!(db.min_checkpoint_page_count, 2000);
    // 0 means the default, as in Litestream.
    assert_eq!(db.truncate_page_n, 121_359);
    assert_eq!(db.max_sync_wal_bytes, ByteSize::from_mib(32));
    assert!(db.restore_if_db_not_exists);
    let c = parse("dbs:\n  - path: \"file:/data/app.db?mode=rwc\"\n    replica: {path: /b}\n");
    assert_eq!(c.dbs[0].path.as_deref(), Some(Path::new("/data/app.db")));
}

#[test]
fn restart_windows_are_on_by_default_and_can_be_turned_off_per_database() {
    let c = parse(
        "dbs:\n  - path: /a.db\n    replica: {path: /ra}\n  - path: /b.db\n    restart-windows: false\n    replica: {path: /rb}\n",
    );
    assert!(c.dbs[0].restart_windows);
    assert!(!c.dbs[1].restart_windows);
    let err = config::parse_str(
        "dbs:\n  - path: /a.db\n    restart-windows: sometimes\n    replica: {path: /ra}\n",
        Path::new("test.yml"),
        &options(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "dbs[0].restart-windows: invalid type: string \"sometimes\", expected a boolean"
        ),
        "{err}"
    );
}

#[test]
fn logging_and_the_log_level_variable() {
    let c = docs("logging.yml");
    assert_eq!(c.logging.level, "debug");
    assert_eq!(c.logging.format, LogFormat::Json);
    assert!(c.logging.stderr && c.logging.source);

    let mut opts = options();
    opts.env.insert("LOG_LEVEL".into(), "WARN".into());
    let c = config::load(&docs_dir().join("logging.yml"), &opts).unwrap();
    assert_eq!(c.logging.level, "WARN");
    opts.env.insert("LOG_LEVEL".into(), "loud".into());
    let c = config::load(&docs_dir().join("logging.yml"), &opts).unwrap();
    assert_eq!(c.logging.level, "debug");
    assert!(
        c.warnings.iter().any(|w| w.contains("LOG_LEVEL=\"loud\"")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn operations_keys() {
    let c = docs("operations.yml");
    assert_eq!(c.heartbeat_interval, GoDuration::from_mins(10));
    assert_eq!(c.shutdown_sync_timeout, GoDuration::from_mins(1));
    assert_eq!(c.exec.as_deref(), Some("myapp -addr :8080"));
    assert!(c.socket.enabled);
    assert_eq!(c.socket.permissions.0, 0o660);
}

#[test]
fn litestream_credential_variables_are_fallbacks() {
    let mut opts = LoadOptions::new("/");
    opts.env
        .insert("LITESTREAM_ACCESS_KEY_ID".into(), "LSKEY".into());
    opts.env
        .insert("LITESTREAM_SECRET_ACCESS_KEY".into(), "lssecret".into());
    let c = config::parse_str("", Path::new("t.yml"), &opts).unwrap();
    assert_eq!(
        c.env_credentials.access_key_id,
        Some(("LSKEY".to_owned(), "LITESTREAM_ACCESS_KEY_ID"))
    );
    let (secret, from) = c.env_credentials.secret_access_key.clone().unwrap();
    assert_eq!(
        (secret.expose(), from),
        ("lssecret", "LITESTREAM_SECRET_ACCESS_KEY")
    );
    // The AWS variables win when set.
    opts.env.insert("AWS_ACCESS_KEY_ID".into(), "AWSKEY".into());
    let c = config::parse_str("", Path::new("t.yml"), &opts).unwrap();
    assert_eq!(
        c.env_credentials.access_key_id.unwrap().1,
        "AWS_ACCESS_KEY_ID"
    );
}

#[test]
fn printed_configs_hide_secrets_and_parse_back_identically() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(docs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(repo_file("config.example.yml"));
    for path in files {
        let c = config::load(&path, &options()).unwrap();
        let printed = c.to_redacted_yaml().unwrap();
        for secret in SECRETS {
            assert!(
                !printed.contains(secret),
                "{} leaks {secret}:\n{printed}",
                path.display()
            );
        }
        let again = config::parse_str(&printed, &path, &options())
            .unwrap_or_else(|e| panic!("{} does not parse back: {e}\n{printed}", path.display()));
        assert_eq!(
            again.to_redacted_yaml().unwrap(),
            printed,
            "{}",
            path.display()
        );
    }
    let c = docs("s3-fields.yml");
    assert!(
        c.to_redacted_yaml()
            .unwrap()
            .contains(&format!("secret-access-key: '{REDACTED}'"))
    );
    assert!(!format!("{c:?}").contains("xxxxxxxxxxxxxxxxxxxx"));
}

#[test]
fn secret_free_configs_round_trip_exactly() {
    for name in [
        "levels-snapshot-retention.yml",
        "directory.yml",
        "db-tuning.yml",
        "file.yml",
    ] {
        let c = docs(name);
        let again =
            config::parse_str(&c.to_redacted_yaml().unwrap(), &c.origin, &options()).unwrap();
        assert_eq!(again, c, "{name}");
    }
}
