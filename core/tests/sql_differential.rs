//! Differential test against SQLite (rusqlite, bundled): random schemas, rows, writes and
//! queries inside the subset run on both engines; results must agree.
//!
//! Comparison: rows as multisets unless ORDER BY ends with the primary key (then in order);
//! NULLs, ties and integer/real comparisons are generated on purpose (small value domains,
//! 20% NULL, real literals against integer columns). Writes must agree on success and on rows
//! affected. Generation stays where both engines define the same answer: no NULL primary keys
//! (SQLite assigns a row id), no reals stored in integer columns or numbers in text columns
//! (SQLite's type affinity keeps them), no updates of key or unique columns (the order SQLite
//! visits rows decides whether such an update conflicts).
//!
//! `VERITYDB_SQL_DIFF_CASES` sets the number of seeded cases (default 120); a failing seed is
//! printed and can be rerun alone with `VERITYDB_SQL_DIFF_SEED`.
#![allow(clippy::unwrap_used)]

use rusqlite::types::ValueRef;
use veritydb::sql::Value;
use veritydb::{Db, Tenant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Type {
    Integer,
    Real,
    Text,
}

struct Column {
    name: String,
    ty: Type,
    unique: bool,
}

struct Schema {
    columns: Vec<Column>,
    key: usize,
}

fn literal(rng: &mut Rng, ty: Type, nulls: bool) -> String {
    if nulls && rng.chance(20) {
        return "NULL".into();
    }
    match ty {
        Type::Integer => (rng.below(11) as i64 - 5).to_string(),
        Type::Real => rng
            .pick(&["-1.5", "0.0", "2.25", "3.0", "-4.0", "0.5", "7.75"])
            .to_string(),
        Type::Text => rng
            .pick(&["'a'", "'b'", "'ab'", "''", "'B'", "'a b'"])
            .to_string(),
    }
}

/// A literal to compare with a column of `ty`: integers and reals mix on purpose.
fn comparand(rng: &mut Rng, ty: Type) -> String {
    match ty {
        Type::Integer | Type::Real if rng.chance(30) => {
            let other = if ty == Type::Integer {
                Type::Real
            } else {
                Type::Integer
            };
            literal(rng, other, true)
        }
        _ => literal(rng, ty, true),
    }
}

fn predicate(rng: &mut Rng, schema: &Schema, depth: u32) -> String {
    if depth > 0 && rng.chance(35) {
        let (a, b) = (
            predicate(rng, schema, depth - 1),
            predicate(rng, schema, depth - 1),
        );
        return match rng.below(3) {
            0 => format!("({a} AND {b})"),
            1 => format!("({a} OR {b})"),
            _ => format!("NOT ({a})"),
        };
    }
    let column = rng.pick(&schema.columns);
    let c = &column.name;
    match rng.below(7) {
        0 => format!("{c} IS NULL"),
        1 => format!("{c} IS NOT NULL"),
        2 => {
            let items: Vec<String> = (0..1 + rng.below(4))
                .map(|_| comparand(rng, column.ty))
                .collect();
            let not = if rng.chance(30) { "NOT " } else { "" };
            format!("{c} {not}IN ({})", items.join(", "))
        }
        3 => {
            let not = if rng.chance(30) { "NOT " } else { "" };
            format!(
                "{c} {not}BETWEEN {} AND {}",
                comparand(rng, column.ty),
                comparand(rng, column.ty)
            )
        }
        4 if column.ty == Type::Integer => {
            let op = rng.pick(&["+", "-", "*"]);
            format!(
                "{c} {op} {} {} {}",
                rng.below(4),
                rng.pick(&["<", ">=", "="]),
                comparand(rng, column.ty)
            )
        }
        _ => {
            let op = rng.pick(&["=", "!=", "<>", "<", "<=", ">", ">="]);
            format!("{c} {op} {}", comparand(rng, column.ty))
        }
    }
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let width = stmt.column_count();
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let values = (0..width)
            .map(|i| match row.get_ref(i).unwrap() {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Integer(v),
                ValueRef::Real(v) => Value::Real(if v == 0.0 { 0.0 } else { v }),
                ValueRef::Text(t) => Value::Text(String::from_utf8(t.to_vec()).unwrap()),
                ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
            })
            .collect();
        out.push(values);
    }
    Ok(out)
}

fn sort_key(row: &[Value]) -> String {
    format!("{row:?}")
}

struct Case {
    rng: Rng,
    seed: u64,
    schema: Schema,
    conn: rusqlite::Connection,
    tenant: Tenant,
    _db: Db,
    checks: u64,
    rows: u64,
}

impl Case {
    fn new(seed: u64) -> Case {
        let mut rng = Rng(seed);
        let columns: Vec<Column> = (0..2 + rng.below(3))
            .map(|i| Column {
                name: format!("c{i}"),
                ty: *rng.pick(&[Type::Integer, Type::Real, Type::Text]),
                unique: false,
            })
            .collect();
        let mut schema = Schema { columns, key: 0 };
        schema.columns[0].ty = Type::Integer;
        let db = Db::open_in_memory().unwrap();
        let tenant = db.tenant("diff").unwrap();
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut case = Case {
            rng,
            seed,
            schema,
            conn,
            tenant,
            _db: db,
            checks: 0,
            rows: 0,
        };
        case.create();
        case
    }

