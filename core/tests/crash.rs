//! Crash safety under simulated faults: seeded random schedules of appends, batches,
//! checkpoints and receipts on the fault-injecting storage, crashed at a random storage
//! operation (during writes or during recovery itself), then reopened from a crash image with
//! torn writes, lost unsynced data or failed fsyncs. After every reopen:
//! - every acknowledged entry and checkpoint is present and intact;
//! - entries beyond the acknowledged ones are whole batches that were in flight, in order
//!   (nothing unacknowledged is half-present);
//! - the hash chain, the tree roots and every stored checkpoint verify.
//!
//! A third variant also submits several batches before waiting for them
//! (`Tenant::submit_batch`), so that the background flusher writes them while the next is
//! encoded.
//!
//! `VERITYDB_CRASH_SCHEDULES` sets the number of schedules (default 1000); a failing seed is
//! printed and can be rerun alone with `VERITYDB_CRASH_SEED`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

use veritydb::entry::{self, Hash};
use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::merkle::MemoryTree;
use veritydb::storage::{CrashOptions, MemoryStorage};
use veritydb::{Db, NodeKey, Options};

/// A seeded generator for schedules (not for anything secret).
struct Rng(ChaCha8Rng);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Event = (String, String);

#[derive(Default, Debug)]
struct TenantModel {
    created: bool,
    acked: Vec<Event>,
    /// Batches whose append failed: each may be present as a whole, or absent.
    in_flight: Vec<Vec<Event>>,
    checkpoints: Vec<(u64, Hash)>,
}

const TENANTS: [&str; 3] = ["alpha", "beta", "gamma"];

fn options(seed: u64, rng: &mut Rng, preallocate: bool) -> Options {
    Options::default()
        .preallocate_segments(preallocate)
        .node_name("sim.example/node")
        .node_key(NodeKey::from_seed(&[3; 32]))
        .clock(Arc::new(SteppingClock::new(1_700_000_000_000_000, 7)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(seed)))
        .background_checkpoints(false)
        .segment_bytes_max(64 * 1024)
        .state_interval_bytes(1024 + rng.below(64 * 1024))
}

