//! The embedded SQL API end to end: writes, queries, prepared statements, batches with
//! optimistic concurrency, read-your-writes, NULL semantics, and persistence across reopen.
#![allow(clippy::unwrap_used)]

use veritydb::sql::{At, ErrorClass, Value};
use veritydb::{Db, Tenant};

fn tenant() -> (Db, Tenant) {
    let db = Db::open_in_memory().unwrap();
    let t = db.tenant("clinic").unwrap();
    (db, t)
}

fn ints(rows: &veritydb::Rows) -> Vec<Vec<i64>> {
    rows.rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Integer(i) => *i,
                    other => panic!("not an integer: {other:?}"),
                })
                .collect()
        })
        .collect()
}

#[test]
fn create_insert_select_update_delete() {
    let (_db, t) = tenant();
    t.execute(
        "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)",
        &[],
    )
    .unwrap();
    let r = t
        .execute(
            "INSERT INTO patients VALUES (1, 'ann', 30), (2, 'bob', NULL), (3, 'cy', 50)",
            &[],
        )
        .unwrap();
    assert_eq!(r.rows_affected, 3);
    let rows = t
        .query(
            "SELECT id FROM patients WHERE age > ? ORDER BY id DESC",
            &[25.into()],
        )
        .unwrap();
    assert_eq!(ints(&rows), vec![vec![3], vec![1]]);
    assert_eq!(rows.column_names(), vec!["id"]);
    let r = t
        .execute("UPDATE patients SET age = age + 1 WHERE id IN (1, 2)", &[])
        .unwrap();
    assert_eq!(r.rows_affected, 2);
    let rows = t
        .query("SELECT age FROM patients WHERE id = 1", &[])
        .unwrap();
    assert_eq!(ints(&rows), vec![vec![31]]);
    let rows = t
        .query("SELECT COUNT(*) FROM patients WHERE age IS NULL", &[])
        .unwrap();
    assert_eq!(ints(&rows), vec![vec![1]]);
    t.execute("DELETE FROM patients WHERE age >= 31", &[])
        .unwrap();
    let rows = t.query("SELECT id FROM patients ORDER BY 1", &[]).unwrap();
    assert_eq!(ints(&rows), vec![vec![2]]);
}

#[test]
fn constraints_and_errors_have_classes() {
    let (_db, t) = tenant();
    t.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    t.execute("INSERT INTO t VALUES (1, 'a')", &[]).unwrap();
    let e = t.execute("INSERT INTO t VALUES (1, 'b')", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Constraint, "{e}");
    let e = t
        .execute("INSERT INTO t VALUES (2, NULL)", &[])
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Constraint, "{e}");
    let e = t
        .execute("INSERT INTO t VALUES (2, 'x'), (2, 'y')", &[])
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Constraint, "{e}");
    assert_eq!(
        t.query("SELECT COUNT(*) FROM t", &[]).unwrap().rows[0][0],
        Value::Integer(1)
    );
    let e = t.query("SELECT * FROM t JOIN u", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Unsupported, "{e}");
    let e = t.query("SELECT nope FROM t", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Invalid, "{e}");
}

#[test]
fn batches_are_atomic_and_check_versions() {
    let (_db, t) = tenant();
    t.execute(
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)",
        &[],
    )
    .unwrap();
    t.execute("INSERT INTO acct VALUES (1, 100), (2, 0)", &[])
        .unwrap();
    let rows = t
        .query("SELECT balance FROM acct WHERE id = 1", &[])
        .unwrap();
    let version = rows.versions[0];
    let mut batch = t.batch();
    batch
        .execute("UPDATE acct SET balance = balance - 10 WHERE id = 1", &[])
        .unwrap();
    batch
        .execute("UPDATE acct SET balance = balance + 10 WHERE id = 2", &[])
        .unwrap();
    batch.expect_version("acct", &[1.into()], Some(version));
    let r = batch.commit().unwrap();
    assert_eq!(r.rows_affected, 2);
    // The same precondition now fails: the row changed.
    let mut batch = t.batch();
    batch
        .execute("UPDATE acct SET balance = 0 WHERE id = 2", &[])
        .unwrap();
    batch.expect_version("acct", &[1.into()], Some(version));
    let e = batch.commit().unwrap_err();
    assert_eq!(e.class(), ErrorClass::Conflict, "{e}");
    // A key with more values than the table's key has columns is refused, not cut short.
    let mut batch = t.batch();
    batch
        .execute("UPDATE acct SET balance = 0 WHERE id = 2", &[])
        .unwrap();
    batch.expect_version("acct", &[1.into(), 99.into()], Some(rows.versions[0]));
    let e = batch.commit().unwrap_err();
    assert_eq!(e.class(), ErrorClass::Invalid, "{e}");
    let rows = t
        .query("SELECT id, balance FROM acct ORDER BY id", &[])
        .unwrap();
    assert_eq!(ints(&rows), vec![vec![1, 90], vec![2, 10]]);
    // A failing statement aborts the whole batch.
    let mut batch = t.batch();
    batch
        .execute("INSERT INTO acct VALUES (3, 5)", &[])
        .unwrap();
    batch
        .execute("INSERT INTO acct VALUES (1, 5)", &[])
        .unwrap();
    assert_eq!(batch.commit().unwrap_err().class(), ErrorClass::Constraint);
    assert_eq!(
        t.query("SELECT COUNT(*) FROM acct", &[]).unwrap().rows[0][0],
        Value::Integer(2)
    );
}

