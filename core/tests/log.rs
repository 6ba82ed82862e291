//! The embedded log end to end: append, read, checkpoints, proofs, receipts, exports, reopen.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::merkle;
use veritydb::storage::MemoryStorage;
use veritydb::{Db, ExportOptions, NodeKey, Options};

fn options() -> Options {
    Options::default()
        .node_name("test.example/node")
        .node_key(NodeKey::from_seed(&[1; 32]))
        .clock(Arc::new(SteppingClock::new(1_700_000_000_000_000, 10)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(7)))
        .background_checkpoints(false)
}

/// Asserts that stream `s` of `t` holds `n` events whose data are 0, 1, ... in order.
fn assert_reads_back_in_order(t: &veritydb::Tenant, n: u64) {
    assert_eq!(t.size(), n);
    let read = t.read("s", 0, n).unwrap();
    assert_eq!(read.len() as u64, n);
    assert!(
        read.iter()
            .enumerate()
            .all(|(i, e)| e.data == i.to_string())
    );
}

#[test]
fn append_read_and_prove() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    assert_eq!(t.origin(), "test.example/node/acme");
    for i in 0..100u64 {
        let p = t.append("orders", &format!(r#"{{"n":{i}}}"#)).unwrap();
        assert_eq!(p, i);
    }
    assert_eq!(
        t.append_batch(&[]).unwrap(),
        100..100,
        "an empty batch writes nothing"
    );
    let range = t
        .append_batch(&[("orders", "1"), ("other", "2"), ("orders", "3")])
        .unwrap();
    assert_eq!(range, 100..103);
    assert_eq!(t.size(), 103);
    let events = t.read("orders", 95, 200).unwrap();
    assert_eq!(
        events.iter().map(|e| e.position).collect::<Vec<_>>(),
        vec![95, 96, 97, 98, 99, 100, 102]
    );
    assert_eq!(events[0].data, r#"{"n":95}"#);
    let entries = t.entries(0, 103).unwrap();
    let mut tree = merkle::MemoryTree::new();
    for e in &entries {
        tree.append(e.leaf());
    }
    let cp = t.checkpoint().unwrap();
    assert_eq!((cp.size, cp.root), (103, tree.root()));
    for (index, size) in [(0, 1), (5, 103), (102, 103), (64, 65)] {
        let proof = t.inclusion_proof(index, size).unwrap();
        let root = t.root(size).unwrap();
        assert!(merkle::verify_inclusion(
            &entries[index as usize].leaf(),
            index,
            size,
            &proof,
            &root
        ));
    }
    let proof = t.consistency_proof(40, 103).unwrap();
    assert!(merkle::verify_consistency(
        40,
        103,
        &t.root(40).unwrap(),
        &cp.root,
        &proof
    ));
    assert!(t.inclusion_proof(103, 103).is_err());
    assert!(t.inclusion_proof(0, 104).is_err());
}

#[test]
fn bad_input_is_refused_with_clear_errors() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    assert!(db.tenant("Bad Name").is_err());
    let t = db.tenant("acme").unwrap();
    let err = t.append("s", "{not json").unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    assert!(t.append("", "1").is_err());
    assert_eq!(t.size(), 0);
}

/// Large batches are encoded by several threads: the error is still the first bad entry's,
/// nothing of the batch is written, and a good batch reads back whole and in order.
#[test]
fn a_read_of_too_many_entries_says_so() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    t.append("s", "1").unwrap();
    let max = veritydb::limits::READ_EVENTS_MAX as u64;
    let err = t.entries(0, max + 1).unwrap_err();
    assert!(
        matches!(err, veritydb::error::ReadError::TooMany { requested, .. } if requested == max + 1),
        "{err}"
    );
    assert!(err.to_string().contains("read in steps"), "{err}");
}

#[test]
fn large_batches_refuse_their_first_bad_entry_and_keep_order() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    let events: Vec<String> = (0..1000).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
    let mut batch: Vec<(&str, &str)> = events.iter().map(|e| ("s", e.as_str())).collect();
    batch[700] = ("s", "{not json");
    batch[900] = ("", "1");
    let err = t.append_batch(&batch).unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    batch[700] = ("s", &events[700]);
    let err = t.append_batch(&batch).unwrap_err();
    assert!(!err.to_string().contains("not valid JSON"), "{err}");
    assert!(err.to_string().contains("invalid stream name"), "{err}");
    assert_eq!(t.size(), 0);
    batch[900] = ("s", &events[900]);
    assert_eq!(t.append_batch(&batch).unwrap(), 0..1000);
    let read = t.read("s", 0, 1000).unwrap();
    assert_eq!(read.len(), 1000);
    for (i, e) in read.iter().enumerate() {
        assert_eq!(
            (e.position, e.data.as_str()),
            (i as u64, events[i].as_str())
        );
    }
    let mut tree = merkle::MemoryTree::new();
    for e in &t.entries(0, 1000).unwrap() {
        tree.append(e.leaf());
    }
    let cp = t.checkpoint().unwrap();
    assert_eq!((cp.size, cp.root), (1000, tree.root()));
}

