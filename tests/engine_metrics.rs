//! The real `ltx-tui --headless` with `addr` set: Prometheus metrics under Litestream's names
//! and types, whose numbers agree with the replica on disk, scraped over a plain HTTP/1.1
//! socket; and a metrics address that cannot be bound stops the start with exit code 1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::fixtures::fixture_dir;
use support::ltx_tui::{Headless, file_replica_config, ltx_tui_bin};
use support::sqlite_db::TestDb;

const WAIT: Duration = Duration::from_secs(20);
/// How often conditions are polled (never a synchronisation by itself).
const POLL: Duration = Duration::from_millis(20);

/// Every Litestream 0.5 metric family and its type (`ref/ltx-litestream.md` §5.1), plus
/// ltx-tui's replication gauges.
const FAMILIES: [(&str, &str); 21] = [
    ("litestream_db_size", "gauge"),
    ("litestream_wal_size", "gauge"),
    ("litestream_total_wal_bytes", "counter"),
    ("litestream_txid", "gauge"),
    ("litestream_sync_count", "counter"),
    ("litestream_sync_error_count", "counter"),
    ("litestream_sync_seconds", "counter"),
    ("litestream_disk_full", "gauge"),
    ("litestream_checkpoint_count", "counter"),
    ("litestream_checkpoint_error_count", "counter"),
    ("litestream_checkpoint_seconds", "counter"),
    ("litestream_compaction_verify_error_count", "counter"),
    ("litestream_replica_operation_total", "counter"),
    ("litestream_replica_operation_bytes", "counter"),
    ("litestream_replica_operation_duration_seconds", "histogram"),
    ("litestream_replica_operation_errors_total", "counter"),
    ("litestream_l0_retention_files_total", "gauge"),
    ("ltx_replication_lag_seconds", "gauge"),
    ("ltx_replication_pending_bytes", "gauge"),
    ("ltx_replication_pending_txids", "gauge"),
    ("ltx_replica_txid", "gauge"),
];

/// One parsed sample line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape: `# TYPE` per family and every sample.
#[derive(Debug)]
struct Scrape {
    text: String,
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut types = BTreeMap::new();
        let mut samples = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(
                    types.insert(name.to_string(), kind.to_string()).is_none(),
                    "TYPE of {name} given twice"
                );
            } else if !line.starts_with('#') {
                samples.push(parse_sample(line));
            }
        }
        Scrape {
            text: text.to_string(),
            types,
            samples,
        }
    }

    /// The value of the series `name` whose labels are exactly `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    fn db_value(&self, name: &str, db: &str) -> f64 {
        self.value(name, &[("db", db)])
            .unwrap_or_else(|| panic!("no {name}{{db={db:?}}} in\n{}", self.text))
    }
}

/// Parses `name{k="v",…} value` (label values may escape `\`, `"` and newlines).
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).unwrap();
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices();
        let mut key = String::new();
        loop {
            let (i, c) = chars.next().unwrap();
            match c {
                '}' => {
                    rest = &body[i + 1..];
                    break;
                }
                ',' => {}
                '=' => {
                    assert_eq!(chars.next().unwrap().1, '"', "{line}");
                    let mut value = String::new();
                    loop {
                        match chars.next().unwrap().1 {
                            '"' => break,
                            '\\' => match chars.next().unwrap().1 {
                                'n' => value.push('\n'),
                                c => value.push(c),
                            },
                            c => value.push(c),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                c => key.push(c),
            }
        }
    }
    let value = rest.trim();
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
    };
    Sample {
        name,
        labels,
        value,
    }
}

/// One HTTP/1.1 GET over a plain socket: (status, lowercased head, body).
fn http_get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

