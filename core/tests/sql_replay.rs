//! Replay equals live: random SQL command sequences (tables created and dropped, indexes,
//! inserts, updates, deletes, batches, failing statements) build a projection live; then the
//! projection is rebuilt from the log, reopened from its file, and rebuilt after its file is
//! deleted, and every time it must hold exactly the same bytes and answer queries the same.
//! The crash variant kills the fault-injecting storage at a random operation, reopens a crash
//! image (torn writes, lost unsynced data) and checks that the reopened projection equals one
//! replayed from the surviving log and holds every acknowledged write.
//!
//! `VERITYDB_SQL_REPLAY_CASES` sets proptest cases (default 24); `VERITYDB_SQL_CRASH_SCHEDULES`
//! the crash schedules (default 40).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use proptest::prelude::*;
use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::sql::Value;
use veritydb::storage::{CrashOptions, MemoryStorage, Storage};
use veritydb::{Db, NodeKey, Options, Tenant};

fn options(seed: u64) -> Options {
    Options::default()
        .node_name("replay.example/node")
        .node_key(NodeKey::from_seed(&[5; 32]))
        .clock(Arc::new(SteppingClock::new(1_700_000_000_000_000, 1000)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(seed)))
        .background_checkpoints(false)
        .segment_bytes_max(64 * 1024)
}

/// A deterministic SQL statement (or a batch of two) from a kind and a seed.
fn command(kind: u8, seed: u64) -> Vec<String> {
    let first = statement(kind, seed);
    if seed.is_multiple_of(7) {
        vec![first, statement(kind.wrapping_add(1) % 10, seed / 7)]
    } else {
        vec![first]
    }
}

fn statement(kind: u8, seed: u64) -> String {
    let t = format!("t{}", seed % 3);
    let k = (seed >> 8) % 12;
    let v = (seed >> 16) % 7;
    match kind {
        0 => format!("CREATE TABLE {t} (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)"),
        1 => format!("CREATE TABLE {t} (a TEXT, b REAL)"),
        2 => format!(
            "CREATE {}INDEX {t}_i{v} ON {t} (v{})",
            if seed.is_multiple_of(5) {
                "UNIQUE "
            } else {
                ""
            },
            if seed.is_multiple_of(2) { " DESC" } else { "" }
        ),
        3 => format!("DROP TABLE {t}"),
        4 => format!(
            "INSERT INTO {t} VALUES ({k}, {v}, 's{v}'), ({}, NULL, NULL)",
            k + 20
        ),
        5 => format!("UPDATE {t} SET v = v + {v} WHERE k >= {k}"),
        6 => format!("DELETE FROM {t} WHERE v = {v} OR k = {k}"),
        7 => format!("INSERT INTO {t} VALUES ('x{k}', {v}.5)"),
        8 => format!("UPDATE {t} SET k = k + 100 WHERE k = {k}"),
        _ => format!("DROP INDEX IF EXISTS {t}_i{v}"),
    }
}

/// Runs a command; failures (constraint, unknown table...) are part of the workload.
fn run(tenant: &Tenant, statements: &[String]) -> Option<u64> {
    if let [one] = statements {
        return tenant.execute(one, &[]).ok().map(|r| r.position);
    }
    let mut batch = tenant.batch();
    for s in statements {
        batch.execute(s, &[]).ok()?;
    }
    batch.commit().ok().map(|r| r.position)
}

/// Every table's rows, in key order, as the query layer returns them.
fn answers(tenant: &Tenant) -> Vec<(String, Vec<Vec<Value>>)> {
    let mut out = Vec::new();
    for t in ["t0", "t1", "t2"] {
        match tenant.query(&format!("SELECT * FROM {t} ORDER BY 1, 2"), &[]) {
            Ok(rows) => out.push((t.to_owned(), rows.rows)),
            Err(e) => out.push((
                t.to_owned(),
                vec![vec![Value::Text(e.class().code().to_owned())]],
            )),
        }
    }
    out
}

