//! Vectors core would never write: validly hashed and signed with the node's key, but wrong in
//! exactly one way (a timestamp that goes back, a foreign tenant, a forged root, two roots for
//! one size, a checkpoint of another origin). And `entry-hashes.json`, every intermediate
//! value of a few entries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use veritydb::checkpoint::{Checkpoint, checkpoint_text};
use veritydb::entry::{self, Disclosure, Field, Hash, Header, Kind, TenantName};
use veritydb::merkle::MemoryTree;
use veritydb::{ExportWriter, NodeKey, Tenant};

use crate::{Case, Generated, NODE_KEY_SEED, NODE_NAME, OTHER_KEY_SEED, START_US, vkey};

/// One hand-made entry with everything an export frame needs.
struct RawEntry {
    header: Vec<u8>,
    commitments: Vec<Hash>,
    disclosed: Vec<Disclosure>,
    leaf: Hash,
    chain: Hash,
}

/// A hand-made log of `timestamps.len()` entries; entry `i` belongs to `tenants(i)`.
fn raw_log(
    timestamps: &[u64],
    tenant_of: impl Fn(usize) -> &'static str,
) -> (Vec<RawEntry>, MemoryTree) {
    let mut tree = MemoryTree::new();
    let mut chain = entry::CHAIN_GENESIS;
    let mut entries = Vec::new();
    for (i, &timestamp_us) in timestamps.iter().enumerate() {
        let header = Header {
            tenant: TenantName::new(tenant_of(i)).expect("valid tenant"),
            position: i as u64,
            timestamp_us,
            kind: Kind::Event,
            actor: "vectors".into(),
        }
        .encode();
        let salt = [i as u8 + 1; 32];
        let fields = [
            Field::new("stream", "crafted"),
            Field::new("event", format!(r#"{{"i":{i}}}"#)),
        ];
        let commitments = entry::field_commitments(&salt, &fields);
        let leaf = entry::leaf_hash(&header, &entry::record_commitment(&commitments));
        chain = entry::chain_hash(&chain, &leaf);
        tree.append(leaf);
        let disclosed = fields
            .iter()
            .zip(0u16..)
            .map(|(f, index)| Disclosure {
                index,
                salt: entry::field_salt(&salt, u32::from(index)),
                field: f.clone(),
            })
            .collect();
        entries.push(RawEntry {
            header,
            commitments,
            disclosed,
            leaf,
            chain,
        });
    }
    (entries, tree)
}

fn key() -> NodeKey {
    NodeKey::from_seed(&NODE_KEY_SEED)
}

/// An export of a hand-made log with the given checkpoint notes after the last entry.
fn raw_export(origin: &str, tenant: &str, entries: &[RawEntry], notes: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = ExportWriter::new(&mut out);
    let io = "writing to a Vec cannot fail";
    w.start().expect(io);
    w.header(
        origin,
        tenant,
        0,
        entries.len() as u64,
        &entry::CHAIN_GENESIS,
        &[],
    )
    .expect(io);
    for e in entries {
        w.entry(&e.header, &e.commitments, &e.disclosed, &e.leaf, &e.chain)
            .expect(io);
    }
    for note in notes {
        w.checkpoint(note, &[]).expect(io);
    }
    w.trailer(
        entries.len() as u64,
        &entries.last().map_or(entry::CHAIN_GENESIS, |e| e.chain),
    )
    .expect(io);
    w.finish().expect(io);
    out
}

pub(crate) fn crafted(out: &mut Generated, clinic: &Tenant) {
    let origin = clinic.origin();
    let trusted = vkey(clinic);
    let fail = |what: &str, reason: &str, position: Option<u64>| {
        Case::fail("export", what, &trusted, reason, position)
    };
    let ts = |steps: &[u64]| steps.iter().map(|s| START_US + s).collect::<Vec<u64>>();
    let sign = |size: u64, root: Hash| Checkpoint::sign(&origin, size, root, &[&key()]).note;

    let (entries, tree) = raw_log(&ts(&[100, 200, 300, 250, 400]), |_| "clinic");
    let export = raw_export(&origin, "clinic", &entries, &[sign(5, tree.root())]);
    out.add(
        "exports/crafted/timestamp-regression.vdbx",
        export,
        fail(
            "entry 3 is dated before entry 2, everything else valid and signed",
            "timestamp_regression",
            Some(3),
        ),
    );

    let (entries, tree) = raw_log(&ts(&[1, 2, 3, 4, 5]), |i| {
        if i == 2 { "other" } else { "clinic" }
    });
    let export = raw_export(&origin, "clinic", &entries, &[sign(5, tree.root())]);
    out.add(
        "exports/crafted/foreign-tenant.vdbx",
        export,
        fail(
            "entry 2 belongs to tenant other, everything else valid and signed",
            "tenant_mismatch",
            Some(2),
        ),
    );

    let (entries, tree) = raw_log(&ts(&[1, 2, 3, 4, 5]), |_| "clinic");
    let export = raw_export(&origin, "clinic", &entries, &[sign(5, [7; 32])]);
    out.add(
        "exports/crafted/forged-root.vdbx",
        export,
        fail(
            "a validly signed checkpoint whose root is not the log's",
            "root_mismatch",
            Some(5),
        ),
    );
    let export = raw_export(
        &origin,
        "clinic",
        &entries,
        &[sign(5, tree.root()), sign(5, [7; 32])],
    );
    out.add(
        "exports/crafted/two-roots-one-size.vdbx",
        export,
        fail(
            "two signed checkpoints of size 5 with different roots",
            "inconsistent_checkpoints",
            Some(5),
        ),
    );
    let other_origin = format!("{NODE_NAME}/other");
    let foreign_note = Checkpoint::sign(&other_origin, 5, tree.root(), &[&key()]).note;
    let export = raw_export(&origin, "clinic", &entries, &[foreign_note]);
    let keys = [trusted.clone(), key().verifier_key(&other_origin)];
    out.add(
        "exports/crafted/other-origin.vdbx",
        export,
        fail(
            "the checkpoint is another log's, signed by a trusted key",
            "origin_mismatch",
            Some(5),
        )
        .trusting(&keys),
    );

    crafted_receipt(out, &origin, &trusted);
    crafted_checkpoints(out, clinic, &trusted);
}

fn crafted_receipt(out: &mut Generated, origin: &str, trusted: &str) {
    let (entries, tree) = raw_log(&[START_US], |_| "other");
    let e = &entries[0];
    let mut extra = b"VDBR\x01".to_vec();
    entry::encode_entry_record(&mut extra, &e.header, &e.commitments, &e.disclosed, &e.leaf);
    let note = Checkpoint::sign(origin, 1, tree.root(), &[&key()]).note;
    let receipt = format!(
        "c2sp.org/tlog-proof@v1\nextra {}\nindex 0\n\n{note}",
        BASE64.encode(&extra)
    );
    out.add(
        "receipts/crafted/foreign-tenant.tlog-proof",
        receipt.into_bytes(),
        Case::fail(
            "receipt",
            "an entry of tenant other under clinic's signed checkpoint",
            trusted,
            "tenant_mismatch",
            Some(0),
        ),
    );
}

fn crafted_checkpoints(out: &mut Generated, clinic: &Tenant, trusted: &str) {
    let origin = clinic.origin();
    let old = key();
    let new = NodeKey::from_seed(&OTHER_KEY_SEED);
    let latest = clinic.latest_checkpoint().expect("signed");
    let text = checkpoint_text(&origin, latest.size, &latest.root).replacen("\n20\n", "\n020\n", 1);
    let leading_zero = format!("{text}\n{}", old.signature_line(&origin, &text));
    out.add(
        "checkpoints/crafted/leading-zero.checkpoint",
        leading_zero.into_bytes(),
        Case::fail(
            "checkpoint",
            "a validly signed size with a leading zero",
            trusted,
            "malformed_note",
            None,
        ),
    );
    let rotated = Checkpoint::sign(&origin, latest.size, latest.root, &[&old, &new]).note;
    out.add(
        "checkpoints/crafted/rotation.checkpoint",
        rotated.clone().into_bytes(),
        Case::ok(
            "checkpoint",
            "signed by the old and the new key; only the new one is trusted",
            &new.verifier_key(&origin),
        ),
    );
    let second_line = rotated.rfind("\u{2014} ").expect("two lines");
    let mut bad = rotated.into_bytes();
    let at = second_line + rotated_len_hint(&bad[second_line..]);
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    out.add(
        "checkpoints/crafted/rotation-one-bad.checkpoint",
        bad,
        Case::fail(
            "checkpoint",
            "both keys trusted, the second signature is wrong",
            trusted,
            "bad_signature",
            None,
        )
        .trusting(&[trusted.to_owned(), new.verifier_key(&origin)]),
    );
    let cp_text = checkpoint_text(&origin, latest.size, &latest.root);
    let node_named = format!("{cp_text}\n{}", old.signature_line(NODE_NAME, &cp_text));
    out.add(
        "checkpoints/crafted/key-named-for-node.checkpoint",
        node_named.into_bytes(),
        Case::fail(
            "checkpoint",
            "signed by a trusted key whose name is not the origin",
            &old.verifier_key(NODE_NAME),
            "untrusted_key",
            None,
        ),
    );
    consistency(out, clinic, trusted);
}

/// An offset near the end of a signature line, inside its base64 signature.
fn rotated_len_hint(line: &[u8]) -> usize {
    line.iter().position(|&b| b == b'\n').expect("line end") - 10
}

fn consistency(out: &mut Generated, clinic: &Tenant, trusted: &str) {
    let first = clinic.checkpoints(0, 1).expect("checkpoints").remove(0);
    out.add(
        "checkpoints/clinic-5.checkpoint",
        first.note.clone().into_bytes(),
        Case::ok("checkpoint", "the first checkpoint of the clinic", trusted),
    );
    let latest = clinic.latest_checkpoint().expect("signed");
    let proof: Vec<String> = clinic
        .consistency_proof(first.size, latest.size)
        .expect("proof")
        .iter()
        .map(|h| BASE64.encode(h))
        .collect();
    let forged = Checkpoint::sign(&clinic.origin(), latest.size, [9; 32], &[&key()]).note;
    out.add(
        "checkpoints/crafted/forged-20.checkpoint",
        forged.into_bytes(),
        Case::ok(
            "checkpoint",
            "validly signed, with a root that is not the log's",
            trusted,
        ),
    );
    let pair = |new: &str, reason: &str, what: &str| Case {
        old: Some("checkpoints/clinic-5.checkpoint".into()),
        new: Some(new.into()),
        proof: Some(proof.clone()),
        ..Case::fail("consistency", what, trusted, reason, None)
    };
    out.cases.push(pair(
        "checkpoints/clinic-20.checkpoint",
        "ok",
        "the checkpoints at 5 and 20 with their consistency proof",
    ));
    out.cases.push(pair(
        "checkpoints/crafted/forged-20.checkpoint",
        "inconsistent_checkpoints",
        "the checkpoint at 5 and a forged one at 20",
    ));
}

#[derive(Serialize)]
struct EntryHashes {
    position: u64,
    header_hex: String,
    record_salt_hex: String,
    fields: Vec<FieldHashes>,
    commitment_hex: String,
    leaf_hex: String,
    chain_hex: String,
}

#[derive(Serialize)]
struct FieldHashes {
    name: String,
    value_hex: String,
    field_salt_hex: String,
    field_commitment_hex: String,
}

/// Every intermediate value of `docs/spec/entry.md` for the clinic's first three entries.
pub(crate) fn entry_hashes(clinic: &Tenant) -> Vec<u8> {
    let rows: Vec<EntryHashes> = clinic
        .entries(0, 3)
        .expect("entries")
        .iter()
        .map(|e| {
            let (salt, fields) = e.payload.as_ref().expect("not erased");
            EntryHashes {
                position: e.header.position,
                header_hex: hex::encode(&e.header_bytes),
                record_salt_hex: hex::encode(salt),
                fields: fields
                    .iter()
                    .zip(0u32..)
                    .map(|(f, i)| FieldHashes {
                        name: f.name.clone(),
                        value_hex: hex::encode(&f.value),
                        field_salt_hex: hex::encode(entry::field_salt(salt, i)),
                        field_commitment_hex: hex::encode(e.field_commitments[i as usize]),
                    })
                    .collect(),
                commitment_hex: hex::encode(e.commitment()),
                leaf_hex: hex::encode(e.leaf()),
                chain_hex: hex::encode(e.chain),
            }
        })
        .collect();
    let mut json = serde_json::to_vec_pretty(&rows).expect("serializes");
    json.push(b'\n');
    json
}
