//! The write kernel: `(state, statement, params) -> changes`. Pure with respect to the
//! outside world: it reads only the state it is given (a projection transaction) and returns
//! the changes to append; no clock, randomness or log I/O. Each change is applied to the
//! given state at once (provisionally, in a transaction the caller aborts), so later rows and
//! statements of the same write see earlier ones and every rule is checked by the same
//! [`apply`] that replay uses.

use std::sync::Arc;

use super::Failure;
use super::apply::{self, Violation, ViolationKind, WriteState, key_of};
use super::ast::{CreateTable, Insert, InsertSource, Statement, Update};
use super::change::{Change, RowChange, RowOp};
use super::exec::{self, Ctx};
use super::expr::{self, eval};
use super::plan;
use super::schema::{Column, TableDef};
use super::store;
use super::value::{ColumnType, Value, canonical_real, parse_timestamp};
use crate::limits;

/// The changes a write makes, in order, each with its table (for row changes).
#[derive(Default)]
pub(crate) struct Planned {
    /// Who asked for the write: the actor of every entry it appends.
    pub(crate) actor: Arc<str>,
    pub(crate) changes: Vec<(Change, Option<Arc<TableDef>>)>,
    pub(crate) rows_affected: u64,
}

/// Plans one statement against `state`, appending its changes to `out`; `next_position` is
/// the provisional position of the next change.
pub(crate) fn plan_write(
    state: &mut WriteState<'_>,
    statement: &Statement,
    params: &[Value],
    next_position: &mut u64,
    out: &mut Planned,
) -> Result<(), Failure> {
    match statement {
        Statement::CreateTable(create) => {
            if create.if_not_exists && state.schema.table(&create.name).is_some() {
                return Ok(());
            }
            push(state, create_table(create)?, None, next_position, out)
        }
        Statement::DropTable { name, if_exists } => {
            if *if_exists && state.schema.table(name).is_none() {
                return Ok(());
            }
            push(
                state,
                Change::DropTable { name: name.clone() },
                None,
                next_position,
                out,
            )
        }
        Statement::CreateIndex(create) => {
            if create.if_not_exists && state.schema.index_owner(&create.name).is_some() {
                return Ok(());
            }
            let change = Change::CreateIndex {
                name: create.name.clone(),
                table: create.table.clone(),
                columns: create.columns.clone(),
                unique: create.unique,
            };
            push(state, change, None, next_position, out)
        }
        Statement::DropIndex { name, if_exists } => {
            if *if_exists && state.schema.index_owner(name).is_none() {
                return Ok(());
            }
            push(
                state,
                Change::DropIndex { name: name.clone() },
                None,
                next_position,
                out,
            )
        }
        Statement::Insert(insert) => plan_insert(state, insert, params, next_position, out),
        Statement::Update(update) => plan_update(state, update, params, next_position, out),
        Statement::Delete(delete) => {
            let table = live_table(state, &delete.table)?;
            for (key, _) in matching_rows(state, &table, delete.filter.as_ref(), params)? {
                let change = RowChange {
                    table: table.name.clone(),
                    op: RowOp::Delete,
                    key,
                    row: None,
                };
                push(state, Change::Row(change), Some(&table), next_position, out)?;
                out.rows_affected += 1;
            }
            Ok(())
        }
        Statement::Select(_) => Err(Failure::Invalid(
            "a SELECT is a query: use query(), not execute()".into(),
        )),
    }
}

/// Applies a planned change provisionally and records it.
fn push(
    state: &mut WriteState<'_>,
    change: Change,
    table: Option<&Arc<TableDef>>,
    next_position: &mut u64,
    out: &mut Planned,
) -> Result<(), Failure> {
    if out.changes.len() >= limits::SQL_ROWS_PER_WRITE_MAX {
        return Err(Failure::Limit(format!(
            "one write changes at most {} rows",
            limits::SQL_ROWS_PER_WRITE_MAX
        )));
    }
    match apply::apply(state, &change, *next_position)? {
        Ok(()) => {}
        Err(Violation {
            kind: ViolationKind::Constraint,
            message,
        }) => return Err(Failure::Constraint(message)),
        Err(Violation {
            kind: ViolationKind::Invalid,
            message,
        }) => return Err(Failure::Invalid(message)),
    }
    *next_position += 1;
    out.changes.push((change, table.cloned()));
    Ok(())
}

fn live_table(state: &WriteState<'_>, name: &str) -> Result<Arc<TableDef>, Failure> {
    state
        .schema
        .table(name)
        .cloned()
        .ok_or_else(|| Failure::Invalid(format!("no table {name}")))
}

fn create_table(create: &CreateTable) -> Result<Change, Failure> {
    let columns = create
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            column_type: c.column_type,
            not_null: c.not_null,
        })
        .collect();
    Ok(Change::CreateTable {
        name: create.name.clone(),
        columns,
        primary_key: create.primary_key.clone(),
    })
}

