//! What a SQL statement does and which tables it touches, for authorization and auditing.
//! Parsed with the same `sqlparser` dialect as core, after removing the same trailing
//! time-travel clause core accepts.
//!
//! Invariant: fail closed. Every relation anywhere in the statement (subqueries included) is
//! collected; a statement that does not parse, or whose kind is not a plain read or row write,
//! is classified as [`SqlKind::Schema`], which only unrestricted admins may run (core then
//! gives the precise error).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{self as sp, ObjectName};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// How a statement uses the tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlKind {
    /// SELECT.
    Read,
    /// INSERT, UPDATE, DELETE.
    Write,
    /// Anything else (CREATE, DROP, ...), or unparsable text.
    Schema,
}

/// A statement's kind and the tables it names (lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqlShape {
    pub(crate) kind: SqlKind,
    pub(crate) tables: BTreeSet<String>,
    /// False when the text did not parse: the tables are unknown.
    pub(crate) understood: bool,
}

/// Bytes of SQL analyzed; longer text is refused by core anyway.
const SQL_ANALYZED_BYTES_MAX: usize = veritydb::limits::SQL_STATEMENT_BYTES_MAX;

/// Classifies `sql`.
pub(crate) fn analyze(sql: &str) -> SqlShape {
    let unknown = SqlShape {
        kind: SqlKind::Schema,
        tables: BTreeSet::new(),
        understood: false,
    };
    if sql.len() > SQL_ANALYZED_BYTES_MAX {
        return unknown;
    }
    let dialect = GenericDialect {};
    let Ok(mut tokens) = Tokenizer::new(&dialect, sql).tokenize_with_location() else {
        return unknown;
    };
    strip_time_travel(&mut tokens);
    let parsed = Parser::new(&dialect)
        .with_recursion_limit(veritydb::limits::SQL_NESTING_DEPTH_MAX)
        .with_tokens_with_locations(tokens)
        .parse_statements();
    let Ok(statements) = parsed else {
        return unknown;
    };
    let [statement] = statements.as_slice() else {
        return unknown;
    };
    let kind = match statement {
        sp::Statement::Query(_) => SqlKind::Read,
        sp::Statement::Insert(_) | sp::Statement::Update { .. } | sp::Statement::Delete(_) => {
            SqlKind::Write
        }
        _ => SqlKind::Schema,
    };
    let mut tables = BTreeSet::new();
    let _ = sp::visit_relations(statement, |name: &ObjectName| {
        tables.insert(table_name(name));
        ControlFlow::<()>::Continue(())
    });
    schema_tables(statement, &mut tables);
    SqlShape {
        kind,
        tables,
        understood: true,
    }
}

/// The table a name refers to: its last part, lower-case (core folds names to lower case).
fn table_name(name: &ObjectName) -> String {
    name.0
        .last()
        .map(|part| part.to_string().trim_matches('"').to_ascii_lowercase())
        .unwrap_or_default()
}

/// Tables named by schema statements that the relation visitor may not report.
fn schema_tables(statement: &sp::Statement, tables: &mut BTreeSet<String>) {
    match statement {
        sp::Statement::CreateTable(create) => {
            tables.insert(table_name(&create.name));
        }
        sp::Statement::CreateIndex(index) => {
            tables.insert(table_name(&index.table_name));
        }
        sp::Statement::Drop { names, .. } => {
            tables.extend(names.iter().map(table_name));
        }
        _ => {}
    }
}

/// Removes a trailing `AT POSITION x` or `AS OF TIMESTAMP x`, as core does before parsing.
fn strip_time_travel(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    let significant: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_) | Token::SemiColon))
        .map(|(i, _)| i)
        .collect();
    let word = |i: usize, w: &str| match &tokens[significant[i]].token {
        Token::Word(word) => word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w),
        _ => false,
    };
    let n = significant.len();
    let cut = if n >= 3 && word(n - 3, "AT") && word(n - 2, "POSITION") {
        n - 3
    } else if n >= 4 && word(n - 4, "AS") && word(n - 3, "OF") && word(n - 2, "TIMESTAMP") {
        n - 4
    } else {
        return;
    };
    tokens.truncate(significant[cut]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> (SqlKind, Vec<String>) {
        let s = analyze(sql);
        (s.kind, s.tables.into_iter().collect())
    }

    #[test]
    fn kinds_and_tables() {
        let t = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            shape("SELECT * FROM Patients WHERE id = ?"),
            (SqlKind::Read, t(&["patients"]))
        );
        assert_eq!(
            shape("SELECT * FROM a WHERE x IN (SELECT y FROM b)"),
            (SqlKind::Read, t(&["a", "b"]))
        );
        assert_eq!(
            shape("SELECT name FROM p AT POSITION 4"),
            (SqlKind::Read, t(&["p"]))
        );
        assert_eq!(
            shape("SELECT name FROM p AS OF TIMESTAMP '2026-01-01T00:00:00Z'"),
            (SqlKind::Read, t(&["p"]))
        );
        assert_eq!(
            shape("INSERT INTO v (a) VALUES (1)"),
            (SqlKind::Write, t(&["v"]))
        );
        assert_eq!(
            shape("UPDATE v SET a = 2 WHERE b = 1"),
            (SqlKind::Write, t(&["v"]))
        );
        assert_eq!(shape("DELETE FROM v"), (SqlKind::Write, t(&["v"])));
        assert_eq!(
            shape("CREATE TABLE w (id INTEGER PRIMARY KEY)"),
            (SqlKind::Schema, t(&["w"]))
        );
        assert_eq!(shape("DROP TABLE w"), (SqlKind::Schema, t(&["w"])));
        assert_eq!(
            shape("CREATE INDEX i ON w (id)"),
            (SqlKind::Schema, t(&["w"]))
        );
        let garbage = analyze("SELEC nonsense");
        assert_eq!(garbage.kind, SqlKind::Schema);
        assert!(!garbage.understood);
        assert!(!analyze("SELECT 1; SELECT 2").understood);
    }
}