fn event(rng: &mut Rng, serial: &mut u64) -> Event {
    *serial += 1;
    let pad = match rng.below(10) {
        0 => 6000,
        n => (n * 20) as usize,
    };
    (
        format!("s{}", rng.below(3)),
        format!(r#"{{"n":{},"pad":"{}"}}"#, *serial, "x".repeat(pad)),
    )
}

/// Runs random operations until the storage dies or `ops` are done.
fn workload(
    db: &Db,
    model: &mut BTreeMap<&'static str, TenantModel>,
    rng: &mut Rng,
    ops: u64,
    serial: &mut u64,
    mode: Mode,
) {
    for _ in 0..ops {
        let name = TENANTS[rng.below(3) as usize];
        let m = model.get_mut(name).unwrap();
        let tenant = match db.tenant(name) {
            Ok(t) => {
                m.created = true;
                t
            }
            Err(_) => return,
        };
        let ok = match rng.below(20) {
            0..=8 => {
                let e = event(rng, serial);
                let ok = tenant.append(&e.0, &e.1).is_ok();
                if ok {
                    m.acked.push(e);
                } else {
                    m.in_flight.push(vec![e]);
                }
                ok
            }
            9..=15 if mode.pipelined && rng.below(2) == 0 => {
                submit_batches(&tenant, m, rng, serial)
            }
            9..=15 => {
                let batch: Vec<Event> =
                    (0..1 + rng.below(20)).map(|_| event(rng, serial)).collect();
                let refs: Vec<(&str, &str)> = batch
                    .iter()
                    .map(|(s, d)| (s.as_str(), d.as_str()))
                    .collect();
                let ok = tenant.append_batch(&refs).is_ok();
                if ok {
                    m.acked.extend(batch);
                } else {
                    m.in_flight.push(batch);
                }
                ok
            }
            16..=18 => match tenant.checkpoint() {
                Ok(cp) => {
                    m.checkpoints.push((cp.size, cp.root));
                    true
                }
                Err(_) => false,
            },
            _ => {
                let size = tenant.size();
                size == 0 || tenant.receipt(rng.below(size), &["stream"]).is_ok()
            }
        };
        if !ok {
            return;
        }
    }
}

/// Submits two to four batches, then waits for each in order; returns whether all were
/// acknowledged.
fn submit_batches(
    tenant: &veritydb::Tenant,
    m: &mut TenantModel,
    rng: &mut Rng,
    serial: &mut u64,
) -> bool {
    let mut submitted = Vec::new();
    for _ in 0..2 + rng.below(3) {
        let batch: Vec<Event> = (0..1 + rng.below(20)).map(|_| event(rng, serial)).collect();
        let refs: Vec<(&str, &str)> = batch
            .iter()
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .collect();
        match tenant.submit_batch(&refs) {
            Ok(pending) => submitted.push((batch, Some(pending))),
            Err(_) => {
                submitted.push((batch, None));
                break;
            }
        }
    }
    let mut all_acked = true;
    for (batch, pending) in submitted {
        let acked = pending.is_some_and(|p| p.wait().is_ok());
        if acked {
            // A later batch cannot be durable when an earlier one was not.
            assert!(
                all_acked,
                "a batch was acknowledged after an earlier one failed"
            );
            m.acked.extend(batch);
        } else {
            all_acked = false;
            m.in_flight.push(batch);
        }
    }
    all_acked
}

/// Reopens and checks every invariant; folds surviving in-flight batches into `acked`.
fn check(db: &Db, model: &mut BTreeMap<&'static str, TenantModel>, seed: u64) {
    for (name, m) in model.iter_mut() {
        let Some(tenant) = db.existing_tenant(name) else {
            assert!(
                m.acked.is_empty() && m.checkpoints.is_empty(),
                "seed {seed}: tenant {name} with acknowledged data is gone"
            );
            continue;
        };
        let size = tenant.size();
        let entries = tenant
            .entries(0, size)
            .unwrap_or_else(|e| panic!("seed {seed}: reading {name}: {e}"));
        let found: Vec<Event> = entries
            .iter()
            .map(|e| {
                let field = |n| String::from_utf8(e.field(n).unwrap().to_vec()).unwrap();
                (field("stream"), field("event"))
            })
            .collect();
        assert!(
            found.len() >= m.acked.len(),
            "seed {seed}: {name} lost acknowledged entries: {} < {}",
            found.len(),
            m.acked.len()
        );
        assert_eq!(
            &found[..m.acked.len()],
            &m.acked[..],
            "seed {seed}: {name} acknowledged entries changed"
        );
        let mut extra = &found[m.acked.len()..];
        for batch in &m.in_flight {
            if extra.is_empty() {
                break;
            }
            assert!(
                extra.len() >= batch.len() && extra[..batch.len()] == batch[..],
                "seed {seed}: {name} has part of an unacknowledged batch"
            );
            extra = &extra[batch.len()..];
        }
        assert!(
            extra.is_empty(),
            "seed {seed}: {name} has entries nobody wrote"
        );
        m.acked = found;
        m.in_flight.clear();

        let mut chain = entry::CHAIN_GENESIS;
        let mut tree = MemoryTree::new();
        let mut roots = vec![tree.root()];
        let mut last_ts = 0;
        for e in &entries {
            let leaf = e.leaf();
            chain = entry::chain_hash(&chain, &leaf);
            assert_eq!(
                chain, e.chain,
                "seed {seed}: {name} chain broken at {}",
                e.header.position
            );
            assert!(
                e.header.timestamp_us >= last_ts,
                "seed {seed}: timestamps went back"
            );
            last_ts = e.header.timestamp_us;
            tree.append(leaf);
            roots.push(tree.root());
        }
        assert_eq!(
            tenant.root(size).unwrap(),
            tree.root(),
            "seed {seed}: {name} tree root"
        );
        let stored = tenant.checkpoints(0, u64::MAX).unwrap();
        for cp in &stored {
            assert_eq!(
                cp.root, roots[cp.size as usize],
                "seed {seed}: {name} checkpoint at {} disagrees",
                cp.size
            );
        }
        for (size, root) in &m.checkpoints {
            assert!(
                stored.iter().any(|cp| cp.size == *size && cp.root == *root),
                "seed {seed}: acknowledged checkpoint {size} lost"
            );
        }
        assert_eq!(tenant.latest_checkpoint(), stored.last().cloned());
        m.checkpoints = stored.iter().map(|cp| (cp.size, cp.root)).collect();
    }
}

#[derive(Clone, Copy)]
struct Mode {
    /// The next segment is prepared by a background thread.
    preallocate: bool,
    /// Some batches are submitted ahead and flushed by the background flusher.
    pipelined: bool,
}

const PLAIN: Mode = Mode {
    preallocate: false,
    pipelined: false,
};

fn run_schedule(seed: u64, mode: Mode) {
    let preallocate = mode.preallocate;
    let mut rng = Rng::seeded(seed);
    let mut model: BTreeMap<&'static str, TenantModel> = TENANTS
        .iter()
        .map(|&t| (t, TenantModel::default()))
        .collect();
    let mut storage = MemoryStorage::new();
    let mut serial = 0;
    let cycles = 1 + rng.below(3);
    for cycle in 0..cycles {
        let db = loop {
            // Sometimes crash recovery itself.
            if cycle > 0 && rng.below(4) == 0 {
                storage.crash_after_ops(rng.below(40));
            }
            match Db::open_storage(
                Arc::new(storage.clone()),
                options(seed, &mut rng, preallocate),
            ) {
                Ok(db) => {
                    // The crash was meant for recovery: if it did not hit by the end of the
                    // open, disarm it (a background preparer must not spend it later).
                    storage.crash_after_ops(u64::MAX);
                    if !storage.has_crashed() {
                        break db;
                    }
                    drop(db);
                    storage = storage.crash_image(rng.next(), CrashOptions::POWER_LOSS);
                }
                Err(e) => {
                    assert!(
                        storage.has_crashed(),
                        "seed {seed}: open failed without a crash: {e}"
                    );
                    storage = storage.crash_image(rng.next(), CrashOptions::POWER_LOSS);
                }
            }
        };
        if cycle > 0 {
            check(&db, &mut model, seed);
        }
        match rng.below(4) {
            0 => storage.fail_syncs(1 + rng.below(2) as u32),
            _ => storage.crash_after_ops(rng.below(400)),
        }
        workload(&db, &mut model, &mut rng, 60, &mut serial, mode);
        let crash = match rng.below(3) {
            0 => CrashOptions::PROCESS_KILL,
            1 => CrashOptions {
                lose_unsynced: true,
                torn_writes: false,
                garbage: false,
            },
            _ => CrashOptions::POWER_LOSS,
        };
        let image = storage.crash_image(rng.next(), crash);
        storage.crash_after_ops(0);
        drop(db);
        storage = image;
    }
    let db = Db::open_storage(
        Arc::new(storage.clone()),
        options(seed, &mut rng, preallocate),
    )
    .unwrap_or_else(|e| panic!("seed {seed}: final open failed: {e}"));
    check(&db, &mut model, seed);
    // The node keeps signing consistent checkpoints after all of that.
    for name in TENANTS {
        if let Some(t) = db.existing_tenant(name) {
            t.append("after", "{}").unwrap();
            let cp = t.checkpoint().unwrap();
            assert_eq!(cp.size, t.size());
        }
    }
}

#[test]
fn acknowledged_writes_survive_random_crashes() {
    if let Ok(seed) = std::env::var("VERITYDB_CRASH_SEED") {
        run_schedule(seed.parse().unwrap(), PLAIN);
        return;
    }
    let schedules: u64 = std::env::var("VERITYDB_CRASH_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for seed in 0..schedules {
        run_schedule(seed, PLAIN);
    }
}

/// The same with the next segment prepared by a background thread: its storage calls land at
/// moments the seed does not fix, so a failing seed may not replay exactly, but every run
/// checks the same invariants.
#[test]
fn acknowledged_writes_survive_random_crashes_with_prepared_segments() {
    let schedules: u64 = std::env::var("VERITYDB_CRASH_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
        / 4;
    for seed in 0..schedules {
        let mode = Mode {
            preallocate: true,
            ..PLAIN
        };
        run_schedule(1_000_000 + seed, mode);
    }
}

/// The same with batches submitted ahead: the flusher thread's storage calls, too, land at
/// moments the seed does not fix.
#[test]
fn acknowledged_writes_survive_random_crashes_with_submitted_batches() {
    let schedules: u64 = std::env::var("VERITYDB_CRASH_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
        / 4;
    for seed in 0..schedules {
        let mode = Mode {
            pipelined: true,
            ..PLAIN
        };
        run_schedule(2_000_000 + seed, mode);
    }
}