fn cases(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases("VERITYDB_SQL_REPLAY_CASES", 24)))]

    #[test]
    fn replay_equals_live(commands in prop::collection::vec((0u8..10, any::<u64>()), 1..60)) {
        let storage = MemoryStorage::new();
        let (live_dump, live_answers) = {
            let db = Db::open_storage(Arc::new(storage.clone()), options(1)).unwrap();
            let tenant = db.tenant("replay").unwrap();
            tenant.execute("CREATE TABLE t0 (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)", &[]).unwrap();
            for (kind, seed) in &commands {
                run(&tenant, &command(*kind, *seed));
            }
            let dump = tenant.projection_dump().unwrap();
            let live = answers(&tenant);
            tenant.rebuild_projection().unwrap();
            prop_assert_eq!(&tenant.projection_dump().unwrap(), &dump, "rebuilt from the log");
            prop_assert_eq!(&answers(&tenant), &live);
            prop_assert_eq!(tenant.projection_ignored_entries().unwrap(), 0);
            (dump, live)
        };
        // Reopen: the projection file and the log tail.
        {
            let db = Db::open_storage(Arc::new(storage.clone()), options(2)).unwrap();
            let tenant = db.tenant("replay").unwrap();
            prop_assert_eq!(&tenant.projection_dump().unwrap(), &live_dump, "reopened");
            prop_assert_eq!(&answers(&tenant), &live_answers);
        }
        // Without the projection file: everything replayed from the log.
        for path in storage.paths() {
            if path.starts_with("projections/") {
                storage.remove(&path).unwrap();
            }
        }
        let db = Db::open_storage(Arc::new(storage.clone()), options(3)).unwrap();
        let tenant = db.tenant("replay").unwrap();
        prop_assert_eq!(&tenant.projection_dump().unwrap(), &live_dump, "replayed from scratch");
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// One crash schedule: returns whether the crash hit during the workload; records how many
/// entries the reopen replayed, of how many.
fn crash_schedule(seed: u64, replayed: &mut Vec<(u64, u64)>) -> bool {
    let mut rng = Rng(seed);
    let storage = MemoryStorage::new();
    let mut acknowledged = 0u64;
    {
        let options = options(seed)
            .state_interval_bytes(4096)
            .projection_sync_entries(1 + rng.next() % 16);
        let db = Db::open_storage(Arc::new(storage.clone()), options).unwrap();
        let tenant = db.tenant("crash").unwrap();
        tenant
            .execute(
                "CREATE TABLE t0 (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)",
                &[],
            )
            .unwrap();
        storage.crash_after_ops(rng.next() % 400);
        for _ in 0..80 {
            let (kind, s) = ((rng.next() % 10) as u8, rng.next());
            if let Some(position) = run(&tenant, &command(kind, s)) {
                acknowledged = acknowledged.max(position + 1);
            }
            if storage.has_crashed() {
                break;
            }
        }
    }
    let crashed = storage.has_crashed();
    let options_kind = if seed.is_multiple_of(2) {
        CrashOptions::POWER_LOSS
    } else {
        CrashOptions::PROCESS_KILL
    };
    let image = storage.crash_image(seed, options_kind);
    let db = Db::open_storage(Arc::new(image.clone()), options(seed)).unwrap();
    let tenant = db.tenant("crash").unwrap();
    assert!(
        tenant.size() >= acknowledged,
        "seed {seed}: acknowledged entries lost"
    );
    let replayed_entries = tenant.projection_replayed_at_open().unwrap();
    replayed.push((replayed_entries, tenant.size()));
    let reopened = tenant.projection_dump().unwrap();
    let reopened_answers = answers(&tenant);
    tenant.rebuild_projection().unwrap();
    assert_eq!(
        tenant.projection_dump().unwrap(),
        reopened,
        "seed {seed}: reopened projection differs from replay"
    );
    assert_eq!(answers(&tenant), reopened_answers, "seed {seed}");
    crashed
}

#[test]
fn replay_equals_live_after_crashes() {
    let schedules = cases("VERITYDB_SQL_CRASH_SCHEDULES", 40);
    let mut replayed = Vec::new();
    let crashed = (0..u64::from(schedules))
        .filter(|&seed| crash_schedule(seed, &mut replayed))
        .count();
    let tail_only = replayed.iter().filter(|(r, size)| r < size).count();
    println!(
        "{schedules} crash schedules, {crashed} crashed during the workload, {tail_only} reopened from a durable projection (replaying only the tail)"
    );
    assert!(
        tail_only > 0,
        "some reopens should start from a durable projection"
    );
    assert!(
        crashed * 2 >= schedules as usize,
        "most schedules should crash mid-workload"
    );
}

/// Events appended concurrently land between a write's plan and its append, so writes take
/// the path that re-applies at the real positions; the projection must still equal a replay.
#[test]
fn replay_equals_live_with_concurrent_appends() {
    let storage = MemoryStorage::new();
    let db = Db::open_storage(Arc::new(storage), options(11)).unwrap();
    let tenant = db.tenant("mixed").unwrap();
    tenant
        .execute(
            "CREATE TABLE t0 (k INTEGER PRIMARY KEY, v INTEGER, s TEXT)",
            &[],
        )
        .unwrap();
    let events = {
        let tenant = tenant.clone();
        std::thread::spawn(move || {
            for i in 0..400 {
                tenant.append("audit", &format!("{{\"n\":{i}}}")).unwrap();
            }
        })
    };
    for i in 0..200u64 {
        run(
            &tenant,
            &command((i % 10) as u8, i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
    }
    events.join().unwrap();
    let live = tenant.projection_dump().unwrap();
    let live_answers = answers(&tenant);
    tenant.rebuild_projection().unwrap();
    assert_eq!(tenant.projection_dump().unwrap(), live);
    assert_eq!(answers(&tenant), live_answers);
}
