//! LTX codec throughput beside raw LZ4, in the same run.
//!
//! Pages are 4 KiB pages of a real SQLite database (rusqlite, bundled SQLite) holding rows of
//! realistic content: text, numbers, small blobs and an index. Four measurements, throughput in
//! MB/s of page data:
//! - `lz4_block_compress` / `lz4_block_decompress`: raw `lz4_flex` block calls per page, the
//!   floor our codec is compared with;
//! - `ltx_encode`: a whole LTX file (header, frames, index, trailer, CRC-64 over every page);
//! - `ltx_decode`: the streaming decoder over that file, verifying the file checksum.
//!
//! After the run it prints the ratios (target: encode ≥ 0.85 and decode ≥ 0.85 of raw LZ4) and
//! writes them to `target/bench-results/ltx_codec.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use ltx_tui::ltx::{Checksum, Decoder, Encoder, Header, Txid};

const PAGE_SIZE: usize = 4096;
const GROUP: &str = "ltx_codec_4k";

/// Builds a ~16 MiB SQLite database with realistic rows and returns its pages.
fn realistic_pages() -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size={PAGE_SIZE}; PRAGMA journal_mode=DELETE;
         CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT,
                                balance REAL, created_at TEXT, notes TEXT, avatar BLOB);
         CREATE INDEX customers_email ON customers(email);"
    ))
    .unwrap();
    let words = [
        "alpha", "harbor", "quiet", "market", "delta", "orchid", "summit", "velvet", "copper",
        "lantern", "meadow", "ember", "cobalt", "river", "saffron", "tundra",
    ];
    let cities = [
        "Lisbon",
        "Osaka",
        "Denver",
        "Nairobi",
        "Tromsø",
        "Valparaíso",
        "Hanoi",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tx = conn.unchecked_transaction().unwrap();
    {
        let mut stmt = tx
            .prepare("INSERT INTO customers(name,email,city,balance,created_at,notes,avatar) VALUES (?,?,?,?,?,?,?)")
            .unwrap();
        for i in 0..60_000u64 {
            let r = next();
            let name = format!(
                "{} {}",
                words[(r % 16) as usize],
                words[((r >> 8) % 16) as usize]
            );
            let email = format!("user{}.{}@example.org", i, words[((r >> 16) % 16) as usize]);
            let city = cities[((r >> 24) % cities.len() as u64) as usize];
            let balance = (r % 1_000_000) as f64 / 100.0;
            let created = format!(
                "2026-{:02}-{:02}T{:02}:{:02}:00Z",
                r % 12 + 1,
                r % 28 + 1,
                r % 24,
                r % 60
            );
            let notes: String = (0..(r % 12))
                .map(|k| words[((r >> k) % 16) as usize])
                .collect::<Vec<_>>()
                .join(" ");
            let avatar: Vec<u8> = (0..(r % 48)).map(|_| next() as u8).collect();
            stmt.execute(rusqlite::params![
                name, email, city, balance, created, notes, avatar
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    drop(conn);
    let bytes = std::fs::read(&path).unwrap();
    bytes.chunks(PAGE_SIZE).map(<[u8]>::to_vec).collect()
}

fn encode_file(pages: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    let header = Header::new(PAGE_SIZE as u32, pages.len() as u32, Txid(1), Txid(1), 0);
    let mut enc = Encoder::new(&mut *out, header).unwrap();
    for (i, page) in pages.iter().enumerate() {
        enc.encode_page(i as u32 + 1, page).unwrap();
    }
    enc.finish(Checksum::ZERO).unwrap();
}

fn bench(c: &mut Criterion, pages: &[Vec<u8>]) {
    let bytes = (pages.len() * PAGE_SIZE) as u64;
    let bound = lz4_flex::block::get_maximum_output_size(PAGE_SIZE);
    let compressed: Vec<Vec<u8>> = pages.iter().map(|p| lz4_flex::block::compress(p)).collect();
    let mut file = Vec::with_capacity(pages.len() * PAGE_SIZE);
    encode_file(pages, &mut file);

    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Bytes(bytes));
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(20);

    let mut out = vec![0u8; bound];
    group.bench_function("lz4_block_compress", |b| {
        b.iter(|| {
            for page in pages {
                black_box(lz4_flex::block::compress_into(page, &mut out).unwrap());
            }
        })
    });
    let mut buf = Vec::with_capacity(file.len());
    group.bench_function("ltx_encode", |b| {
        b.iter(|| encode_file(black_box(pages), &mut buf))
    });

    let mut page = vec![0u8; PAGE_SIZE];
    group.bench_function("lz4_block_decompress", |b| {
        b.iter(|| {
            for c in &compressed {
                black_box(lz4_flex::block::decompress_into(c, &mut page).unwrap());
            }
        })
    });
    group.bench_function("ltx_decode", |b| {
        b.iter(|| {
            let mut dec = Decoder::new(black_box(file.as_slice())).unwrap();
            while dec.next_page(&mut page).unwrap().is_some() {}
            black_box(dec.finish().unwrap());
        })
    });
    group.finish();
}

/// Mean time per iteration in nanoseconds, from criterion's saved estimates.
fn mean_ns(dir: &std::path::Path, name: &str) -> Option<f64> {
    let path = dir
        .join(GROUP)
        .join(name)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn main() {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let criterion_dir = target.join("criterion");
    let pages = realistic_pages();
    let mut c = Criterion::default()
        .output_directory(&criterion_dir)
        .configure_from_args();
    bench(&mut c, &pages);
    c.final_summary();

    let bytes = (pages.len() * PAGE_SIZE) as f64;
    let mbps = |name| mean_ns(&criterion_dir, name).map(|ns| bytes / ns * 1e9 / 1e6);
    let (Some(raw_c), Some(enc), Some(raw_d), Some(dec)) = (
        mbps("lz4_block_compress"),
        mbps("ltx_encode"),
        mbps("lz4_block_decompress"),
        mbps("ltx_decode"),
    ) else {
        eprintln!("ltx_codec: no estimates found (filtered run?); ratios not computed");
        return;
    };
    let (enc_ratio, dec_ratio) = (enc / raw_c, dec / raw_d);
    let verdict = |r: f64| if r >= 0.85 { "meets" } else { "BELOW" };
    println!();
    println!(
        "LTX codec vs raw lz4_flex, {} pages of 4 KiB ({:.1} MiB):",
        pages.len(),
        bytes / 1048576.0
    );
    println!(
        "  encode  {enc:8.0} MB/s   raw LZ4 compress    {raw_c:8.0} MB/s   ratio {enc_ratio:.3} ({} target 0.85)",
        verdict(enc_ratio)
    );
    println!(
        "  decode  {dec:8.0} MB/s   raw LZ4 decompress  {raw_d:8.0} MB/s   ratio {dec_ratio:.3} ({} target 0.85)",
        verdict(dec_ratio)
    );
    let results = target.join("bench-results");
    let summary = serde_json::json!({
        "pages": pages.len(), "page_size": PAGE_SIZE,
        "encode_mb_s": enc, "lz4_compress_mb_s": raw_c, "encode_ratio": enc_ratio,
        "decode_mb_s": dec, "lz4_decompress_mb_s": raw_d, "decode_ratio": dec_ratio,
    });
    if std::fs::create_dir_all(&results).is_ok() {
        let _ = std::fs::write(results.join("ltx_codec.json"), summary.to_string());
    }
}
