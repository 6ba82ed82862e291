//! Robustness: random token soup and random mutations of valid statements, run through
//! `prepare`, `query` and `execute` on a tenant with data, must never panic; every failure is
//! an error with a class, and a refused write changes nothing. (Long fuzzing of the parser
//! with cargo-fuzz is a separate, heavier command.)
//!
//! `VERITYDB_SQL_ROBUSTNESS_CASES` sets the proptest cases (default 150).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use veritydb::sql::Value;
use veritydb::{Db, Tenant};

const TOKENS: &[&str] = &[
    "SELECT",
    "*",
    "FROM",
    "t",
    "u",
    "WHERE",
    "id",
    "name",
    "v",
    "ts",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    ",",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "IN",
    "BETWEEN",
    "IS",
    "NULL",
    "ORDER",
    "BY",
    "DESC",
    "LIMIT",
    "OFFSET",
    "1",
    "0",
    "-9223372036854775808",
    "2.5",
    "'x'",
    "''",
    "?",
    "$1",
    "$2",
    "TRUE",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "TABLE",
    "INDEX",
    "UNIQUE",
    "ON",
    "DROP",
    "PRIMARY",
    "KEY",
    "INTEGER",
    "TEXT",
    "AT",
    "POSITION",
    "AS",
    "OF",
    "TIMESTAMP",
    "'2026-01-01'",
    "COUNT(*)",
    "X'00'",
    ";",
    "9999999999999999999999",
    "1e308",
    "ts",
    "b",
];

const VALID: &[&str] = &[
    "SELECT id, name FROM t WHERE v > 1.5 AND name IN ('a', 'b') ORDER BY 2 DESC LIMIT 3",
    "UPDATE t SET v = v * 2 WHERE id BETWEEN 1 AND 3",
    "INSERT INTO t VALUES (10, 'z', 0.5, '2026-01-01T00:00:00Z')",
    "DELETE FROM t WHERE ts IS NULL OR id = 2",
    "SELECT COUNT(*) FROM t WHERE id IN (SELECT id FROM t WHERE v < 3) AT POSITION 3",
    "CREATE UNIQUE INDEX t_n ON t (name DESC, id)",
];

fn tenant() -> (Db, Tenant) {
    let db = Db::open_in_memory().unwrap();
    let t = db.tenant("robust").unwrap();
    t.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL, ts TIMESTAMP)",
        &[],
    )
    .unwrap();
    t.execute("CREATE INDEX t_v ON t (v)", &[]).unwrap();
    for i in 0..5i64 {
        t.execute(
            "INSERT INTO t VALUES (?, ?, ?, NULL)",
            &[
                i.into(),
                format!("n{i}").into(),
                Value::Real(i as f64 / 2.0),
            ],
        )
        .unwrap();
    }
    (db, t)
}

/// Runs `sql` every way; returns whether a write succeeded.
fn exercise(t: &Tenant, sql: &str) -> bool {
    let params = [Value::Integer(1), Value::from("x")];
    if let Ok(statement) = t.prepare(sql) {
        let n = statement.param_count().min(2);
        if statement.is_query() {
            let _ = statement.query(&params[..n]);
        }
    }
    let _ = t.query(sql, &[]);
    t.execute(sql, &[]).is_ok()
}

fn cases() -> u32 {
    std::env::var("VERITYDB_SQL_ROBUSTNESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(0..TOKENS.len(), 1..40)) {
        let (_db, t) = tenant();
        let sql: Vec<&str> = tokens.iter().map(|&i| TOKENS[i]).collect();
        exercise(&t, &sql.join(" "));
    }

    #[test]
    fn mutated_statements_never_panic(
        which in 0..VALID.len(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), 0..TOKENS.len()), 0..4),
    ) {
        let (_db, t) = tenant();
        let mut sql = VALID[which].to_owned();
        for (at, token) in cuts {
            let mut i = at.index(sql.len() + 1);
            while !sql.is_char_boundary(i) {
                i -= 1;
            }
            sql.insert_str(i, &format!(" {} ", TOKENS[token]));
        }
        let before = t.query("SELECT * FROM t ORDER BY id", &[]).unwrap().rows;
        let size = t.size();
        if !exercise(&t, &sql) {
            prop_assert_eq!(t.size(), size, "a refused write appended: {}", sql);
            prop_assert_eq!(t.query("SELECT * FROM t ORDER BY id", &[]).unwrap().rows, before);
        }
    }
}
