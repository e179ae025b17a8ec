//! Restores of replicas written by the real Litestream 0.5.17 (levels 0, 1 and 9): every TXID
//! and timestamps at file boundaries equal the source at that point, the bytes equal
//! `litestream restore`'s, and `ltx-tui restore -dry-run` prints the same header lines and
//! table as `litestream restore -dry-run` on the same replica.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use ltx_tui::ltx::Txid;
use ltx_tui::restore::{Progress, RestoreOptions, RestoreOutcome, RestoreTarget, restore};
use ltx_tui::storage::{LtxFileInfo, ReplicaClient, ReplicaEnv, ReplicaSpec};

use support::fixtures::{BuiltReplica, Workload, litestream_replica};
use support::litestream::{assert_success, litestream_cmd_with, txid_hex};
use support::ltx_tui::ltx_tui_bin;
use support::sqlite_db::{assert_same_dump, canonical_dump_of, integrity_check};

fn client(r: &BuiltReplica) -> ReplicaClient {
    ReplicaClient::new(
        &ReplicaSpec::file(r.replica_dir.display().to_string()),
        &ReplicaEnv::empty(),
    )
    .unwrap()
}

async fn restore_to(client: &ReplicaClient, out: &Path, target: RestoreTarget) -> Txid {
    let mut opts = RestoreOptions::new(out);
    opts.target = target;
    match restore(client, &opts, &Progress::none()).await {
        Ok(RestoreOutcome::Restored(report)) => report.txid,
        other => panic!("restore to {target:?}: {other:?}"),
    }
}

/// The dump of the fixture at `txid` (the last step at or before it).
fn dump_at(r: &BuiltReplica, txid: u64) -> &str {
    &r.steps.iter().rev().find(|s| s.txid <= txid).unwrap().dump
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_txid_and_timestamp_of_a_litestream_replica_restores_like_litestream() {
    let r = tokio::task::block_in_place(|| litestream_replica(4096, Workload::GrowShrink));
    let client = client(&r);
    let files = client.list_all().await.unwrap();
    let levels = client.list_levels().await.unwrap();
    assert!(
        levels.contains(&1) && levels.contains(&9),
        "{}",
        r.files.summary()
    );

    for step in &r.steps {
        let t = step.txid;
        let ours = r.scratch_path(&format!("ours-{t}.db"));
        assert_eq!(
            restore_to(&client, &ours, RestoreTarget::Txid(Txid(t))).await,
            Txid(t)
        );
        assert_eq!(integrity_check(&ours), "ok", "TXID {t}");
        assert_same_dump(
            &canonical_dump_of(&ours),
            &step.dump,
            &format!("TXID {t}: {}", step.what),
        );
        let theirs = r.scratch_path(&format!("litestream-{t}.db"));
        tokio::task::block_in_place(|| r.restore_ok(&theirs, Some(t)));
        assert!(
            std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
            "TXID {t}: ltx-tui and litestream restored different bytes"
        );
    }
    let latest = r.scratch_path("latest.db");
    restore_to(&client, &latest, RestoreTarget::Latest).await;
    assert_same_dump(&canonical_dump_of(&latest), &r.source_dump, "latest");

    let l0: Vec<&LtxFileInfo> = files.iter().filter(|f| f.level == 0).collect();
    for f in &l0 {
        let ts = f.created_at + chrono::Duration::milliseconds(1);
        let expected = l0
            .iter()
            .filter(|g| g.created_at < ts)
            .map(|g| g.max_txid.0)
            .max()
            .unwrap();
        let out = r.scratch_path(&format!("ts-{}.db", f.max_txid));
        let got = restore_to(&client, &out, RestoreTarget::Timestamp(ts)).await;
        assert_eq!(got, Txid(expected), "timestamp {ts}");
        assert_same_dump(
            &canonical_dump_of(&out),
            dump_at(&r, expected),
            &format!("timestamp {ts}"),
        );
    }
}

fn ltx_tui(args: &[String]) -> Output {
    Command::new(ltx_tui_bin()).args(args).output().unwrap()
}

#[test]
fn dry_run_prints_litestreams_plan_lines_and_table() {
    let r = litestream_replica(4096, Workload::Steady);
    let out = r.dir.path().join("never-written.db");
    for txid in [None, Some(r.max_txid() - 1), Some(2)] {
        let mut args = vec![
            "restore".to_owned(),
            "-dry-run".to_owned(),
            "-o".to_owned(),
            out.display().to_string(),
        ];
        if let Some(t) = txid {
            args.extend(["-txid".to_owned(), txid_hex(t)]);
        }
        args.push(r.url());
        let theirs = litestream_cmd_with(&r.litestream, &args);
        assert_success(&theirs, &format!("litestream {}", args.join(" ")));
        let ours = ltx_tui(&args);
        assert_success(&ours, &format!("ltx-tui {}", args.join(" ")));
        let theirs = String::from_utf8(theirs.stdout).unwrap();
        let ours = String::from_utf8(ours.stdout).unwrap();
        assert!(
            theirs.contains("level  file") && theirs.lines().count() > 8,
            "{theirs}"
        );
        // Litestream's output is ours without our trailing total line.
        let ours_without_total: String = ours
            .lines()
            .take_while(|l| !l.starts_with("Total: "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            ours_without_total.trim_end(),
            theirs.trim_end(),
            "txid {txid:?}"
        );
        assert!(
            ours.contains("Total: ") && ours.contains("estimated time"),
            "{ours}"
        );
        assert!(!out.exists(), "a dry run wrote {}", out.display());
    }
}
