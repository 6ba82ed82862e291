//! Export verification (verdicts.md §2): valid exports of whole logs and slices, one test per
//! reason code an export can produce, and streaming with any chunk boundaries.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{
    Entry, FRAME_CHECKPOINT, FRAME_ENTRY, FRAME_HEADER, FRAME_TRAILER, Frame, Log, Signer,
    checkpoint_text, export_bytes, frame, sha256, sign_note, verify_in_chunks,
};
use veritydb_verify::{Range, Reason, Report, TrustedKeys, verify_export};

const NODE: &str = "audit.example.com/node1";
const ORIGIN: &str = "audit.example.com/node1/acme";

fn signer() -> Signer {
    Signer::new(ORIGIN, 1)
}

fn keys() -> TrustedKeys {
    TrustedKeys::parse([signer().vkey()]).unwrap()
}

fn log(count: u64) -> Log {
    Log::with_events(NODE, "acme", count)
}

/// Verifies whole, then byte by byte and in uneven chunks, and checks all three agree.
fn verify(bytes: &[u8]) -> Report {
    let keys = keys();
    let whole = verify_export(bytes, &keys);
    assert_eq!(
        verify_in_chunks(bytes, &keys, &[1]),
        whole,
        "byte-by-byte differs"
    );
    assert_eq!(
        verify_in_chunks(bytes, &keys, &[7, 1, 4096, 3, 64]),
        whole,
        "chunked differs"
    );
    whole
}

fn verify_frames(frames: &[Frame]) -> Report {
    verify(&export_bytes(frames))
}

fn assert_reason(report: &Report, reason: Reason, position: Option<u64>) {
    assert_eq!(
        (report.reason, report.position),
        (reason, position),
        "message: {}",
        report.message
    );
    assert!(!report.ok);
    assert_eq!(report.reason.code(), reason as u16);
}

/// The index of the first frame of this type in a frame list.
fn find(frames: &[Frame], frame_type: u8) -> usize {
    frames
        .iter()
        .position(|f| f.frame_type == frame_type)
        .unwrap()
}

#[test]
fn a_whole_log_verifies() {
    let log = log(10);
    let bytes = log.export(0, 10, &[4, 10], &signer());
    let report = verify(&bytes);
    assert!(report.ok, "{:?}: {}", report.reason, report.message);
    assert_eq!(report.entries, 10);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.tenants, 1);
    assert_eq!(report.bytes, bytes.len() as u64);
    assert_eq!(report.range, Some(Range { from: 0, to: 10 }));
    assert_eq!(report.origin.as_deref(), Some(ORIGIN));
    assert_eq!(report.tree_size, Some(10));
    assert_eq!(report.root, Some(log.root(10)));
    assert_eq!(report.keys, [ORIGIN]);
    assert_eq!(report.position, None);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["reason"], "ok");
    assert_eq!(json["range"]["to"], 10);
}

#[test]
fn slices_verify_with_compact_ranges_and_covering_proofs() {
    let log = log(21);
    let signer = signer();
    for (from, to, sizes) in [
        (3u64, 8u64, vec![3u64, 5, 13]),
        (7, 16, vec![16]),
        (1, 2, vec![21]),
        (5, 5, vec![5]),
        (5, 5, vec![9]),
        (0, 1, vec![1]),
        (0, 20, vec![8, 21]),
        (16, 21, vec![21]),
    ] {
        let report = verify(&log.export(from, to, &sizes, &signer));
        assert!(
            report.ok,
            "[{from}, {to}) {sizes:?}: {:?} {}",
            report.reason, report.message
        );
        assert_eq!(report.entries, to - from);
        assert_eq!(report.tree_size, sizes.iter().max().copied());
    }
}

#[test]
fn an_empty_log_verifies_with_the_empty_root() {
    let log = log(0);
    let report = verify(&log.export(0, 0, &[0], &signer()));
    assert!(report.ok, "{}", report.message);
    assert_eq!(report.root, Some(sha256(&[])));
}

