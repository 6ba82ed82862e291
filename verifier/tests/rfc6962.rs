//! Every RFC 6962 inclusion and consistency vector of transparency-dev/merkle
//! (`shared/vectors/rfc6962`): `wantErr: true` is rejected, `wantErr: false` accepted.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use veritydb_verify::{Reason, verify_consistency, verify_inclusion};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/rfc6962")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
    out.sort();
}

fn bytes(value: &Value) -> Vec<u8> {
    BASE64.decode(value.as_str().unwrap()).unwrap()
}

fn proof(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_array()
        .map(|hashes| hashes.iter().map(bytes).collect())
        .unwrap_or_default()
}

#[test]
fn inclusion_vectors() {
    let mut files = Vec::new();
    json_files(&vectors_dir().join("inclusion"), &mut files);
    assert!(
        files.len() > 50,
        "found only {} inclusion vectors",
        files.len()
    );
    let (mut accepted, mut rejected) = (0, 0);
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let report = verify_inclusion(
            &bytes(&case["leafHash"]),
            case["leafIdx"].as_u64().unwrap(),
            case["treeSize"].as_u64().unwrap(),
            &proof(&case["proof"]),
            &bytes(&case["root"]),
        );
        let want_error = case["wantErr"].as_bool().unwrap();
        assert_eq!(
            report.ok,
            !want_error,
            "{}: {:?} {}",
            file.display(),
            report.reason,
            report.message
        );
        if report.ok {
            accepted += 1;
        } else {
            rejected += 1;
        }
        assert!(matches!(
            report.reason,
            Reason::Ok | Reason::BadProof | Reason::RootMismatch
        ));
    }
    assert!(
        accepted >= 6 && rejected > 40,
        "accepted {accepted}, rejected {rejected}"
    );
}

#[test]
fn consistency_vectors() {
    let mut files = Vec::new();
    json_files(&vectors_dir().join("consistency"), &mut files);
    assert!(
        files.len() > 50,
        "found only {} consistency vectors",
        files.len()
    );
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let report = verify_consistency(
            case["size1"].as_u64().unwrap(),
            case["size2"].as_u64().unwrap(),
            &bytes(&case["root1"]),
            &bytes(&case["root2"]),
            &proof(&case["proof"]),
        );
        let want_error = case["wantErr"].as_bool().unwrap();
        assert_eq!(
            report.ok,
            !want_error,
            "{}: {:?} {}",
            file.display(),
            report.reason,
            report.message
        );
        assert!(matches!(
            report.reason,
            Reason::Ok | Reason::BadProof | Reason::RootMismatch
        ));
    }
}

#[test]
fn raw_proof_reasons() {
    let leaf = [1u8; 32];
    let none: &[[u8; 32]] = &[];
    assert_eq!(
        verify_inclusion(&leaf, 1, 1, none, &leaf).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, none, &[2u8; 32]).reason,
        Reason::RootMismatch
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[[0u8; 32]], &leaf).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_inclusion(&leaf[..31], 0, 1, none, &leaf).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 2, &[vec![0u8; 33]], &leaf).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 2, &[[0u8; 32]; 65], &leaf).reason,
        Reason::LimitExceeded
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, (1 << 48) + 1, none, &leaf).reason,
        Reason::LimitExceeded
    );
    assert_eq!(
        verify_consistency(2, 1, &leaf, &leaf, none).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_consistency(0, 1, &leaf, &leaf, none).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_consistency(1, 1, &leaf, &leaf, &[[0u8; 32]]).reason,
        Reason::BadProof
    );
    assert_eq!(
        verify_consistency(1, 1, &leaf, &[3u8; 32], none).reason,
        Reason::RootMismatch
    );
    assert!(verify_consistency(1, 1, &leaf, &leaf, none).ok);
    let report = verify_consistency(1, 1, &leaf, &leaf, none);
    assert_eq!(report.kind.name(), "consistency");
    assert_eq!(report.position, None);
}
