//! Entries as the spec defines them (`docs/spec/entry.md`): the canonical header, payload
//! fields, salted field commitments, the record commitment, the RFC 6962 leaf and the hash
//! chain. Everything here is pure: the caller supplies positions, timestamps and salts.
//!
//! Invariant: a `Header` or `Field` that exists has passed validation, so encoding never
//! fails and always yields bytes a conforming verifier accepts.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::limits;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The version of the entry format this crate writes.
pub const FORMAT_VERSION: u8 = 1;

/// Short enough that a salt derivation is one SHA-256 block (17 + 32 + 4 <= 55 bytes).
const TAG_FIELD_SALT: &[u8] = b"veritydb-salt-v1\0";
const TAG_FIELD: &[u8] = b"veritydb-field-v1\0";
const TAG_RECORD: &[u8] = b"veritydb-record-v1\0";
const TAG_CHAIN: &[u8] = b"veritydb-chain-v1\0";

/// The chain value before position 0.
pub const CHAIN_GENESIS: Hash = [0; 32];

/// Why a name, header or field was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// A tenant name outside `[a-z0-9][a-z0-9._-]{0,63}`.
    #[error(
        "invalid tenant name {0:?}: use 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
    )]
    TenantName(String),
    /// A node name outside the allowed characters or length.
    #[error(
        "invalid node name {0:?}: use 1 to 128 of A-Z, a-z, 0-9, '.', '_', ':', '/', '-', not starting or ending with '/'"
    )]
    NodeName(String),
    /// An actor that is too long or holds control characters.
    #[error("invalid actor {0:?}: at most 128 bytes of UTF-8 without control characters")]
    Actor(String),
    /// A field name that is empty, too long, or repeated.
    #[error("invalid field name {0:?}: 1 to 128 bytes, unique within an entry")]
    FieldName(String),
    /// Too many fields in one entry.
    #[error("too many fields: {0} (at most {max})", max = limits::ENTRY_FIELDS_MAX)]
    FieldCount(usize),
    /// The payload is larger than `entry_payload_bytes_max`.
    #[error("payload of {0} bytes is larger than the limit of {max} bytes", max = limits::ENTRY_PAYLOAD_BYTES_MAX)]
    PayloadSize(usize),
    /// A stream name that is empty or too long.
    #[error("invalid stream name {0:?}: 1 to 128 bytes of UTF-8 without control characters")]
    StreamName(String),
    /// An event that is not JSON.
    #[error("event is not valid JSON: {0}")]
    EventJson(String),
}

/// A validated tenant name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantName(String);