    fn create(&mut self) {
        let defs: Vec<String> = self
            .schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let ty = match c.ty {
                    Type::Integer => "INTEGER",
                    Type::Real => "REAL",
                    Type::Text => "TEXT",
                };
                let key = if i == self.schema.key {
                    " PRIMARY KEY"
                } else {
                    ""
                };
                format!("{} {ty}{key}", c.name)
            })
            .collect();
        self.both_write(&format!("CREATE TABLE t ({})", defs.join(", ")));
        for i in 1..self.schema.columns.len() {
            if self.rng.chance(50) {
                let unique = self.rng.chance(25);
                self.schema.columns[i].unique = unique;
                let kind = if unique { "UNIQUE " } else { "" };
                let desc = if self.rng.chance(50) { " DESC" } else { "" };
                let name = &self.schema.columns[i].name;
                self.both_write(&format!("CREATE {kind}INDEX i{i} ON t ({name}{desc})"));
            }
        }
    }

    fn both_write(&mut self, sql: &str) {
        let ours = self.tenant.execute(sql, &[]);
        let theirs = self.conn.execute(sql, []);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(
                a.rows_affected as usize, *b,
                "seed {}: rows affected by {sql}",
                self.seed
            ),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "seed {}: {sql}\n  veritydb {ours:?}\n  sqlite {theirs:?}",
                self.seed
            ),
        }
        self.checks += 1;
    }

    fn insert(&mut self) {
        let rows: Vec<String> = (0..1 + self.rng.below(3))
            .map(|_| {
                let values: Vec<String> = (0..self.schema.columns.len())
                    .map(|i| {
                        let c = &self.schema.columns[i];
                        if i == self.schema.key {
                            (self.rng.below(40) as i64 - 10).to_string()
                        } else {
                            literal(&mut self.rng, c.ty, true)
                        }
                    })
                    .collect();
                format!("({})", values.join(", "))
            })
            .collect();
        self.both_write(&format!("INSERT INTO t VALUES {}", rows.join(", ")));
    }

    fn update_or_delete(&mut self) {
        let filter = predicate(&mut self.rng, &self.schema, 2);
        if self.rng.chance(40) {
            self.both_write(&format!("DELETE FROM t WHERE {filter}"));
            return;
        }
        let candidates: Vec<usize> = (0..self.schema.columns.len())
            .filter(|&i| i != self.schema.key && !self.schema.columns[i].unique)
            .collect();
        let Some(&target) = candidates.get(self.rng.below(candidates.len().max(1) as u64) as usize)
        else {
            return;
        };
        let c = &self.schema.columns[target];
        let value = match c.ty {
            Type::Integer if self.rng.chance(50) => format!("{} + 1", c.name),
            ty => literal(&mut self.rng, ty, true),
        };
        let name = c.name.clone();
        self.both_write(&format!("UPDATE t SET {name} = {value} WHERE {filter}"));
    }

    fn query(&mut self) {
        let key = self.schema.columns[self.schema.key].name.clone();
        let filter = predicate(&mut self.rng, &self.schema, 3);
        let (sql, ordered) = match self.rng.below(4) {
            0 => (format!("SELECT COUNT(*) FROM t WHERE {filter}"), true),
            1 => {
                let c = self.rng.pick(&self.schema.columns).name.clone();
                let dir = *self.rng.pick(&["ASC", "DESC"]);
                let limit = self.rng.below(5);
                let offset = self.rng.below(3);
                (
                    format!(
                        "SELECT {key}, {c} FROM t WHERE {filter} ORDER BY {c} {dir}, {key} LIMIT {limit} OFFSET {offset}"
                    ),
                    true,
                )
            }
            2 => {
                let ints: Vec<&Column> = self
                    .schema
                    .columns
                    .iter()
                    .filter(|c| c.ty == Type::Integer)
                    .collect();
                let c = &self.rng.pick(&ints).name;
                (
                    format!("SELECT {c} * 2 - 1, -{c} FROM t WHERE {filter}"),
                    false,
                )
            }
            _ => (
                format!("SELECT * FROM t WHERE {filter} ORDER BY 2 DESC"),
                false,
            ),
        };
        let ours = self
            .tenant
            .query(&sql, &[])
            .map(|r| r.rows)
            .map_err(|e| e.to_string());
        let theirs = sqlite_rows(&self.conn, &sql);
        let (mut ours, mut theirs) = match (ours, theirs) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => panic!(
                "seed {}: {sql}\n  veritydb {a:?}\n  sqlite {b:?}",
                self.seed
            ),
        };
        if !ordered {
            ours.sort_by_key(|r| sort_key(r));
            theirs.sort_by_key(|r| sort_key(r));
        }
        assert_eq!(ours, theirs, "seed {}: {sql}", self.seed);
        self.checks += 1;
        self.rows += ours.len() as u64;
    }
}

/// Runs one seeded case; returns (statements compared, result rows compared).
fn run_case(seed: u64) -> (u64, u64) {
    let mut case = Case::new(seed);
    for _ in 0..12 {
        case.insert();
    }
    for _ in 0..40 {
        match case.rng.below(10) {
            0..=1 => case.insert(),
            2..=3 => case.update_or_delete(),
            _ => case.query(),
        }
    }
    (case.checks, case.rows)
}

#[test]
fn same_answers_as_sqlite() {
    if let Ok(seed) = std::env::var("VERITYDB_SQL_DIFF_SEED") {
        run_case(seed.parse().unwrap());
        return;
    }
    let cases: u64 = std::env::var("VERITYDB_SQL_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let (mut checks, mut rows) = (0, 0);
    for seed in 0..cases {
        let (c, r) = run_case(seed);
        checks += c;
        rows += r;
    }
    println!("{cases} cases: {checks} statements and {rows} result rows compared with SQLite");
    assert!(
        rows >= cases * 10,
        "queries should return rows, not only empty results"
    );
}
