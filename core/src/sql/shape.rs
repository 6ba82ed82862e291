//! What a statement does with a tenant's tables, read from the statement core itself parsed,
//! so that whoever authorizes or audits SQL (the server) sees exactly the tables core will
//! touch, with core's name rules (unquoted names folded to lower case, quoted names kept).

use std::collections::BTreeSet;

use super::ast::{AtClause, Expr, InsertSource, OrderKey, Select, SelectItem, Statement as Ast};
use super::error::PrepareError;

/// How a statement uses the tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// SELECT.
    Read,
    /// INSERT, UPDATE, DELETE.
    Write,
    /// CREATE or DROP of a table or an index.
    Schema,
}

/// A statement's kind and the tables it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// What the statement does.
    pub kind: StatementKind,
    /// Tables whose rows the statement reads: the FROM of a SELECT, `IN (SELECT ...)`
    /// subqueries anywhere, the source of `INSERT ... SELECT`.
    pub reads: BTreeSet<String>,
    /// The table the statement writes or defines (INSERT, UPDATE, DELETE, CREATE/DROP TABLE,
    /// CREATE INDEX).
    pub writes: Option<String>,
    /// False when a table the statement touches cannot be named from its text (`DROP INDEX`
    /// names only the index): a check limited to tables must refuse it.
    pub complete: bool,
}

impl Shape {
    /// Every table the statement names, read or written.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.reads
            .iter()
            .map(String::as_str)
            .chain(self.writes.as_deref())
    }
}

/// The shape of one statement of the SQL subset, without running it; the same error as
/// [`crate::Tenant::prepare`] if the text is not a statement of the subset.
pub fn shape(sql: &str) -> Result<Shape, PrepareError> {
    super::parse::parse(sql)
        .map(|parsed| of(&parsed.statement))
        .map_err(super::api::prepare_error)
}

pub(crate) fn of(statement: &Ast) -> Shape {
    let mut reads = BTreeSet::new();
    let (kind, writes, complete) = match statement {
        Ast::Select(select) => {
            select_reads(select, &mut reads);
            (StatementKind::Read, None, true)
        }
        Ast::Insert(insert) => {
            match &insert.source {
                InsertSource::Values(rows) => rows
                    .iter()
                    .flatten()
                    .for_each(|e| expr_reads(e, &mut reads)),
                InsertSource::Select(select) => select_reads(select, &mut reads),
            }
            (StatementKind::Write, Some(insert.table.clone()), true)
        }
        Ast::Update(update) => {
            update
                .assignments
                .iter()
                .for_each(|(_, e)| expr_reads(e, &mut reads));
            update.filter.iter().for_each(|e| expr_reads(e, &mut reads));
            (StatementKind::Write, Some(update.table.clone()), true)
        }
        Ast::Delete(delete) => {
            delete.filter.iter().for_each(|e| expr_reads(e, &mut reads));
            (StatementKind::Write, Some(delete.table.clone()), true)
        }
        Ast::CreateTable(create) => (StatementKind::Schema, Some(create.name.clone()), true),
        Ast::DropTable { name, .. } => (StatementKind::Schema, Some(name.clone()), true),
        Ast::CreateIndex(index) => (StatementKind::Schema, Some(index.table.clone()), true),
        Ast::DropIndex { .. } => (StatementKind::Schema, None, false),
    };
    Shape {
        kind,
        reads,
        writes,
        complete,
    }
}

fn select_reads(select: &Select, reads: &mut BTreeSet<String>) {
    reads.extend(select.from.iter().cloned());
    for item in &select.items {
        if let SelectItem::Expr { expr, .. } = item {
            expr_reads(expr, reads);
        }
    }
    for order in &select.order_by {
        if let OrderKey::Expr(e) = &order.key {
            expr_reads(e, reads);
        }
    }
    let at = select.at.as_ref().map(|at| match at {
        AtClause::Position(e) | AtClause::Timestamp(e) => e,
    });
    for e in [&select.filter, &select.limit, &select.offset]
        .into_iter()
        .flatten()
        .chain(at)
    {
        expr_reads(e, reads);
    }
}

