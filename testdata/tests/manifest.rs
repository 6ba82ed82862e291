//! Every vector of `testdata/vectors/manifest.json` gets its expected verdict, reason code and
//! position from the independent verifier, and the files on disk are what the generator writes.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use base64::Engine as _;
use veritydb_verify::{Report, TrustedKeys};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn verify(case: &serde_json::Value) -> Report {
    let keys: Vec<&str> = case["trusted_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let keys = TrustedKeys::parse(keys).unwrap();
    let read = |field: &str| std::fs::read(vectors().join(case[field].as_str().unwrap())).unwrap();
    match case["kind"].as_str().unwrap() {
        "export" => veritydb_verify::verify_export(&read("file"), &keys),
        "receipt" => veritydb_verify::verify_receipt(&read("file"), &keys),
        "checkpoint" => {
            veritydb_verify::verify_checkpoint(&read("file"), &keys, case["origin"].as_str())
        }
        "note" => veritydb_verify::verify_note(&read("file"), &keys),
        "consistency" => {
            let proof: Vec<Vec<u8>> = case["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    base64::engine::general_purpose::STANDARD
                        .decode(h.as_str().unwrap())
                        .unwrap()
                })
                .collect();
            veritydb_verify::verify_checkpoint_consistency(
                &read("old"),
                &read("new"),
                &proof,
                &keys,
            )
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_vector_gets_its_expected_verdict() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors().join("manifest.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let cases = manifest["cases"].as_array().unwrap();
    for case in cases {
        let report = verify(case);
        let expect = &case["expect"];
        let got = (
            report.ok,
            report.reason.name().to_owned(),
            u64::from(report.reason.code()),
            report.position,
        );
        let want = (
            expect["ok"].as_bool().unwrap(),
            expect["reason"].as_str().unwrap().to_owned(),
            expect["reason_code"].as_u64().unwrap(),
            expect["position"].as_u64(),
        );
        if got != want {
            failures.push(format!(
                "{}: want {want:?}, got {got:?} ({})",
                case["name"], report.message
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_vectors_on_disk_are_what_the_generator_writes() {
    for (path, bytes) in veritydb_testdata::generate() {
        let on_disk = std::fs::read(vectors().join(&path)).unwrap_or_default();
        assert!(
            on_disk == bytes,
            "{path} differs: run `cargo run -p veritydb-testdata` if the change is intended"
        );
    }
}
