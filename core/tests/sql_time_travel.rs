//! Time travel against a model: a seeded workload of inserts, updates, deletes and batches on
//! two tables (one with a secondary index, one keyed by hidden row ids) records the expected
//! table contents after every write; then, for every past position and every write's
//! timestamp (and the microsecond before it), queries as of that point must return exactly
//! the model's contents — scans, primary-key lookups (prepared, with `AT POSITION ?`) and
//! index predicates — before and after the database is reopened. (A position strictly inside
//! a multi-entry write shows that write partly applied, by definition; the model skips those.)
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::sql::{At, ErrorClass, Value};
use veritydb::storage::MemoryStorage;
use veritydb::{Db, NodeKey, Options, Tenant};

type Table = BTreeMap<i64, (i64, String)>;

/// The model after one write: its position, timestamp and the table's rows.
struct Version {
    position: u64,
    timestamp_us: u64,
    rows: Table,
}

fn options() -> Options {
    Options::default()
        .node_name("travel.example/node")
        .node_key(NodeKey::from_seed(&[9; 32]))
        .clock(Arc::new(SteppingClock::new(1_750_000_000_000_000, 250)))
        .salts(Arc::new(SeededSalts::insecure_from_seed(7)))
        .background_checkpoints(false)
}

fn rows_of(rows: &Table) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|(k, (v, s))| {
            vec![
                Value::Integer(*k),
                Value::Integer(*v),
                Value::Text(s.clone()),
            ]
        })
        .collect()
}

/// The versions after each write, and the positions strictly inside multi-entry writes.
fn workload(tenant: &Tenant) -> (Vec<Version>, Vec<u64>) {
    let mut inside = Vec::new();
    let mut rows = Table::new();
    let mut versions = Vec::new();
    let created = tenant
        .execute(
            "CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT NOT NULL)",
            &[],
        )
        .unwrap();
    tenant.execute("CREATE INDEX kv_v ON kv (v)", &[]).unwrap();
    tenant.execute("CREATE TABLE log (note TEXT)", &[]).unwrap();
    let mut record = |tenant: &Tenant, position: u64, rows: &Table| {
        let entry = tenant.entries(position, position + 1).unwrap();
        versions.push(Version {
            position,
            timestamp_us: entry[0].header.timestamp_us,
            rows: rows.clone(),
        });
    };
    record(tenant, created.position, &rows);
    let mut state = 17u64;
    for step in 0..120i64 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let k = (state >> 33) as i64 % 15;
        let v = (state >> 45) as i64 % 5;
        let result = match state % 4 {
            0 | 1 => {
                let r = tenant.execute(
                    "INSERT INTO kv VALUES (?, ?, ?)",
                    &[k.into(), v.into(), format!("s{step}").into()],
                );
                if r.is_ok() {
                    rows.insert(k, (v, format!("s{step}")));
                }
                r
            }
            2 => {
                let r = tenant.execute(
                    "UPDATE kv SET v = ?, s = ? WHERE k = ?",
                    &[v.into(), format!("u{step}").into(), k.into()],
                );
                if let Some(row) = rows.get_mut(&k) {
                    *row = (v, format!("u{step}"));
                }
                r
            }
            _ => {
                let mut batch = tenant.batch();
                batch
                    .execute("DELETE FROM kv WHERE v = ?", &[v.into()])
                    .unwrap();
                batch
                    .execute(
                        "INSERT INTO log VALUES (?)",
                        &[format!("deleted v={v}").into()],
                    )
                    .unwrap();
                rows.retain(|_, (rv, _)| *rv != v);
                batch.commit()
            }
        };
        if let Ok(r) = result {
            // Entries strictly inside a multi-entry write show it partly applied.
            inside.extend(r.position + 1 - r.rows_affected.max(1)..r.position);
            record(tenant, r.position, &rows);
        }
    }
    (versions, inside)
}

/// The model as of `position`: the last version written at or before it.
fn model_at(versions: &[Version], position: u64) -> &Table {
    &versions
        .iter()
        .rev()
        .find(|v| v.position <= position)
        .unwrap()
        .rows
}