fn plan_update(
    state: &mut WriteState<'_>,
    update: &Update,
    params: &[Value],
    next_position: &mut u64,
    out: &mut Planned,
) -> Result<(), Failure> {
    let table = live_table(state, &update.table)?;
    let mut assignments = Vec::with_capacity(update.assignments.len());
    for (column, value) in &update.assignments {
        let index = table.column(column).ok_or_else(|| {
            Failure::Invalid(format!("no column {column} in table {}", table.name))
        })?;
        if assignments.iter().any(|(i, _)| *i == index) {
            return Err(Failure::Invalid(format!("column {column} assigned twice")));
        }
        let bound = expr::bind(value, Some(&table)).map_err(|e| Failure::Invalid(e.0))?;
        assignments.push((index, bound));
    }
    let matches = matching_rows(state, &table, update.filter.as_ref(), params)?;
    for (key, old) in matches {
        let mut row = old.clone();
        for (index, value) in &assignments {
            let v = eval(value, &old, params).map_err(|e| Failure::Invalid(e.0))?;
            row[*index] = coerce(v, &table.columns[*index])?;
        }
        let change = RowChange {
            table: table.name.clone(),
            op: RowOp::Update,
            key,
            row: Some(row),
        };
        push(state, Change::Row(change), Some(&table), next_position, out)?;
        out.rows_affected += 1;
    }
    Ok(())
}

fn plan_insert(
    state: &mut WriteState<'_>,
    insert: &Insert,
    params: &[Value],
    next_position: &mut u64,
    out: &mut Planned,
) -> Result<(), Failure> {
    let table = live_table(state, &insert.table)?;
    let targets: Vec<usize> = match &insert.columns {
        None => (0..table.columns.len()).collect(),
        Some(names) => {
            let mut targets = Vec::with_capacity(names.len());
            for name in names {
                let index = table.column(name).ok_or_else(|| {
                    Failure::Invalid(format!("no column {name} in table {}", table.name))
                })?;
                if targets.contains(&index) {
                    return Err(Failure::Invalid(format!("column {name} listed twice")));
                }
                targets.push(index);
            }
            targets
        }
    };
    let sources = source_rows(state, &insert.source, params)?;
    let mut next_rowid = match table.primary_key.is_empty() {
        true => Some(last_rowid(state, &table)? + 1),
        false => None,
    };
    for source in sources {
        if source.len() != targets.len() {
            return Err(Failure::Invalid(format!(
                "{} values for {} columns",
                source.len(),
                targets.len()
            )));
        }
        let mut row = vec![Value::Null; table.columns.len()];
        for (value, &target) in source.into_iter().zip(&targets) {
            row[target] = coerce(value, &table.columns[target])?;
        }
        let rowid = next_rowid.map(|id| vec![Value::Integer(id)]);
        if let Some(id) = next_rowid.as_mut() {
            *id = id
                .checked_add(1)
                .ok_or_else(|| Failure::Limit("row ids exhausted".into()))?;
        }
        let key = key_of(&table, &row, rowid.as_deref());
        if key.iter().any(Value::is_null) {
            return Err(Failure::Constraint(format!(
                "NULL in the primary key of {}",
                table.name
            )));
        }
        let change = RowChange {
            table: table.name.clone(),
            op: RowOp::Insert,
            key,
            row: Some(row),
        };
        push(state, Change::Row(change), Some(&table), next_position, out)?;
        out.rows_affected += 1;
    }
    Ok(())
}

/// The rows an INSERT takes: VALUES evaluated, or a SELECT run before anything is inserted.
fn source_rows(
    state: &WriteState<'_>,
    source: &InsertSource,
    params: &[Value],
) -> Result<Vec<Vec<Value>>, Failure> {
    match source {
        InsertSource::Values(rows) => rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|e| {
                        let bound = expr::bind(e, None).map_err(|e| Failure::Invalid(e.0))?;
                        eval(&bound, &[], params).map_err(|e| Failure::Invalid(e.0))
                    })
                    .collect()
            })
            .collect(),
        InsertSource::Select(select) => {
            if select.at.is_some() {
                return Err(Failure::Unsupported(
                    "time travel in INSERT ... SELECT".into(),
                ));
            }
            let plan = exec::bind_select(select, &state.schema, None)?;
            let ctx = Ctx {
                tables: &state.tables,
                schema: &state.schema,
                params,
                end: None,
            };
            Ok(exec::run(&plan, &ctx)?.rows)
        }
    }
}

/// The largest row id of a table keyed by row id (0 when empty).
fn last_rowid(state: &WriteState<'_>, table: &TableDef) -> Result<i64, Failure> {
    use redb::ReadableTable;
    let prefix = table.id.to_be_bytes();
    let range = store::prefix_range(&prefix);
    let (from, to) = (&range.0, &range.1);
    let from = match from {
        std::ops::Bound::Included(v) => v.as_slice(),
        _ => unreachable!("prefix ranges start inclusive"),
    };
    let last = match to {
        std::ops::Bound::Excluded(to) => state
            .tables
            .rows
            .range::<&[u8]>(from..to.as_slice())?
            .next_back(),
        _ => state.tables.rows.range::<&[u8]>(from..)?.next_back(),
    };
    match last {
        None => Ok(0),
        Some(item) => {
            let (k, _) = item?;
            rowid_of(k.value()).ok_or_else(|| Failure::Store(store::corrupt("row id key")))
        }
    }
}

