//! Micro-benchmarks of the hot paths, each beside its baseline: raw SHA-256 over the same
//! bytes for the entry hashes, and the in-memory tree for proofs served from the tree file.
//! Run with `cargo bench -p veritydb --bench core`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use veritydb::entry::{self, Field};
use veritydb::merkle::{self, CompactRange, MemoryTree};
use veritydb::storage::MemoryStorage;
use veritydb::{Db, NodeKey, Options};

fn hashing(c: &mut Criterion) {
    let mut g = c.benchmark_group("hash");
    let payload = vec![b'x'; 200];
    g.throughput(Throughput::Bytes(200));
    g.bench_function("raw sha256, 200 bytes (baseline)", |b| {
        b.iter(|| Sha256::digest(black_box(&payload)));
    });
    g.bench_function("field commitment, 200-byte value", |b| {
        b.iter(|| entry::field_commitment(black_box(&[1; 32]), b"event", black_box(&payload)));
    });
    let fields = [
        Field::new("stream", "orders"),
        Field::new("event", payload.clone()),
    ];
    let header = vec![7u8; 34];
    g.bench_function("entry: salts, commitments, leaf, chain (2 fields)", |b| {
        b.iter(|| {
            let commitments = entry::field_commitments(black_box(&[3; 32]), &fields);
            let leaf = entry::leaf_hash(&header, &entry::record_commitment(&commitments));
            entry::chain_hash(&[0; 32], &leaf)
        });
    });
    // The entry core writes for one row of `bindings/python/bench/bench.py`'s table (id,
    // name, amount): the hashing every inserted row costs, whatever else the insert does.
    let row = sql_row_entry_fields();
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        "entry: salts, commitments, leaf, chain (SQL row, 6 fields)",
        |b| {
            b.iter(|| {
                let commitments = entry::field_commitments(black_box(&[3; 32]), &row);
                let leaf = entry::leaf_hash(&header, &entry::record_commitment(&commitments));
                entry::chain_hash(&[0; 32], &leaf)
            });
        },
    );
    g.finish();
}

/// The fields of the entry a real insert of one row writes (table, op, key, three columns).
fn sql_row_entry_fields() -> Vec<Field> {
    use veritydb::sql::Value;
    let db = Db::open_in_memory().unwrap();
    let t = db.tenant("bench").unwrap();
    t.execute(
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)",
        &[],
    )
    .unwrap();
    let row = [
        Value::Integer(42),
        Value::Text("patient-00000042".into()),
        Value::Real(123.45),
    ];
    let written = t
        .execute("INSERT INTO visits VALUES (?, ?, ?)", &row)
        .unwrap();
    let entries = t.entries(written.position, written.position + 1).unwrap();
    let fields = entries[0].fields().unwrap().to_vec();
    assert_eq!(fields.len(), 6, "table, op, key and three columns");
    fields
}

fn tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("append 1000 leaves to a compact range", |b| {
        b.iter_batched(
            CompactRange::new,
            |mut range| {
                let mut stored = 0usize;
                for i in 0..1000u64 {
                    range.append([i as u8; 32], |_| stored += 1);
                }
                (range.root(), stored)
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let size = 100_000u64;
    let mut memory = MemoryTree::new();
    let options = Options::default()
        .node_key(NodeKey::from_seed(&[1; 32]))
        .background_checkpoints(false);
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options).unwrap();
    let tenant = db.tenant("bench").unwrap();
    let events: Vec<String> = (0..1000).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
    for _ in 0..size / 1000 {
        tenant
            .append_batch(&events.iter().map(|e| ("s", e.as_str())).collect::<Vec<_>>())
            .unwrap();
    }
    for e in tenant.entries(0, size).unwrap() {
        memory.append(e.leaf());
    }
    let mut g = c.benchmark_group("proofs (100k-entry log)");
    g.bench_function("inclusion proof, in-memory tree (baseline)", |b| {
        b.iter(|| merkle::inclusion_proof(&memory, black_box(31_337), size).unwrap());
    });
    g.bench_function("inclusion proof from the tree file", |b| {
        b.iter(|| tenant.inclusion_proof(black_box(31_337), size).unwrap());
    });
    g.bench_function("consistency proof from the tree file", |b| {
        b.iter(|| tenant.consistency_proof(black_box(40_001), size).unwrap());
    });
    let proof = tenant.inclusion_proof(31_337, size).unwrap();
    let leaf = tenant.entries(31_337, 31_338).unwrap()[0].leaf();
    let root = memory.root();
    g.bench_function("verify an inclusion proof", |b| {
        b.iter(|| {
            assert!(merkle::verify_inclusion(
                &leaf,
                31_337,
                size,
                black_box(&proof),
                &root
            ));
        });
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
}

criterion_group! { name = benches; config = config(); targets = hashing, tree, proofs }
criterion_main!(benches);