fn scrape(addr: SocketAddr) -> Scrape {
    let (status, head, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    Scrape::parse(&body)
}

/// Polls the log until the engine reports where metrics are served.
fn metrics_addr(engine: &Headless) -> SocketAddr {
    let marker = "metrics listening on http://";
    let deadline = Instant::now() + WAIT;
    loop {
        let log = engine.log_tail(usize::MAX);
        if let Some(rest) = log.split(marker).nth(1) {
            let addr = rest.split("/metrics").next().unwrap();
            return addr
                .parse()
                .unwrap_or_else(|e| panic!("bad address {addr:?}: {e}"));
        }
        assert!(
            Instant::now() < deadline,
            "no {marker:?} line in the log:\n{}",
            engine.log_tail(40)
        );
        std::thread::sleep(POLL);
    }
}

#[test]
fn headless_serves_litestream_metrics_that_match_the_replica() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("orders");
    db.insert_rows("orders", 40);
    let replica = dir.path().join("replica");
    // A low checkpoint threshold so PASSIVE checkpoints run (and count) during the test.
    let config = format!(
        "addr: 127.0.0.1:0\n{}",
        file_replica_config(&db.path, &replica, "    min-checkpoint-page-count: 16\n")
    );
    let mut engine = Headless::start(dir.path(), &config);
    let addr = metrics_addr(&engine);
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");

    let mut seen = engine
        .wait_for(&replica, "the first L0 file", WAIT, |f| {
            f.max_txid(0).is_some()
        })
        .max_txid(0)
        .unwrap();
    for step in 0..4 {
        match step % 2 {
            0 => db.insert_rows("orders", 100),
            _ => db.update_rows("orders", 3),
        }
        seen = engine
            .wait_for(&replica, &format!("a TXID after {seen}"), WAIT, |f| {
                f.max_txid(0).unwrap_or(0) > seen
            })
            .max_txid(0)
            .unwrap();
    }

    // Once the engine is idle, the gauges agree with the replica on disk.
    let db_label = db.path.display().to_string();
    let deadline = Instant::now() + WAIT;
    let (metrics, files) = loop {
        let metrics = scrape(addr);
        let files = support::ReplicaFiles::read(&replica);
        let replica_max = files.max_txid(0).unwrap_or(0) as f64;
        let txid = metrics.value("litestream_txid", &[("db", &db_label)]);
        let replica_txid = metrics.value("ltx_replica_txid", &[("db", &db_label)]);
        let lag = metrics.value("ltx_replication_lag_seconds", &[("db", &db_label)]);
        if txid == Some(replica_max) && replica_txid == Some(replica_max) && lag == Some(0.0) {
            break (metrics, files);
        }
        assert!(
            Instant::now() < deadline,
            "metrics never caught up with the replica (max L0 TXID {replica_max}): txid {txid:?}, \
             ltx_replica_txid {replica_txid:?}, lag {lag:?}\n{}\n{}\n{}",
            files.summary(),
            metrics.text,
            engine.log_tail(30)
        );
        std::thread::sleep(POLL);
    };

    for (name, kind) in FAMILIES {
        assert_eq!(
            metrics.types.get(name).map(String::as_str),
            Some(kind),
            "TYPE of {name} in\n{}",
            metrics.text
        );
    }
    assert!(metrics.db_value("litestream_txid", &db_label) >= seen as f64);
    assert_eq!(
        metrics.db_value("ltx_replication_pending_txids", &db_label),
        0.0
    );
    assert_eq!(
        metrics.db_value("ltx_replication_pending_bytes", &db_label),
        0.0
    );
    assert_eq!(metrics.db_value("litestream_disk_full", &db_label), 0.0);
    assert_eq!(
        metrics.db_value("litestream_sync_error_count", &db_label),
        0.0
    );
    // The start's sync and at least one for the writes (a sync that checkpoints writes two
    // L0 files, so TXIDs outnumber syncs).
    let syncs = metrics.db_value("litestream_sync_count", &db_label);
    assert!(syncs >= 2.0, "{syncs} syncs\n{}", metrics.text);
    assert!(metrics.db_value("litestream_sync_seconds", &db_label) > 0.0);
    assert!(metrics.db_value("litestream_db_size", &db_label) >= 4096.0);
    assert!(metrics.db_value("litestream_total_wal_bytes", &db_label) > 0.0);
    let checkpoints = metrics
        .value(
            "litestream_checkpoint_count",
            &[("db", &db_label), ("mode", "PASSIVE")],
        )
        .unwrap();
    assert!(checkpoints >= 1.0, "{}", metrics.text);
    assert_eq!(
        metrics.value(
            "litestream_checkpoint_error_count",
            &[("db", &db_label), ("mode", "PASSIVE")],
        ),
        Some(0.0)
    );

    // Every file in the replica was PUT by this process (nothing has expired yet).
    let file_put = [("replica_type", "file"), ("operation", "PUT")];
    let puts = metrics
        .value("litestream_replica_operation_total", &file_put)
        .unwrap();
    assert!(
        puts >= files.all().len() as f64,
        "{puts} PUTs for {} files:\n{}",
        files.all().len(),
        files.summary()
    );
    assert!(
        metrics
            .value("litestream_replica_operation_bytes", &file_put)
            .unwrap()
            > 0.0
    );
    let put_count = metrics
        .value(
            "litestream_replica_operation_duration_seconds_count",
            &file_put,
        )
        .unwrap();
    let put_inf = metrics
        .value(
            "litestream_replica_operation_duration_seconds_bucket",
            &[
                ("replica_type", "file"),
                ("operation", "PUT"),
                ("le", "+Inf"),
            ],
        )
        .unwrap();
    assert_eq!(put_count, put_inf);
    assert!(put_count >= puts);

    let (status, _, _) = http_get(addr, "/other");
    assert_eq!(status, 404);
    let (status, _, _) = http_get(addr, "/");
    assert_eq!(status, 404);

    let status = engine.stop_with("TERM");
    assert!(
        status.success(),
        "exit status {status}\n{}",
        engine.log_tail(30)
    );
}

#[test]
fn a_metrics_address_in_use_stops_the_start_with_exit_code_1() {
    let dir = fixture_dir();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let config = format!(
        "addr: {addr}\n{}",
        file_replica_config(
            &dir.path().join("absent.db"),
            &dir.path().join("replica"),
            ""
        )
    );
    let config_path = dir.path().join("ltx-tui.yml");
    fs::write(&config_path, config).unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(ltx_tui_bin())
        .args(["--headless", "--config"])
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ltx-tui kept running with its metrics address in use\n{}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(POLL);
    };
    let stderr = fs::read_to_string(&stderr_path).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot serve metrics on {addr}")),
        "{stderr}"
    );
    drop(taken);
}
