//! Signed notes (the C2SP example and mutations of it), checkpoints, and the consistency of two
//! signed checkpoints.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{Log, Signer, b64, checkpoint_text, sign_note};
use veritydb_verify::{
    Reason, TrustedKeys, verify_checkpoint, verify_checkpoint_consistency, verify_note,
};

const EXAMPLE_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const EXAMPLE_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn example_keys() -> TrustedKeys {
    TrustedKeys::parse([EXAMPLE_VKEY]).unwrap()
}

fn note_reason(note: &str, keys: &TrustedKeys) -> Reason {
    verify_note(note.as_bytes(), keys).reason
}

#[test]
fn the_c2sp_example_is_the_one_in_the_spec() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/c2sp-specs/signed-note.md"
    );
    let spec = std::fs::read_to_string(path).unwrap();
    assert!(spec.contains(EXAMPLE_VKEY));
    assert!(spec.contains(EXAMPLE_NOTE.trim_end()));
}

#[test]
fn the_c2sp_example_verifies() {
    let report = verify_note(EXAMPLE_NOTE.as_bytes(), &example_keys());
    assert!(report.ok, "{:?}: {}", report.reason, report.message);
    assert_eq!(report.keys, ["example.com/foo"]);
    assert_eq!(report.kind.name(), "note");
    assert_eq!(report.bytes, EXAMPLE_NOTE.len() as u64);
}

#[test]
fn mutations_of_the_example_are_rejected() {
    let keys = example_keys();
    let cases: Vec<(String, Reason)> = vec![
        (EXAMPLE_NOTE.replace("example message", "example massage"), Reason::BadSignature),
        (EXAMPLE_NOTE.replace("Uw2QOkn8", "Uw2QOkn9"), Reason::BadSignature),
        (EXAMPLE_NOTE.replace("\n\n", "\n"), Reason::MalformedNote),
        (EXAMPLE_NOTE.trim_end().to_owned(), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("message.", "message.\r"), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("message.", "message.\t"), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("\u{2014} ", "- "), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("example.com/foo ", "example.com/foo  "), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("example.com/foo ", "example.com/f+o "), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("\u{2014} example.com/foo ", "\u{2014}  "), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("aQM=", "aQM"), Reason::MalformedNote),
        (EXAMPLE_NOTE.replace("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=", "AAAAAA=="), Reason::MalformedNote),
        (format!("{EXAMPLE_NOTE}\n"), Reason::MalformedNote),
        ("This is an example message.\n\n".to_owned(), Reason::MalformedNote),
        (String::new(), Reason::MalformedNote),
        // A known key (same name and id) with a signature of the wrong length fails to verify.
        (EXAMPLE_NOTE.replace("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=", "Uw2QOgAAAA=="), Reason::BadSignature),
    ];
    for (note, reason) in cases {
        assert_eq!(note_reason(&note, &keys), reason, "{note:?}");
    }
    let mut invalid_utf8 = EXAMPLE_NOTE.as_bytes().to_vec();
    invalid_utf8[3] = 0xff;
    assert_eq!(
        verify_note(&invalid_utf8, &keys).reason,
        Reason::MalformedNote
    );
}

#[test]
fn unknown_keys_are_ignored_and_a_failing_known_key_rejects() {
    let keys = example_keys();
    let other = Signer::new("example.com/other", 9);
    // Same name as the trusted key, different key and id: ignored.
    let impostor = Signer::new("example.com/foo", 10);
    let text = "This is an example message.\n";
    let with_unknown = format!(
        "{EXAMPLE_NOTE}{}{}",
        other.signature_line(text),
        impostor.signature_line(text)
    );
    assert!(verify_note(with_unknown.as_bytes(), &keys).ok);
    let only_unknown = sign_note(text, &[&other, &impostor]);
    assert_eq!(note_reason(&only_unknown, &keys), Reason::UntrustedKey);
    assert_eq!(
        note_reason(EXAMPLE_NOTE, &TrustedKeys::default()),
        Reason::UntrustedKey
    );
    // A second trusted key whose signature fails rejects the note even though one verified.
    let both = TrustedKeys::parse([EXAMPLE_VKEY.to_owned(), other.vkey()]).unwrap();
    let bad_other = other.signature_line("another text\n");
    assert_eq!(
        note_reason(&format!("{EXAMPLE_NOTE}{bad_other}"), &both),
        Reason::BadSignature
    );
    assert_eq!(
        note_reason(
            &format!("{EXAMPLE_NOTE}{}", other.signature_line(text)),
            &both
        ),
        Reason::Ok
    );
}