/// Tables read by the subqueries in `expr`. Iterative: parsed expressions are bounded in
/// depth, but a flattened AND/OR chain can be long.
fn expr_reads(expr: &Expr, reads: &mut BTreeSet<String>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(_) | Expr::Literal(_) | Expr::Param(_) => {}
            Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) => stack.push(a),
            Expr::Binary(_, a, b) => stack.extend([&**a, &**b]),
            Expr::And(items) | Expr::Or(items) => stack.extend(items),
            Expr::InList(a, items, _) => {
                stack.push(a);
                stack.extend(items);
            }
            Expr::Between(a, b, c, _) => stack.extend([&**a, &**b, &**c]),
            Expr::InSelect(a, select, _) => {
                stack.push(a);
                select_reads(select, reads);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(sql: &str) -> (StatementKind, Vec<String>) {
        let s = shape(sql).unwrap();
        (s.kind, s.tables().map(str::to_owned).collect())
    }

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn kinds_and_tables() {
        assert_eq!(
            tables("SELECT * FROM Patients WHERE id = ?"),
            (StatementKind::Read, t(&["patients"]))
        );
        assert_eq!(
            tables("SELECT * FROM a WHERE x IN (SELECT y FROM b)"),
            (StatementKind::Read, t(&["a", "b"]))
        );
        assert_eq!(
            tables("SELECT name FROM p AT POSITION 4"),
            (StatementKind::Read, t(&["p"]))
        );
        assert_eq!(
            tables("SELECT name FROM p AS OF TIMESTAMP '2026-01-01T00:00:00Z'"),
            (StatementKind::Read, t(&["p"]))
        );
        assert_eq!(
            tables("INSERT INTO v (a) VALUES (1)"),
            (StatementKind::Write, t(&["v"]))
        );
        assert_eq!(
            tables("UPDATE v SET a = 2 WHERE b = 1"),
            (StatementKind::Write, t(&["v"]))
        );
        assert_eq!(tables("DELETE FROM v"), (StatementKind::Write, t(&["v"])));
        assert_eq!(
            tables("CREATE TABLE w (id INTEGER PRIMARY KEY)"),
            (StatementKind::Schema, t(&["w"]))
        );
        assert_eq!(tables("DROP TABLE w"), (StatementKind::Schema, t(&["w"])));
        assert_eq!(
            tables("CREATE INDEX i ON w (id)"),
            (StatementKind::Schema, t(&["w"]))
        );
        assert!(shape("SELEC nonsense").is_err());
        assert!(shape("SELECT 1; SELECT 2").is_err());
    }

    #[test]
    fn names_follow_core_rules() {
        // Quoted names keep their case and lose their quotes, whichever quote is used.
        assert_eq!(tables("SELECT * FROM `patients`").1, t(&["patients"]));
        assert_eq!(tables("SELECT * FROM \"Patients\"").1, t(&["Patients"]));
        assert_eq!(tables("SELECT * FROM PATIENTS").1, t(&["patients"]));
    }

    #[test]
    fn reads_and_writes_are_told_apart() {
        let copy =
            shape("INSERT INTO open_t SELECT id FROM audited WHERE id IN (SELECT x FROM other)")
                .unwrap();
        assert_eq!(copy.writes.as_deref(), Some("open_t"));
        assert_eq!(
            copy.reads.into_iter().collect::<Vec<_>>(),
            t(&["audited", "other"])
        );
        let update = shape("UPDATE v SET a = 1 WHERE b IN (SELECT c FROM secret)").unwrap();
        assert_eq!(update.reads.into_iter().collect::<Vec<_>>(), t(&["secret"]));
        let delete = shape("DELETE FROM v WHERE b NOT IN (SELECT c FROM secret)").unwrap();
        assert_eq!(delete.reads.into_iter().collect::<Vec<_>>(), t(&["secret"]));
        let drop_index = shape("DROP INDEX i").unwrap();
        assert_eq!(drop_index.kind, StatementKind::Schema);
        assert!(!drop_index.complete);
        assert_eq!(drop_index.tables().count(), 0);
    }
}
