//! Exports: no panic, and the streaming verifier gives the whole-buffer report for any
//! chunking (the first input byte picks the chunk size).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use veritydb_verify::{ExportVerifier, verify_export};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, export)) = data.split_first() else { return };
    let keys = common::keys();
    let whole = verify_export(export, &keys);
    let mut verifier = ExportVerifier::new(&keys);
    for piece in export.chunks(usize::from(chunk) + 1) {
        verifier.update(piece);
    }
    assert_eq!(verifier.finish(), whole, "streaming differs from whole");
    let _ = whole.to_json();
});
