//! Receipt verification (receipt.md, verdicts.md §3): a valid receipt with its details, and one
//! test per reason code a receipt can produce, in the order of the spec.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{Log, Signer, b64, receipt_text};
use veritydb_verify::{Range, Reason, Report, TrustedKeys, verify_receipt};

const NODE: &str = "audit.example.com/node1";
const ORIGIN: &str = "audit.example.com/node1/acme";

fn signer() -> Signer {
    Signer::new(ORIGIN, 1)
}

fn keys() -> TrustedKeys {
    TrustedKeys::parse([signer().vkey()]).unwrap()
}

fn log() -> Log {
    Log::with_events(NODE, "acme", 11)
}

fn verify(text: &str) -> Report {
    verify_receipt(text.as_bytes(), &keys())
}

fn assert_reason(report: &Report, reason: Reason, position: Option<u64>) {
    assert_eq!(
        (report.reason, report.position),
        (reason, position),
        "message: {}",
        report.message
    );
    assert!(!report.ok);
}

fn extra(log: &Log, index: u64, disclose: &[usize]) -> Vec<u8> {
    let mut extra = b"VDBR\x01".to_vec();
    extra.extend_from_slice(&log.entries[index as usize].record(disclose));
    extra
}

#[test]
fn a_receipt_verifies_and_says_what_it_proves() {
    let log = log();
    let text = log.receipt(6, 11, &[1], &[&signer()]);
    let report = verify(&text);
    assert!(report.ok, "{:?}: {}", report.reason, report.message);
    assert_eq!(report.entries, 1);
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.tenants, 1);
    assert_eq!(report.range, Some(Range { from: 6, to: 7 }));
    assert_eq!(report.tree_size, Some(11));
    assert_eq!(report.keys, [ORIGIN]);
    let details = report.receipt.as_ref().unwrap();
    assert_eq!(details.origin, ORIGIN);
    assert_eq!(details.tenant, "acme");
    assert_eq!(details.position, 6);
    assert_eq!(details.tree_size, 11);
    assert_eq!(details.root, log.root(11));
    assert_eq!(details.leaf_hash, log.leaves[6]);
    assert_eq!(details.proof, log.inclusion_proof(6, 11));
    assert_eq!(details.timestamp_us, log.entries[6].timestamp_us);
    assert_eq!(
        (
            details.entry_kind,
            details.actor.as_str(),
            details.field_count
        ),
        (1, "embedded", 2)
    );
    assert_eq!(details.disclosed.len(), 1);
    assert_eq!(details.disclosed[0].index, 1);
    assert_eq!(details.disclosed[0].name, "event");
    assert_eq!(
        details.disclosed[0].value_text(),
        Some("{\"n\":6,\"what\":\"test event\"}")
    );

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["kind"], "receipt");
    assert_eq!(json["receipt"]["entry_kind_name"], "event");
    assert_eq!(json["receipt"]["disclosed"][0]["name"], "event");
    assert_eq!(json["receipt"]["proof"].as_array().unwrap().len(), 4);
    assert_eq!(json["receipt"]["root"], b64(&log.root(11)));
}

#[test]
fn single_leaf_and_last_leaf_receipts_verify() {
    let log = log();
    for (index, size) in [(0, 1), (10, 11), (0, 11), (7, 8)] {
        let report = verify(&log.receipt(index, size, &[], &[&signer()]));
        assert!(report.ok, "{index}/{size}: {}", report.message);
    }
}

