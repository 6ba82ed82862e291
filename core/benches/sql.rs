//! SQL benchmarks, each beside SQLite (WAL, `synchronous=FULL`) on the same rows in the same
//! run, both embedded and file-backed in one temporary directory on disk:
//! - point lookup by primary key through a prepared statement (rate, p50, p99);
//! - indexed range scan returning 100 rows;
//! - single-row inserts, committed durably in atomic batches;
//! - time-travel point lookup (`AT POSITION ?`) against the current lookup.
//!
//! Run with `cargo bench -p veritydb --bench sql`. First a latency report (per-operation
//! timings with p50/p99, printed as a table), then the same operations under criterion.
//! `VERITYDB_SQL_BENCH_ROWS` sets the table size (default 100,000),
//! `VERITYDB_SQL_BENCH_INSERT_BATCHES` the number of insert batches timed (default 100).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use veritydb::sql::Value;
use veritydb::{Db, Tenant};

const LOAD_BATCH: u64 = 1000;
const INSERT_BATCH: u64 = 100;
const RANGE_ROWS: i64 = 100;

fn rows() -> u64 {
    std::env::var("VERITYDB_SQL_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Row `i`: a name, `v` a permutation of the ids (so a `v` range is spread over the table),
/// and a 100-byte payload.
fn row(i: u64, n: u64) -> (i64, String, i64, String) {
    let v = (i * 7919) % n;
    (
        i as i64,
        format!("name-{i}"),
        v as i64,
        format!("{:0>100}", i),
    )
}

struct Setup {
    _dir: tempfile::TempDir,
    db: Db,
    tenant: Tenant,
    sqlite: rusqlite::Connection,
    n: u64,
    /// A position in the middle of the load, for time travel.
    middle: u64,
}

fn setup() -> Setup {
    let n = rows();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = Db::open(dir.path().join("veritydb")).unwrap();
    let tenant = db.tenant("bench").unwrap();
    tenant
        .execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v INTEGER, payload TEXT)",
            &[],
        )
        .unwrap();
    tenant.execute("CREATE INDEX t_v ON t (v)", &[]).unwrap();
    let sqlite = rusqlite::Connection::open(dir.path().join("sqlite.db")).unwrap();
    sqlite
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v INTEGER, payload TEXT);
             CREATE INDEX t_v ON t (v);",
        )
        .unwrap();
    let mut middle = 0;
    let mut start = 0;
    while start < n {
        let end = (start + LOAD_BATCH).min(n);
        let mut sql = String::from("INSERT INTO t VALUES ");
        let mut params = Vec::new();
        for i in start..end {
            let (id, name, v, payload) = row(i, n);
            sql.push_str(if i == start {
                "(?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?)"
            });
            params.extend([Value::from(id), name.into(), v.into(), payload.into()]);
        }
        let written = tenant.execute(&sql, &params).unwrap();
        if start <= n / 2 {
            middle = written.position;
        }
        let tx = sqlite.unchecked_transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO t VALUES (?, ?, ?, ?)")
                .unwrap();
            for i in start..end {
                let (id, name, v, payload) = row(i, n);
                stmt.execute(rusqlite::params![id, name, v, payload])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        start = end;
    }
    // Later versions of the first rows, so time travel has history to skip.
    for i in 0..(n / 10) {
        let name = format!("renamed-{i}");
        tenant
            .execute(
                "UPDATE t SET name = ? WHERE id = ?",
                &[name.into(), (i as i64).into()],
            )
            .unwrap();
        if i >= 200 {
            break;
        }
    }
    Setup {
        _dir: dir,
        db,
        tenant,
        sqlite,
        n,
        middle,
    }
}

/// A deterministic sequence of ids.
struct Ids(u64, u64);

impl Iterator for Ids {
    type Item = i64;
    fn next(&mut self) -> Option<i64> {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Some(((self.0 >> 33) % self.1) as i64)
    }
}

/// Per-operation latencies of `ops` calls.
struct Latency {
    name: String,
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
}

