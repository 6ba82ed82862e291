//! Group commit: many threads writing to one tenant at once (inserts, some refused for
//! duplicate keys, batches with version preconditions that may conflict) share log batches.
//! Every acknowledged write is in the projection at the position it was told, every refused
//! one left nothing, the projection equals a replay of the log, and writes did share batches
//! (fewer distinct batch timestamps than writes).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};

use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::sql::{ErrorClass, Value};
use veritydb::storage::MemoryStorage;
use veritydb::{Db, NodeKey, Options};

const THREADS: i64 = 8;
const WRITES: i64 = 40;

#[test]
fn concurrent_writers_share_batches_and_keep_every_rule() {
    let options = Options::default()
        .node_name("group.example/node")
        .node_key(NodeKey::from_seed(&[4; 32]))
        .clock(Arc::new(SteppingClock::new(1_800_000_000_000_000, 1)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(4)))
        .background_checkpoints(false);
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options).unwrap();
    let tenant = db.tenant("group").unwrap();
    tenant
        .execute(
            "CREATE TABLE t (k INTEGER PRIMARY KEY, writer INTEGER, n INTEGER)",
            &[],
        )
        .unwrap();
    tenant
        .execute("INSERT INTO t VALUES (-1, -1, 0)", &[])
        .unwrap();
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|writer| {
            let (tenant, barrier) = (tenant.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let mut acked = Vec::new();
                for i in 0..WRITES {
                    // Keys collide across writers on purpose: one wins, the others are refused.
                    let k = (i * THREADS + writer) / 2;
                    match tenant.execute(
                        "INSERT INTO t VALUES (?, ?, ?)",
                        &[k.into(), writer.into(), i.into()],
                    ) {
                        Ok(r) => acked.push((k, writer, r.position)),
                        Err(e) => assert_eq!(e.class(), ErrorClass::Constraint, "{e}"),
                    }
                    // A read-modify-write of the shared counter row, with its version.
                    let rows = tenant.query("SELECT n FROM t WHERE k = -1", &[]).unwrap();
                    let (Value::Integer(n), version) = (rows.rows[0][0].clone(), rows.versions[0])
                    else {
                        panic!("counter is an integer")
                    };
                    let mut batch = tenant.batch();
                    batch
                        .execute("UPDATE t SET n = ? WHERE k = -1", &[(n + 1).into()])
                        .unwrap();
                    batch.expect_version("t", &[(-1).into()], Some(version));
                    if let Err(e) = batch.commit() {
                        assert_eq!(e.class(), ErrorClass::Conflict, "{e}");
                    }
                }
                acked
            })
        })
        .collect();
    let acked: Vec<(i64, i64, u64)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let rows = tenant
        .query("SELECT k, writer FROM t WHERE k >= 0 ORDER BY k", &[])
        .unwrap();
    let stored: BTreeMap<i64, i64> = rows
        .rows
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (Value::Integer(k), Value::Integer(w)) => (*k, *w),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        stored.len(),
        acked.len(),
        "each acknowledged insert is one row, refused ones none"
    );
    for (k, writer, position) in &acked {
        assert_eq!(stored.get(k), Some(writer), "key {k}");
        let entry = tenant.entries(*position, position + 1).unwrap();
        assert_eq!(
            entry[0].field("c.k").unwrap()[1..],
            k.to_be_bytes(),
            "position {position}"
        );
    }
    // The counter: every successful update added exactly one (no lost update).
    let n = tenant
        .query("SELECT n FROM t WHERE k = -1", &[])
        .unwrap()
        .rows[0][0]
        .clone();
    let updates = (0..tenant.size())
        .filter(|&p| {
            let e = &tenant.entries(p, p + 1).unwrap()[0];
            e.field("op") == Some(b"update".as_slice())
        })
        .count();
    assert_eq!(n, Value::Integer(updates as i64));
    let timestamps: BTreeSet<u64> = acked
        .iter()
        .map(|(_, _, p)| tenant.entries(*p, p + 1).unwrap()[0].header.timestamp_us)
        .collect();
    println!(
        "{} acknowledged inserts in {} log batches",
        acked.len(),
        timestamps.len()
    );
    assert!(
        timestamps.len() < acked.len(),
        "concurrent writes should share batches"
    );
    let live = tenant.projection_dump().unwrap();
    tenant.rebuild_projection().unwrap();
    assert_eq!(tenant.projection_dump().unwrap(), live);
}
