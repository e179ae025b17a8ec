//! Driving the real `litestream` 0.5.17 against object storage: a supervised
//! `litestream replicate` whose replica is `type: s3` on a [`MotoServer`], `type: abs` on an
//! [`AzuriteServer`] or `type: gs` on a [`GcsEmulator`], and one-shot `ltx` / `restore`
//! commands on `s3://…?endpoint=…` or `gs://…` URLs with the credentials (or, for gs,
//! `STORAGE_EMULATOR_HOST`) in Litestream's environment.
//!
//! Every process runs with `AWS_CA_BUNDLE` removed (through
//! [`super::litestream::litestream_command`]): with it set, Litestream's S3 client fails to
//! build its HTTP client.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::azurite::{self, AzuriteServer};
use super::gcs_emulator::GcsEmulator;
use super::litestream::{
    LtxListEntry, ReplicateConfig, STOP_TIMEOUT, assert_success, go_duration, litestream_command,
    log_tail, txid_hex,
};
use super::moto::{ACCESS_KEY_ID, MotoServer, REGION, SECRET_ACCESS_KEY};
use super::peers;

/// The replica block of `litestream.yml` for `s3://<bucket>/<path>` on `moto`: `type: s3,
/// bucket, path, endpoint, region, force-path-style, access-key-id, secret-access-key`.
pub fn s3_replica_block(moto: &MotoServer, bucket: &str, path: &str) -> String {
    format!(
        "      type: s3\n      bucket: {bucket}\n      path: {path}\n      endpoint: {}\n      region: {REGION}\n      force-path-style: true\n      access-key-id: {ACCESS_KEY_ID}\n      secret-access-key: {SECRET_ACCESS_KEY}\n",
        moto.endpoint
    )
}

/// The replica block of `litestream.yml` for container `container`, path `path` on
/// `azurite`: `type: abs, account-name, account-key, bucket, path, endpoint`.
pub fn abs_replica_block(azurite: &AzuriteServer, container: &str, path: &str) -> String {
    format!(
        "      type: abs\n      account-name: {}\n      account-key: {}\n      bucket: {container}\n      path: {path}\n      endpoint: {}\n",
        azurite::ACCOUNT,
        azurite::ACCOUNT_KEY,
        azurite.endpoint
    )
}

/// The replica block of `litestream.yml` for `gs://<bucket>/<path>`: `type: gs, bucket, path`.
/// Litestream's gs replica has no endpoint setting: start it with
/// [`GcsEmulator::litestream_env`] ([`RemoteReplicate::start_with_env`]).
pub fn gs_replica_block(bucket: &str, path: &str) -> String {
    format!("      type: gs\n      bucket: {bucket}\n      path: {path}\n")
}

/// The `litestream.yml` text for `db_path` with `config`'s levels, snapshot, retention and
/// checkpoint settings, and `replica_block` (plus `sync-interval`) as the replica.
pub fn remote_replicate_yaml(
    config: &ReplicateConfig,
    db_path: &Path,
    replica_block: &str,
) -> String {
    let base = config.to_yaml(db_path, Path::new("/replaced-below"));
    let cut = base
        .find("    replica:\n")
        .expect("ReplicateConfig::to_yaml ends with the replica block");
    let mut yaml = base[..cut].to_owned();
    yaml.push_str("    replica:\n");
    yaml.push_str(replica_block);
    writeln!(
        yaml,
        "      sync-interval: {}",
        go_duration(config.sync_interval)
    )
    .unwrap();
    yaml
}

/// A running `litestream replicate` to object storage; its log is `<dir>/litestream.log`.
/// Dropping it kills the process; [`RemoteReplicate::stop`] shuts it down cleanly (SIGTERM:
/// final sync).
pub struct RemoteReplicate {
    child: Option<Child>,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
}

impl RemoteReplicate {
    /// Starts Litestream 0.5.17 replicating `db_path` to the replica `replica_block`
    /// describes ([`s3_replica_block`], [`abs_replica_block`]).
    pub fn start(
        dir: &Path,
        db_path: &Path,
        replica_block: &str,
        config: &ReplicateConfig,
    ) -> RemoteReplicate {
        RemoteReplicate::start_with_env(dir, db_path, replica_block, config, &[])
    }

