//! No input makes a parser panic: random and mutated bytes through every entry point
//! (proptest), and every named regression input in `testdata/regressions/`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;

use common::{Log, Signer};
use proptest::prelude::*;
use veritydb_verify::{
    ExportVerifier, TrustedKeys, verify_checkpoint, verify_checkpoint_consistency,
    verify_consistency, verify_export, verify_inclusion, verify_note, verify_receipt,
};

const NODE: &str = "audit.example.com/node1";
const ORIGIN: &str = "audit.example.com/node1/acme";

struct Samples {
    keys: TrustedKeys,
    export: Vec<u8>,
    slice: Vec<u8>,
    receipt: Vec<u8>,
    checkpoint: Vec<u8>,
}

fn samples() -> Samples {
    let signer = Signer::new(ORIGIN, 1);
    let log = Log::with_events(NODE, "acme", 12);
    Samples {
        keys: TrustedKeys::parse([signer.vkey()]).unwrap(),
        export: log.export(0, 6, &[3, 6], &signer),
        slice: log.export(5, 9, &[12], &signer),
        receipt: log.receipt(7, 12, &[0, 1], &[&signer]).into_bytes(),
        checkpoint: log.signed_checkpoint(12, &[&signer]).into_bytes(),
    }
}

/// Applies a list of (position, byte, kind) edits: overwrite, insert or delete.
fn mutate(bytes: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(at, byte, kind) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let at = at % out.len();
        match kind % 4 {
            0 => out[at] = byte,
            1 => out.insert(at, byte),
            2 => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Every entry point on one input.
fn everything(input: &[u8], samples: &Samples) {
    let keys = &samples.keys;
    let whole = verify_export(input, keys);
    let mut verifier = ExportVerifier::new(keys);
    for chunk in input.chunks(3) {
        verifier.update(chunk);
    }
    assert_eq!(verifier.finish(), whole);
    let _ = verify_receipt(input, keys);
    let _ = verify_note(input, keys);
    let _ = verify_checkpoint(input, keys, Some(ORIGIN));
    let _ = verify_checkpoint_consistency(input, &samples.checkpoint, &[[0u8; 32]], keys);
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = TrustedKeys::parse_lines(text);
    }
    let _ = whole.to_json();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        everything(&input, &samples());
    }

    #[test]
    fn mutated_inputs_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let samples = samples();
        let base = [&samples.export, &samples.slice, &samples.receipt, &samples.checkpoint][which];
        everything(&mutate(base, &edits), &samples);
    }

    #[test]
    fn raw_proofs_never_panic(
        index in any::<u64>(),
        size in prop_oneof![any::<u64>(), 0u64..70],
        old_size in prop_oneof![any::<u64>(), 0u64..70],
        hashes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 30..34), 0..70),
    ) {
        let root = hashes.first().cloned().unwrap_or_default();
        let _ = verify_inclusion(&root, index, size, &hashes, &root);
        let _ = verify_consistency(old_size, size, &root, &root, &hashes);
    }
}

#[test]
fn regression_inputs_are_rejected_without_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/regressions");
    let samples = samples();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let input = std::fs::read(&path).unwrap();
        let keys = &samples.keys;
        let rejected = match extension {
            "export" => !verify_export(&input, keys).ok,
            "tlog-proof" => !verify_receipt(&input, keys).ok,
            "note" | "checkpoint" => {
                !verify_note(&input, keys).ok && !verify_checkpoint(&input, keys, None).ok
            }
            "vkey" => TrustedKeys::parse_lines(&String::from_utf8_lossy(&input)).is_err(),
            _ => continue,
        };
        assert!(rejected, "{} was accepted", path.display());
        everything(&input, &samples);
        checked += 1;
    }
    eprintln!("{checked} regression inputs checked");
}

/// Writes seed inputs for the fuzz targets when `VERITYDB_FUZZ_SEEDS` names a directory
/// (`fuzz/corpus`): valid files signed by the fuzz targets' key, so fuzzing starts deep.
#[test]
fn write_fuzz_seeds_when_asked() {
    let Some(dir) = std::env::var_os("VERITYDB_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let signer = Signer::new(ORIGIN, 1);
    let log = Log::with_events(NODE, "acme", 12);
    let write = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(dir.join(target)).unwrap();
        std::fs::write(dir.join(target).join(name), bytes).unwrap();
    };
    for (name, from, to, sizes) in [
        ("whole", 0, 6, vec![3, 6]),
        ("slice", 5, 9, vec![12]),
        ("empty", 0, 0, vec![0]),
    ] {
        let mut seed = vec![63u8];
        seed.extend_from_slice(&log.export(from, to, &sizes, &signer));
        write("export_stream", name, &seed);
    }
    write(
        "receipt",
        "receipt",
        log.receipt(7, 12, &[0, 1], &[&signer]).as_bytes(),
    );
    write(
        "receipt",
        "first",
        log.receipt(0, 1, &[], &[&signer]).as_bytes(),
    );
    let mut pair = log.signed_checkpoint(4, &[&signer]).into_bytes();
    pair.push(0);
    pair.extend_from_slice(log.signed_checkpoint(12, &[&signer]).as_bytes());
    pair.push(0);
    pair.extend(log.consistency_proof(4, 12).concat());
    write("note_checkpoint", "pair", &pair);
    write(
        "note_checkpoint",
        "checkpoint",
        log.signed_checkpoint(12, &[&signer]).as_bytes(),
    );
    write("vkey", "vkey", signer.vkey().as_bytes());
}
