//! Opening damaged data: truncated segments, bit flips in every file, garbage files. Each
//! case must give a clear error or a clean truncation of a torn tail — never a panic — and
//! whatever opens must read back without panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use veritydb::error::OpenError;
use veritydb::storage::MemoryStorage;
use veritydb::{Db, NodeKey, Options};

fn options() -> Options {
    Options::default()
        .node_name("damage.example")
        .node_key(NodeKey::from_seed(&[5; 32]))
        .background_checkpoints(false)
        .preallocate_segments(false)
        .segment_bytes_max(64 * 1024)
        .state_interval_bytes(40 * 1024)
}

/// A database with three tenants, checkpoints, several segments and a recovery state.
fn populated() -> (MemoryStorage, u64) {
    let storage = MemoryStorage::new();
    let db = Db::open_storage(Arc::new(storage.clone()), options()).unwrap();
    let mut total = 0;
    for round in 0..40 {
        for name in ["a", "b", "c"] {
            let t = db.tenant(name).unwrap();
            let events: Vec<String> = (0..5)
                .map(|i| format!(r#"{{"round":{round},"i":{i},"pad":"{}"}}"#, "z".repeat(100)))
                .collect();
            let refs: Vec<(&str, &str)> = events.iter().map(|e| ("s", e.as_str())).collect();
            t.append_batch(&refs).unwrap();
            total += 5;
            if round % 7 == 0 {
                t.checkpoint().unwrap();
            }
        }
    }
    drop(db);
    (storage, total)
}

fn copy(storage: &MemoryStorage) -> MemoryStorage {
    let copy = MemoryStorage::new();
    for path in storage.paths() {
        copy.put_file(&path, storage.file_bytes(&path).unwrap());
    }
    copy
}

/// Opens and reads everything; panics only if VerityDB panics. Returns the entries read, or
/// the open error.
fn open_and_read(storage: MemoryStorage) -> Result<u64, OpenError> {
    let db = Db::open_storage(Arc::new(storage), options())?;
    let mut read = 0;
    for name in db.tenants() {
        let t = db.existing_tenant(&name).unwrap();
        if let Ok(entries) = t.entries(0, t.size()) {
            read += entries.len() as u64;
        }
        let _ = t.checkpoints(0, 100);
        if t.size() > 0 {
            let _ = t.inclusion_proof(0, t.size());
            let _ = t.receipt(t.size() - 1, &["event"]);
            let _ = t.export(
                std::io::sink(),
                &veritydb::ExportOptions::default(),
                |_, _| {},
            );
        }
    }
    Ok(read)
}

fn last_segment(storage: &MemoryStorage) -> String {
    storage
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("segments/") && p.ends_with(".seg"))
        .max()
        .unwrap()
}

#[test]
fn truncating_synced_data_is_refused_and_a_torn_tail_is_cut() {
    let (storage, total) = populated();
    let segment = last_segment(&storage);
    let bytes = storage.file_bytes(&segment).unwrap();
    assert!(
        !segment.ends_with("1.seg"),
        "the fixture should span segments: {segment}"
    );
    let cuts: Vec<usize> = (0..bytes.len())
        .step_by(211)
        .chain(bytes.len().saturating_sub(120)..bytes.len())
        .collect();
    // The recovery state saved at close says every byte was synced: losing any is refused.
    for &cut in &cuts {
        let damaged = copy(&storage);
        damaged.put_file(&segment, bytes[..cut].to_vec());
        match open_and_read(damaged) {
            Err(OpenError::Corrupt(c)) => assert!(c.to_string().contains(&segment), "{c}"),
            other => panic!("cut {cut}: expected a corruption error, got {other:?}"),
        }
    }
    // Without the state, the same cuts look like torn tails: each opens with a prefix of the
    // log made of whole batches (5 entries each, 3 tenants).
    let mut read_counts = std::collections::BTreeSet::new();
    for &cut in &cuts {
        let damaged = copy(&storage);
        damaged.put_file("state", Vec::new());
        damaged.put_file(&segment, bytes[..cut].to_vec());
        let read = open_and_read(damaged).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        assert!(
            read < total && read.is_multiple_of(5),
            "cut {cut}: read {read} of {total}"
        );
        read_counts.insert(read);
    }
    assert!(
        read_counts.len() >= 5,
        "cuts should keep different prefixes: {read_counts:?}"
    );
}

#[test]
fn damage_before_the_last_segment_is_refused() {
    let (storage, _) = populated();
    let first = "segments/00000000000000000001.seg";
    let bytes = storage.file_bytes(first).unwrap();
    for cut in [20, bytes.len() / 2, bytes.len() - 1] {
        let damaged = copy(&storage);
        damaged.put_file("state", Vec::new());
        damaged.put_file(first, bytes[..cut].to_vec());
        let err = open_and_read(damaged).unwrap_err();
        assert!(err.to_string().contains(first), "{err}");
    }
}

#[test]
fn bit_flips_anywhere_never_panic() {
    let (storage, _) = populated();
    let mut outcomes = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for path in storage.paths() {
        let len = storage.file_bytes(&path).unwrap().len() as u64;
        if len == 0 {
            continue;
        }
        let step = (len / 40).max(1);
        for offset in (0..len).step_by(step as usize) {
            let damaged = copy(&storage);
            damaged.flip_bit(&path, offset, (offset % 8) as u8).unwrap();
            let outcome = outcomes.entry(path.clone()).or_default();
            match open_and_read(damaged) {
                Ok(_) => outcome.0 += 1,
                Err(_) => outcome.1 += 1,
            }
        }
    }
    // Damage to the node file or to a segment's header is always refused.
    assert_eq!(outcomes["node"].0, 0, "{outcomes:?}");
}

#[test]
fn garbage_files_give_clear_errors() {
    let (storage, _) = populated();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "segments/00000000000000000001.seg",
            b"not a segment at all".to_vec(),
        ),
        ("segments/notes.txt", b"hello".to_vec()),
        ("segments/00000000000000000009.seg", vec![0; 100]),
        ("node", vec![0xff; 200]),
        ("state", vec![7; 1000]),
        ("tenants/00000001.tree", vec![]),
    ];
    for (path, bytes) in cases {
        let damaged = copy(&storage);
        damaged.put_file(path, bytes);
        match open_and_read(damaged) {
            Ok(_) => assert!(
                path == "state" || path.starts_with("tenants/"),
                "{path}: damage went unnoticed"
            ),
            Err(e) => assert!(!e.to_string().is_empty(), "{path}"),
        }
    }
}

#[test]
fn a_directory_of_garbage_on_disk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("segments")).unwrap();
    std::fs::write(dir.path().join("node"), b"garbage").unwrap();
    std::fs::write(
        dir.path().join("segments/00000000000000000001.seg"),
        vec![0xAB; 4096],
    )
    .unwrap();
    let err = Db::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("node"), "{err}");
    std::fs::remove_file(dir.path().join("node")).unwrap();
    let err = Db::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("segment"), "{err}");
}