#[test]
fn withheld_fields_still_verify() {
    let log = log(4);
    let mut frames = log.export_frames(0, 4, &[4], &signer());
    for position in 0..4u64 {
        frames[1 + position as usize] = log.entry_frame(position, &[]);
    }
    frames[2] = log.entry_frame(1, &[1]);
    assert!(verify_frames(&frames).ok);
}

#[test]
fn malformed_frames() {
    let log = log(5);
    let frames = log.export_frames(0, 5, &[5], &signer());
    let bytes = export_bytes(&frames);

    let mut bad_magic = bytes.clone();
    bad_magic[1] = b'W';
    assert_reason(&verify(&bad_magic), Reason::MalformedFrame, None);
    assert_reason(&verify(b"PK\x03\x04"), Reason::MalformedFrame, None);

    let mut unknown = frames.clone();
    unknown.insert(2, frame(9, vec![]));
    assert_reason(&verify_frames(&unknown), Reason::MalformedFrame, Some(1));

    assert_reason(&verify_frames(&frames[1..]), Reason::MalformedFrame, None);
    let mut second_header = frames.clone();
    second_header.insert(3, frames[0].clone());
    assert_reason(
        &verify_frames(&second_header),
        Reason::MalformedFrame,
        Some(2),
    );

    let mut header = frames.clone();
    header[0].body.push(0);
    assert_reason(&verify_frames(&header), Reason::MalformedFrame, None);
    let mut header = frames.clone();
    header[0] = log.header_frame(0, 5);
    header[0].body.pop();
    assert_reason(&verify_frames(&header), Reason::MalformedFrame, None);

    // from > to
    let mut bad_range = frames.clone();
    bad_range[0] = log.header_frame(3, 2);
    assert_reason(&verify_frames(&bad_range), Reason::MalformedFrame, None);

    // left_count not popcount(from)
    let mut slice = log.export_frames(3, 5, &[5], &signer());
    let count_at = slice[0].body.len() - 2 * 32 - 1;
    slice[0].body[count_at] = 1;
    let shorter = slice[0].body.len() - 32;
    slice[0].body.truncate(shorter);
    assert_reason(&verify_frames(&slice), Reason::MalformedFrame, None);

    let checkpoint_at = find(&frames, FRAME_CHECKPOINT);
    let mut checkpoint = frames.clone();
    checkpoint[checkpoint_at].body.push(0);
    assert_reason(&verify_frames(&checkpoint), Reason::MalformedFrame, Some(5));
    // A checkpoint at its own size with a proof.
    let mut with_proof = frames.clone();
    with_proof[checkpoint_at] =
        log.checkpoint_frame(&log.signed_checkpoint(5, &[&signer()]), &[[0; 32]]);
    assert_reason(&verify_frames(&with_proof), Reason::MalformedFrame, Some(5));

    let trailer_at = find(&frames, FRAME_TRAILER);
    let mut trailer = frames.clone();
    trailer[trailer_at].body.pop();
    assert_reason(&verify_frames(&trailer), Reason::MalformedFrame, Some(5));
    let mut count = frames.clone();
    count[trailer_at].body[7] = 4;
    assert_reason(&verify_frames(&count), Reason::MalformedFrame, Some(5));
    let mut empty_trailer = frames.clone();
    empty_trailer[trailer_at].body.clear();
    assert_reason(
        &verify_frames(&empty_trailer),
        Reason::MalformedFrame,
        Some(5),
    );
}

#[test]
fn truncated_exports() {
    let log = log(3);
    let bytes = log.export(0, 3, &[3], &signer());
    for cut in [
        0,
        1,
        8,
        9,
        10,
        11,
        14,
        15,
        40,
        bytes.len() - 41,
        bytes.len() - 1,
    ] {
        let report = verify(&bytes[..cut]);
        assert_eq!(
            report.reason,
            Reason::Truncated,
            "cut at {cut}: {}",
            report.message
        );
        assert_eq!(report.bytes, cut as u64);
    }
    let report = verify(&bytes[..bytes.len() - 45]);
    assert_reason(&report, Reason::Truncated, Some(3));
    assert_eq!(report.checkpoints, 1);
}