fn latency(name: &str, ops: usize, mut op: impl FnMut(usize)) -> Latency {
    for i in 0..ops / 10 {
        op(i); // warm-up
    }
    let mut times = Vec::with_capacity(ops);
    let started = Instant::now();
    for i in 0..ops {
        let t = Instant::now();
        op(i);
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    let pick = |q: f64| {
        times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1e6
    };
    Latency {
        name: name.to_owned(),
        per_second: ops as f64 / total.as_secs_f64(),
        p50_us: pick(0.50),
        p99_us: pick(0.99),
    }
}

fn report(s: &Setup) {
    let lookups = 200_000;
    let ids: Vec<i64> = Ids(1, s.n).take(lookups).collect();
    let mut results = Vec::new();

    let get = s
        .tenant
        .prepare("SELECT name, v FROM t WHERE id = ?")
        .unwrap();
    results.push(latency("point lookup, veritydb", lookups, |i| {
        black_box(get.query(&[ids[i].into()]).unwrap());
    }));
    let mut stmt = s
        .sqlite
        .prepare("SELECT name, v FROM t WHERE id = ?")
        .unwrap();
    results.push(latency("point lookup, sqlite", lookups, |i| {
        let row: (String, i64) = stmt
            .query_row([ids[i]], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        black_box(row);
    }));

    let past = s
        .tenant
        .prepare("SELECT name, v FROM t WHERE id = ? AT POSITION ?")
        .unwrap();
    let middle = s.middle as i64;
    results.push(latency(
        "time-travel point lookup, veritydb",
        lookups,
        |i| {
            black_box(past.query(&[ids[i].into(), middle.into()]).unwrap());
        },
    ));

    let scans = 20_000;
    let starts: Vec<i64> = Ids(2, s.n - RANGE_ROWS as u64).take(scans).collect();
    let range = s
        .tenant
        .prepare("SELECT id, v FROM t WHERE v BETWEEN ? AND ?")
        .unwrap();
    results.push(latency(
        "range scan of 100 rows (index), veritydb",
        scans,
        |i| {
            let rows = range
                .query(&[starts[i].into(), (starts[i] + RANGE_ROWS - 1).into()])
                .unwrap();
            assert_eq!(rows.len(), RANGE_ROWS as usize);
        },
    ));
    let mut stmt = s
        .sqlite
        .prepare("SELECT id, v FROM t WHERE v BETWEEN ? AND ?")
        .unwrap();
    results.push(latency(
        "range scan of 100 rows (index), sqlite",
        scans,
        |i| {
            let rows: Vec<(i64, i64)> = stmt
                .query_map([starts[i], starts[i] + RANGE_ROWS - 1], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(rows.len(), RANGE_ROWS as usize);
        },
    ));

    let batches: usize = std::env::var("VERITYDB_SQL_BENCH_INSERT_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut next_id = s.n as i64 + 1_000_000;
    let insert = s
        .tenant
        .prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        .unwrap();
    let ours = latency(
        "insert batch of 100 single-row INSERTs, veritydb",
        batches,
        |_| {
            let mut batch = s.tenant.batch();
            for _ in 0..INSERT_BATCH {
                next_id += 1;
                let id = next_id;
                batch
                    .execute_prepared(&insert, &[id.into(), "n".into(), id.into(), "p".into()])
                    .unwrap();
            }
            batch.commit().unwrap();
        },
    );
    let mut next_id = s.n as i64 + 1_000_000;
    let theirs = latency(
        "insert batch of 100 single-row INSERTs, sqlite",
        batches,
        |_| {
            let tx = s.sqlite.unchecked_transaction().unwrap();
            {
                let mut stmt = tx
                    .prepare_cached("INSERT INTO t VALUES (?, ?, ?, ?)")
                    .unwrap();
                for _ in 0..INSERT_BATCH {
                    next_id += 1;
                    let id = next_id;
                    stmt.execute(rusqlite::params![id, "n", id, "p"]).unwrap();
                }
            }
            tx.commit().unwrap();
        },
    );
    let concurrent = concurrent_inserts(s);
    let event = format!("{{\"payload\":\"{}\"}}", "p".repeat(100));
    let events: Vec<(&str, &str)> = (0..INSERT_BATCH)
        .map(|_| ("bench", event.as_str()))
        .collect();
    let raw = latency(
        "log append of 100 events (no SQL), veritydb",
        batches,
        |_| {
            s.tenant.append_batch(&events).unwrap();
        },
    );
    println!(
        "\nSQL benchmark: {} rows; load average {}",
        s.n,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "{:<52} {:>12} {:>10} {:>10}",
        "operation", "ops/s", "p50 µs", "p99 µs"
    );
    for r in &results {
        println!(
            "{:<52} {:>12.0} {:>10.1} {:>10.1}",
            r.name, r.per_second, r.p50_us, r.p99_us
        );
    }
    for (name, rows_per_second) in &concurrent {
        println!("{name:<52} {:>12.0} rows/s", rows_per_second);
    }
    for r in [&ours, &theirs, &raw] {
        println!(
            "{:<52} {:>12.0} {:>10.1} {:>10.1}   ({:.0} rows/s)",
            r.name,
            r.per_second,
            r.p50_us,
            r.p99_us,
            r.per_second * INSERT_BATCH as f64
        );
    }
    println!();
}

/// Durable single-row INSERTs, each its own write, from `WRITERS` threads at once: VerityDB
/// commits concurrent writes to one tenant together (group commit); SQLite serializes its
/// writers (WAL, one connection per thread).
fn concurrent_inserts(s: &Setup) -> Vec<(String, f64)> {
    const WRITERS: i64 = 8;
    const PER_WRITER: i64 = 200;
    let base = s.n as i64 + 50_000_000;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let tenant = s.tenant.clone();
            scope.spawn(move || {
                let insert = tenant.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
                for i in 0..PER_WRITER {
                    let id = base + w * PER_WRITER + i;
                    insert
                        .execute(&[id.into(), "c".into(), id.into(), "p".into()])
                        .unwrap();
                }
            });
        }
    });
    let ours = (WRITERS * PER_WRITER) as f64 / started.elapsed().as_secs_f64();
    let path = s.sqlite.path().unwrap().to_owned();
    let base = base + 10_000_000;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let path = path.clone();
            scope.spawn(move || {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute_batch("PRAGMA synchronous=FULL;").unwrap();
                conn.busy_timeout(Duration::from_secs(30)).unwrap();
                let mut stmt = conn.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
                for i in 0..PER_WRITER {
                    let id = base + w * PER_WRITER + i;
                    stmt.execute(rusqlite::params![id, "c", id, "p"]).unwrap();
                }
            });
        }
    });
    let theirs = (WRITERS * PER_WRITER) as f64 / started.elapsed().as_secs_f64();
    vec![
        (
            "8 concurrent writers, 1 INSERT per write, veritydb".to_owned(),
            ours,
        ),
        (
            "8 concurrent writers, 1 INSERT per write, sqlite".to_owned(),
            theirs,
        ),
    ]
}

