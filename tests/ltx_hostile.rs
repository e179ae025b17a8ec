//! Hostile input: every truncation, every flipped bit, wrong magic, unknown flags, absurd
//! lengths. Each must give a typed error, never a panic, and never an allocation larger than
//! the page size implies (measured by a tracking allocator in this test binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The tracking allocator below is the only unsafe code in the project's tests.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

use ltx_tui::ltx::{
    Checksum, Encoder, Header, LtxError, SeekRangeReader, Txid, decode_file, read_page,
    read_page_index,
};

/// Records the largest single allocation made by the current thread while tracking is on.
struct TrackingAllocator;

thread_local! {
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the only extra work is
// updating a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().map(|m| m.max(layout.size()))));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().map(|m| m.max(new_size))));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;

/// Runs `f` and returns its result with the largest allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(Some(0)));
    let out = f();
    let largest = LARGEST.with(|l| l.replace(None)).unwrap_or(0);
    (out, largest)
}

const PAGE_SIZE: u32 = 4096;

fn sample_file() -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
    let mut header = Header::new(PAGE_SIZE, 9, Txid(5), Txid(7), 1_700_000_000_000);
    header.wal_offset = 32;
    header.wal_size = 3 * (24 + 4096);
    header.wal_salt1 = 0x1234_5678;
    header.wal_salt2 = 0x9abc_def0;
    let pages: Vec<(u32, Vec<u8>)> = [2u32, 5, 9]
        .iter()
        .map(|&p| {
            let data: Vec<u8> = (0..PAGE_SIZE).map(|i| ((i * p) % 251) as u8).collect();
            (p, data)
        })
        .collect();
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for (p, d) in &pages {
        enc.encode_page(*p, d).unwrap();
    }
    (enc.finish(Checksum::ZERO).unwrap().0, pages)
}

