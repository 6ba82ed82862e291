//! The Ed25519 rule of checkpoint.md §6 on every C2SP CCTV case and every Wycheproof Ed25519
//! case. The verdicts are written to `testdata/vectors/ed25519-verdicts.json`, which every
//! binding reproduces; this test fails if they change. Regenerate with
//! `VERITYDB_UPDATE_VECTORS=1 cargo test -p veritydb-verify --test ed25519_vectors`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::PathBuf;

use serde_json::Value;
use veritydb_verify::ed25519_verify;

struct Case {
    source: &'static str,
    id: u64,
    key: Vec<u8>,
    msg: Vec<u8>,
    sig: Vec<u8>,
    flags: Vec<String>,
    expected: Option<String>,
    valid: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The library's Ed25519 path; keys and signatures of the wrong length cannot verify.
fn verdict(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    match (<&[u8; 32]>::try_from(key), <&[u8; 64]>::try_from(sig)) {
        (Ok(key), Ok(sig)) => ed25519_verify(key, msg, sig),
        _ => false,
    }
}

fn cctv_cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/ed25519-cctv/ed25519vectors.json"
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    vectors
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let key = unhex(case["key"].as_str().unwrap());
            let sig = unhex(case["sig"].as_str().unwrap());
            let msg = case["msg"].as_str().unwrap().as_bytes().to_vec();
            let flags: Vec<String> = case["flags"]
                .as_array()
                .map(|flags| {
                    flags
                        .iter()
                        .map(|f| f.as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let valid = verdict(&key, &msg, &sig);
            Case {
                source: "cctv",
                id: case["number"].as_u64().unwrap(),
                key,
                msg,
                sig,
                flags,
                expected: None,
                valid,
            }
        })
        .collect()
}

fn wycheproof_cases() -> Vec<Case> {
    use wycheproof::TestResult;
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let mut cases = Vec::new();
    for group in set.test_groups {
        let key = group.key.pk.to_vec();
        for test in group.tests {
            let msg = test.msg.to_vec();
            let sig = test.sig.to_vec();
            let valid = verdict(&key, &msg, &sig);
            let expected = match test.result {
                TestResult::Valid => "valid",
                TestResult::Invalid => "invalid",
                TestResult::Acceptable => "acceptable",
            };
            cases.push(Case {
                source: "wycheproof",
                id: test.tc_id as u64,
                key: key.clone(),
                msg,
                sig,
                flags: test.flags.iter().map(|flag| format!("{flag:?}")).collect(),
                expected: Some(expected.to_owned()),
                valid,
            });
        }
    }
    cases
}

fn table_json(cases: &[Case]) -> String {
    let mut out = String::from("{\n");
    out.push_str("  \"description\": \"Ed25519 verdicts of docs/spec/checkpoint.md section 6 (strict: S < L, canonical non-small-order A and R, cofactorless equation) on C2SP CCTV ed25519vectors.json and Wycheproof ed25519_test.json. Every verifier build must give the same valid bool for each case. msg is hex of the message bytes.\",\n");
    out.push_str("  \"cases\": [\n");
    for (i, case) in cases.iter().enumerate() {
        let line = serde_json::json!({
            "source": case.source,
            "id": case.id,
            "key": hex(&case.key),
            "msg": hex(&case.msg),
            "sig": hex(&case.sig),
            "flags": case.flags,
            "expected": case.expected,
            "valid": case.valid,
        });
        out.push_str("    ");
        out.push_str(&line.to_string());
        out.push_str(if i + 1 < cases.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

fn table_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/ed25519-verdicts.json")
}

#[test]
fn cctv_verdicts_follow_verify_strict() {
    let cases = cctv_cases();
    assert_eq!(cases.len(), 914);
    for case in &cases {
        // CCTV README: verify_strict rejects every flag except the low-order components.
        let expected = case
            .flags
            .iter()
            .all(|f| f == "low_order_component_A" || f == "low_order_component_R");
        assert_eq!(
            case.valid, expected,
            "cctv {} flags {:?}",
            case.id, case.flags
        );
    }
}

#[test]
fn wycheproof_verdicts_match_the_expected_results() {
    let cases = wycheproof_cases();
    assert!(cases.len() > 100, "only {} Wycheproof cases", cases.len());
    for case in &cases {
        match case.expected.as_deref() {
            Some("valid") => assert!(case.valid, "wycheproof {} rejected", case.id),
            Some("invalid") => assert!(!case.valid, "wycheproof {} accepted", case.id),
            _ => {}
        }
    }
}

#[test]
fn the_verdict_table_is_unchanged() {
    let mut cases = cctv_cases();
    cases.extend(wycheproof_cases());
    let table = table_json(&cases);
    let path = table_path();
    if std::env::var_os("VERITYDB_UPDATE_VECTORS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &table).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with VERITYDB_UPDATE_VECTORS=1",
            path.display()
        )
    });
    let committed: Value = serde_json::from_str(&committed).unwrap();
    let generated: Value = serde_json::from_str(&table).unwrap();
    let (committed, generated) = (
        committed["cases"].as_array().unwrap(),
        generated["cases"].as_array().unwrap(),
    );
    assert_eq!(committed.len(), generated.len(), "case count changed");
    for (old, new) in committed.iter().zip(generated) {
        assert_eq!(
            old, new,
            "verdict changed; regenerate with VERITYDB_UPDATE_VECTORS=1 only if intended"
        );
    }
}

/// Twenty encodings `y = p + k` (k = 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, either sign) decompress
/// to points that are not of small order, so `verify_strict` alone would take them as keys;
/// checkpoint.md §6 requires a canonical `A`, and `ed25519_verify` refuses them up front.
#[test]
fn non_canonical_keys_of_large_order_are_refused() {
    let mut refused = 0;
    for k in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut key = [0xffu8; 32];
            key[0] = 0xed + k;
            key[31] = 0x7f | sign;
            let Ok(point) = ed25519_dalek::VerifyingKey::from_bytes(&key) else {
                continue;
            };
            if !point.is_weak() {
                assert_ne!(point.to_edwards().compress().to_bytes(), key);
                assert!(!ed25519_verify(&key, b"message", &[0; 64]));
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 20);
}