#[test]
fn unsupported_versions() {
    let log = log(3);
    let frames = log.export_frames(0, 3, &[3], &signer());
    let mut bytes = export_bytes(&frames);
    bytes[9] = 2;
    assert_reason(&verify(&bytes), Reason::UnsupportedVersion, None);
    assert_reason(&verify(&bytes[..9]), Reason::Truncated, None);
    bytes[8] = 1;
    assert_reason(&verify(&bytes[..9]), Reason::UnsupportedVersion, None);

    let mut entry_version = frames.clone();
    entry_version[2].body[2] = 2;
    assert_reason(
        &verify_frames(&entry_version),
        Reason::UnsupportedVersion,
        Some(1),
    );
}

#[test]
fn chain_breaks() {
    let log = log(6);
    let frames = log.export_frames(0, 6, &[6], &signer());
    let mut stated = frames.clone();
    let last = stated[3].body.len() - 1;
    stated[3].body[last] ^= 1;
    assert_reason(&verify_frames(&stated), Reason::ChainBreak, Some(2));

    let trailer_at = find(&frames, FRAME_TRAILER);
    let mut trailer = frames.clone();
    trailer[trailer_at].body[39] ^= 1;
    assert_reason(&verify_frames(&trailer), Reason::ChainBreak, Some(6));

    // from = 0 needs a zero chain_prev.
    let mut header = frames.clone();
    let at = header[0].body.len() - 1 - 32;
    header[0].body[at] = 1;
    assert_reason(&verify_frames(&header), Reason::ChainBreak, None);

    // A slice's chain_prev that does not lead to the stated chain.
    let mut slice = log.export_frames(2, 6, &[6], &signer());
    // chain_prev, then left_count = 1 (from = 2) and one compact-range hash.
    let chain_prev_at = slice[0].body.len() - 32 - 1 - 32;
    slice[0].body[chain_prev_at] ^= 1;
    assert_reason(&verify_frames(&slice), Reason::ChainBreak, Some(2));
}

#[test]
fn leaf_and_commitment_mismatches() {
    let log = log(4);
    let frames = log.export_frames(0, 4, &[4], &signer());
    let mut leaf = frames.clone();
    let at = leaf[2].body.len() - 64;
    leaf[2].body[at] ^= 1;
    assert_reason(&verify_frames(&leaf), Reason::LeafMismatch, Some(1));

    let mut value = frames.clone();
    let at = value[3].body.len() - 65;
    value[3].body[at] ^= 1;
    assert_reason(&verify_frames(&value), Reason::CommitmentMismatch, Some(2));
}

#[test]
fn root_mismatches() {
    let signer = signer();
    let log = log(8);
    let mut other = Log::with_events(NODE, "acme", 3);
    other.append(vec![("stream".into(), b"forked".to_vec())]);
    let mut frames = log.export_frames(0, 8, &[4, 8], &signer);
    let checkpoint_at = find(&frames, FRAME_CHECKPOINT);
    frames[checkpoint_at] = other.checkpoint_frame(&other.signed_checkpoint(4, &[&signer]), &[]);
    assert_reason(&verify_frames(&frames), Reason::RootMismatch, Some(4));

    // The covering checkpoint's consistency proof does not lead to the signed root.
    let mut slice = log.export_frames(2, 5, &[8], &signer);
    let checkpoint_at = find(&slice, FRAME_CHECKPOINT);
    let last = slice[checkpoint_at].body.len() - 1;
    slice[checkpoint_at].body[last] ^= 1;
    assert_reason(&verify_frames(&slice), Reason::RootMismatch, Some(5));
}

#[test]
fn bad_proofs() {
    let log = log(8);
    let mut slice = log.export_frames(2, 5, &[8], &signer());
    let checkpoint_at = find(&slice, FRAME_CHECKPOINT);
    let note = log.signed_checkpoint(8, &[&signer()]);
    let proof = log.consistency_proof(5, 8);
    slice[checkpoint_at] = log.checkpoint_frame(&note, &proof[1..]);
    assert_reason(&verify_frames(&slice), Reason::BadProof, Some(5));
}

