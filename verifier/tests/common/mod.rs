//! A small, deliberately naive writer of spec-conformant VerityDB files for tests and benches.
//!
//! Written from `docs/spec/` alone (not from `core/`), with the textbook recursive RFC 6962
//! definitions rather than the verifier's iterative ones, so the two check each other.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub const MAGIC: [u8; 8] = [0x89, b'V', b'D', b'B', b'E', b'X', b'P', b'\n'];
pub const FRAME_HEADER: u8 = 1;
pub const FRAME_ENTRY: u8 = 2;
pub const FRAME_CHECKPOINT: u8 = 3;
pub const FRAME_TRAILER: u8 = 4;

pub fn sha256(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

pub fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

pub fn node(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[1], left, right])
}

/// An Ed25519 note signer with a C2SP key name.
pub struct Signer {
    pub name: String,
    pub key: SigningKey,
}

impl Signer {
    pub fn new(name: &str, seed: u8) -> Signer {
        Signer {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    pub fn key_id(&self) -> u32 {
        let digest = sha256(&[self.name.as_bytes(), b"\n\x01", &self.public_key()]);
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }

    pub fn vkey(&self) -> String {
        let mut key = vec![1u8];
        key.extend_from_slice(&self.public_key());
        format!("{}+{:08x}+{}", self.name, self.key_id(), b64(&key))
    }

    /// `— <name> <base64(key id || signature)>\n`
    pub fn signature_line(&self, text: &str) -> String {
        let mut payload = self.key_id().to_be_bytes().to_vec();
        payload.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("\u{2014} {} {}\n", self.name, b64(&payload))
    }
}

/// A signed note: text, an empty line, one signature line per signer.
pub fn sign_note(text: &str, signers: &[&Signer]) -> String {
    let mut note = format!("{text}\n");
    for signer in signers {
        note.push_str(&signer.signature_line(text));
    }
    note
}

pub fn checkpoint_text(origin: &str, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", b64(root))
}

/// One entry's data, as a node would hold it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub tenant: String,
    pub position: u64,
    pub timestamp_us: u64,
    pub kind: u16,
    pub actor: String,
    pub record_salt: Hash,
    pub fields: Vec<(String, Vec<u8>)>,
}

impl Entry {
    pub fn header(&self) -> Vec<u8> {
        let mut out = vec![1u8, self.tenant.len() as u8];
        out.extend_from_slice(self.tenant.as_bytes());
        out.extend_from_slice(&self.position.to_be_bytes());
        out.extend_from_slice(&self.timestamp_us.to_be_bytes());
        out.extend_from_slice(&self.kind.to_be_bytes());
        out.push(self.actor.len() as u8);
        out.extend_from_slice(self.actor.as_bytes());
        out
    }

    pub fn field_salt(&self, index: u32) -> Hash {
        sha256(&[
            b"veritydb-salt-v1\0",
            &self.record_salt,
            &index.to_be_bytes(),
        ])
    }

    pub fn field_commitment(&self, index: usize) -> Hash {
        let (name, value) = &self.fields[index];
        sha256(&[
            b"veritydb-field-v1\0",
            &self.field_salt(index as u32),
            &(name.len() as u16).to_be_bytes(),
            name.as_bytes(),
            &(value.len() as u32).to_be_bytes(),
            value,
        ])
    }

    pub fn commitment(&self) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update(b"veritydb-record-v1\0");
        hasher.update((self.fields.len() as u16).to_be_bytes());
        for index in 0..self.fields.len() {
            hasher.update(self.field_commitment(index));
        }
        hasher.finalize().into()
    }

    pub fn leaf(&self) -> Hash {
        sha256(&[&[0], &self.header(), &self.commitment()])
    }

