//! Receipts: a C2SP tlog-proof with the entry record in `extra` (`docs/spec/receipt.md`,
//! verdicts.md §3).

use crate::bytes::Reader;
use crate::entry::{self, EntryRecord};
use crate::export::names_tenant;
use crate::hash::Hash;
use crate::keys::TrustedKeys;
use crate::limits::{PROOF_HASHES_MAX, RECEIPT_BYTES_MAX, U64_DECIMAL_DIGITS_MAX};
use crate::merkle::{self, ProofError};
use crate::note::{self, Checkpoint};
use crate::reason::Reason;
use crate::report::{DisclosedField, Failure, Kind, Range, ReceiptDetails, Report};
use crate::text::{decode_base64, decode_hash, parse_decimal};

const FIRST_LINE: &str = "c2sp.org/tlog-proof@v1";
const EXTRA_MAGIC: &[u8; 4] = b"VDBR";
const EXTRA_VERSION: u8 = 1;
/// Magic and version before the entry record.
const EXTRA_HEADER_BYTES: usize = 5;

/// Verifies a receipt against the trusted keys, in the order of receipt.md.
pub fn verify_receipt(bytes: &[u8], keys: &TrustedKeys) -> Report {
    let mut report = Report::new(Kind::Receipt);
    report.bytes = bytes.len() as u64;
    let mut index = None;
    if let Err(failure) = check_receipt(bytes, keys, &mut report, &mut index) {
        report.fail(failure, index);
    }
    report
}

/// The parts of a receipt after step 1.
struct ParsedReceipt<'a> {
    /// The decoded extra payload: magic, version, entry record.
    extra: Vec<u8>,
    index: u64,
    proof: Vec<Hash>,
    checkpoint: &'a [u8],
}

fn check_receipt(
    bytes: &[u8],
    keys: &TrustedKeys,
    report: &mut Report,
    index_out: &mut Option<u64>,
) -> Result<(), Failure> {
    let parsed = parse_receipt(bytes, index_out, report)?;
    let index = parsed.index;
    let checkpoint = note::verify_checkpoint(parsed.checkpoint, keys, None)?;
    report.checkpoints = 1;
    report.origin = Some(checkpoint.origin.clone());
    report.tree_size = Some(checkpoint.size);
    report.root = Some(checkpoint.root);
    report.add_keys(&checkpoint.keys);

    let mut reader = Reader::new(parsed.extra.get(EXTRA_HEADER_BYTES..).unwrap_or_default());
    let record = entry::parse_record(&mut reader, &mut Vec::new())?;
    if !reader.is_empty() {
        return Err(Failure::new(
            Reason::MalformedEntry,
            "bytes after the entry record in extra",
        ));
    }
    report.tenants = 1;
    entry::check_disclosed(&record)?;
    entry::check_leaf(&record)?;
    check_context(&record, &checkpoint, index, &parsed.proof)?;

    report.entries = 1;
    report.message = format!(
        "entry {index} of {} is included in the signed tree of size {}",
        checkpoint.origin, checkpoint.size
    );
    report.receipt = Some(details(&record, &checkpoint, index, parsed.proof));
    Ok(())
}

/// Steps 4–6: tenant, index, inclusion proof.
fn check_context(
    record: &EntryRecord<'_>,
    checkpoint: &Checkpoint,
    index: u64,
    proof: &[Hash],
) -> Result<(), Failure> {
    let header = &record.header;
    if !names_tenant(&checkpoint.origin, header.tenant) {
        return Err(Failure::new(
            Reason::TenantMismatch,
            format!(
                "the origin {:?} does not name the entry's tenant {:?}",
                checkpoint.origin, header.tenant
            ),
        ));
    }
    if index != header.position {
        return Err(Failure::new(
            Reason::IndexMismatch,
            format!(
                "the receipt's index {index} differs from the entry's position {}",
                header.position
            ),
        ));
    }
    if index >= checkpoint.size {
        return Err(Failure::new(
            Reason::IndexMismatch,
            format!(
                "the index {index} is not below the tree size {}",
                checkpoint.size
            ),
        ));
    }
    match merkle::verify_inclusion(
        &record.leaf,
        index,
        checkpoint.size,
        proof,
        &checkpoint.root,
    ) {
        Ok(()) => Ok(()),
        Err(ProofError::Shape) => Err(Failure::new(
            Reason::BadProof,
            format!(
                "{} proof hashes where index {index} in size {} needs {}",
                proof.len(),
                checkpoint.size,
                merkle::inclusion_proof_len(index, checkpoint.size)
            ),
        )),
        Err(ProofError::Mismatch) => Err(Failure::new(
            Reason::RootMismatch,
            "the root recomputed from the leaf and the proof differs from the checkpoint's",
        )),
    }
}