#[test]
fn signature_failures() {
    let log = log(4);
    let mut frames = log.export_frames(0, 4, &[4], &signer());
    let checkpoint_at = find(&frames, FRAME_CHECKPOINT);
    let note = log.signed_checkpoint(4, &[&signer()]);
    // Change one base64 character inside the signature.
    let sig_start = note.rfind(' ').unwrap() + 10;
    let mut tampered = note.into_bytes();
    tampered[sig_start] = if tampered[sig_start] == b'A' {
        b'B'
    } else {
        b'A'
    };
    frames[checkpoint_at] = log.checkpoint_frame(std::str::from_utf8(&tampered).unwrap(), &[]);
    assert_reason(&verify_frames(&frames), Reason::BadSignature, Some(4));

    let stranger = Signer::new(ORIGIN, 99);
    frames[checkpoint_at] = log.checkpoint_frame(&log.signed_checkpoint(4, &[&stranger]), &[]);
    assert_reason(&verify_frames(&frames), Reason::UntrustedKey, Some(4));

    frames[checkpoint_at] = log.checkpoint_frame("not a note", &[]);
    assert_reason(&verify_frames(&frames), Reason::MalformedNote, Some(4));
}

#[test]
fn checkpoint_order_and_origin() {
    let signer = signer();
    let log = log(8);
    let frames = log.export_frames(0, 8, &[4, 8], &signer);
    let first = find(&frames, FRAME_CHECKPOINT);

    // The same checkpoint twice: not after a smaller one.
    let mut repeated = frames.clone();
    repeated.insert(first + 1, frames[first].clone());
    assert_reason(
        &verify_frames(&repeated),
        Reason::MisplacedCheckpoint,
        Some(4),
    );
    // A checkpoint after the wrong entry.
    let mut moved = frames.clone();
    let checkpoint = moved.remove(first);
    moved.insert(first + 1, checkpoint);
    assert_reason(&verify_frames(&moved), Reason::MisplacedCheckpoint, Some(5));
    // A checkpoint larger than s before the end.
    let mut early = frames.clone();
    early.insert(
        2,
        log.checkpoint_frame(&log.signed_checkpoint(8, &[&signer]), &[]),
    );
    assert_reason(&verify_frames(&early), Reason::MisplacedCheckpoint, Some(1));

    // Same size, another root, signed by the trusted key: the node forked.
    let mut fork = Log::with_events(NODE, "acme", 3);
    fork.append(vec![("stream".into(), b"forked".to_vec())]);
    let mut forked = frames.clone();
    forked.insert(
        first + 1,
        fork.checkpoint_frame(&fork.signed_checkpoint(4, &[&signer]), &[]),
    );
    assert_reason(
        &verify_frames(&forked),
        Reason::InconsistentCheckpoints,
        Some(4),
    );

    // Another log's checkpoint, signed by that log's trusted key.
    let beta_signer = Signer::new("audit.example.com/node1/beta", 2);
    let beta = Log::with_events(NODE, "beta", 4);
    let keys = TrustedKeys::parse([signer.vkey(), beta_signer.vkey()]).unwrap();
    let mut foreign = frames.clone();
    foreign[first] = beta.checkpoint_frame(&beta.signed_checkpoint(4, &[&beta_signer]), &[]);
    let report = verify_export(&export_bytes(&foreign), &keys);
    assert_reason(&report, Reason::OriginMismatch, Some(4));
}

#[test]
fn uncovered_exports() {
    let log = log(8);
    let mut frames = log.export_frames(0, 8, &[4, 8], &signer());
    let last_checkpoint = frames
        .iter()
        .rposition(|f| f.frame_type == FRAME_CHECKPOINT)
        .unwrap();
    frames.remove(last_checkpoint);
    let report = verify_frames(&frames);
    assert_reason(&report, Reason::Uncovered, Some(8));
    assert_eq!(report.entries, 8);
    assert_eq!(report.tree_size, Some(4));
}