    /// The entry record of entry.md §7, disclosing the fields whose indices are given.
    pub fn record(&self, disclose: &[usize]) -> Vec<u8> {
        let header = self.header();
        let mut out = (header.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(&header);
        out.extend_from_slice(&(self.fields.len() as u16).to_be_bytes());
        for index in 0..self.fields.len() {
            out.extend_from_slice(&self.field_commitment(index));
        }
        out.extend_from_slice(&(disclose.len() as u16).to_be_bytes());
        for &index in disclose {
            let (name, value) = &self.fields[index];
            out.extend_from_slice(&(index as u16).to_be_bytes());
            out.extend_from_slice(&self.field_salt(index as u32));
            out.extend_from_slice(&(name.len() as u16).to_be_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
        out.extend_from_slice(&self.leaf());
        out
    }

    pub fn all_fields(&self) -> Vec<usize> {
        (0..self.fields.len()).collect()
    }
}

/// A frame: type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub frame_type: u8,
    pub body: Vec<u8>,
}

pub fn frame(frame_type: u8, body: Vec<u8>) -> Frame {
    Frame { frame_type, body }
}

/// Magic, version 1, and the frames.
pub fn export_bytes(frames: &[Frame]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&1u16.to_be_bytes());
    for frame in frames {
        out.push(frame.frame_type);
        out.extend_from_slice(&(frame.body.len() as u32).to_be_bytes());
        out.extend_from_slice(&frame.body);
    }
    out
}

/// One tenant's log with its leaves and chain.
pub struct Log {
    pub origin: String,
    pub tenant: String,
    pub entries: Vec<Entry>,
    pub leaves: Vec<Hash>,
    pub chains: Vec<Hash>,
}

impl Log {
    pub fn new(node_name: &str, tenant: &str) -> Log {
        Log {
            origin: format!("{node_name}/{tenant}"),
            tenant: tenant.to_owned(),
            entries: Vec::new(),
            leaves: Vec::new(),
            chains: Vec::new(),
        }
    }

    /// A log of `count` event entries with small payloads.
    pub fn with_events(node_name: &str, tenant: &str, count: u64) -> Log {
        let mut log = Log::new(node_name, tenant);
        for position in 0..count {
            let event = format!("{{\"n\":{position},\"what\":\"test event\"}}");
            log.append(vec![
                ("stream".to_owned(), b"orders".to_vec()),
                ("event".to_owned(), event.into_bytes()),
            ]);
        }
        log
    }

    pub fn append(&mut self, fields: Vec<(String, Vec<u8>)>) -> &Entry {
        let position = self.entries.len() as u64;
        let entry = Entry {
            tenant: self.tenant.clone(),
            position,
            timestamp_us: 1_800_000_000_000_000 + position * 1000,
            kind: 1,
            actor: "embedded".to_owned(),
            record_salt: sha256(&[b"test salt", &position.to_be_bytes()]),
            fields,
        };
        self.push_entry(entry);
        self.entries.last().expect("just pushed")
    }

    /// Appends an entry as given (position and tenant unchecked), extending leaves and chain.
    pub fn push_entry(&mut self, entry: Entry) {
        let leaf = entry.leaf();
        let previous = self.chains.last().copied().unwrap_or([0; 32]);
        self.chains
            .push(sha256(&[b"veritydb-chain-v1\0", &previous, &leaf]));
        self.leaves.push(leaf);
        self.entries.push(entry);
    }

    pub fn root(&self, size: u64) -> Hash {
        mth(&self.leaves[..size as usize])
    }

    pub fn chain_before(&self, position: u64) -> Hash {
        if position == 0 {
            [0; 32]
        } else {
            self.chains[position as usize - 1]
        }
    }