#[test]
fn checkpoints_are_idempotent_and_listed() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    let empty = t.checkpoint().unwrap();
    assert_eq!(empty.size, 0);
    t.append("s", "1").unwrap();
    let a = t.checkpoint().unwrap();
    let b = t.checkpoint().unwrap();
    assert_eq!(a, b);
    t.append("s", "2").unwrap();
    let c = t.checkpoint().unwrap();
    assert_eq!(t.checkpoints(0, 10).unwrap(), vec![empty, a, c.clone()]);
    assert_eq!(t.latest_checkpoint(), Some(c));
}

#[test]
fn state_survives_reopen_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (root, vkey) = {
        let db = Db::open_with(dir.path(), options()).unwrap();
        let t = db.tenant("acme").unwrap();
        t.append_batch(&[("a", "1"), ("a", "2")]).unwrap();
        let cp = t.checkpoint().unwrap();
        (cp.root, t.verifier_key())
    };
    let db = Db::open_with(dir.path(), options()).unwrap();
    let t = db.existing_tenant("acme").unwrap();
    assert_eq!(t.size(), 2);
    assert_eq!(t.latest_checkpoint().unwrap().root, root);
    assert_eq!(t.verifier_key(), vkey);
    t.append("a", "3").unwrap();
    assert_eq!(t.read("a", 0, 10).unwrap().len(), 3);
    assert!(
        Db::open_with(dir.path(), options()).is_err(),
        "a second open of the same directory must fail"
    );
}

#[test]
fn receipts_and_exports_are_produced() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    for i in 0..10 {
        t.append("s", &i.to_string()).unwrap();
        if i % 3 == 0 {
            t.checkpoint().unwrap();
        }
    }
    let receipt = t.receipt(4, &["event"]).unwrap();
    assert!(receipt.text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    assert!(receipt.text.ends_with(&receipt.checkpoint.note));
    assert!(t.receipt(4, &["nope"]).is_err());
    let mut out = Vec::new();
    let summary = t
        .export(&mut out, &ExportOptions::default(), |_, _| {})
        .unwrap();
    assert_eq!((summary.from, summary.to, summary.entries), (0, 10, 10));
    assert_eq!(summary.bytes, out.len() as u64);
    assert!(out.starts_with(&veritydb::EXPORT_MAGIC));
    let mut slice = Vec::new();
    let options = ExportOptions {
        from: 3,
        to: Some(8),
        withhold: vec!["event".into()],
    };
    let summary = t.export(&mut slice, &options, |_, _| {}).unwrap();
    assert_eq!(summary.entries, 5);
}

#[test]
fn the_node_refuses_to_sign_a_checkpoint_inconsistent_with_its_last_one() {
    let storage = MemoryStorage::new();
    let db = Db::open_storage(Arc::new(storage.clone()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    for i in 0..8 {
        t.append("s", &i.to_string()).unwrap();
    }
    let signed = t.checkpoint().unwrap();
    t.append("s", "8").unwrap();
    // Rewrite history under the node: flip a bit of the stored root of the first 8 leaves.
    let tree = storage
        .paths()
        .into_iter()
        .find(|p| p.ends_with(".tree"))
        .unwrap();
    let subtree_root = merkle::node_position(3, 0) * 32;
    storage.flip_bit(&tree, subtree_root, 0).unwrap();
    let err = t.checkpoint().unwrap_err();
    assert!(
        matches!(err, veritydb::error::CheckpointError::Inconsistent(_)),
        "{err}"
    );
    assert_eq!(t.latest_checkpoint(), Some(signed.clone()));
    storage.flip_bit(&tree, subtree_root, 0).unwrap();
    // Damage a node on entry 3's proof path: its receipt is refused rather than handed out.
    let sibling_pair = merkle::node_position(1, 0) * 32;
    storage.flip_bit(&tree, sibling_pair, 0).unwrap();
    assert!(t.receipt(3, &[]).is_err());
    storage.flip_bit(&tree, sibling_pair, 0).unwrap();
    assert!(t.receipt(3, &[]).is_ok());
    // Undamaged, signing works again and is consistent with the first checkpoint.
    let next = t.checkpoint().unwrap();
    let proof = t.consistency_proof(signed.size, next.size).unwrap();
    assert!(merkle::verify_consistency(
        signed.size,
        next.size,
        &signed.root,
        &next.root,
        &proof
    ));
}

#[test]
fn submitted_batches_keep_their_order_and_mix_with_appends() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    let events: Vec<String> = (0..300).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
    let mut pending = Vec::new();
    let mut expected = Vec::new();
    let mut next = 0u64;
    for (i, chunk) in events.chunks(30).enumerate() {
        let batch: Vec<(&str, &str)> = chunk.iter().map(|e| ("s", e.as_str())).collect();
        let positions = next..next + batch.len() as u64;
        next = positions.end;
        if i % 3 == 2 {
            // A synchronous append after submitted ones is positioned after them and is
            // durable together with them.
            assert_eq!(t.append_batch(&batch).unwrap(), positions);
            assert!(t.size() >= positions.end);
        } else {
            pending.push(t.submit_batch(&batch).unwrap());
            expected.push(positions);
        }
    }
    // A refused batch is refused at submit and leaves nothing behind.
    assert!(t.submit_batch(&[("", "1")]).is_err());
    assert!(t.submit_batch(&[("s", "{not json")]).is_err());
    for (p, positions) in pending.into_iter().zip(expected) {
        assert_eq!(p.wait().unwrap(), positions);
    }
    assert_eq!(t.submit_batch(&[]).unwrap().wait().unwrap(), 300..300);
    let read = t.read("s", 0, 300).unwrap();
    let data: Vec<&str> = read.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(data, events.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(t.size(), 300);
}

#[test]
fn tenants_submitting_from_several_threads_each_keep_their_order() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let t = db.tenant(&format!("t{w}")).unwrap();
            std::thread::spawn(move || {
                let mut pending = std::collections::VecDeque::new();
                for b in 0..50u64 {
                    let events: Vec<String> = (0..20).map(|i| (b * 20 + i).to_string()).collect();
                    let batch: Vec<(&str, &str)> =
                        events.iter().map(|e| ("s", e.as_str())).collect();
                    pending.push_back((b, t.submit_batch(&batch).unwrap()));
                    if pending.len() > 2 {
                        let (b, p) = pending.pop_front().unwrap();
                        assert_eq!(p.wait().unwrap(), b * 20..b * 20 + 20);
                    }
                }
                for (b, p) in pending {
                    assert_eq!(p.wait().unwrap(), b * 20..b * 20 + 20);
                }
                t
            })
        })
        .collect();
    for writer in writers {
        assert_reads_back_in_order(&writer.join().unwrap(), 1000);
    }
}