/// Decoding (stream and random access) must not panic; returns whether the stream decode
/// succeeded and the pages it saw.
fn decode_everything(bytes: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, LtxError> {
    let mut ra = SeekRangeReader(Cursor::new(bytes));
    if let Ok(view) = read_page_index(&mut ra) {
        for e in view.entries.clone() {
            let _ = read_page(&mut ra, &view, e.pgno);
        }
    }
    decode_file(Cursor::new(bytes)).map(|f| {
        f.pages
            .into_iter()
            .map(|(frame, d)| (frame.pgno, d))
            .collect()
    })
}

/// The bound for the block variant: one page buffer, one compressed buffer, small fixed
/// buffers; nothing that grows with a length field.
const BLOCK_BOUND: usize = 2 * PAGE_SIZE as usize + 16 * 1024;

#[test]
fn every_truncation_is_a_typed_error() {
    let (bytes, _) = sample_file();
    for len in 0..bytes.len() {
        let (result, largest) = largest_allocation(|| decode_everything(&bytes[..len]));
        assert!(
            result.is_err(),
            "a file cut at {len} of {} bytes decoded",
            bytes.len()
        );
        assert!(
            largest <= BLOCK_BOUND,
            "cut at {len}: allocated {largest} bytes"
        );
    }
    assert!(decode_everything(&bytes).is_ok());
}

#[test]
fn every_flipped_bit_is_detected_or_harmless() {
    let (bytes, pages) = sample_file();
    for offset in 0..bytes.len() {
        for bit in 0..8 {
            let mut corrupt = bytes.clone();
            corrupt[offset] ^= 1 << bit;
            let (result, largest) = largest_allocation(|| decode_everything(&corrupt));
            assert!(
                largest <= BLOCK_BOUND,
                "bit {bit} of byte {offset}: allocated {largest}"
            );
            // A flip inside compressed bytes may leave the decompressed page unchanged (LZ4 can
            // encode the same data two ways); the checksum covers decompressed data, so that
            // file is still correct. Anything else must be an error.
            if let Ok(decoded) = result {
                assert_eq!(
                    decoded, pages,
                    "bit {bit} of byte {offset} changed the content undetected"
                );
            }
        }
    }
}

#[test]
fn trailing_garbage_breaks_verification() {
    let (mut bytes, _) = sample_file();
    bytes.extend_from_slice(b"junk");
    assert!(matches!(
        decode_file(Cursor::new(&bytes)),
        Err(LtxError::ChecksumMismatch { .. } | LtxError::InvalidTrailer { .. })
    ));
}

#[test]
fn wrong_magic_names_the_bytes() {
    let (mut bytes, _) = sample_file();
    bytes[..4].copy_from_slice(b"SQLi");
    let err = decode_file(Cursor::new(&bytes)).unwrap_err();
    assert!(matches!(err, LtxError::BadMagic { found } if &found == b"SQLi"));
    assert!(err.to_string().contains("LTX1"), "{err}");
}

#[test]
fn unknown_header_flags_name_the_field_and_value() {
    let (mut bytes, _) = sample_file();
    bytes[7] |= 0x10;
    let err = decode_file(Cursor::new(&bytes)).unwrap_err();
    assert!(
        matches!(&err, LtxError::InvalidHeader { field: "flags", value, .. } if value == "0x00000012"),
        "{err}"
    );
}

#[test]
fn unknown_page_flags_name_the_offset() {
    let (mut bytes, _) = sample_file();
    bytes[100 + 5] |= 0x04;
    let err = decode_file(Cursor::new(&bytes)).unwrap_err();
    assert!(
        matches!(
            &err,
            LtxError::InvalidPage {
                offset: 100,
                pgno: 2,
                field: "flags",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn absurd_compressed_length_is_refused_before_allocating() {
    let (mut bytes, _) = sample_file();
    bytes[106..110].copy_from_slice(&u32::MAX.to_be_bytes());
    let (err, largest) = largest_allocation(|| decode_file(Cursor::new(&bytes)).unwrap_err());
    assert!(
        matches!(&err, LtxError::InvalidPage { field: "compressed_size", value, .. } if value == "4294967295"),
        "{err}"
    );
    assert!(largest <= BLOCK_BOUND, "allocated {largest}");
}

#[test]
fn absurd_page_index_size_is_refused_before_allocating() {
    let (mut bytes, _) = sample_file();
    let at = bytes.len() - 24;
    bytes[at..at + 8].copy_from_slice(&(u64::MAX / 2).to_be_bytes());
    let (err, largest) = largest_allocation(|| {
        read_page_index(&mut SeekRangeReader(Cursor::new(&bytes))).unwrap_err()
    });
    assert!(
        matches!(
            &err,
            LtxError::InvalidPageIndex {
                field: "index_size",
                ..
            }
        ),
        "{err}"
    );
    assert!(largest <= BLOCK_BOUND + bytes.len(), "allocated {largest}");
}

#[test]
fn absurd_header_page_size_is_refused() {
    let (mut bytes, _) = sample_file();
    bytes[8..12].copy_from_slice(&0x4000_0000u32.to_be_bytes());
    let (err, largest) = largest_allocation(|| decode_file(Cursor::new(&bytes)).unwrap_err());
    assert!(
        matches!(
            &err,
            LtxError::InvalidHeader {
                field: "page_size",
                ..
            }
        ),
        "{err}"
    );
    assert!(largest <= BLOCK_BOUND, "allocated {largest}");
}

#[test]
fn legacy_frame_with_a_huge_block_size_is_refused() {
    // A page header without the size flag must hold an LZ4 frame; declare 4 MiB blocks.
    let mut bytes = Header::new(PAGE_SIZE, 1, Txid(2), Txid(2), 0)
        .to_bytes()
        .to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
    bytes.extend_from_slice(&0x184D_2204u32.to_le_bytes());
    bytes.extend_from_slice(&[0x64, 0x70, 0x00]);
    bytes.extend_from_slice(&[0u8; 64]);
    let (err, largest) = largest_allocation(|| decode_file(Cursor::new(&bytes)).unwrap_err());
    assert!(
        matches!(
            &err,
            LtxError::InvalidPage {
                field: "lz4_frame_block_size",
                ..
            }
        ),
        "{err}"
    );
    assert!(largest <= BLOCK_BOUND, "allocated {largest}");
}

#[test]
fn encoder_refuses_what_litestream_refuses() {
    let page = vec![0u8; PAGE_SIZE as usize];
    let mut enc = Encoder::new(Vec::new(), Header::new(PAGE_SIZE, 3, Txid(2), Txid(2), 0)).unwrap();
    assert!(enc.encode_page(4, &page).is_err(), "page above commit");
    assert!(enc.encode_page(0, &page).is_err(), "page zero");
    assert!(enc.encode_page(1, &page[..100]).is_err(), "short page");
    enc.encode_page(2, &page).unwrap();
    assert!(enc.encode_page(2, &page).is_err(), "duplicate page");
    assert!(enc.encode_page(1, &page).is_err(), "descending page");

    let mut snap =
        Encoder::new(Vec::new(), Header::new(PAGE_SIZE, 3, Txid(1), Txid(1), 0)).unwrap();
    assert!(
        snap.encode_page(2, &page).is_err(),
        "snapshot must start at page 1"
    );
    snap.encode_page(1, &page).unwrap();
    assert!(snap.finish(Checksum::ZERO).is_err(), "incomplete snapshot");

    let enc = Encoder::new(Vec::new(), Header::new(PAGE_SIZE, 3, Txid(2), Txid(2), 0)).unwrap();
    assert!(
        matches!(
            enc.finish(Checksum(1 << 63)),
            Err(LtxError::InvalidTrailer {
                field: "post_apply_checksum",
                ..
            })
        ),
        "NoChecksum with a post-apply checksum"
    );
    let empty = Encoder::new(Vec::new(), Header::new(PAGE_SIZE, 0, Txid(2), Txid(2), 0)).unwrap();
    assert!(
        empty.finish(Checksum::ZERO).is_err(),
        "commit 0 cannot be NoChecksum"
    );
    assert!(
        Encoder::new(Vec::new(), Header::new(1000, 3, Txid(2), Txid(2), 0)).is_err(),
        "bad page size"
    );
}