impl TenantName {
    /// Validates a tenant name (`docs/spec/entry.md` §1).
    pub fn new(name: &str) -> Result<TenantName, InvalidInput> {
        let bytes = name.as_bytes();
        let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(b);
        let valid = !bytes.is_empty()
            && bytes.len() <= limits::TENANT_NAME_BYTES_MAX
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes.iter().all(allowed);
        if valid {
            Ok(TenantName(name.to_owned()))
        } else {
            Err(InvalidInput::TenantName(name.to_owned()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validates a node name (`docs/spec/checkpoint.md` §2).
pub fn validate_node_name(name: &str) -> Result<(), InvalidInput> {
    let bytes = name.as_bytes();
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || b"._:/-".contains(b);
    let valid = !bytes.is_empty()
        && bytes.len() <= limits::NODE_NAME_BYTES_MAX
        && bytes.iter().all(allowed)
        && !name.starts_with('/')
        && !name.ends_with('/');
    if valid {
        Ok(())
    } else {
        Err(InvalidInput::NodeName(name.to_owned()))
    }
}

/// What an entry records (`docs/spec/entry.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum Kind {
    /// An application event appended to a named stream.
    Event = 1,
    /// A table definition or change.
    Schema = 2,
    /// A row change.
    Row = 3,
    /// A read of an audited table.
    Access = 4,
    /// Tenants, tokens, key events, erasures.
    Admin = 5,
}

impl Kind {
    /// The kind's number in the header.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The kind for a header number, if known.
    pub fn from_code(code: u16) -> Option<Kind> {
        match code {
            1 => Some(Kind::Event),
            2 => Some(Kind::Schema),
            3 => Some(Kind::Row),
            4 => Some(Kind::Access),
            5 => Some(Kind::Admin),
            _ => None,
        }
    }
}

/// The canonical header of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The tenant whose log holds the entry.
    pub tenant: TenantName,
    /// 0-based index in the tenant's log.
    pub position: u64,
    /// Microseconds since the Unix epoch, UTC; non-decreasing per tenant.
    pub timestamp_us: u64,
    /// What the entry records.
    pub kind: Kind,
    /// Who caused it.
    pub actor: String,
}

/// Validates an actor (`docs/spec/entry.md` §1).
pub fn validate_actor(actor: &str) -> Result<(), InvalidInput> {
    let valid = actor.len() <= limits::ACTOR_BYTES_MAX && !actor.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(InvalidInput::Actor(actor.to_owned()))
    }
}

impl Header {
    /// Appends the canonical encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        Header::encode_parts_into(
            out,
            &self.tenant,
            self.position,
            self.timestamp_us,
            self.kind,
            &self.actor,
        );
    }

    /// Appends the canonical encoding of a header with these parts (`actor` already
    /// validated), without building a `Header`.
    pub fn encode_parts_into(
        out: &mut Vec<u8>,
        tenant: &TenantName,
        position: u64,
        timestamp_us: u64,
        kind: Kind,
        actor: &str,
    ) {
        let tenant = tenant.as_str().as_bytes();
        out.push(FORMAT_VERSION);
        out.push(u8::try_from(tenant.len()).expect("tenant names are validated to 64 bytes"));
        out.extend_from_slice(tenant);
        out.extend_from_slice(&position.to_be_bytes());
        out.extend_from_slice(&timestamp_us.to_be_bytes());
        out.extend_from_slice(&kind.code().to_be_bytes());
        out.push(u8::try_from(actor.len()).expect("actors are validated to 128 bytes"));
        out.extend_from_slice(actor.as_bytes());
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(limits::HEADER_BYTES_MAX);
        self.encode_into(&mut out);
        out
    }

    /// Parses a canonical header; `None` if it is not exactly one valid header.
    pub fn decode(bytes: &[u8]) -> Option<Header> {
        let mut r = Reader::new(bytes);
        if r.u8()? != FORMAT_VERSION {
            return None;
        }
        let tenant_len = usize::from(r.u8()?);
        let tenant = TenantName::new(std::str::from_utf8(r.take(tenant_len)?).ok()?).ok()?;
        let position = r.u64()?;
        let timestamp_us = r.u64()?;
        let kind = Kind::from_code(r.u16()?)?;
        let actor_len = usize::from(r.u8()?);
        let actor = std::str::from_utf8(r.take(actor_len)?).ok()?.to_owned();
        validate_actor(&actor).ok()?;
        if !r.is_empty() {
            return None;
        }
        Some(Header {
            tenant,
            position,
            timestamp_us,
            kind,
            actor,
        })
    }
}

/// One named payload field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// 1..=128 bytes, unique within the entry.
    pub name: String,
    /// Any bytes.
    pub value: Vec<u8>,
}

