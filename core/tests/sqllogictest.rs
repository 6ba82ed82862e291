//! sqllogictest over `../shared/vectors/sqllogictest/*.test` (SQLite's test corpus format),
//! parsed with the `sqllogictest` crate and run against the embedded SQL API.
//!
//! Counting: a record whose statement or query is refused as `Unsupported` (outside the
//! subset) is **skipped**, never passed; any other error where success was expected, or a
//! wrong result, is a **failure**. Prints pass / fail / skip per file and asserts no failure
//! and at least 70% of queries executed.
//!
//! `VERITYDB_SLT_FILTER=name` runs only files whose name contains `name`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use sqllogictest::{DefaultColumnType, QueryExpect, Record, SortMode, StatementExpect};
use veritydb::sql::{ErrorClass, Value};
use veritydb::{Db, Tenant};

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    pass: u64,
    fail: u64,
    skip: u64,
}

#[derive(Debug, Default)]
struct FileCounts {
    statements: Counts,
    queries: Counts,
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/sqllogictest")
}

/// Formats a value as SQLite's sqllogictest does.
fn format_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f:.3}"),
        Value::Text(t) if t.is_empty() => "(empty)".into(),
        Value::Text(t) => t
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '@' })
            .collect(),
        Value::Boolean(b) => i64::from(*b).to_string(),
        other => other.to_string(),
    }
}

struct Runner {
    tenant: Tenant,
    _db: Db,
    hash_threshold: usize,
    sort_mode: Option<SortMode>,
    failures: Vec<String>,
}

impl Runner {
    fn new() -> Runner {
        let db = Db::open_in_memory().unwrap();
        let tenant = db.tenant("slt").unwrap();
        Runner {
            tenant,
            _db: db,
            hash_threshold: 0,
            sort_mode: None,
            failures: Vec::new(),
        }
    }

    fn statement(&mut self, sql: &str, expected: &StatementExpect, line: &str) -> Outcome {
        match (self.tenant.execute(sql, &[]), expected) {
            (Err(e), _) if e.class() == ErrorClass::Unsupported => Outcome::Skip,
            (Ok(_), StatementExpect::Ok) => Outcome::Pass,
            (Ok(r), StatementExpect::Count(n)) if r.rows_affected == *n => Outcome::Pass,
            (Err(_), StatementExpect::Error(_)) => Outcome::Pass,
            (result, _) => {
                self.failures
                    .push(format!("{line}: {sql}\n  got {result:?}"));
                Outcome::Fail
            }
        }
    }

