//! Tampered vectors made by editing valid files in place: one region of one file each, so
//! each expected reason follows from the spec's order of checks.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use veritydb::Tenant;

use crate::{Case, Generated, other_vkey, vkey};

/// One frame of an export: its type and where its prefix and body are.
#[derive(Debug, Clone)]
pub struct FrameAt {
    /// The frame type (1 header, 2 entry, 3 checkpoint, 4 trailer).
    pub kind: u8,
    /// Offset of the type byte.
    pub start: usize,
    /// Where the body is.
    pub body: Range<usize>,
}

/// The frames of a valid export (after the 10-byte magic and version).
pub fn frames(bytes: &[u8]) -> Vec<FrameAt> {
    let mut at = 10;
    let mut frames = Vec::new();
    while at < bytes.len() {
        let len =
            u32::from_be_bytes(bytes[at + 1..at + 5].try_into().expect("frame length")) as usize;
        frames.push(FrameAt {
            kind: bytes[at],
            start: at,
            body: at + 5..at + 5 + len,
        });
        at += 5 + len;
    }
    frames
}

/// The entry frame of `position` (entries are numbered from the header's `from`).
fn entry(frames: &[FrameAt], index: usize) -> &FrameAt {
    frames
        .iter()
        .filter(|f| f.kind == 2)
        .nth(index)
        .expect("entry frame")
}

/// Offsets inside an entry frame's body.
struct EntryLayout {
    header: usize,
    tenant_len: usize,
    commitments: usize,
    disclosed_count: usize,
    /// Offsets of each disclosed value.
    values: Vec<Range<usize>>,
    leaf: usize,
    chain: usize,
}

fn layout(bytes: &[u8], frame: &FrameAt) -> EntryLayout {
    let b = frame.body.start;
    let u16_at = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]) as usize;
    let header_len = u16_at(b);
    let header = b + 2;
    let n = u16_at(header + header_len);
    let commitments = header + header_len + 2;
    let disclosed_count = commitments + 32 * n;
    let mut at = disclosed_count + 2;
    let mut values = Vec::new();
    for _ in 0..u16_at(disclosed_count) {
        let name_len = u16_at(at + 2 + 32);
        let value_len_at = at + 2 + 32 + 2 + name_len;
        let value_len = u32::from_be_bytes(
            bytes[value_len_at..value_len_at + 4]
                .try_into()
                .expect("4 bytes"),
        ) as usize;
        values.push(value_len_at + 4..value_len_at + 4 + value_len);
        at = value_len_at + 4 + value_len;
    }
    EntryLayout {
        header,
        tenant_len: bytes[header + 1] as usize,
        commitments,
        disclosed_count,
        values,
        leaf: frame.body.end - 64,
        chain: frame.body.end - 32,
    }
}

fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

fn without(bytes: &[u8], range: Range<usize>) -> Vec<u8> {
    let mut out = bytes[..range.start].to_vec();
    out.extend_from_slice(&bytes[range.end..]);
    out
}

fn whole_frame(f: &FrameAt) -> Range<usize> {
    f.start..f.body.end
}

/// Changes one base64 character near the end of the first signature line, so the key id
/// still matches and the signature itself is wrong.
pub(crate) fn flip_signature(note: &str) -> String {
    let line_start = note.find("\n\u{2014} ").expect("a signature line") + 1;
    let line_end = line_start + note[line_start..].find('\n').expect("line end");
    let at = line_end - 10;
    let mut bytes = note.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("still text")
}