impl Field {
    /// A field with a name and value.
    pub fn new(name: impl Into<String>, value: impl Into<Vec<u8>>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A field's name and value, owned or borrowed.
pub trait FieldParts {
    /// The field's name.
    fn name(&self) -> &str;
    /// The field's value.
    fn value(&self) -> &[u8];
}

impl FieldParts for Field {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self) -> &[u8] {
        &self.value
    }
}

impl FieldParts for (&str, &[u8]) {
    fn name(&self) -> &str {
        self.0
    }
    fn value(&self) -> &[u8] {
        self.1
    }
}

/// Checks field count, names and payload size (`docs/spec/entry.md` §2).
pub fn validate_fields<F: FieldParts>(fields: &[F]) -> Result<(), InvalidInput> {
    if fields.len() > limits::ENTRY_FIELDS_MAX {
        return Err(InvalidInput::FieldCount(fields.len()));
    }
    let mut payload_bytes = 0usize;
    for (i, field) in fields.iter().enumerate() {
        let name = field.name();
        let name_ok = !name.is_empty() && name.len() <= limits::FIELD_NAME_BYTES_MAX;
        // Entries hold at most 1024 fields, so the quadratic uniqueness check is bounded.
        if !name_ok || fields[..i].iter().any(|earlier| earlier.name() == name) {
            return Err(InvalidInput::FieldName(name.to_owned()));
        }
        payload_bytes = payload_bytes.saturating_add(name.len() + field.value().len());
    }
    if payload_bytes > limits::ENTRY_PAYLOAD_BYTES_MAX {
        return Err(InvalidInput::PayloadSize(payload_bytes));
    }
    Ok(())
}

/// `field_salt[i]` derived from the record salt.
pub fn field_salt(record_salt: &Hash, index: u32) -> Hash {
    let mut h = Sha256::new();
    h.update(TAG_FIELD_SALT);
    h.update(record_salt);
    h.update(index.to_be_bytes());
    h.finalize().into()
}

/// The commitment to one field.
pub fn field_commitment(salt: &Hash, name: &[u8], value: &[u8]) -> Hash {
    let name_len = u16::try_from(name.len()).expect("field names are validated to 128 bytes");
    let value_len = u32::try_from(value.len()).expect("field values are validated to 1 MiB");
    let mut h = Sha256::new();
    h.update(TAG_FIELD);
    h.update(salt);
    h.update(name_len.to_be_bytes());
    h.update(name);
    h.update(value_len.to_be_bytes());
    h.update(value);
    h.finalize().into()
}

/// The record commitment over field commitments concatenated in one buffer.
pub fn record_commitment_bytes(field_commitments: &[u8]) -> Hash {
    assert!(
        field_commitments.len().is_multiple_of(32),
        "field commitments are 32 bytes each"
    );
    let count =
        u16::try_from(field_commitments.len() / 32).expect("entries hold at most 1024 fields");
    let mut h = Sha256::new();
    h.update(TAG_RECORD);
    h.update(count.to_be_bytes());
    h.update(field_commitments);
    h.finalize().into()
}

/// The record commitment over all field commitments, in order.
pub fn record_commitment(field_commitments: &[Hash]) -> Hash {
    let count = u16::try_from(field_commitments.len()).expect("entries hold at most 1024 fields");
    let mut h = Sha256::new();
    h.update(TAG_RECORD);
    h.update(count.to_be_bytes());
    for commitment in field_commitments {
        h.update(commitment);
    }
    h.finalize().into()
}

/// The field commitments of `fields` under `record_salt`.
pub fn field_commitments(record_salt: &Hash, fields: &[Field]) -> Vec<Hash> {
    fields
        .iter()
        .zip(0u32..)
        .map(|(field, i)| {
            field_commitment(
                &field_salt(record_salt, i),
                field.name.as_bytes(),
                &field.value,
            )
        })
        .collect()
}

/// The RFC 6962 leaf hash of an entry: `H(0x00 || header || commitment)`.
pub fn leaf_hash(header: &[u8], commitment: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(header);
    h.update(commitment);
    h.finalize().into()
}

/// The next chain value.
pub fn chain_hash(previous: &Hash, leaf: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(TAG_CHAIN);
    h.update(previous);
    h.update(leaf);
    h.finalize().into()
}

/// A disclosed field of an entry record: its index, salt, name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Index of the field in the entry.
    pub index: u16,
    /// `field_salt[index]`.
    pub salt: Hash,
    /// The field.
    pub field: Field,
}