    fn query(
        &mut self,
        sql: &str,
        expected: &QueryExpect<DefaultColumnType>,
        line: &str,
    ) -> Outcome {
        let rows = match (self.tenant.query(sql, &[]), expected) {
            (Err(e), _) if e.class() == ErrorClass::Unsupported => return Outcome::Skip,
            (Err(_), QueryExpect::Error(_)) => return Outcome::Pass,
            (Err(e), _) => {
                self.failures.push(format!("{line}: {sql}\n  error {e}"));
                return Outcome::Fail;
            }
            (Ok(rows), _) => rows,
        };
        let QueryExpect::Results {
            sort_mode, results, ..
        } = expected
        else {
            self.failures
                .push(format!("{line}: {sql}\n  succeeded, expected an error"));
            return Outcome::Fail;
        };
        let mut table: Vec<Vec<String>> = rows
            .rows
            .iter()
            .map(|r| r.iter().map(format_value).collect())
            .collect();
        let mut values: Vec<String> = match sort_mode.or(self.sort_mode) {
            Some(SortMode::RowSort) => {
                table.sort();
                table.into_iter().flatten().collect()
            }
            Some(SortMode::ValueSort) => {
                let mut v: Vec<String> = table.into_iter().flatten().collect();
                v.sort();
                v
            }
            _ => table.into_iter().flatten().collect(),
        };
        if self.hash_threshold > 0 && values.len() > self.hash_threshold {
            let mut md5 = Md5::new();
            for v in &values {
                md5.update(v.as_bytes());
                md5.update(b"\n");
            }
            values = vec![format!(
                "{} values hashing to {:x}",
                values.len(),
                md5.finalize()
            )];
        }
        let expected: Vec<String> = match results.as_slice() {
            [one] if one.contains("values hashing to") => vec![one.trim().to_owned()],
            lines => lines
                .iter()
                .flat_map(|l| l.split_whitespace().map(str::to_owned))
                .collect(),
        };
        let actual: Vec<String> = match values.as_slice() {
            [one] if one.contains("values hashing to") => values,
            _ => values
                .iter()
                .flat_map(|l| l.split_whitespace().map(str::to_owned))
                .collect(),
        };
        if actual == expected {
            Outcome::Pass
        } else {
            self.failures.push(format!(
                "{line}: {sql}\n  expected {expected:?}\n  got      {actual:?}"
            ));
            Outcome::Fail
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

fn count(counts: &mut Counts, outcome: Outcome) {
    match outcome {
        Outcome::Pass => counts.pass += 1,
        Outcome::Fail => counts.fail += 1,
        Outcome::Skip => counts.skip += 1,
    }
}

/// Whether a record's conditions exclude this engine (`onlyif` another engine).
fn excluded(conditions: &[sqllogictest::Condition]) -> bool {
    conditions.iter().any(|c| match c {
        sqllogictest::Condition::OnlyIf { label } => label != "veritydb",
        sqllogictest::Condition::SkipIf { label } => label == "veritydb",
    })
}

fn run_file(path: &Path) -> (FileCounts, Vec<String>) {
    let records = sqllogictest::parse_file::<DefaultColumnType>(path).unwrap();
    let mut runner = Runner::new();
    let mut counts = FileCounts::default();
    for record in records {
        match record {
            Record::Statement {
                loc,
                conditions,
                sql,
                expected,
                ..
            } => {
                let outcome = match excluded(&conditions) {
                    true => Outcome::Skip,
                    false => runner.statement(&sql, &expected, &loc.to_string()),
                };
                count(&mut counts.statements, outcome);
            }
            Record::Query {
                loc,
                conditions,
                sql,
                expected,
                ..
            } => {
                let outcome = match excluded(&conditions) {
                    true => Outcome::Skip,
                    false => runner.query(&sql, &expected, &loc.to_string()),
                };
                count(&mut counts.queries, outcome);
            }
            Record::HashThreshold { threshold, .. } => runner.hash_threshold = threshold as usize,
            Record::Control(sqllogictest::Control::SortMode(mode)) => runner.sort_mode = Some(mode),
            Record::Halt { .. } => break,
            _ => {}
        }
    }
    (counts, runner.failures)
}

#[test]
fn sqllogictest_corpus() {
    let filter = std::env::var("VERITYDB_SLT_FILTER").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no .test files in {}",
        vectors().display()
    );
    let (mut total, mut failures) = (FileCounts::default(), Vec::new());
    for file in &files {
        let (counts, file_failures) = run_file(file);
        let name = file.file_name().unwrap().to_string_lossy();
        println!(
            "{name}: statements {} pass / {} fail / {} skip; queries {} pass / {} fail / {} skip",
            counts.statements.pass,
            counts.statements.fail,
            counts.statements.skip,
            counts.queries.pass,
            counts.queries.fail,
            counts.queries.skip
        );
        for (t, c) in [
            (&mut total.statements, counts.statements),
            (&mut total.queries, counts.queries),
        ] {
            t.pass += c.pass;
            t.fail += c.fail;
            t.skip += c.skip;
        }
        failures.extend(file_failures.into_iter().map(|f| format!("{name}:{f}")));
    }
    let q = total.queries;
    let executed = (q.pass + q.fail) as f64 / (q.pass + q.fail + q.skip).max(1) as f64;
    println!(
        "total: statements {:?}; queries {:?}; {:.1}% of queries executed",
        total.statements,
        q,
        executed * 100.0
    );
    for f in failures.iter().take(20) {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures (first ones above)",
        failures.len()
    );
    assert!(
        executed >= 0.70,
        "only {:.1}% of queries executed",
        executed * 100.0
    );
}
