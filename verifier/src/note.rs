//! Signed notes and checkpoints (`docs/spec/checkpoint.md` §3–5, verdicts.md §4).
//!
//! A note is parsed completely (step 1) before any signature is checked (step 2); signatures
//! by keys that are not trusted are ignored. The checkpoint text is read only after a trusted
//! key has verified the note, as signed-note requires.

use crate::ed25519::ed25519_verify;
use crate::hash::Hash;
use crate::keys::{TrustedKeys, is_valid_key_name};
use crate::limits::{
    NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX, TREE_SIZE_DECIMAL_DIGITS_MAX, TREE_SIZE_MAX,
};
use crate::reason::Reason;
use crate::report::Failure;
use crate::text::{decode_base64, decode_hash, parse_decimal};

/// A note whose signatures have been checked against the trusted keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerifiedNote<'a> {
    /// The signed text, including its final newline.
    pub(crate) text: &'a str,
    /// Names of the trusted keys whose signatures verified, in line order, without duplicates.
    pub(crate) keys: Vec<String>,
}

/// A checkpoint whose note verified and whose text follows tlog-checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) origin: String,
    pub(crate) size: u64,
    pub(crate) root: Hash,
    /// Names of the trusted keys that verified (the origin's key and any others).
    pub(crate) keys: Vec<String>,
}

/// One signature line: `— <name> <base64(key id || signature)>`.
struct SignatureLine<'a> {
    name: &'a str,
    key_id: u32,
    signature: Vec<u8>,
}

/// Verifies a signed note: `malformed_note`, `bad_signature`, `untrusted_key`.
pub(crate) fn verify_note<'a>(
    note: &'a [u8],
    keys: &TrustedKeys,
) -> Result<VerifiedNote<'a>, Failure> {
    let (text, lines) = parse_note(note)?;
    let mut verified: Vec<String> = Vec::new();
    for line in &lines {
        let Some(key) = keys.find(line.name, line.key_id) else {
            continue;
        };
        let signature: Option<&[u8; 64]> = line.signature.as_slice().try_into().ok();
        let valid =
            signature.is_some_and(|sig| ed25519_verify(key.public_key(), text.as_bytes(), sig));
        if !valid {
            return Err(Failure::new(
                Reason::BadSignature,
                format!(
                    "the signature by trusted key {:?} does not verify",
                    line.name
                ),
            ));
        }
        if !verified.iter().any(|name| name == line.name) {
            verified.push(line.name.to_owned());
        }
    }
    if verified.is_empty() {
        return Err(Failure::new(
            Reason::UntrustedKey,
            "no trusted key signed the note",
        ));
    }
    Ok(VerifiedNote {
        text,
        keys: verified,
    })
}

/// Verifies a signed checkpoint (verdicts.md §4): the note checks, the checkpoint text rules,
/// a verifying trusted key named like the origin, and the required origin if one is given.
pub(crate) fn verify_checkpoint(
    note: &[u8],
    keys: &TrustedKeys,
    required_origin: Option<&str>,
) -> Result<Checkpoint, Failure> {
    let verified = verify_note(note, keys)?;
    let (origin, size, root) = parse_checkpoint_text(verified.text)?;
    if !verified.keys.iter().any(|name| name == origin) {
        return Err(Failure::new(
            Reason::UntrustedKey,
            format!("no trusted key named like the origin {origin:?} signed the checkpoint"),
        ));
    }
    if let Some(required) = required_origin
        && required != origin
    {
        return Err(Failure::new(
            Reason::OriginMismatch,
            format!("the checkpoint's origin is {origin:?}, not the required {required:?}"),
        ));
    }
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root,
        keys: verified.keys,
    })
}

/// checkpoint.md §5 step 1: the text and the parsed signature lines.
fn parse_note(note: &[u8]) -> Result<(&str, Vec<SignatureLine<'_>>), Failure> {
    let malformed =
        |why: &str| Failure::new(Reason::MalformedNote, format!("malformed note: {why}"));
    if note.len() > NOTE_BYTES_MAX {
        return Err(malformed("longer than note_bytes_max"));
    }
    let note = core::str::from_utf8(note).map_err(|_| malformed("not valid UTF-8"))?;
    if note.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(malformed("a control character other than newline"));
    }
    // The text ends with the newline before the last empty line.
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("no empty line before the signatures"))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    let signatures = signatures
        .strip_suffix('\n')
        .ok_or_else(|| malformed("the signature lines do not end with a newline"))?;
    let mut lines = Vec::new();
    for line in signatures.split('\n') {
        if lines.len() == NOTE_SIGNATURES_MAX {
            return Err(malformed("more than note_signatures_max signature lines"));
        }
        lines.push(parse_signature_line(line).ok_or_else(|| malformed("a bad signature line"))?);
    }
    Ok((text, lines))
}

fn parse_signature_line(line: &str) -> Option<SignatureLine<'_>> {
    let (name, encoded) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
    if !is_valid_key_name(name) {
        return None;
    }
    let payload = decode_base64(encoded)?;
    if payload.len() < 5 {
        return None;
    }
    let (id, signature) = payload.split_at(4);
    let key_id = u32::from_be_bytes(id.try_into().ok()?);
    Some(SignatureLine {
        name,
        key_id,
        signature: signature.to_vec(),
    })
}

/// tlog-checkpoint text: origin, size, root, then optional non-empty extension lines.
fn parse_checkpoint_text(text: &str) -> Result<(&str, u64, Hash), Failure> {
    let malformed = |why: &str| {
        Failure::new(
            Reason::MalformedNote,
            format!("malformed checkpoint: {why}"),
        )
    };
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| malformed("the text does not end with a newline"))?;
    let mut lines = body.split('\n');
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(malformed("fewer than three lines"));
    };
    if origin.is_empty() {
        return Err(malformed("the origin is empty"));
    }
    let size = parse_decimal(size, TREE_SIZE_DECIMAL_DIGITS_MAX)
        .filter(|size| *size <= TREE_SIZE_MAX)
        .ok_or_else(|| {
            malformed("the size is not a decimal without leading zeros up to tree_size_max")
        })?;
    let root = decode_hash(root).ok_or_else(|| malformed("the root is not base64 of 32 bytes"))?;
    // Extension lines are accepted and ignored, but must be non-empty (tlog-checkpoint). The
    // text is at most note_bytes_max bytes, which bounds this loop.
    if lines.any(str::is_empty) {
        return Err(malformed("an empty extension line"));
    }
    Ok((origin, size, root))
}