    /// Compact range of `[0, size)`: perfect subtree roots, largest first.
    pub fn compact_range(&self, size: u64) -> Vec<Hash> {
        let mut out = Vec::new();
        let mut start = 0usize;
        for bit in (0..64).rev() {
            if size & (1 << bit) != 0 {
                let end = start + (1usize << bit);
                out.push(mth(&self.leaves[start..end]));
                start = end;
            }
        }
        out
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Vec<Hash> {
        path(index as usize, &self.leaves[..size as usize])
    }

    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Vec<Hash> {
        subproof(old_size as usize, &self.leaves[..new_size as usize], true)
    }

    pub fn signed_checkpoint(&self, size: u64, signers: &[&Signer]) -> String {
        sign_note(
            &checkpoint_text(&self.origin, size, &self.root(size)),
            signers,
        )
    }

    pub fn header_frame(&self, from: u64, to: u64) -> Frame {
        let mut body = (self.origin.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(self.origin.as_bytes());
        body.push(self.tenant.len() as u8);
        body.extend_from_slice(self.tenant.as_bytes());
        body.extend_from_slice(&from.to_be_bytes());
        body.extend_from_slice(&to.to_be_bytes());
        body.extend_from_slice(&self.chain_before(from));
        let range = self.compact_range(from);
        body.push(range.len() as u8);
        for hash in range {
            body.extend_from_slice(&hash);
        }
        frame(FRAME_HEADER, body)
    }

    pub fn entry_frame(&self, position: u64, disclose: &[usize]) -> Frame {
        let entry = &self.entries[position as usize];
        let mut body = entry.record(disclose);
        body.extend_from_slice(&self.chains[position as usize]);
        frame(FRAME_ENTRY, body)
    }

    pub fn checkpoint_frame(&self, note: &str, proof: &[Hash]) -> Frame {
        let mut body = (note.len() as u32).to_be_bytes().to_vec();
        body.extend_from_slice(note.as_bytes());
        body.push(proof.len() as u8);
        for hash in proof {
            body.extend_from_slice(hash);
        }
        frame(FRAME_CHECKPOINT, body)
    }

    pub fn trailer_frame(&self, from: u64, to: u64) -> Frame {
        let final_chain = if to == from {
            self.chain_before(from)
        } else {
            self.chains[to as usize - 1]
        };
        let mut body = (to - from).to_be_bytes().to_vec();
        body.extend_from_slice(&final_chain);
        frame(FRAME_TRAILER, body)
    }

    /// The frames a producer writes for `[from, to)` (export.md §2): every checkpoint of
    /// `checkpoint_sizes` within `[from, to]` right after the entry that completes it, and if
    /// none has size `to`, the first larger one after the last entry with a consistency proof.
    pub fn export_frames(
        &self,
        from: u64,
        to: u64,
        checkpoint_sizes: &[u64],
        signer: &Signer,
    ) -> Vec<Frame> {
        let mut frames = vec![self.header_frame(from, to)];
        let checkpoint =
            |size: u64| self.checkpoint_frame(&self.signed_checkpoint(size, &[signer]), &[]);
        if checkpoint_sizes.contains(&from) {
            frames.push(checkpoint(from));
        }
        for position in from..to {
            frames.push(self.entry_frame(position, &self.entries[position as usize].all_fields()));
            if checkpoint_sizes.contains(&(position + 1)) {
                frames.push(checkpoint(position + 1));
            }
        }
        if !checkpoint_sizes.contains(&to) {
            let covering = checkpoint_sizes
                .iter()
                .copied()
                .filter(|size| *size > to)
                .min();
            let covering = covering.expect("a test export needs a covering checkpoint");
            let note = self.signed_checkpoint(covering, &[signer]);
            frames.push(self.checkpoint_frame(&note, &self.consistency_proof(to, covering)));
        }
        frames.push(self.trailer_frame(from, to));
        frames
    }

    pub fn export(&self, from: u64, to: u64, checkpoint_sizes: &[u64], signer: &Signer) -> Vec<u8> {
        export_bytes(&self.export_frames(from, to, checkpoint_sizes, signer))
    }

    /// A receipt for `index` under the checkpoint of `size`.
    pub fn receipt(
        &self,
        index: u64,
        size: u64,
        disclose: &[usize],
        signers: &[&Signer],
    ) -> String {
        let mut extra = b"VDBR\x01".to_vec();
        extra.extend_from_slice(&self.entries[index as usize].record(disclose));
        receipt_text(
            &extra,
            index,
            &self.inclusion_proof(index, size),
            &self.signed_checkpoint(size, signers),
        )
    }
}

pub fn receipt_text(extra: &[u8], index: u64, proof: &[Hash], checkpoint: &str) -> String {
    let mut out = format!(
        "c2sp.org/tlog-proof@v1\nextra {}\nindex {index}\n",
        b64(extra)
    );
    for hash in proof {
        out.push_str(&b64(hash));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(checkpoint);
    out
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH of RFC 6962 §2.1, recursively.
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaves[0],
        n => {
            let k = largest_power_of_two_below(n);
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]) of RFC 6962 §2.1.1.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(n);
    if m < k {
        let mut out = path(m, &leaves[..k]);
        out.push(mth(&leaves[k..]));
        out
    } else {
        let mut out = path(m - k, &leaves[k..]);
        out.push(mth(&leaves[..k]));
        out
    }
}

/// SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2.
fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![mth(leaves)]
        };
    }
    let k = largest_power_of_two_below(n);
    if m <= k {
        let mut out = subproof(m, &leaves[..k], complete);
        out.push(mth(&leaves[k..]));
        out
    } else {
        let mut out = subproof(m - k, &leaves[k..], false);
        out.push(mth(&leaves[..k]));
        out
    }
}

/// Feeds `bytes` to a streaming verifier in chunks of the given sizes (cycled).
pub fn verify_in_chunks(
    bytes: &[u8],
    keys: &veritydb_verify::TrustedKeys,
    chunk_sizes: &[usize],
) -> veritydb_verify::Report {
    let mut verifier = veritydb_verify::ExportVerifier::new(keys);
    let mut rest = bytes;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = (*sizes.next().expect("cycled")).clamp(1, rest.len());
        let (chunk, after) = rest.split_at(size);
        verifier.update(chunk);
        rest = after;
    }
    verifier.finish()
}