/// Step 1: the tlog-proof text, the extra payload's magic and version.
fn parse_receipt<'a>(
    bytes: &'a [u8],
    index_out: &mut Option<u64>,
    report: &mut Report,
) -> Result<ParsedReceipt<'a>, Failure> {
    let malformed = |why: &str| {
        Failure::new(
            Reason::MalformedReceipt,
            format!("malformed receipt: {why}"),
        )
    };
    if bytes.len() > RECEIPT_BYTES_MAX {
        return Err(malformed("longer than receipt_bytes_max"));
    }
    let text = core::str::from_utf8(bytes).map_err(|_| malformed("not valid UTF-8"))?;
    let mut rest = text;
    let mut next_line = || -> Option<&'a str> {
        let (line, after) = rest.split_once('\n')?;
        rest = after;
        Some(line)
    };
    if next_line() != Some(FIRST_LINE) {
        return Err(malformed("the first line is not c2sp.org/tlog-proof@v1"));
    }
    let extra = next_line()
        .and_then(|line| line.strip_prefix("extra "))
        .and_then(decode_base64)
        .ok_or_else(|| malformed("no valid extra line"))?;
    let index = next_line()
        .and_then(|line| line.strip_prefix("index "))
        .and_then(|digits| parse_decimal(digits, U64_DECIMAL_DIGITS_MAX))
        .ok_or_else(|| malformed("no valid index line"))?;
    let mut proof = Vec::new();
    loop {
        let line = next_line().ok_or_else(|| malformed("no empty line before the checkpoint"))?;
        if line.is_empty() {
            break;
        }
        if proof.len() == PROOF_HASHES_MAX {
            return Err(malformed("more than proof_hashes_max proof lines"));
        }
        proof.push(
            decode_hash(line).ok_or_else(|| malformed("a proof line is not base64 of 32 bytes"))?,
        );
    }
    let checkpoint = rest.as_bytes();
    let Some((magic, after_magic)) = extra.split_first_chunk::<4>() else {
        return Err(malformed("extra is too short"));
    };
    let Some((&version, _record)) = after_magic.split_first() else {
        return Err(malformed("extra is too short"));
    };
    if magic != EXTRA_MAGIC {
        return Err(malformed("extra does not start with VDBR"));
    }
    if version != EXTRA_VERSION {
        return Err(Failure::new(
            Reason::UnsupportedVersion,
            format!("receipt extra version {version} is not supported (only 1)"),
        ));
    }
    // Failures of step 1 carry no position (verdicts.md §3): only a parsed receipt has one.
    *index_out = Some(index);
    report.range = Some(Range {
        from: index,
        to: index.saturating_add(1),
    });
    Ok(ParsedReceipt {
        extra,
        index,
        proof,
        checkpoint,
    })
}

fn details(
    record: &EntryRecord<'_>,
    checkpoint: &Checkpoint,
    index: u64,
    proof: Vec<Hash>,
) -> ReceiptDetails {
    let header = &record.header;
    ReceiptDetails {
        origin: checkpoint.origin.clone(),
        tenant: header.tenant.to_owned(),
        position: index,
        tree_size: checkpoint.size,
        root: checkpoint.root,
        leaf_hash: record.leaf,
        proof,
        timestamp_us: header.timestamp_us,
        entry_kind: header.kind,
        actor: header.actor.to_owned(),
        field_count: record.field_count,
        disclosed: record
            .disclosed()
            .map(|field| DisclosedField {
                index: field.index,
                name: field.name.to_owned(),
                value: field.value.to_vec(),
            })
            .collect(),
        keys: checkpoint.keys.clone(),
    }
}