#[test]
fn prepared_statements_and_time_travel() {
    let (_db, t) = tenant();
    t.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)", &[])
        .unwrap();
    let insert = t.prepare("INSERT INTO kv VALUES (?, ?)").unwrap();
    let first = insert.execute(&["a".into(), 1.into()]).unwrap();
    let update = t.prepare("UPDATE kv SET v = $2 WHERE k = $1").unwrap();
    let second = update.execute(&["a".into(), 2.into()]).unwrap();
    let get = t.prepare("SELECT v FROM kv WHERE k = ?").unwrap();
    assert_eq!(
        get.query(&["a".into()]).unwrap().rows,
        vec![vec![Value::Integer(2)]]
    );
    let old = get
        .query_at(&["a".into()], At::Position(first.position))
        .unwrap();
    assert_eq!(old.rows, vec![vec![Value::Integer(1)]]);
    let sql = format!(
        "SELECT v FROM kv WHERE k = 'a' AT POSITION {}",
        second.position
    );
    assert_eq!(
        t.query(&sql, &[]).unwrap().rows,
        vec![vec![Value::Integer(2)]]
    );
    let before = t
        .query_at(
            "SELECT COUNT(*) FROM kv",
            &[],
            At::Position(first.position - 1),
        )
        .unwrap();
    assert_eq!(before.rows, vec![vec![Value::Integer(0)]]);
    let e = t
        .query_at("SELECT v FROM kv", &[], At::Position(second.position + 100))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::OutOfRange);
    let at_1970 = t
        .query(
            "SELECT COUNT(*) FROM kv AS OF TIMESTAMP '1970-01-01T00:00:00Z'",
            &[],
        )
        .unwrap_err();
    assert_eq!(
        at_1970.class(),
        ErrorClass::Invalid,
        "no table before any write"
    );
}

#[test]
fn projection_survives_reopen_and_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path()).unwrap();
        let t = db.tenant("a").unwrap();
        t.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[])
            .unwrap();
        t.execute("CREATE INDEX t_v ON t (v)", &[]).unwrap();
        for i in 0..50 {
            t.execute(
                "INSERT INTO t VALUES (?, ?)",
                &[i.into(), format!("v{}", i % 7).into()],
            )
            .unwrap();
        }
    }
    let db = Db::open(dir.path()).unwrap();
    let t = db.tenant("a").unwrap();
    assert_eq!(
        t.projection_replayed_at_open().unwrap(),
        0,
        "a clean close replays nothing"
    );
    let rows = t
        .query("SELECT COUNT(*) FROM t WHERE v = 'v3'", &[])
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(7)]]);
    let live = t.projection_dump().unwrap();
    t.rebuild_projection().unwrap();
    assert_eq!(t.projection_dump().unwrap(), live);
    assert_eq!(t.projection_ignored_entries().unwrap(), 0);
}

#[test]
fn index_scans_return_large_and_small_rows_alike() {
    let (_db, t) = tenant();
    t.execute(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, tag INTEGER, body TEXT)",
        &[],
    )
    .unwrap();
    t.execute("CREATE INDEX docs_tag ON docs (tag DESC)", &[])
        .unwrap();
    for i in 0..20i64 {
        // Rows above the inline limit are fetched from the table, the others read from the index.
        let body = "b".repeat(if i % 2 == 0 { 2000 } else { 10 });
        t.execute(
            "INSERT INTO docs VALUES (?, ?, ?)",
            &[i.into(), (i % 4).into(), body.into()],
        )
        .unwrap();
    }
    t.execute("UPDATE docs SET body = 'short' WHERE id = 2", &[])
        .unwrap();
    let rows = t
        .query("SELECT id, body FROM docs WHERE tag = 2 ORDER BY id", &[])
        .unwrap();
    let ids: Vec<&Value> = rows.rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        ids,
        [2, 6, 10, 14, 18]
            .map(Value::Integer)
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(rows.rows[0][1], Value::from("short"));
    assert_eq!(rows.rows[1][1], Value::Text("b".repeat(2000)));
    let rows = t
        .query("SELECT COUNT(*) FROM docs WHERE tag BETWEEN 1 AND 2", &[])
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(10)]]);
}