#[test]
fn malformed_receipts() {
    let log = log();
    let good = log.receipt(3, 11, &[0, 1], &[&signer()]);
    // Step 1 failures carry no position: the receipt could not be parsed (verdicts.md §3).
    let position = None;
    let cases: Vec<(String, Option<u64>)> = vec![
        (
            good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
            None,
        ),
        (good.replacen("extra ", "extra  ", 1), None),
        (good.replacen("extra ", "Extra ", 1), None),
        (good.replacen("index 3", "index 03", 1), None),
        (good.replacen("index 3", "index x", 1), None),
        (
            good.replacen("index 3", "index 99999999999999999999", 1),
            None,
        ),
        (
            good.replacen("index 3\n", "index 3\nnot base64\n", 1),
            position,
        ),
        (
            good.replacen("index 3\n", &format!("index 3\n{}\n", b64(&[0; 31])), 1),
            position,
        ),
        (
            good.replacen("\n\n", "\n", 1).replacen(
                &format!("\n{ORIGIN}"),
                &format!("\nX{ORIGIN}"),
                1,
            ),
            position,
        ),
        (good.split("\n\n").next().unwrap().to_owned(), position),
    ];
    for (text, position) in cases {
        assert_reason(&verify(&text), Reason::MalformedReceipt, position);
    }
    let without_extra: String = good
        .lines()
        .filter(|l| !l.starts_with("extra "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_reason(&verify(&without_extra), Reason::MalformedReceipt, None);
    assert_reason(
        &verify_receipt(b"\xff\xfe", &keys()),
        Reason::MalformedReceipt,
        None,
    );
    assert_reason(
        &verify_receipt(&vec![b'a'; 4_194_305], &keys()),
        Reason::MalformedReceipt,
        None,
    );

    let checkpoint = log.signed_checkpoint(11, &[&signer()]);
    let proof = log.inclusion_proof(3, 11);
    let mut bad_magic = extra(&log, 3, &[]);
    bad_magic[0] = b'X';
    assert_reason(
        &verify(&receipt_text(&bad_magic, 3, &proof, &checkpoint)),
        Reason::MalformedReceipt,
        position,
    );
    assert_reason(
        &verify(&receipt_text(b"VDB", 3, &proof, &checkpoint)),
        Reason::MalformedReceipt,
        position,
    );
    let too_many = vec![[0u8; 32]; 65];
    let text = receipt_text(&extra(&log, 3, &[]), 3, &too_many, &checkpoint);
    assert_reason(&verify(&text), Reason::MalformedReceipt, position);
    let at_limit = vec![[0u8; 32]; 64];
    let text = receipt_text(&extra(&log, 3, &[]), 3, &at_limit, &checkpoint);
    assert_reason(&verify(&text), Reason::BadProof, Some(3));
}

#[test]
fn unsupported_versions() {
    let log = log();
    let checkpoint = log.signed_checkpoint(11, &[&signer()]);
    let proof = log.inclusion_proof(3, 11);
    let mut version = extra(&log, 3, &[]);
    version[4] = 2;
    assert_reason(
        &verify(&receipt_text(&version, 3, &proof, &checkpoint)),
        Reason::UnsupportedVersion,
        None,
    );
    let mut header_version = extra(&log, 3, &[]);
    header_version[5 + 2] = 2;
    let text = receipt_text(&header_version, 3, &proof, &checkpoint);
    assert_reason(&verify(&text), Reason::UnsupportedVersion, Some(3));
}

#[test]
fn checkpoint_failures_come_before_the_entry() {
    let log = log();
    let proof = log.inclusion_proof(3, 11);
    let mut broken_entry = extra(&log, 3, &[]);
    broken_entry.truncate(20);
    let stranger = Signer::new(ORIGIN, 50);
    let untrusted = log.signed_checkpoint(11, &[&stranger]);
    assert_reason(
        &verify(&receipt_text(&broken_entry, 3, &proof, &untrusted)),
        Reason::UntrustedKey,
        Some(3),
    );
    let bad = log
        .signed_checkpoint(11, &[&signer()])
        .replace("\n11\n", "\n12\n");
    assert_reason(
        &verify(&receipt_text(&broken_entry, 3, &proof, &bad)),
        Reason::BadSignature,
        Some(3),
    );
    assert_reason(
        &verify(&receipt_text(&broken_entry, 3, &proof, "no note\n")),
        Reason::MalformedNote,
        Some(3),
    );
    let good = log.signed_checkpoint(11, &[&signer()]);
    let report = verify(&receipt_text(&broken_entry, 3, &proof, &good));
    assert_reason(&report, Reason::MalformedEntry, Some(3));
    assert_eq!(report.checkpoints, 1);
}

#[test]
fn entry_failures() {
    let log = log();
    let checkpoint = log.signed_checkpoint(11, &[&signer()]);
    let proof = log.inclusion_proof(3, 11);
    let mut leftover = extra(&log, 3, &[]);
    leftover.push(0);
    assert_reason(
        &verify(&receipt_text(&leftover, 3, &proof, &checkpoint)),
        Reason::MalformedEntry,
        Some(3),
    );
    let mut value = extra(&log, 3, &[1]);
    let at = value.len() - 33;
    value[at] ^= 1;
    assert_reason(
        &verify(&receipt_text(&value, 3, &proof, &checkpoint)),
        Reason::CommitmentMismatch,
        Some(3),
    );
    let mut leaf = extra(&log, 3, &[1]);
    let at = leaf.len() - 1;
    leaf[at] ^= 1;
    assert_reason(
        &verify(&receipt_text(&leaf, 3, &proof, &checkpoint)),
        Reason::LeafMismatch,
        Some(3),
    );
}

#[test]
fn context_failures() {
    let signer = signer();
    let log = log();
    // An entry of another tenant under this origin's checkpoint.
    let beta = Log::with_events(NODE, "beta", 11);
    let text = receipt_text(
        &extra(&beta, 3, &[]),
        3,
        &log.inclusion_proof(3, 11),
        &log.signed_checkpoint(11, &[&signer]),
    );
    let report = verify(&text);
    assert_reason(&report, Reason::TenantMismatch, Some(3));
    assert_eq!(report.tenants, 1);
    // A tenant whose name only ends the origin's last segment.
    let cme = Log::with_events(NODE, "cme", 11);
    let text = receipt_text(
        &extra(&cme, 3, &[]),
        3,
        &log.inclusion_proof(3, 11),
        &log.signed_checkpoint(11, &[&signer]),
    );
    assert_reason(&verify(&text), Reason::TenantMismatch, Some(3));

    let checkpoint = log.signed_checkpoint(11, &[&signer]);
    let text = receipt_text(
        &extra(&log, 3, &[]),
        4,
        &log.inclusion_proof(4, 11),
        &checkpoint,
    );
    assert_reason(&verify(&text), Reason::IndexMismatch, Some(4));
    let small = log.signed_checkpoint(3, &[&signer]);
    let text = receipt_text(&extra(&log, 3, &[]), 3, &[], &small);
    assert_reason(&verify(&text), Reason::IndexMismatch, Some(3));

    let proof = log.inclusion_proof(3, 11);
    let text = receipt_text(&extra(&log, 3, &[]), 3, &proof[1..], &checkpoint);
    assert_reason(&verify(&text), Reason::BadProof, Some(3));
    let mut wrong = proof.clone();
    wrong[2][5] ^= 1;
    let text = receipt_text(&extra(&log, 3, &[]), 3, &wrong, &checkpoint);
    assert_reason(&verify(&text), Reason::RootMismatch, Some(3));
    let text = receipt_text(
        &extra(&log, 3, &[]),
        3,
        &log.inclusion_proof(3, 10),
        &checkpoint,
    );
    assert_reason(&verify(&text), Reason::RootMismatch, Some(3));
}
