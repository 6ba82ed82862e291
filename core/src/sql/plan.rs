//! The query planner: chooses how to find the rows a `WHERE` clause can match.
//!
//! It looks at the top-level `AND` terms of the condition for `column = c`, `column IN (c,
//! ...)`, `column <op> c` and `column BETWEEN c AND c` with constant `c` (literals,
//! parameters, arithmetic on them), and picks, in order: primary-key points (every key column
//! fixed), a unique index fully fixed, the index or primary key with the longest fixed prefix
//! (plus a range on the next column), a range on the first key or index column, else a scan.
//!
//! Invariant: an access path yields a superset of the matching rows (every row it skips fails
//! the condition); the executor evaluates the whole condition on every row it yields, so the
//! planner can only change speed, never answers.

use super::ast::{BinaryOp, Expr};
use super::expr::{Bound, is_constant};
use super::schema::{IndexDef, TableDef};

/// How to find candidate rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Access {
    /// Every row of the table.
    Scan,
    /// Rows by primary key: `columns` are the key columns.
    Key(KeyAccess),
    /// Rows through a secondary index.
    Index(IndexDef, KeyAccess),
}

/// Fixed values for the first columns of a key, and an optional range on the next one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyAccess {
    /// `(column, descending)` of the key or index, in order.
    pub(crate) columns: Vec<(usize, bool)>,
    /// One list of candidate constants per fixed column (`=` gives one, `IN` several).
    pub(crate) fixed: Vec<Vec<Bound>>,
    /// A range on column `fixed.len()`: lower and upper bounds, each with "inclusive".
    pub(crate) range: Option<RangeBounds>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RangeBounds {
    pub(crate) low: Option<(Bound, bool)>,
    pub(crate) high: Option<(Bound, bool)>,
}

impl KeyAccess {
    /// Whether every key column is fixed (point lookups).
    pub(crate) fn is_points(&self) -> bool {
        self.fixed.len() == self.columns.len() && self.range.is_none()
    }
}

/// What the condition says about one column.
#[derive(Default)]
struct ColumnFacts {
    /// Candidate values from `=` or `IN` (the smallest list when several).
    fixed: Option<Vec<Bound>>,
    range: RangeBounds,
}

/// Chooses the access path for `filter` on `table`.
pub(crate) fn choose(table: &TableDef, filter: Option<&Bound>) -> Access {
    let Some(filter) = filter else {
        return Access::Scan;
    };
    let mut facts: Vec<ColumnFacts> = (0..table.columns.len())
        .map(|_| ColumnFacts::default())
        .collect();
    let mut terms = Vec::new();
    conjuncts(filter, &mut terms);
    for term in terms {
        learn(term, &mut facts);
    }
    let mut candidates: Vec<(u32, Access)> = Vec::new();
    if !table.primary_key.is_empty() {
        let columns: Vec<(usize, bool)> = table.primary_key.iter().map(|&c| (c, false)).collect();
        if let Some((score, access)) = key_access(columns, &facts, true) {
            candidates.push((score + 1, Access::Key(access)));
        }
    }
    for index in &table.indexes {
        if let Some((score, access)) = key_access(index.columns.clone(), &facts, index.unique) {
            candidates.push((score, Access::Index(index.clone(), access)));
        }
    }
    candidates
        .into_iter()
        .max_by_key(|(score, _)| *score)
        .map_or(Access::Scan, |(_, access)| access)
}

/// The best use of a key over `columns`, with a score: fully fixed unique keys first, then
/// longer fixed prefixes, then ranges.
fn key_access(
    columns: Vec<(usize, bool)>,
    facts: &[ColumnFacts],
    unique: bool,
) -> Option<(u32, KeyAccess)> {
    let mut fixed = Vec::new();
    for &(column, _) in &columns {
        match &facts[column].fixed {
            Some(values) => fixed.push(values.clone()),
            None => break,
        }
    }
    let range = match columns.get(fixed.len()) {
        Some(&(column, _)) => {
            let r = &facts[column].range;
            (r.low.is_some() || r.high.is_some()).then(|| r.clone())
        }
        None => None,
    };
    if fixed.is_empty() && range.is_none() {
        return None;
    }
    let full = fixed.len() == columns.len();
    let score = match (full && unique, fixed.len()) {
        (true, _) => 1000,
        (false, n) => 10 * n as u32 + u32::from(range.is_some()) * 5,
    };
    Some((
        score,
        KeyAccess {
            columns,
            fixed,
            range,
        },
    ))
}

fn conjuncts<'e>(expr: &'e Bound, out: &mut Vec<&'e Bound>) {
    match expr {
        Expr::And(items) => items.iter().for_each(|i| conjuncts(i, out)),
        other => out.push(other),
    }
}

fn learn(term: &Bound, facts: &mut [ColumnFacts]) {
    match term {
        Expr::Binary(op, l, r) if op.is_comparison() && *op != BinaryOp::NotEq => {
            let (column, constant, op) = match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), k) if is_constant(k) => (*c, k, *op),
                (k, Expr::Column(c)) if is_constant(k) => (*c, k, op.flipped()),
                _ => return,
            };
            let f = &mut facts[column];
            match op {
                BinaryOp::Eq => fix(f, vec![constant.clone()]),
                BinaryOp::Gt | BinaryOp::GtEq => {
                    f.range
                        .low
                        .get_or_insert((constant.clone(), op == BinaryOp::GtEq));
                }
                BinaryOp::Lt | BinaryOp::LtEq => {
                    f.range
                        .high
                        .get_or_insert((constant.clone(), op == BinaryOp::LtEq));
                }
                _ => {}
            }
        }
        Expr::InList(e, list, false) => {
            if let Expr::Column(c) = e.as_ref()
                && list.iter().all(is_constant)
            {
                fix(&mut facts[*c], list.clone());
            }
        }
        Expr::Between(e, low, high, false) => {
            if let Expr::Column(c) = e.as_ref()
                && is_constant(low)
                && is_constant(high)
            {
                let f = &mut facts[*c];
                f.range.low.get_or_insert((low.as_ref().clone(), true));
                f.range.high.get_or_insert((high.as_ref().clone(), true));
            }
        }
        _ => {}
    }
}

fn fix(facts: &mut ColumnFacts, values: Vec<Bound>) {
    let better = facts
        .fixed
        .as_ref()
        .is_none_or(|old| values.len() < old.len());
    if better {
        facts.fixed = Some(values);
    }
}
