//! The shared test vectors in `testdata/vectors/`: exports, receipts, checkpoints and notes
//! written by core with fixed keys, clock and salts — valid ones, and invalid ones made by
//! tampering with valid files or by signing deliberately wrong content — plus a
//! `manifest.json` of the verdict and reason code each must get (`docs/spec/verdicts.md`).
//! Rust, Python, Node and WASM tests all iterate over the same manifest.

mod craft;
mod export_frames;
mod manifest;

pub use export_frames::{FrameAt, frames};

use std::collections::BTreeMap;
use std::sync::Arc;

use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::storage::MemoryStorage;
use veritydb::{Db, ExportOptions, NodeKey, Options, Tenant};

pub use manifest::{Case, Expect, reason_code};

/// The node name of every vector.
pub const NODE_NAME: &str = "vectors.veritydb.example";
/// The seed of the node key that signs the vectors.
pub const NODE_KEY_SEED: [u8; 32] = [0x11; 32];
/// The seed of a second key (rotation, untrusted-key cases).
pub const OTHER_KEY_SEED: [u8; 32] = [0x22; 32];
/// 2026-01-01T00:00:00Z in microseconds.
pub const START_US: u64 = 1_767_225_600_000_000;

/// Every generated file, by path under `testdata/vectors/`.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The deterministic database the vectors are taken from.
pub fn vector_db() -> Db {
    let options = Options::default()
        .node_name(NODE_NAME)
        .node_key(NodeKey::from_seed(&NODE_KEY_SEED))
        .clock(Arc::new(SteppingClock::new(START_US, 1_000_000)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(42)))
        .background_checkpoints(false);
    Db::open_storage(Arc::new(MemoryStorage::new()), options).expect("an in-memory database opens")
}

/// The clinic tenant: 20 events, checkpoints at sizes 5, 12 and 20.
pub fn clinic(db: &Db) -> Tenant {
    let t = db.tenant("clinic").expect("valid tenant");
    let visit = |n: u64| {
        format!(
            r#"{{"patient":{},"visit":"room {}","note":"vector {n}"}}"#,
            100 + n % 7,
            n % 3
        )
    };
    let first: Vec<String> = (0..5).map(visit).collect();
    t.append_batch(
        &first
            .iter()
            .map(|e| ("visits", e.as_str()))
            .collect::<Vec<_>>(),
    )
    .expect("append");
    t.checkpoint().expect("checkpoint");
    let second: Vec<String> = (5..12).map(visit).collect();
    t.append_batch(
        &second
            .iter()
            .map(|e| ("billing", e.as_str()))
            .collect::<Vec<_>>(),
    )
    .expect("append");
    t.checkpoint().expect("checkpoint");
    for n in 12..20 {
        t.append("visits", &visit(n)).expect("append");
    }
    t.checkpoint().expect("checkpoint");
    t
}

/// Generates every file, the manifest included.
pub fn generate() -> Files {
    let db = vector_db();
    let clinic = clinic(&db);
    let mut out = Generated::default();
    exports(&mut out, &db, &clinic);
    receipts(&mut out, &db, &clinic);
    checkpoints(&mut out, &clinic);
    craft::crafted(&mut out, &clinic);
    out.files
        .insert("entry-hashes.json".into(), craft::entry_hashes(&clinic));
    out.files
        .insert("manifest.json".into(), manifest::render(&out.cases));
    out.files
}

/// Files and cases collected while generating.
#[derive(Default)]
pub(crate) struct Generated {
    pub(crate) files: Files,
    pub(crate) cases: Vec<Case>,
}

impl Generated {
    pub(crate) fn add(&mut self, path: &str, bytes: Vec<u8>, case: Case) {
        self.files.insert(path.to_owned(), bytes);
        self.cases.push(Case {
            file: Some(path.to_owned()),
            ..case
        });
    }
}

pub(crate) fn vkey(tenant: &Tenant) -> String {
    tenant.verifier_key()
}

pub(crate) fn other_vkey(name: &str) -> String {
    NodeKey::from_seed(&OTHER_KEY_SEED).verifier_key(name)
}

pub(crate) fn export_bytes(tenant: &Tenant, options: &ExportOptions) -> Vec<u8> {
    let mut out = Vec::new();
    tenant.export(&mut out, options, |_, _| {}).expect("export");
    out
}