#[test]
fn position_gaps_and_missing_entries() {
    let log = log(6);
    let frames = log.export_frames(0, 6, &[6], &signer());
    let mut dropped = frames.clone();
    dropped.remove(3);
    assert_reason(&verify_frames(&dropped), Reason::PositionGap, Some(2));
    let mut duplicated = frames.clone();
    duplicated.insert(3, frames[2].clone());
    assert_reason(&verify_frames(&duplicated), Reason::PositionGap, Some(2));
    let mut swapped = frames.clone();
    swapped.swap(2, 3);
    assert_reason(&verify_frames(&swapped), Reason::PositionGap, Some(1));

    // An entry beyond `to`: a slice [0, 5) followed by entry 5.
    let mut extra = log.export_frames(0, 5, &[6], &signer());
    let checkpoint_at = find(&extra, FRAME_CHECKPOINT);
    extra.insert(checkpoint_at, log.entry_frame(5, &[0, 1]));
    assert_reason(&verify_frames(&extra), Reason::PositionGap, Some(5));

    let mut missing = frames.clone();
    missing.remove(6);
    missing.remove(5);
    let checkpoint_at = find(&missing, FRAME_CHECKPOINT);
    missing.remove(checkpoint_at);
    assert_reason(&verify_frames(&missing), Reason::MissingEntries, Some(4));
}

#[test]
fn timestamp_regression() {
    let mut log = log(3);
    let mut entry: Entry = log.entries[2].clone();
    entry.position = 3;
    entry.timestamp_us -= 1;
    log.push_entry(entry);
    let report = verify(&log.export(0, 4, &[4], &signer()));
    assert_reason(&report, Reason::TimestampRegression, Some(3));
    assert_eq!(report.entries, 3);
}

#[test]
fn tenant_mismatches() {
    let mut log = log(2);
    let mut entry = log.entries[1].clone();
    entry.position = 2;
    entry.tenant = "beta".into();
    log.push_entry(entry);
    let report = verify(&log.export(0, 3, &[3], &signer()));
    assert_reason(&report, Reason::TenantMismatch, Some(2));
    assert_eq!(report.tenants, 2);

    let mut wrong_origin = Log::with_events("audit.example.com/node1-acme", "acme", 1);
    wrong_origin.origin = "audit.example.com/node1acme".into();
    let report = verify(&wrong_origin.export(0, 1, &[1], &signer()));
    assert_reason(&report, Reason::TenantMismatch, None);
}

#[test]
fn malformed_entries() {
    let log = log(3);
    let frames = log.export_frames(0, 3, &[3], &signer());
    let mut garbage = frames.clone();
    garbage[2].body = vec![0xff; 40];
    assert_reason(&verify_frames(&garbage), Reason::MalformedEntry, Some(1));
    let mut extra = frames.clone();
    extra[2].body.push(0);
    assert_reason(&verify_frames(&extra), Reason::MalformedEntry, Some(1));
    let mut short = frames.clone();
    short[2].body.pop();
    assert_reason(&verify_frames(&short), Reason::MalformedEntry, Some(1));
    let mut empty = frames.clone();
    empty[2].body.clear();
    assert_reason(&verify_frames(&empty), Reason::MalformedEntry, Some(1));

    // An invalid tenant name in the header frame.
    let mut upper = Log::with_events(NODE, "Acme", 1);
    upper.origin = "audit.example.com/node1/Acme".into();
    assert_reason(
        &verify(&upper.export(0, 1, &[1], &signer())),
        Reason::MalformedEntry,
        None,
    );

    // Two disclosed fields with the same name.
    let mut twins = Log::new(NODE, "acme");
    twins.append(vec![
        ("a".into(), b"1".to_vec()),
        ("a".into(), b"2".to_vec()),
    ]);
    assert_reason(
        &verify(&twins.export(0, 1, &[1], &signer())),
        Reason::MalformedEntry,
        Some(0),
    );

    // An actor with a control character.
    let mut actor = Log::new(NODE, "acme");
    actor.append(vec![]);
    let mut entry = actor.entries[0].clone();
    entry.actor = "bad\u{7f}".into();
    let mut bad_actor = Log::new(NODE, "acme");
    bad_actor.push_entry(entry);
    assert_reason(
        &verify(&bad_actor.export(0, 1, &[1], &signer())),
        Reason::MalformedEntry,
        Some(0),
    );
}