    /// [`RemoteReplicate::start`] with `env` added to Litestream's environment (e.g.
    /// [`GcsEmulator::litestream_env`] for a [`gs_replica_block`]).
    pub fn start_with_env(
        dir: &Path,
        db_path: &Path,
        replica_block: &str,
        config: &ReplicateConfig,
        env: &[(String, String)],
    ) -> RemoteReplicate {
        let config_path = dir.join("litestream.yml");
        fs::write(
            &config_path,
            remote_replicate_yaml(config, db_path, replica_block),
        )
        .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
        let log_path = dir.join("litestream.log");
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let log_err = log.try_clone().unwrap();
        let mut cmd = litestream_command(&peers::litestream());
        cmd.arg("replicate")
            .arg("-config")
            .arg(&config_path)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        RemoteReplicate {
            child: Some(child),
            config_path,
            log_path,
        }
    }

    /// Panics (with the log) if Litestream has exited.
    #[track_caller]
    pub fn assert_running(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            panic!(
                "litestream exited ({status})\n--- log tail ---\n{}",
                self.log_tail()
            );
        }
    }

    /// The last 40 lines of Litestream's log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path, 40)
    }

    /// SIGTERM, then wait (SIGKILL after [`STOP_TIMEOUT`]); returns the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("litestream already stopped");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    return child.wait().unwrap();
                }
            }
        }
    }
}

impl Drop for RemoteReplicate {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `litestream <args>` (0.5.17) with `env` added to its environment.
pub fn litestream_env_cmd(env: &[(String, String)], args: &[String]) -> Output {
    let mut cmd = litestream_command(&peers::litestream());
    cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `litestream <args>` (0.5.17) with moto's credentials in its environment.
pub fn litestream_s3_cmd(moto: &MotoServer, args: &[String]) -> Output {
    litestream_env_cmd(&moto_env(moto), args)
}

fn moto_env(moto: &MotoServer) -> Vec<(String, String)> {
    moto.litestream_env()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `litestream ltx -level all -json <url>` with `env`, parsed.
pub fn ltx_list_json_env(env: &[(String, String)], url: &str) -> Vec<LtxListEntry> {
    let args: Vec<String> = ["ltx", "-level", "all", "-json", url]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = litestream_env_cmd(env, &args);
    assert_success(&out, &format!("litestream ltx -level all -json {url}"));
    parse_ltx_list_json(&out.stdout)
}

/// `litestream ltx -level all -json <url>` with moto's credentials, parsed.
pub fn ltx_list_json_s3(moto: &MotoServer, url: &str) -> Vec<LtxListEntry> {
    ltx_list_json_env(&moto_env(moto), url)
}

/// `litestream ltx -level all -json gs://…` against `gcs`, parsed.
pub fn ltx_list_json_gs(gcs: &GcsEmulator, url: &str) -> Vec<LtxListEntry> {
    ltx_list_json_env(&gcs.litestream_env(), url)
}

/// Parses the JSON array `litestream ltx -json` prints.
pub fn parse_ltx_list_json(stdout: &[u8]) -> Vec<LtxListEntry> {
    let rows: Vec<serde_json::Value> = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "litestream ltx -json output is not JSON ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    let txid = |v: &serde_json::Value| u64::from_str_radix(v.as_str().unwrap(), 16).unwrap();
    rows.iter()
        .map(|r| LtxListEntry {
            level: u8::try_from(r["level"].as_u64().unwrap()).unwrap(),
            min_txid: txid(&r["min_txid"]),
            max_txid: txid(&r["max_txid"]),
            size: r["size"].as_u64().unwrap(),
            timestamp: r["timestamp"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// `litestream restore -o <out> [-txid T] <url>` with moto's credentials; panics with the
/// output unless it succeeded.
#[track_caller]
pub fn restore_s3_ok(moto: &MotoServer, url: &str, out: &Path, txid: Option<u64>) {
    restore_env_ok(&moto_env(moto), url, out, txid);
}

/// `litestream restore -o <out> [-txid T] gs://…` against `gcs`; panics with the output
/// unless it succeeded.
#[track_caller]
pub fn restore_gs_ok(gcs: &GcsEmulator, url: &str, out: &Path, txid: Option<u64>) {
    restore_env_ok(&gcs.litestream_env(), url, out, txid);
}

/// `litestream restore -o <out> [-txid T] <url>` with `env`; panics with the output unless it
/// succeeded.
#[track_caller]
pub fn restore_env_ok(env: &[(String, String)], url: &str, out: &Path, txid: Option<u64>) {
    let mut args = vec![
        "restore".to_owned(),
        "-o".to_owned(),
        out.display().to_string(),
    ];
    if let Some(txid) = txid {
        args.push("-txid".to_owned());
        args.push(txid_hex(txid));
    }
    args.push(url.to_owned());
    let output = litestream_env_cmd(env, &args);
    assert_success(&output, &format!("litestream {}", args.join(" ")));
    assert!(out.is_file(), "restore did not create {}", out.display());
}