fn check(tenant: &Tenant, versions: &[Version], inside: &[u64]) -> u64 {
    let first = versions[0].position;
    let last = tenant.size() - 1;
    let scan = tenant.prepare("SELECT * FROM kv ORDER BY k").unwrap();
    let point = tenant
        .prepare("SELECT k, v, s FROM kv WHERE k = ? AT POSITION ?")
        .unwrap();
    let by_v = tenant
        .prepare("SELECT * FROM kv WHERE v = ? ORDER BY k")
        .unwrap();
    let mut checks = 0;
    for position in first..=last {
        if inside.contains(&position) {
            continue;
        }
        let model = model_at(versions, position);
        let rows = scan.query_at(&[], At::Position(position)).unwrap();
        assert_eq!(rows.rows, rows_of(model), "scan at position {position}");
        for k in [0i64, 3, 7, 14] {
            let got = point.query(&[k.into(), (position as i64).into()]).unwrap();
            let want: Table = model
                .iter()
                .filter(|(mk, _)| **mk == k)
                .map(|(a, b)| (*a, b.clone()))
                .collect();
            assert_eq!(got.rows, rows_of(&want), "k = {k} at position {position}");
        }
        let v = (position % 5) as i64;
        let got = by_v.query_at(&[v.into()], At::Position(position)).unwrap();
        let want: Table = model
            .iter()
            .filter(|(_, (mv, _))| *mv == v)
            .map(|(a, b)| (*a, b.clone()))
            .collect();
        assert_eq!(got.rows, rows_of(&want), "v = {v} at position {position}");
        checks += 6;
    }
    for version in versions {
        let rows = scan
            .query_at(&[], At::Timestamp(version.timestamp_us))
            .unwrap();
        let expected = &versions
            .iter()
            .rev()
            .find(|w| w.timestamp_us <= version.timestamp_us)
            .unwrap()
            .rows;
        assert_eq!(
            rows.rows,
            rows_of(expected),
            "as of timestamp {}",
            version.timestamp_us
        );
        let sql = format!(
            "SELECT * FROM kv ORDER BY k AS OF TIMESTAMP '{}'",
            veritydb::sql::format_timestamp(version.timestamp_us as i64)
        );
        assert_eq!(
            tenant.query(&sql, &[]).unwrap().rows,
            rows_of(expected),
            "{sql}"
        );
        checks += 2;
    }
    let before = versions[0].timestamp_us - 1;
    let e = scan.query_at(&[], At::Timestamp(before)).unwrap_err();
    assert_eq!(
        e.class(),
        ErrorClass::Invalid,
        "no table before it was created: {e}"
    );
    let e = scan.query_at(&[], At::Position(last + 1)).unwrap_err();
    assert_eq!(e.class(), ErrorClass::OutOfRange);
    checks
}

#[test]
fn time_travel_matches_the_model_before_and_after_reopen() {
    let storage = MemoryStorage::new();
    let (versions, inside) = {
        let db = Db::open_storage(Arc::new(storage.clone()), options()).unwrap();
        let tenant = db.tenant("travel").unwrap();
        let (versions, inside) = workload(&tenant);
        assert!(versions.len() > 60, "the workload should mostly succeed");
        check(&tenant, &versions, &inside);
        (versions, inside)
    };
    let db = Db::open_storage(Arc::new(storage), options()).unwrap();
    let tenant = db.tenant("travel").unwrap();
    let checks = check(&tenant, &versions, &inside);
    println!(
        "{} versions, {checks} time-travel queries checked after reopen",
        versions.len()
    );
}

#[test]
fn dropped_tables_are_visible_in_the_past() {
    let db = Db::open_in_memory().unwrap();
    let t = db.tenant("drop").unwrap();
    t.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT)", &[])
        .unwrap();
    let written = t.execute("INSERT INTO a VALUES (1, 'old')", &[]).unwrap();
    t.execute("DROP TABLE a", &[]).unwrap();
    t.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, y INTEGER)", &[])
        .unwrap();
    t.execute("INSERT INTO a VALUES (2, 5)", &[]).unwrap();
    let past = t
        .query_at("SELECT * FROM a", &[], At::Position(written.position))
        .unwrap();
    assert_eq!(past.column_names(), vec!["id", "x"]);
    assert_eq!(past.rows, vec![vec![Value::Integer(1), Value::from("old")]]);
    let now = t.query("SELECT * FROM a", &[]).unwrap();
    assert_eq!(now.column_names(), vec!["id", "y"]);
    assert_eq!(now.rows, vec![vec![Value::Integer(2), Value::Integer(5)]]);
}