/// A row entry written by hand from `docs/spec/entry.md` §5.2 (not through SQL) is applied by
/// `read_at_least`; an entry that breaks a rule is ignored and counted.
#[test]
fn row_entries_written_from_the_spec_apply() {
    use veritydb::{Field, Kind, NewEntry};
    let (_db, t) = tenant();
    t.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)", &[])
        .unwrap();
    let int = |v: i64| [&[1u8][..], &v.to_be_bytes()].concat();
    let text = |s: &str| [&[3u8][..], s.as_bytes()].concat();
    let key = [&(9u32).to_be_bytes()[..], &int(7)].concat();
    let entry = |table: &str| NewEntry {
        kind: Kind::Row,
        actor: "importer".into(),
        fields: vec![
            Field::new("table", table),
            Field::new("op", "insert"),
            Field::new("key", key.clone()),
            Field::new("c.k", int(7)),
            Field::new("c.v", text("seven")),
        ],
    };
    let positions = t.append_entries(&[entry("kv"), entry("nope")]).unwrap();
    t.read_at_least(positions.end - 1).unwrap();
    let rows = t.query("SELECT k, v FROM kv", &[]).unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![Value::Integer(7), Value::from("seven")]]
    );
    assert_eq!(rows.versions, vec![positions.start]);
    assert_eq!(t.projection_ignored_entries().unwrap(), 1);
    let sql = format!("SELECT COUNT(*) FROM kv AT POSITION {}", positions.start);
    assert_eq!(
        t.query(&sql, &[]).unwrap().rows,
        vec![vec![Value::Integer(1)]]
    );
    let e = t.read_at_least(positions.end + 5).unwrap_err();
    assert_eq!(e.class(), ErrorClass::OutOfRange);
}

/// Readers running while a writer commits batches see whole batches only, and never go back.
#[test]
fn readers_see_whole_batches() {
    let (_db, t) = tenant();
    t.execute("CREATE TABLE n (id INTEGER PRIMARY KEY)", &[])
        .unwrap();
    // The reader counts once before any write, then keeps counting while the batches land,
    // until it sees them all (at most `QUERIES_MAX` queries).
    const QUERIES_MAX: u32 = 10_000_000;
    let started = std::sync::Arc::new(std::sync::Barrier::new(2));
    let reader = {
        let (t, started) = (t.clone(), std::sync::Arc::clone(&started));
        std::thread::spawn(move || {
            let count = t.prepare("SELECT COUNT(*) FROM n").unwrap();
            let mut last = 0;
            for query in 0..QUERIES_MAX {
                let Value::Integer(c) = count.query(&[]).unwrap().rows[0][0] else {
                    panic!("COUNT(*) is an integer")
                };
                assert!(c >= last && c % 10 == 0, "saw {c} rows after {last}");
                last = c;
                if query == 0 {
                    assert_eq!(c, 0);
                    started.wait();
                }
                if c == 500 {
                    return;
                }
            }
            panic!("{QUERIES_MAX} queries and still {last} rows");
        })
    };
    started.wait();
    for b in 0..50i64 {
        let mut batch = t.batch();
        for i in 0..10 {
            batch
                .execute("INSERT INTO n VALUES (?)", &[(b * 10 + i).into()])
                .unwrap();
        }
        batch.commit().unwrap();
    }
    reader.join().unwrap();
}

#[test]
fn timestamps_accept_text_literals_and_parameters() {
    let (_db, t) = tenant();
    t.execute("CREATE TABLE ev (at TIMESTAMP PRIMARY KEY, what TEXT)", &[])
        .unwrap();
    t.execute("CREATE INDEX ev_what ON ev (what)", &[]).unwrap();
    t.execute(
        "INSERT INTO ev VALUES ('2026-01-01T10:00:00Z', 'a'), (TIMESTAMP '2026-01-02 10:00:00', 'b'), (?, 'c')",
        &["2026-01-03".into()],
    )
    .unwrap();
    let rows = t
        .query(
            "SELECT what FROM ev WHERE at >= ? ORDER BY at",
            &["2026-01-02".into()],
        )
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![Value::from("b")], vec![Value::from("c")]]
    );
    let rows = t
        .query(
            "SELECT at FROM ev WHERE at = ?",
            &["2026-01-03T00:00:00Z".into()],
        )
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![Value::Timestamp(1_767_398_400_000_000)]]
    );
    let rows = t
        .query(
            "SELECT COUNT(*) FROM ev WHERE at < '2026-01-02T00:00:00+01:00'",
            &[],
        )
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(1)]]);
    let e = t
        .query("SELECT * FROM ev WHERE at = ?", &["not a time".into()])
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Invalid);
}