#[test]
fn notes_longer_than_the_limits_are_malformed() {
    let keys = example_keys();
    let mut long = "x".repeat(16_384);
    long.push_str(&EXAMPLE_NOTE[27..]);
    assert_eq!(note_reason(&long, &keys), Reason::MalformedNote);
    let other = Signer::new("example.com/other", 9);
    let text = "This is an example message.\n";
    let mut many = EXAMPLE_NOTE.to_owned();
    for _ in 0..31 {
        many.push_str(&other.signature_line(text));
    }
    assert_eq!(
        note_reason(&many, &keys),
        Reason::Ok,
        "32 signatures are allowed"
    );
    many.push_str(&other.signature_line(text));
    assert_eq!(note_reason(&many, &keys), Reason::MalformedNote);
}

fn node_signer() -> Signer {
    Signer::new("audit.example.com/node1/acme", 1)
}

#[test]
fn checkpoints() {
    let signer = node_signer();
    let witness = Signer::new("witness.example", 2);
    let keys = TrustedKeys::parse([signer.vkey(), witness.vkey()]).unwrap();
    let log = Log::with_events("audit.example.com/node1", "acme", 5);
    let note = log.signed_checkpoint(5, &[&signer, &witness]);
    let report = verify_checkpoint(note.as_bytes(), &keys, None);
    assert!(report.ok, "{}", report.message);
    assert_eq!(
        report.origin.as_deref(),
        Some("audit.example.com/node1/acme")
    );
    assert_eq!(report.tree_size, Some(5));
    assert_eq!(report.root, Some(log.root(5)));
    assert_eq!(
        report.keys,
        ["audit.example.com/node1/acme", "witness.example"]
    );
    assert_eq!(report.checkpoints, 1);
    let required = Some("audit.example.com/node1/acme");
    assert!(verify_checkpoint(note.as_bytes(), &keys, required).ok);
    let other_origin = Some("audit.example.com/node1/other");
    assert_eq!(
        verify_checkpoint(note.as_bytes(), &keys, other_origin).reason,
        Reason::OriginMismatch
    );

    // Signed only by a witness: the note verifies, the checkpoint has no key named like its origin.
    let by_witness = log.signed_checkpoint(5, &[&witness]);
    assert!(verify_note(by_witness.as_bytes(), &keys).ok);
    assert_eq!(
        verify_checkpoint(by_witness.as_bytes(), &keys, None).reason,
        Reason::UntrustedKey
    );
}

#[test]
fn checkpoint_text_rules() {
    let signer = node_signer();
    let keys = TrustedKeys::parse([signer.vkey()]).unwrap();
    let origin = "audit.example.com/node1/acme";
    let root = b64(&[7u8; 32]);
    let reason =
        |text: &str| verify_checkpoint(sign_note(text, &[&signer]).as_bytes(), &keys, None).reason;
    assert_eq!(reason(&format!("{origin}\n5\n{root}\n")), Reason::Ok);
    assert_eq!(
        reason(&format!("{origin}\n5\n{root}\nextension line\n")),
        Reason::Ok
    );
    assert_eq!(reason(&format!("{origin}\n0\n{root}\n")), Reason::Ok);
    assert_eq!(
        reason(&format!("{origin}\n281474976710656\n{root}\n")),
        Reason::Ok
    );
    let malformed = [
        format!("{origin}\n281474976710657\n{root}\n"),
        format!("{origin}\n05\n{root}\n"),
        format!("{origin}\n-5\n{root}\n"),
        format!("{origin}\n5\n{}\n", b64(&[7u8; 31])),
        format!("{origin}\n5\n{}\n", &root[..43]),
        format!("{origin}\n5\n"),
        format!("\n5\n{root}\n"),
        format!("{origin}\n5\n{root}\n\nafter an empty extension line\n"),
    ];
    for text in malformed {
        // The signer's name is the origin; the text is read only once a trusted key verified.
        assert_eq!(reason(&text), Reason::MalformedNote, "{text:?}");
    }
    // Text rules come after the signatures: an unsigned bad checkpoint is untrusted_key.
    let unsigned = sign_note(&format!("{origin}\n05\n{root}\n"), &[&Signer::new("x", 3)]);
    assert_eq!(
        verify_checkpoint(unsigned.as_bytes(), &keys, None).reason,
        Reason::UntrustedKey
    );
}