/// Appends an entry record (`docs/spec/entry.md` §7).
pub fn encode_entry_record(
    out: &mut Vec<u8>,
    header: &[u8],
    field_commitments: &[Hash],
    disclosed: &[Disclosure],
    leaf: &Hash,
) {
    let header_len = u16::try_from(header.len()).expect("headers are at most 213 bytes");
    let count = u16::try_from(field_commitments.len()).expect("entries hold at most 1024 fields");
    let disclosed_count = u16::try_from(disclosed.len()).expect("disclosures <= fields");
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(&count.to_be_bytes());
    for commitment in field_commitments {
        out.extend_from_slice(commitment);
    }
    out.extend_from_slice(&disclosed_count.to_be_bytes());
    for d in disclosed {
        let name_len =
            u16::try_from(d.field.name.len()).expect("field names are at most 128 bytes");
        let value_len = u32::try_from(d.field.value.len()).expect("values are at most 1 MiB");
        out.extend_from_slice(&d.index.to_be_bytes());
        out.extend_from_slice(&d.salt);
        out.extend_from_slice(&name_len.to_be_bytes());
        out.extend_from_slice(d.field.name.as_bytes());
        out.extend_from_slice(&value_len.to_be_bytes());
        out.extend_from_slice(&d.field.value);
    }
    out.extend_from_slice(leaf);
}

/// A bounds-checked big-endian reader over untrusted bytes: every read returns `None` past
/// the end instead of panicking.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    pub(crate) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.bytes.len() {
            return None;
        }
        let (head, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        Some(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            tenant: TenantName::new("acme").unwrap(),
            position: 7,
            timestamp_us: 1_700_000_000_000_000,
            kind: Kind::Event,
            actor: "embedded".into(),
        }
    }

    #[test]
    fn header_round_trips_and_has_the_spec_length() {
        let h = header();
        let bytes = h.encode();
        assert_eq!(bytes.len(), 1 + 1 + 4 + 8 + 8 + 2 + 1 + 8);
        assert_eq!(Header::decode(&bytes), Some(h));
    }

    #[test]
    fn header_decode_refuses_trailing_bytes_and_bad_versions() {
        let mut bytes = header().encode();
        bytes.push(0);
        assert_eq!(Header::decode(&bytes), None);
        let mut bytes = header().encode();
        bytes[0] = 2;
        assert_eq!(Header::decode(&bytes), None);
    }

    #[test]
    fn tenant_names_follow_the_spec() {
        for ok in ["a", "acme", "0day", "a.b-c_d", &"x".repeat(64)] {
            assert!(TenantName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "-a",
            ".a",
            "a/b",
            "a b",
            "a+b",
            &"x".repeat(65),
            "é",
        ] {
            assert!(TenantName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_salts_differ_per_index_and_commitments_bind_name_and_value() {
        let salt = [7u8; 32];
        assert_ne!(field_salt(&salt, 0), field_salt(&salt, 1));
        let s = field_salt(&salt, 0);
        let c = field_commitment(&s, b"a", b"bc");
        assert_ne!(c, field_commitment(&s, b"ab", b"c"));
        assert_ne!(c, field_commitment(&field_salt(&salt, 1), b"a", b"bc"));
    }

    #[test]
    fn fields_are_validated() {
        assert!(validate_fields(&[Field::new("a", "1"), Field::new("b", "2")]).is_ok());
        assert!(validate_fields(&[Field::new("a", "1"), Field::new("a", "2")]).is_err());
        assert!(validate_fields(&[Field::new("", "1")]).is_err());
        let big = vec![0u8; limits::ENTRY_PAYLOAD_BYTES_MAX];
        assert!(validate_fields(&[Field::new("a", big)]).is_err());
    }
}
