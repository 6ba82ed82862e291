//! Signed notes and checkpoints: no panic, alone or as a pair with a consistency proof (the
//! input is split at its first NUL byte; bytes after a second NUL are the proof).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use veritydb_verify::{verify_checkpoint, verify_checkpoint_consistency, verify_note};

fuzz_target!(|data: &[u8]| {
    let keys = common::keys();
    let _ = verify_note(data, &keys);
    let _ = verify_checkpoint(data, &keys, Some(common::ORIGIN)).to_json();
    let mut parts = data.splitn(3, |&b| b == 0);
    let (Some(old), Some(new)) = (parts.next(), parts.next()) else { return };
    let proof: Vec<&[u8]> = parts.next().map(|p| p.chunks(32).collect()).unwrap_or_default();
    let _ = verify_checkpoint_consistency(old, new, &proof, &keys);
});