#[test]
fn consistency_of_two_checkpoints() {
    let signer = node_signer();
    let keys = TrustedKeys::parse([signer.vkey()]).unwrap();
    let log = Log::with_events("audit.example.com/node1", "acme", 13);
    let old = log.signed_checkpoint(6, &[&signer]);
    let new = log.signed_checkpoint(13, &[&signer]);
    let proof = log.consistency_proof(6, 13);
    let check = |old: &str, new: &str, proof: &[[u8; 32]]| {
        verify_checkpoint_consistency(old.as_bytes(), new.as_bytes(), proof, &keys)
    };
    let report = check(&old, &new, &proof);
    assert!(report.ok, "{}", report.message);
    assert_eq!((report.checkpoints, report.tree_size), (2, Some(13)));
    assert_eq!(report.kind.name(), "consistency");

    let mut wrong = proof.clone();
    wrong[0][0] ^= 1;
    assert_eq!(
        check(&old, &new, &wrong).reason,
        Reason::InconsistentCheckpoints
    );
    assert_eq!(check(&old, &new, &proof[1..]).reason, Reason::BadProof);
    assert_eq!(check(&new, &old, &proof).reason, Reason::BadProof);
    assert!(check(&new, &new, &[]).ok);
    assert_eq!(check(&new, &new, &proof).reason, Reason::BadProof);

    // Same size, different roots: a forked log.
    let mut forked = Log::with_events("audit.example.com/node1", "acme", 12);
    forked.append(vec![("stream".into(), b"other".to_vec())]);
    let forked_new = forked.signed_checkpoint(13, &[&signer]);
    assert_eq!(
        check(&new, &forked_new, &[]).reason,
        Reason::InconsistentCheckpoints
    );
    assert_eq!(
        check(&old, &forked_new, &proof).reason,
        Reason::InconsistentCheckpoints
    );

    // Another log's checkpoint.
    let other_signer = Signer::new("audit.example.com/node1/beta", 4);
    let keys_both = TrustedKeys::parse([signer.vkey(), other_signer.vkey()]).unwrap();
    let other = Log::with_events("audit.example.com/node1", "beta", 13)
        .signed_checkpoint(13, &[&other_signer]);
    let report =
        verify_checkpoint_consistency(old.as_bytes(), other.as_bytes(), &proof, &keys_both);
    assert_eq!(report.reason, Reason::OriginMismatch);

    // Size 0: nothing to prove beyond the empty root.
    let empty = sign_note(
        &checkpoint_text(&log.origin, 0, &common::sha256(&[])),
        &[&signer],
    );
    assert!(check(&empty, &new, &[]).ok);
    assert_eq!(check(&empty, &new, &proof).reason, Reason::BadProof);
    let bad_empty = sign_note(&checkpoint_text(&log.origin, 0, &[1; 32]), &[&signer]);
    assert_eq!(
        check(&bad_empty, &new, &[]).reason,
        Reason::InconsistentCheckpoints
    );

    // A failing checkpoint is reported as such.
    let report = check(&old.replace("\n6\n", "\n7\n"), &new, &proof);
    assert_eq!(report.reason, Reason::BadSignature);
    assert!(report.message.starts_with("old checkpoint"));
}

#[test]
fn vkeys_whose_base64_holds_a_plus_parse() {
    let signer = (0u8..=255)
        .map(|seed| Signer::new("example.com/plus", seed))
        .find(|signer| {
            signer
                .vkey()
                .rsplit_once('+')
                .is_some_and(|(head, _)| head.matches('+').count() > 1)
        })
        .unwrap();
    let keys = TrustedKeys::parse([signer.vkey()]).unwrap();
    assert_eq!(keys.keys()[0].public_key(), &signer.public_key());
    assert!(verify_note(sign_note("text\n", &[&signer]).as_bytes(), &keys).ok);
}
