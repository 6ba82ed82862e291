//! Entry records and canonical headers (`docs/spec/entry.md` §1–4 and §7).
//!
//! `parse_record` does steps 1–2 of entry.md §7 (structure, limits, header) without hashing;
//! `check_disclosed` and `check_leaf` do steps 3–4. Exports and receipts put their own context
//! checks between them (verdicts.md §2–3), so the steps are separate functions. Parsing borrows
//! from the input and allocates nothing except the caller's reusable scratch buffer.

use crate::bytes::Reader;
use crate::hash::{self, Hash};
use crate::limits::{
    ACTOR_BYTES_MAX, ENTRY_FIELDS_MAX, ENTRY_PAYLOAD_BYTES_MAX, FIELD_NAME_BYTES_MAX,
    HEADER_BYTES_MAX, TENANT_NAME_BYTES_MAX, TREE_SIZE_MAX,
};
use crate::reason::Reason;
use crate::report::Failure;

/// The only entry header `format_version` this verifier knows.
const HEADER_FORMAT_VERSION: u8 = 1;

/// A canonical header (entry.md §1), parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub(crate) tenant: &'a str,
    pub(crate) position: u64,
    pub(crate) timestamp_us: u64,
    pub(crate) kind: u16,
    pub(crate) actor: &'a str,
}

/// An entry record whose structure and header are valid (entry.md §7 steps 1–2).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryRecord<'a> {
    /// The canonical header bytes, hashed into the leaf.
    pub(crate) header_bytes: &'a [u8],
    pub(crate) header: Header<'a>,
    pub(crate) field_count: u16,
    /// `field_count` commitments of 32 bytes, concatenated.
    pub(crate) commitments: &'a [u8],
    /// The disclosed fields, already validated; read them with `disclosed()`.
    disclosed_bytes: &'a [u8],
    disclosed_count: u16,
    /// The leaf as stated by the producer.
    pub(crate) leaf: Hash,
}

/// One disclosed field: its index, derived salt, name and value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Disclosed<'a> {
    pub(crate) index: u16,
    pub(crate) salt: Hash,
    pub(crate) name: &'a str,
    pub(crate) value: &'a [u8],
}

/// Reads one entry record from `reader` (entry.md §7 steps 1–2): `malformed_entry` or
/// `unsupported_version`. The reader is left just after the record. `names` is scratch space
/// for the check that disclosed names are unique; it is cleared and reused.
pub(crate) fn parse_record<'a>(
    reader: &mut Reader<'a>,
    names: &mut Vec<(usize, usize)>,
) -> Result<EntryRecord<'a>, Failure> {
    let parts = parse_structure(reader, names)?;
    let header = parse_header(parts.header_bytes)?;
    Ok(EntryRecord {
        header_bytes: parts.header_bytes,
        header,
        field_count: parts.field_count,
        commitments: parts.commitments,
        disclosed_bytes: parts.disclosed_bytes,
        disclosed_count: parts.disclosed_count,
        leaf: parts.leaf,
    })
}

/// An entry record before its header is parsed.
struct RecordParts<'a> {
    header_bytes: &'a [u8],
    field_count: u16,
    commitments: &'a [u8],
    disclosed_bytes: &'a [u8],
    disclosed_count: u16,
    leaf: Hash,
}

impl<'a> EntryRecord<'a> {
    /// The disclosed fields in index order.
    pub(crate) fn disclosed(&self) -> impl Iterator<Item = Disclosed<'a>> + 'a {
        let mut reader = Reader::new(self.disclosed_bytes);
        (0..self.disclosed_count).map_while(move |_| read_disclosed(&mut reader))
    }
}

/// entry.md §7 step 3: each disclosed field matches its commitment, else `commitment_mismatch`.
pub(crate) fn check_disclosed(record: &EntryRecord<'_>) -> Result<(), Failure> {
    for field in record.disclosed() {
        let start = usize::from(field.index) * 32;
        let stated = record.commitments.get(start..start + 32);
        let computed = hash::field_commitment(&field.salt, field.name.as_bytes(), field.value);
        if stated != Some(&computed[..]) {
            return Err(Failure::new(
                Reason::CommitmentMismatch,
                format!(
                    "disclosed field {} ({:?}) does not match its commitment",
                    field.index, field.name
                ),
            ));
        }
    }
    Ok(())
}

/// entry.md §7 step 4: the leaf recomputed from header and commitments equals the stated leaf,
/// else `leaf_mismatch`.
pub(crate) fn check_leaf(record: &EntryRecord<'_>) -> Result<(), Failure> {
    let commitment = hash::record_commitment(record.field_count, record.commitments);
    if hash::leaf(record.header_bytes, &commitment) == record.leaf {
        Ok(())
    } else {
        Err(Failure::new(
            Reason::LeafMismatch,
            "the stated leaf differs from the one recomputed from header and commitment",
        ))
    }
}