#[test]
fn an_empty_submitted_batch_is_positioned_after_the_pending_ones() {
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    // Ten batches queued back to back: the flusher cannot have synced them all by the time
    // the empty one is submitted, so the durable end is not where it belongs.
    let pending: Vec<_> = (0..10u64)
        .map(|b| {
            let events: Vec<String> = (b * 10..b * 10 + 10).map(|i| i.to_string()).collect();
            let batch: Vec<(&str, &str)> = events.iter().map(|e| ("s", e.as_str())).collect();
            t.submit_batch(&batch).unwrap()
        })
        .collect();
    let empty = t.submit_batch(&[]).unwrap();
    assert_eq!(empty.wait().unwrap(), 100..100);
    for (b, p) in (0..10u64).zip(pending) {
        assert_eq!(p.wait().unwrap(), b * 10..b * 10 + 10);
    }
    assert_reads_back_in_order(&t, 100);
}

#[test]
fn a_pending_batch_holds_its_database_until_it_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let pending = {
        let db = Db::open_with(dir.path(), options()).unwrap();
        let t = db.tenant("acme").unwrap();
        t.submit_batch(&[("s", "1")]).unwrap()
    };
    // The handle still holds the database, as a tenant handle would: the directory stays
    // open (refused to a second open) and the batch can be waited for...
    assert!(matches!(
        Db::open_with(dir.path(), options()),
        Err(veritydb::error::OpenError::InUse(_))
    ));
    assert_eq!(pending.wait().unwrap(), 0..1);
    // ...and once it is gone the directory is free again.
    let db = Db::open_with(dir.path(), options()).unwrap();
    assert_eq!(db.existing_tenant("acme").unwrap().size(), 1);
}

#[test]
fn a_submitted_batch_nobody_waits_for_is_flushed_before_close() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open_with(dir.path(), options()).unwrap();
        let t = db.tenant("acme").unwrap();
        for i in 0..20 {
            drop(t.submit_batch(&[("s", &format!("{i}"))]).unwrap());
        }
    }
    // The flusher is stopped and joined at close, so the directory is free again at once.
    let db = Db::open_with(dir.path(), options()).unwrap();
    assert_reads_back_in_order(&db.existing_tenant("acme").unwrap(), 20);
}

#[test]
fn a_failed_sync_fails_every_submitted_batch_it_carried_and_stops_the_log() {
    let storage = MemoryStorage::new();
    let db = Db::open_storage(Arc::new(storage.clone()), options()).unwrap();
    let t = db.tenant("acme").unwrap();
    t.append("s", "1").unwrap();
    storage.fail_syncs(1);
    let first = t.submit_batch(&[("s", "2")]);
    let second = t.submit_batch(&[("s", "3")]);
    let results: Vec<bool> = [first, second]
        .into_iter()
        .map(|p| p.and_then(|p| p.wait()).is_ok())
        .collect();
    assert_eq!(
        results,
        [false, false],
        "nothing after a failed sync is acknowledged"
    );
    let err = t.submit_batch(&[("s", "4")]).unwrap_err();
    assert!(err.to_string().contains("stopped"), "{err}");
    assert_eq!(t.size(), 1);
}