fn criterion_benches(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("sql");
    g.measurement_time(Duration::from_secs(3));
    let mut ids = Ids(3, s.n);
    let get = s
        .tenant
        .prepare("SELECT name, v FROM t WHERE id = ?")
        .unwrap();
    g.bench_function("point lookup (prepared), veritydb", |b| {
        b.iter(|| black_box(get.query(&[ids.next().unwrap().into()]).unwrap()));
    });
    let mut stmt = s
        .sqlite
        .prepare("SELECT name, v FROM t WHERE id = ?")
        .unwrap();
    g.bench_function("point lookup (prepared), sqlite", |b| {
        b.iter(|| {
            let row: (String, i64) = stmt
                .query_row([ids.next().unwrap()], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap();
            black_box(row)
        });
    });
    let past = s
        .tenant
        .prepare("SELECT name, v FROM t WHERE id = ? AT POSITION ?")
        .unwrap();
    let middle = s.middle as i64;
    g.bench_function("time-travel point lookup, veritydb", |b| {
        b.iter(|| {
            black_box(
                past.query(&[ids.next().unwrap().into(), middle.into()])
                    .unwrap(),
            )
        });
    });
    let range = s
        .tenant
        .prepare("SELECT id, v FROM t WHERE v BETWEEN ? AND ?")
        .unwrap();
    let mut starts = Ids(4, s.n - RANGE_ROWS as u64);
    g.bench_function("range scan of 100 rows, veritydb", |b| {
        b.iter(|| {
            let start = starts.next().unwrap();
            black_box(
                range
                    .query(&[start.into(), (start + RANGE_ROWS - 1).into()])
                    .unwrap(),
            )
        });
    });
    let mut stmt = s
        .sqlite
        .prepare("SELECT id, v FROM t WHERE v BETWEEN ? AND ?")
        .unwrap();
    g.bench_function("range scan of 100 rows, sqlite", |b| {
        b.iter(|| {
            let start = starts.next().unwrap();
            let rows: Vec<(i64, i64)> = stmt
                .query_map([start, start + RANGE_ROWS - 1], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            black_box(rows)
        });
    });
    g.finish();
}

fn main() {
    let setup = setup();
    report(&setup);
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &setup);
    criterion.final_summary();
    drop(setup.db);
}