fn exports(out: &mut Generated, db: &Db, clinic: &Tenant) {
    let key = vkey(clinic);
    let ok = |what: &str| Case::ok("export", what, &key);
    let whole = export_bytes(clinic, &ExportOptions::default());
    out.add(
        "exports/clinic-whole.vdbx",
        whole.clone(),
        ok("the whole log, checkpoints at 5, 12 and 20"),
    );
    let slice = export_bytes(
        clinic,
        &ExportOptions {
            from: 7,
            to: Some(15),
            withhold: vec![],
        },
    );
    out.add(
        "exports/clinic-slice-7-15.vdbx",
        slice.clone(),
        ok("a slice covered by the checkpoint at 20 through a consistency proof"),
    );
    let exact = export_bytes(
        clinic,
        &ExportOptions {
            from: 5,
            to: Some(12),
            withhold: vec![],
        },
    );
    out.add(
        "exports/clinic-slice-5-12.vdbx",
        exact,
        ok("a slice between two checkpoints"),
    );
    let withheld = export_bytes(
        clinic,
        &ExportOptions {
            withhold: vec!["event".into()],
            ..ExportOptions::default()
        },
    );
    out.add(
        "exports/clinic-withheld.vdbx",
        withheld.clone(),
        ok("every event value withheld, only commitments"),
    );
    let empty = db.tenant("empty").expect("tenant");
    let empty_export = export_bytes(&empty, &ExportOptions::default());
    out.add(
        "exports/empty.vdbx",
        empty_export,
        Case::ok(
            "export",
            "an empty log covered by a checkpoint of size 0",
            &vkey(&empty),
        ),
    );
    export_frames::tampered_exports(out, clinic, &whole, &slice, &withheld);
}

fn receipts(out: &mut Generated, db: &Db, clinic: &Tenant) {
    let key = vkey(clinic);
    let disclosed = clinic
        .receipt(3, &["stream", "event"])
        .expect("receipt")
        .text
        .into_bytes();
    out.add(
        "receipts/clinic-3-disclosed.tlog-proof",
        disclosed.clone(),
        Case::ok("receipt", "entry 3 with both fields disclosed", &key),
    );
    let withheld = clinic.receipt(3, &[]).expect("receipt").text.into_bytes();
    out.add(
        "receipts/clinic-3-withheld.tlog-proof",
        withheld,
        Case::ok("receipt", "entry 3 with every field withheld", &key),
    );
    let last = clinic
        .receipt(19, &["event"])
        .expect("receipt")
        .text
        .into_bytes();
    out.add(
        "receipts/clinic-19.tlog-proof",
        last,
        Case::ok("receipt", "the last entry of the tree", &key),
    );
    let single = db.tenant("single").expect("tenant");
    single.append("s", r#"{"only":true}"#).expect("append");
    let one = single
        .receipt(0, &["event"])
        .expect("receipt")
        .text
        .into_bytes();
    out.add(
        "receipts/single-0.tlog-proof",
        one,
        Case::ok(
            "receipt",
            "a tree of one leaf: an empty proof",
            &vkey(&single),
        ),
    );
    export_frames::tampered_receipts(
        out,
        clinic,
        &String::from_utf8(disclosed).expect("receipts are text"),
    );
}

fn checkpoints(out: &mut Generated, clinic: &Tenant) {
    let key = vkey(clinic);
    let note = clinic.latest_checkpoint().expect("signed").note;
    out.add(
        "checkpoints/clinic-20.checkpoint",
        note.clone().into_bytes(),
        Case::ok("checkpoint", "a checkpoint signed by the node", &key),
    );
    out.add(
        "checkpoints/clinic-20-origin-required.checkpoint",
        note.clone().into_bytes(),
        Case {
            origin: Some(clinic.origin()),
            ..Case::ok("checkpoint", "the required origin matches", &key)
        },
    );
    out.add(
        "checkpoints/clinic-20-other-origin-required.checkpoint",
        note.clone().into_bytes(),
        Case {
            origin: Some(format!("{NODE_NAME}/other")),
            ..Case::fail(
                "checkpoint",
                "the auditor requires another origin",
                &key,
                "origin_mismatch",
                None,
            )
        },
    );
    out.add(
        "checkpoints/clinic-20-untrusted.checkpoint",
        note.clone().into_bytes(),
        Case::fail(
            "checkpoint",
            "a trusted key of the same name but another key",
            &other_vkey(&clinic.origin()),
            "untrusted_key",
            None,
        ),
    );
    out.add(
        "checkpoints/clinic-20-bad-signature.checkpoint",
        export_frames::flip_signature(&note).into_bytes(),
        Case::fail(
            "checkpoint",
            "one character of the signature changed",
            &key,
            "bad_signature",
            None,
        ),
    );
    let note_case = Case::ok("note", "a checkpoint is a signed note too", &key);
    out.add("notes/clinic-20.note", note.into_bytes(), note_case);
    let c2sp = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    let c2sp_key = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    out.add(
        "notes/c2sp-example.note",
        c2sp.as_bytes().to_vec(),
        Case::ok(
            "note",
            "the worked example of c2sp.org/signed-note",
            c2sp_key,
        ),
    );
    out.add(
        "notes/no-signature.note",
        b"This is an example message.\n\n".to_vec(),
        Case::fail(
            "note",
            "a note without any signature line",
            c2sp_key,
            "malformed_note",
            None,
        ),
    );
}