pub(crate) fn tampered_exports(
    out: &mut Generated,
    clinic: &Tenant,
    whole: &[u8],
    slice: &[u8],
    withheld: &[u8],
) {
    let key = vkey(clinic);
    let fail = |what: &str, reason: &str, position: Option<u64>| {
        Case::fail("export", what, &key, reason, position)
    };
    let f = frames(whole);
    let e = |i: usize| layout(whole, entry(&f, i));

    out.add(
        "exports/tampered/value-flipped.vdbx",
        flipped(whole, e(3).values[1].start + 5),
        fail(
            "a disclosed value of entry 3 changed",
            "commitment_mismatch",
            Some(3),
        ),
    );
    let w = frames(withheld);
    let withheld_commitment = layout(withheld, entry(&w, 4)).commitments + 32 + 7;
    out.add(
        "exports/tampered/withheld-commitment-flipped.vdbx",
        flipped(withheld, withheld_commitment),
        fail(
            "the commitment of a withheld field of entry 4 changed",
            "leaf_mismatch",
            Some(4),
        ),
    );
    let ts_low = e(6).header + 2 + e(6).tenant_len + 8 + 7;
    let mut later = whole.to_vec();
    assert!(
        later[ts_low] < 0xff,
        "adding 1 µs must not carry into the next byte"
    );
    later[ts_low] += 1;
    out.add(
        "exports/tampered/timestamp-changed.vdbx",
        later,
        fail(
            "entry 6 back-dated by editing its header (1 µs later)",
            "leaf_mismatch",
            Some(6),
        ),
    );
    out.add(
        "exports/tampered/leaf-flipped.vdbx",
        flipped(whole, e(8).leaf + 3),
        fail(
            "the stated leaf of entry 8 changed",
            "leaf_mismatch",
            Some(8),
        ),
    );
    out.add(
        "exports/tampered/chain-flipped.vdbx",
        flipped(whole, e(9).chain + 31),
        fail("the chain value of entry 9 changed", "chain_break", Some(9)),
    );
    out.add(
        "exports/tampered/entry-dropped.vdbx",
        without(whole, whole_frame(entry(&f, 10))),
        fail("entry 10 removed", "position_gap", Some(10)),
    );
    let mut duplicated = whole[..entry(&f, 11).start].to_vec();
    duplicated.extend_from_slice(&whole[whole_frame(entry(&f, 10))]);
    duplicated.extend_from_slice(&whole[entry(&f, 11).start..]);
    out.add(
        "exports/tampered/entry-duplicated.vdbx",
        duplicated,
        fail("entry 10 twice", "position_gap", Some(11)),
    );
    let mut swapped = whole[..entry(&f, 10).start].to_vec();
    swapped.extend_from_slice(&whole[whole_frame(entry(&f, 11))]);
    swapped.extend_from_slice(&whole[whole_frame(entry(&f, 10))]);
    swapped.extend_from_slice(&whole[entry(&f, 11).body.end..]);
    out.add(
        "exports/tampered/entries-swapped.vdbx",
        swapped,
        fail("entries 10 and 11 swapped", "position_gap", Some(10)),
    );
    let cut = entry(&f, 15).body.start + 40;
    out.add(
        "exports/tampered/cut-mid-entry.vdbx",
        whole[..cut].to_vec(),
        fail("the file cut inside entry 15", "truncated", Some(15)),
    );
    let trailer = f.last().expect("trailer").clone();
    out.add(
        "exports/tampered/trailer-dropped.vdbx",
        whole[..trailer.start].to_vec(),
        fail("the trailer removed", "truncated", Some(20)),
    );
    let mut garbage = whole.to_vec();
    garbage.extend_from_slice(b"more");
    out.add(
        "exports/tampered/trailing-garbage.vdbx",
        garbage,
        fail("bytes after the trailer", "trailing_data", Some(20)),
    );
    let checkpoints: Vec<&FrameAt> = f.iter().filter(|f| f.kind == 3).collect();
    let note_start = checkpoints[1].body.start + 4;
    let note_len = u32::from_be_bytes(
        whole[checkpoints[1].body.start..note_start]
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let note =
        std::str::from_utf8(&whole[note_start..note_start + note_len]).expect("notes are text");
    let mut bad_signature = whole.to_vec();
    bad_signature[note_start..note_start + note_len]
        .copy_from_slice(flip_signature(note).as_bytes());
    out.add(
        "exports/tampered/checkpoint-signature.vdbx",
        bad_signature,
        fail(
            "the signature of the checkpoint at 12 changed",
            "bad_signature",
            Some(12),
        ),
    );
    out.add(
        "exports/tampered/untrusted-key.vdbx",
        whole.to_vec(),
        Case::fail(
            "export",
            "trusting another key under the same name",
            &other_vkey(&clinic.origin()),
            "untrusted_key",
            Some(5),
        ),
    );
    out.add(
        "exports/tampered/bad-magic.vdbx",
        flipped(whole, 1),
        fail("the magic changed", "malformed_frame", None),
    );
    let mut version = whole.to_vec();
    version[9] = 2;
    out.add(
        "exports/tampered/version-2.vdbx",
        version,
        fail("format version 2", "unsupported_version", None),
    );
    out.add(
        "exports/tampered/covering-checkpoint-dropped.vdbx",
        without(whole, whole_frame(checkpoints[2])),
        fail("the checkpoint at 20 removed", "uncovered", Some(20)),
    );
    let mut moved = whole[..entry(&f, 4).start].to_vec();
    moved.extend_from_slice(&whole[whole_frame(checkpoints[1])]);
    moved.extend_from_slice(&whole[entry(&f, 4).start..checkpoints[1].start]);
    moved.extend_from_slice(&whole[checkpoints[1].body.end..]);
    out.add(
        "exports/tampered/checkpoint-moved.vdbx",
        moved,
        fail(
            "the checkpoint at 12 moved after entry 3",
            "misplaced_checkpoint",
            Some(4),
        ),
    );
    let header = &f[0];
    let origin_len =
        u16::from_be_bytes([whole[header.body.start], whole[header.body.start + 1]]) as usize;
    let tenant_at = header.body.start + 2 + origin_len;
    let to_at = tenant_at + 1 + whole[tenant_at] as usize + 8;
    let mut longer = whole.to_vec();
    longer[to_at + 7] += 1;
    out.add(
        "exports/tampered/header-to-increased.vdbx",
        longer,
        fail("the header claims 21 entries", "missing_entries", Some(20)),
    );
    let mut renamed = whole.to_vec();
    renamed[tenant_at + 1 + 5] = b'x';
    out.add(
        "exports/tampered/header-tenant-renamed.vdbx",
        renamed,
        fail("the header names tenant clinix", "tenant_mismatch", None),
    );
    let mut chain_prev = whole.to_vec();
    chain_prev[to_at + 8 + 4] = 1;
    out.add(
        "exports/tampered/header-chain-prev.vdbx",
        chain_prev,
        fail("a non-zero chain before position 0", "chain_break", None),
    );
    let mut oversize = whole.to_vec();
    oversize[entry(&f, 0).start + 1..entry(&f, 0).start + 5]
        .copy_from_slice(&(3u32 << 20).to_be_bytes());
    out.add(
        "exports/tampered/oversize-frame.vdbx",
        oversize,
        fail("entry 0 claims a 3 MiB frame", "limit_exceeded", Some(0)),
    );
    let mut disclosed = whole.to_vec();
    disclosed[e(2).disclosed_count + 1] += 1;
    out.add(
        "exports/tampered/disclosed-count.vdbx",
        disclosed,
        fail(
            "entry 2 claims more disclosed fields than it has",
            "malformed_entry",
            Some(2),
        ),
    );
    tampered_slices(out, &key, slice);
}

fn tampered_slices(out: &mut Generated, key: &str, slice: &[u8]) {
    let fail = |what: &str, reason: &str, position: Option<u64>| {
        Case::fail("export", what, key, reason, position)
    };
    let f = frames(slice);
    let covering = f
        .iter()
        .rfind(|f| f.kind == 3)
        .expect("covering checkpoint")
        .clone();
    let note_len = u32::from_be_bytes(
        slice[covering.body.start..covering.body.start + 4]
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let count_at = covering.body.start + 4 + note_len;
    out.add(
        "exports/tampered/slice-proof-flipped.vdbx",
        flipped(slice, count_at + 1 + 9),
        fail(
            "a hash of the consistency proof to 20 changed",
            "root_mismatch",
            Some(15),
        ),
    );
    let mut short = slice[..covering.start].to_vec();
    let body_len = covering.body.len() - 32;
    short.push(3);
    short.extend_from_slice(&u32::try_from(body_len).expect("small").to_be_bytes());
    short.extend_from_slice(&slice[covering.body.start..count_at]);
    short.push(slice[count_at] - 1);
    short.extend_from_slice(&slice[count_at + 1..covering.body.end - 32]);
    short.extend_from_slice(&slice[covering.body.end..]);
    out.add(
        "exports/tampered/slice-proof-short.vdbx",
        short,
        fail(
            "the consistency proof to 20 lost its last hash",
            "bad_proof",
            Some(15),
        ),
    );
    let header = &f[0];
    let left = header.body.end - 32 * 3 + 5;
    out.add(
        "exports/tampered/slice-left-range.vdbx",
        flipped(slice, left),
        fail(
            "a compact-range hash of [0, 7) changed",
            "root_mismatch",
            Some(12),
        ),
    );
}

pub(crate) fn tampered_receipts(out: &mut Generated, clinic: &Tenant, receipt: &str) {
    let key = vkey(clinic);
    let fail = |what: &str, reason: &str, position: Option<u64>| {
        Case::fail("receipt", what, &key, reason, position)
    };
    let lines: Vec<&str> = receipt.split('\n').collect();
    let with_line = |i: usize, line: &str| {
        let mut l = lines.clone();
        l[i] = line;
        l.join("\n").into_bytes()
    };
    let extra = BASE64
        .decode(lines[1].strip_prefix("extra ").expect("extra line"))
        .expect("base64");
    let with_extra = |extra: &[u8]| with_line(1, &format!("extra {}", BASE64.encode(extra)));
    let mut value = extra.clone();
    let len = value.len();
    value[len - 40] ^= 1; // inside the last disclosed value, before the 32-byte leaf
    out.add(
        "receipts/tampered/value-flipped.tlog-proof",
        with_extra(&value),
        fail("a disclosed value changed", "commitment_mismatch", Some(3)),
    );
    let mut position = extra.clone();
    position[5 + 2 + 1 + 1 + 6 + 7] ^= 1; // the header's position field, low byte
    out.add(
        "receipts/tampered/header-position.tlog-proof",
        with_extra(&position),
        fail(
            "the entry header claims another position",
            "leaf_mismatch",
            Some(3),
        ),
    );
    let mut magic = extra.clone();
    magic[0] = b'X';
    out.add(
        "receipts/tampered/extra-magic.tlog-proof",
        with_extra(&magic),
        fail(
            "the extra data is not a VerityDB entry",
            "malformed_receipt",
            None,
        ),
    );
    let mut version = extra.clone();
    version[4] = 2;
    out.add(
        "receipts/tampered/extra-version.tlog-proof",
        with_extra(&version),
        fail("entry record version 2", "unsupported_version", None),
    );
    let proof0 = BASE64.decode(lines[3]).expect("a proof line");
    let mut bad = proof0.clone();
    bad[0] ^= 1;
    out.add(
        "receipts/tampered/proof-flipped.tlog-proof",
        with_line(3, &BASE64.encode(&bad)),
        fail("a proof hash changed", "root_mismatch", Some(3)),
    );
    let mut removed = lines.clone();
    removed.remove(3);
    out.add(
        "receipts/tampered/proof-line-removed.tlog-proof",
        removed.join("\n").into_bytes(),
        fail("a proof hash removed", "bad_proof", Some(3)),
    );
    out.add(
        "receipts/tampered/index-changed.tlog-proof",
        with_line(2, "index 4"),
        fail("the index says 4", "index_mismatch", Some(4)),
    );
    out.add(
        "receipts/tampered/first-line.tlog-proof",
        with_line(0, "c2sp.org/tlog-proof@v2"),
        fail("not a tlog-proof", "malformed_receipt", None),
    );
    out.add(
        "receipts/tampered/signature.tlog-proof",
        flip_signature(receipt).into_bytes(),
        fail("the checkpoint signature changed", "bad_signature", Some(3)),
    );
    out.add(
        "receipts/tampered/untrusted.tlog-proof",
        receipt.as_bytes().to_vec(),
        Case::fail(
            "receipt",
            "trusting another key under the same name",
            &other_vkey(&clinic.origin()),
            "untrusted_key",
            Some(3),
        ),
    );
}