#[test]
fn limits_and_trailing_data() {
    let log = log(2);
    let frames = log.export_frames(0, 2, &[2], &signer());
    let mut bytes = export_bytes(&frames[..1]);
    bytes.push(FRAME_ENTRY);
    bytes.extend_from_slice(&(2_097_153u32).to_be_bytes());
    assert_reason(&verify(&bytes), Reason::LimitExceeded, Some(0));

    let long_text = format!(
        "{}\n{}",
        checkpoint_text(ORIGIN, 2, &log.root(2)),
        "x\n".repeat(8200)
    );
    let long_note = sign_note(&long_text, &[&signer()]);
    let mut long = frames.clone();
    let checkpoint_at = find(&frames, FRAME_CHECKPOINT);
    long[checkpoint_at] = log.checkpoint_frame(&long_note, &[]);
    assert_reason(&verify_frames(&long), Reason::LimitExceeded, Some(2));

    let mut proof = frames.clone();
    proof[checkpoint_at] =
        log.checkpoint_frame(&log.signed_checkpoint(2, &[&signer()]), &[[0; 32]; 65]);
    assert_reason(&verify_frames(&proof), Reason::LimitExceeded, Some(2));

    let mut trailing = export_bytes(&frames);
    trailing.push(0);
    let report = verify(&trailing);
    assert_reason(&report, Reason::TrailingData, Some(2));
    assert_eq!(report.bytes, trailing.len() as u64);
    assert_eq!(report.entries, 2);
}

#[test]
fn frame_order_of_checks() {
    let log = log(1);
    let mut bytes = export_bytes(&log.export_frames(0, 1, &[1], &signer())[..1]);
    // The limit is decided from the prefix alone, before any of the body.
    let mut too_long = bytes.clone();
    too_long.extend_from_slice(&[9, 0xff, 0xff, 0xff, 0xff]);
    assert_reason(&verify(&too_long), Reason::LimitExceeded, Some(0));
    let mut verifier = veritydb_verify::ExportVerifier::new(&keys());
    verifier.update(&too_long);
    assert!(verifier.has_failed());
    assert_eq!(verifier.progress().bytes, too_long.len() as u64);
    // A body cut off is truncated, even for a frame that could never be valid (verdicts.md §2.2).
    bytes.extend_from_slice(&[FRAME_HEADER, 0, 0, 1, 0]);
    assert_reason(&verify(&bytes), Reason::Truncated, Some(0));
    bytes.extend_from_slice(&[0; 256]);
    assert_reason(&verify(&bytes), Reason::MalformedFrame, Some(0));
}

#[test]
fn streaming_matches_whole_on_random_chunkings() {
    let log = log(40);
    let signer = signer();
    let valid = [
        log.export(0, 40, &[7, 16, 40], &signer),
        log.export(9, 33, &[9, 20, 40], &signer),
    ];
    let keys = keys();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for bytes in &valid {
        let whole = verify_export(bytes, &keys);
        assert!(whole.ok, "{}", whole.message);
        for _ in 0..50 {
            let sizes: Vec<usize> = (0..8)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 700) as usize + 1
                })
                .collect();
            assert_eq!(
                verify_in_chunks(bytes, &keys, &sizes),
                whole,
                "chunks {sizes:?}"
            );
        }
        // Every truncation point streams the same as whole.
        for cut in (0..bytes.len()).step_by(97) {
            let report = verify_export(&bytes[..cut], &keys);
            assert_eq!(
                verify_in_chunks(&bytes[..cut], &keys, &[13, 1, 250]),
                report
            );
        }
    }
}

#[test]
fn frame_type_constants_match_the_spec() {
    assert_eq!(
        (FRAME_HEADER, FRAME_ENTRY, FRAME_CHECKPOINT, FRAME_TRAILER),
        (1, 2, 3, 4)
    );
}