/// A tenant name: 1..=64 bytes of `[a-z0-9._-]`, the first one `[a-z0-9]`.
pub(crate) fn parse_tenant(bytes: &[u8]) -> Option<&str> {
    let first = *bytes.first()?;
    let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b);
    let valid = bytes.len() <= TENANT_NAME_BYTES_MAX
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && bytes.iter().all(allowed);
    if valid {
        core::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

fn malformed(why: &str) -> Failure {
    Failure::new(
        Reason::MalformedEntry,
        format!("malformed entry record: {why}"),
    )
}

/// Step 1: lengths, counts, index order, names, limits. The header is checked in step 2.
fn parse_structure<'a>(
    reader: &mut Reader<'a>,
    names: &mut Vec<(usize, usize)>,
) -> Result<RecordParts<'a>, Failure> {
    let cut = || malformed("cut short");
    let header_len = usize::from(reader.u16().ok_or_else(cut)?);
    if header_len > HEADER_BYTES_MAX {
        return Err(malformed("the header is longer than header_bytes_max"));
    }
    let header_bytes = reader.take(header_len).ok_or_else(cut)?;
    let field_count = reader.u16().ok_or_else(cut)?;
    if usize::from(field_count) > ENTRY_FIELDS_MAX {
        return Err(malformed("more fields than entry_fields_max"));
    }
    let commitments = reader.take(usize::from(field_count) * 32).ok_or_else(cut)?;
    let disclosed_count = reader.u16().ok_or_else(cut)?;
    if disclosed_count > field_count {
        return Err(malformed("more disclosed fields than fields"));
    }
    let disclosed_start = reader.rest();
    let mut payload_bytes = 0usize;
    let mut previous_index: Option<u16> = None;
    names.clear();
    // Bounded: disclosed_count <= field_count <= entry_fields_max.
    for _ in 0..disclosed_count {
        let offset = disclosed_start.len() - reader.rest().len();
        let index = reader.u16().ok_or_else(cut)?;
        if index >= field_count || previous_index.is_some_and(|previous| index <= previous) {
            return Err(malformed(
                "disclosed indices are not strictly increasing below n",
            ));
        }
        previous_index = Some(index);
        reader.hash().ok_or_else(cut)?;
        let name = reader.str16().ok_or_else(cut)?;
        if name.is_empty()
            || name.len() > FIELD_NAME_BYTES_MAX
            || core::str::from_utf8(name).is_err()
        {
            return Err(malformed("a field name is not 1..=128 bytes of UTF-8"));
        }
        // Offset of the name inside the disclosed bytes: after index, salt and its length.
        names.push((offset + 2 + 32 + 2, name.len()));
        let value_len = usize::try_from(reader.u32().ok_or_else(cut)?).unwrap_or(usize::MAX);
        payload_bytes = payload_bytes
            .saturating_add(name.len())
            .saturating_add(value_len);
        if payload_bytes > ENTRY_PAYLOAD_BYTES_MAX {
            return Err(malformed(
                "disclosed names and values exceed entry_payload_bytes_max",
            ));
        }
        reader.take(value_len).ok_or_else(cut)?;
    }
    let disclosed_bytes = &disclosed_start[..disclosed_start.len() - reader.rest().len()];
    if has_duplicate_name(disclosed_bytes, names) {
        return Err(malformed("two disclosed fields have the same name"));
    }
    let leaf = reader.hash().ok_or_else(cut)?;
    Ok(RecordParts {
        header_bytes,
        field_count,
        commitments,
        disclosed_bytes,
        disclosed_count,
        leaf,
    })
}

/// Names are unique within an entry (entry.md §2); among disclosed ones this is checkable.
fn has_duplicate_name(disclosed: &[u8], names: &mut [(usize, usize)]) -> bool {
    let name = |&(offset, len): &(usize, usize)| disclosed.get(offset..offset + len);
    names.sort_unstable_by(|a, b| name(a).cmp(&name(b)));
    names
        .windows(2)
        .any(|pair| name(&pair[0]) == name(&pair[1]))
}

/// Step 2: the canonical header of entry.md §1.
fn parse_header(bytes: &[u8]) -> Result<Header<'_>, Failure> {
    let mut reader = Reader::new(bytes);
    let version = reader
        .u8()
        .ok_or_else(|| malformed("the header is empty"))?;
    if version != HEADER_FORMAT_VERSION {
        return Err(Failure::new(
            Reason::UnsupportedVersion,
            format!("entry header format_version {version} is not supported (only 1)"),
        ));
    }
    let cut = || malformed("the header is cut short");
    let tenant = parse_tenant(reader.str8().ok_or_else(cut)?)
        .ok_or_else(|| malformed("the tenant name is invalid"))?;
    let position = reader.u64().ok_or_else(cut)?;
    if position >= TREE_SIZE_MAX {
        return Err(malformed("the position is not below tree_size_max"));
    }
    let timestamp_us = reader.u64().ok_or_else(cut)?;
    let kind = reader.u16().ok_or_else(cut)?;
    let actor = reader.str8().ok_or_else(cut)?;
    let actor = core::str::from_utf8(actor)
        .ok()
        .filter(|actor| actor.len() <= ACTOR_BYTES_MAX && !actor.chars().any(is_control))
        .ok_or_else(|| {
            malformed("the actor is not up to 128 bytes of UTF-8 without control characters")
        })?;
    if !reader.is_empty() {
        return Err(malformed("bytes after the header's last field"));
    }
    Ok(Header {
        tenant,
        position,
        timestamp_us,
        kind,
        actor,
    })
}

/// U+0000..U+001F and U+007F (entry.md §1).
fn is_control(c: char) -> bool {
    c < '\u{20}' || c == '\u{7f}'
}

fn read_disclosed<'a>(reader: &mut Reader<'a>) -> Option<Disclosed<'a>> {
    let index = reader.u16()?;
    let salt = reader.hash()?;
    let name = core::str::from_utf8(reader.str16()?).ok()?;
    let value = reader.bytes32()?;
    Some(Disclosed {
        index,
        salt,
        name,
        value,
    })
}
