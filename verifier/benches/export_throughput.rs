//! Export verification throughput (MB/s and entries/s), next to plain SHA-256 over the same
//! bytes in the same run.
//!
//! The exports are generated here from the spec by the test writer (`tests/common`): real
//! Ed25519-signed checkpoints, real commitments, leaves, chain and roots, every field disclosed.
//! Run: `CARGO_TARGET_DIR=... cargo bench -p veritydb-verify --bench export_throughput`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Log, Signer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use veritydb_verify::{TrustedKeys, verify_export};

const NODE: &str = "bench.example.com/node1";
const ORIGIN: &str = "bench.example.com/node1/acme";

/// A log of `count` entries whose fields (`stream`, `event`) hold `payload_bytes` name and
/// value bytes in all, with a checkpoint every `checkpoint_every` entries and at the end.
fn export(count: u64, payload_bytes: usize, checkpoint_every: u64, signer: &Signer) -> Vec<u8> {
    let mut log = Log::new(NODE, "acme");
    let fixed = "stream".len() + "orders".len() + "event".len();
    for position in 0..count {
        let mut event = format!("{{\"n\":{position},\"data\":\"");
        let filler = payload_bytes.saturating_sub(fixed + event.len() + 2);
        event.extend(std::iter::repeat_n('x', filler));
        event.push_str("\"}");
        log.append(vec![
            ("stream".into(), b"orders".to_vec()),
            ("event".into(), event.into_bytes()),
        ]);
    }
    let mut sizes: Vec<u64> = (1..=count / checkpoint_every)
        .map(|i| i * checkpoint_every)
        .collect();
    if sizes.last() != Some(&count) {
        sizes.push(count);
    }
    log.export(0, count, &sizes, signer)
}

fn bench_export(c: &mut Criterion, name: &str, count: u64, payload_bytes: usize) {
    let signer = Signer::new(ORIGIN, 1);
    let keys = TrustedKeys::parse([signer.vkey()]).expect("the bench vkey is valid");
    let bytes = export(count, payload_bytes, 10_000, &signer);
    let report = verify_export(&bytes, &keys);
    assert!(
        report.ok,
        "the bench export must verify: {}",
        report.message
    );
    assert_eq!(report.entries, count);
    eprintln!(
        "{name}: {count} entries, {} bytes, {} checkpoints",
        bytes.len(),
        report.checkpoints
    );

    let mut group = c.benchmark_group(format!("{name}/bytes"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("verify_export", |b| {
        b.iter(|| verify_export(black_box(&bytes), &keys));
    });
    group.bench_function("sha256_only", |b| {
        b.iter(|| Sha256::digest(black_box(&bytes)));
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}/entries"));
    group.throughput(Throughput::Elements(count));
    group.bench_function("verify_export", |b| {
        b.iter(|| verify_export(black_box(&bytes), &keys));
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_export(c, "100k_entries_200B", 100_000, 200);
    bench_export(c, "20k_entries_1KiB", 20_000, 1024);
}

criterion_group! {
    name = export_throughput;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(10));
    targets = benches
}
criterion_main!(export_throughput);
