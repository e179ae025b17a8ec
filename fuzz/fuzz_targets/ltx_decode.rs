//! Fuzz target: arbitrary bytes through every LTX read path (streaming decode, database
//! materialisation, page index and random page access, self-compaction). Any panic, abort or
//! oversized allocation (libFuzzer's -malloc_limit_mb) is a finding.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use ltx_tui::ltx::{CompactOptions, Decoder, SeekRangeReader, compact, decode_file, read_page, read_page_index};

fuzz_target!(|data: &[u8]| {
    let _ = decode_file(Cursor::new(data));
    if let Ok(dec) = Decoder::new(Cursor::new(data)) {
        let _ = dec.decode_database_to(std::io::sink());
    }
    let mut ra = SeekRangeReader(Cursor::new(data));
    if let Ok(view) = read_page_index(&mut ra) {
        for e in view.entries.clone().iter().take(64) {
            let _ = read_page(&mut ra, &view, e.pgno);
        }
    }
    if let (Ok(a), Ok(b)) = (Decoder::new(Cursor::new(data)), Decoder::new(Cursor::new(data))) {
        let _ = compact(vec![a, b], std::io::sink(), CompactOptions { allow_non_contiguous: true, ..CompactOptions::default() });
    }
});