/// The row id in a row key `table_id || 0x02 || u64`.
fn rowid_of(key: &[u8]) -> Option<i64> {
    let bytes: [u8; 8] = key.get(9..17)?.try_into().ok()?;
    Some((u64::from_be_bytes(bytes) ^ (1 << 63)) as i64)
}

/// A row's key values and its values.
type KeyedRow = (Vec<Value>, Vec<Value>);

/// Rows matching a condition: their key values and current values.
fn matching_rows(
    state: &WriteState<'_>,
    table: &Arc<TableDef>,
    filter: Option<&super::ast::Expr>,
    params: &[Value],
) -> Result<Vec<KeyedRow>, Failure> {
    let filter = filter
        .map(|f| exec::bind_condition(f, Some(table)))
        .transpose()?;
    if table.primary_key.is_empty() {
        return rowid_rows(state, table, filter.as_ref(), params);
    }
    let access = plan::choose(table, filter.as_ref());
    let ctx = Ctx {
        tables: &state.tables,
        schema: &state.schema,
        params,
        end: None,
    };
    let mut rows = Vec::new();
    let mut keep = |row: Vec<Value>, _version: u64| -> Result<bool, Failure> {
        if let Some(f) = &filter {
            let v = eval(f, &row, params).map_err(|e| Failure::Invalid(e.0))?;
            if expr::truth(&v).map_err(|e| Failure::Invalid(e.0))? != Some(true) {
                return Ok(true);
            }
        }
        if rows.len() >= limits::SQL_ROWS_PER_WRITE_MAX {
            return Err(Failure::Limit(format!(
                "one write changes at most {} rows",
                limits::SQL_ROWS_PER_WRITE_MAX
            )));
        }
        rows.push(row);
        Ok(true)
    };
    exec::candidates(table, &access, &ctx, &mut keep)?;
    Ok(rows
        .into_iter()
        .map(|row| (key_of(table, &row, None), row))
        .collect())
}

/// `matching_rows` for a table keyed by hidden row ids: a scan that keeps each row's key.
fn rowid_rows(
    state: &WriteState<'_>,
    table: &TableDef,
    filter: Option<&expr::Bound>,
    params: &[Value],
) -> Result<Vec<KeyedRow>, Failure> {
    let prefix = table.id.to_be_bytes();
    let mut out = Vec::new();
    let mut failure = None;
    state
        .tables
        .scan_rows(table, &store::prefix_range(&prefix), |key, _, row| {
            let keep = match filter {
                None => Ok(true),
                Some(f) => eval(f, &row, params)
                    .and_then(|v| expr::truth(&v))
                    .map(|t| t == Some(true)),
            };
            match (keep, rowid_of(key)) {
                (Ok(true), Some(id)) if out.len() < limits::SQL_ROWS_PER_WRITE_MAX => {
                    out.push((vec![Value::Integer(id)], row));
                    Ok(true)
                }
                (Ok(true), _) => {
                    failure = Some(Failure::Limit("too many rows in one write".into()));
                    Ok(false)
                }
                (Ok(false), _) => Ok(true),
                (Err(e), _) => {
                    failure = Some(Failure::Invalid(e.0));
                    Ok(false)
                }
            }
        })?;
    failure.map_or(Ok(out), Err)
}

/// Converts a value to a column's type: integers widen to reals, integral reals narrow to
/// integers, text becomes a timestamp for timestamp columns; anything else is refused.
pub(crate) fn coerce(value: Value, column: &Column) -> Result<Value, Failure> {
    let mismatch = |v: &Value| {
        Failure::Invalid(format!(
            "a {} value does not fit column {} of type {}",
            v.type_name(),
            column.name,
            column.column_type.name()
        ))
    };
    Ok(match (value, column.column_type) {
        (Value::Null, _) => Value::Null,
        (Value::Integer(i), ColumnType::Real) => Value::Real(i as f64),
        (Value::Real(f), ColumnType::Real) => {
            Value::Real(canonical_real(f).ok_or_else(|| mismatch(&Value::Real(f)))?)
        }
        (Value::Real(f), ColumnType::Integer) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
            Value::Integer(f as i64)
        }
        (Value::Text(t), ColumnType::Timestamp) => match parse_timestamp(&t) {
            Some(us) => Value::Timestamp(us),
            None => return Err(Failure::Invalid(format!("'{t}' is not a timestamp"))),
        },
        (v, t)
            if expr::literal_type(&v)
                .is_some_and(|vt| std::mem::discriminant(&vt) == std::mem::discriminant(&t)) =>
        {
            v
        }
        (v, _) => return Err(mismatch(&v)),
    })
}
