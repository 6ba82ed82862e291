//! Bad input: every statement of `tests/data/sql_bad_input.txt` (malformed or unsupported SQL,
//! wrong names and types, broken constraints, positions beyond the log) and a few generated
//! ones over the limits must fail with its documented error class — never succeed, never
//! panic — and leave the data unchanged.
#![allow(clippy::unwrap_used)]

use veritydb::sql::{ErrorClass, Value};
use veritydb::{Db, Tenant, limits};

fn setup() -> (Db, Tenant) {
    let db = Db::open_in_memory().unwrap();
    let t = db.tenant("bad").unwrap();
    t.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL, ts TIMESTAMP, b BYTES, f BOOLEAN, c VARCHAR(3))",
        &[],
    )
    .unwrap();
    t.execute("CREATE UNIQUE INDEX t_name ON t (name)", &[])
        .unwrap();
    t.execute("CREATE TABLE u (x INTEGER)", &[]).unwrap();
    t.execute(
        "INSERT INTO t VALUES (1, 'a', 1.5, '2026-01-01T00:00:00Z', X'00', true, 'x'), (2, 'b', NULL, NULL, NULL, true, NULL)",
        &[],
    )
    .unwrap();
    (db, t)
}

fn class_of(t: &Tenant, sql: &str) -> Result<ErrorClass, String> {
    let is_query = sql.trim_start().to_ascii_uppercase().starts_with("SELECT");
    if is_query {
        match t.query(sql, &[]) {
            Ok(rows) => Err(format!("succeeded with {} rows", rows.len())),
            Err(e) => Ok(e.class()),
        }
    } else {
        match t.execute(sql, &[]) {
            Ok(r) => Err(format!("succeeded: {r:?}")),
            Err(e) => Ok(e.class()),
        }
    }
}

fn contents(t: &Tenant) -> Vec<Vec<Value>> {
    t.query("SELECT * FROM t ORDER BY id", &[]).unwrap().rows
}

#[test]
fn corpus_of_bad_statements() {
    let corpus = include_str!("data/sql_bad_input.txt");
    let (_db, t) = setup();
    let before = contents(&t);
    let size = t.size();
    let mut mismatches = Vec::new();
    let mut count = 0;
    for line in corpus.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (class, sql) = line.split_once(" | ").expect("lines are `class | sql`");
        count += 1;
        match class_of(&t, sql) {
            Ok(got) if got.code() == class => {}
            Ok(got) => mismatches.push(format!("{sql}\n  expected {class}, got {}", got.code())),
            Err(what) => mismatches.push(format!("{sql}\n  expected {class}, {what}")),
        }
    }
    for m in &mismatches {
        println!("MISMATCH {m}");
    }
    assert!(
        mismatches.is_empty(),
        "{} of {count} statements got another class",
        mismatches.len()
    );
    assert!(count >= 100, "the corpus holds {count} statements");
    assert_eq!(contents(&t), before, "a refused statement changed data");
    assert_eq!(t.size(), size, "a refused statement appended entries");
    println!("{count} bad statements, each refused with its class");
}

#[test]
fn generated_statements_over_the_limits() {
    let (_db, t) = setup();
    let long = format!(
        "SELECT * FROM t WHERE name = '{}'",
        "x".repeat(limits::SQL_STATEMENT_BYTES_MAX)
    );
    let in_list: Vec<String> = (0..=limits::SQL_IN_LIST_MAX)
        .map(|i| i.to_string())
        .collect();
    let in_list = format!("SELECT * FROM t WHERE id IN ({})", in_list.join(","));
    let params = format!("SELECT * FROM t WHERE id = ${}", limits::SQL_PARAMS_MAX + 1);
    let nested = format!(
        "SELECT * FROM t WHERE {}id = 1{}",
        "(".repeat(500),
        ")".repeat(500)
    );
    let chain = format!(
        "SELECT * FROM t WHERE id = 1{}",
        " OR id = 2".repeat(limits::SQL_OPERATORS_MAX)
    );
    let columns: Vec<String> = (0..=limits::SQL_COLUMNS_MAX)
        .map(|i| format!("c{i} INTEGER"))
        .collect();
    let wide = format!("CREATE TABLE wide ({})", columns.join(", "));
    for sql in [&long, &in_list, &params, &nested, &chain, &wide] {
        assert_eq!(class_of(&t, sql), Ok(ErrorClass::Limit), "{}", &sql[..60]);
    }
    let e = t
        .query("SELECT * FROM t WHERE id = ?", &[1.into(), 2.into()])
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Invalid, "too many parameters: {e}");
}
