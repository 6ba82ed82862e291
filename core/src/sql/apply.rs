//! The deterministic state transition: `apply(state, change, position)`. Live
//! writes and replay both go through [`apply`], so a projection rebuilt from the log equals
//! the live one.
//!
//! `apply` checks every rule again (types, NOT NULL, keys, unique indexes, names, limits). A
//! change that breaks one is a [`Violation`]: the planner turns it into an error before
//! anything is appended; replay ignores the entry (it can only come from a writer other than
//! this SQL layer) and counts it, identically on every replay.

use std::sync::Arc;

use redb::{ReadableTable, Table};

use super::change::{Change, RowChange, RowOp};
use super::schema::{Column, IndexDef, Schema, TableDef};
use super::store::{self, Bytes, StoreResult, Tables};
use super::value::{ColumnType, Value, canonical_real};
use crate::limits;

/// Why a change cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) kind: ViolationKind,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViolationKind {
    /// A key, unique index, NOT NULL or length rule.
    Constraint,
    /// A name that does not exist or already exists, a bad definition, a limit.
    Invalid,
}

fn constraint<T>(message: impl Into<String>) -> Result<T, Violation> {
    Err(Violation {
        kind: ViolationKind::Constraint,
        message: message.into(),
    })
}

fn invalid<T>(message: impl Into<String>) -> Result<T, Violation> {
    Err(Violation {
        kind: ViolationKind::Invalid,
        message: message.into(),
    })
}

/// The state a change applies to: the tables of one write transaction and the schema.
pub(crate) struct WriteState<'t> {
    pub(crate) tables: Tables<Table<'t, Bytes, Bytes>>,
    pub(crate) defs: Table<'t, Bytes, Bytes>,
    pub(crate) schema: Schema,
}

/// Applies one change at `position`; the outer error is the store failing, the inner one the
/// change breaking a rule (nothing was changed then). The caller records the entry's timestamp
/// in `timeline`.
pub(crate) fn apply(
    state: &mut WriteState<'_>,
    change: &Change,
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    match change {
        Change::CreateTable {
            name,
            columns,
            primary_key,
        } => create_table(state, name, columns, primary_key, position),
        Change::DropTable { name } => drop_table(state, name, position),
        Change::CreateIndex {
            name,
            table,
            columns,
            unique,
        } => create_index(state, name, table, columns, *unique, position),
        Change::DropIndex { name } => drop_index(state, name),
        Change::Row(row) => apply_row(state, row, position),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= limits::SQL_NAME_BYTES_MAX
        && !name.chars().any(char::is_control)
}

fn put_table(state: &mut WriteState<'_>, def: TableDef) -> StoreResult<()> {
    let json = serde_json::to_vec(&def).expect("table definitions serialize");
    state
        .defs
        .insert(def.id.to_be_bytes().as_slice(), json.as_slice())?;
    state.schema.put(def);
    Ok(())
}

fn create_table(
    state: &mut WriteState<'_>,
    name: &str,
    columns: &[Column],
    primary_key: &[String],
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    let checked = (|| {
        if !valid_name(name) {
            return invalid(format!("invalid table name {name:?}"));
        }
        if state.schema.table(name).is_some() {
            return invalid(format!("table {name} already exists"));
        }
        if state.schema.live_count() >= limits::SQL_TABLES_MAX {
            return invalid(format!("more than {} tables", limits::SQL_TABLES_MAX));
        }
        if columns.is_empty() || columns.len() > limits::SQL_COLUMNS_MAX {
            return invalid(format!(
                "a table has 1 to {} columns",
                limits::SQL_COLUMNS_MAX
            ));
        }
        for (i, c) in columns.iter().enumerate() {
            if !valid_name(&c.name) || columns[..i].iter().any(|o| o.name == c.name) {
                return invalid(format!("invalid or repeated column name {:?}", c.name));
            }
        }
        if primary_key.len() > limits::SQL_INDEX_COLUMNS_MAX {
            return invalid("too many primary key columns");
        }
        let mut key = Vec::with_capacity(primary_key.len());
        for (i, k) in primary_key.iter().enumerate() {
            let Some(index) = columns.iter().position(|c| c.name == *k) else {
                return invalid(format!("primary key column {k} is not a column"));
            };
            if primary_key[..i].contains(k) {
                return invalid(format!("primary key column {k} repeated"));
            }
            key.push(index);
        }
        Ok(key)
    })();
    let key = match checked {
        Ok(key) => key,
        Err(v) => return Ok(Err(v)),
    };
    let mut columns = columns.to_vec();
    for &k in &key {
        columns[k].not_null = true;
    }
    put_table(
        state,
        TableDef {
            id: position,
            name: name.to_owned(),
            columns,
            primary_key: key,
            indexes: Vec::new(),
            dropped: None,
        },
    )?;
    Ok(Ok(()))
}

fn drop_table(
    state: &mut WriteState<'_>,
    name: &str,
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    let Some(table) = state.schema.table(name).cloned() else {
        return Ok(invalid(format!("no table {name}")));
    };
    let prefix = table.id.to_be_bytes();
    let range = store::prefix_range(&prefix);
    let (start, end) = store::borrowed(&range);
    state
        .tables
        .rows
        .retain_in::<&[u8], _>((start, end), |_, _| false)?;
    for index in &table.indexes {
        remove_index_entries(state, index.id)?;
    }
    let mut def = table.as_ref().clone();
    def.dropped = Some(position);
    def.indexes.clear();
    put_table(state, def)?;
    Ok(Ok(()))
}

fn remove_index_entries(state: &mut WriteState<'_>, index_id: u64) -> StoreResult<()> {
    let prefix = index_id.to_be_bytes();
    let range = store::prefix_range(&prefix);
    state
        .tables
        .index
        .retain_in::<&[u8], _>(store::borrowed(&range), |_, _| false)?;
    Ok(())
}

fn create_index(
    state: &mut WriteState<'_>,
    name: &str,
    table: &str,
    columns: &[(String, bool)],
    unique: bool,
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    let Some(def) = state.schema.table(table).cloned() else {
        return Ok(invalid(format!("no table {table}")));
    };
    let checked = (|| {
        if !valid_name(name) || state.schema.index_owner(name).is_some() {
            return invalid(format!(
                "index {name} already exists or has an invalid name"
            ));
        }
        if def.indexes.len() >= limits::SQL_INDEXES_PER_TABLE_MAX {
            return invalid(format!(
                "more than {} indexes on {table}",
                limits::SQL_INDEXES_PER_TABLE_MAX
            ));
        }
        if columns.is_empty() || columns.len() > limits::SQL_INDEX_COLUMNS_MAX {
            return invalid("an index has 1 to 16 columns");
        }
        let mut resolved = Vec::with_capacity(columns.len());
        for (c, desc) in columns {
            match def.column(c) {
                Some(i) if !resolved.iter().any(|(j, _)| *j == i) => resolved.push((i, *desc)),
                _ => {
                    return invalid(format!(
                        "index column {c} is not a column of {table} or repeats"
                    ));
                }
            }
        }
        Ok(resolved)
    })();
    let resolved = match checked {
        Ok(r) => r,
        Err(v) => return Ok(Err(v)),
    };
    let index = IndexDef {
        id: position,
        name: name.to_owned(),
        columns: resolved,
        unique,
    };
    let mut rows = Vec::new();
    let prefix = def.id.to_be_bytes();
    state
        .tables
        .scan_rows(&def, &store::prefix_range(&prefix), |key, version, row| {
            rows.push((key.to_vec(), version, row));
            Ok(true)
        })?;
    for (key, version, row) in &rows {
        if let Err(v) = check_unique(state, &index, row, key)? {
            remove_index_entries(state, index.id)?;
            return Ok(Err(v));
        }
        let stored = store::encode_stored(*version, row);
        insert_index_entry(state, &index, row, key, &stored)?;
    }
    let mut def = def.as_ref().clone();
    def.indexes.push(index);
    put_table(state, def)?;
    Ok(Ok(()))
}

fn drop_index(state: &mut WriteState<'_>, name: &str) -> StoreResult<Result<(), Violation>> {
    let Some(def) = state.schema.index_owner(name).cloned() else {
        return Ok(invalid(format!("no index {name}")));
    };
    let mut def = def.as_ref().clone();
    if let Some(i) = def.indexes.iter().position(|ix| ix.name == name) {
        let index = def.indexes.remove(i);
        remove_index_entries(state, index.id)?;
    }
    put_table(state, def)?;
    Ok(Ok(()))
}

fn index_values<'r>(index: &IndexDef, row: &'r [Value]) -> Vec<(&'r Value, bool)> {
    index
        .columns
        .iter()
        .map(|&(c, desc)| (&row[c], desc))
        .collect()
}

/// Adds the index entry of a row; `stored` is the row as stored (`version || row`).
fn insert_index_entry(
    state: &mut WriteState<'_>,
    index: &IndexDef,
    row: &[Value],
    key: &[u8],
    stored: &[u8],
) -> StoreResult<()> {
    let entry = store::index_key(index.id, &index_values(index, row), key);
    let value = store::encode_index_value(key, stored);
    state
        .tables
        .index
        .insert(entry.as_slice(), value.as_slice())?;
    Ok(())
}

fn remove_index_entry(
    state: &mut WriteState<'_>,
    index: &IndexDef,
    row: &[Value],
    key: &[u8],
) -> StoreResult<()> {
    let entry = store::index_key(index.id, &index_values(index, row), key);
    state.tables.index.remove(entry.as_slice())?;
    Ok(())
}

/// A unique index refuses a second row with the same non-NULL values (NULLs are distinct).
fn check_unique(
    state: &WriteState<'_>,
    index: &IndexDef,
    row: &[Value],
    key: &[u8],
) -> StoreResult<Result<(), Violation>> {
    let values = index_values(index, row);
    if !index.unique || values.iter().any(|(v, _)| v.is_null()) {
        return Ok(Ok(()));
    }
    let prefix = store::index_prefix(index.id, &values);
    if state.tables.index_has_other(&prefix, Some(key))? {
        return Ok(constraint(format!(
            "unique index {} already holds these values",
            index.name
        )));
    }
    Ok(Ok(()))
}

/// Checks that `row` fits the table: arity, exact canonical types, NOT NULL, lengths.
pub(crate) fn check_row(table: &TableDef, row: &[Value]) -> Result<(), Violation> {
    if row.len() != table.columns.len() {
        return invalid(format!(
            "{} values for {} columns",
            row.len(),
            table.columns.len()
        ));
    }
    for (value, column) in row.iter().zip(&table.columns) {
        let fits = match (value, column.column_type) {
            (Value::Null, _) => {
                if column.not_null {
                    return constraint(format!(
                        "NULL in NOT NULL column {}.{}",
                        table.name, column.name
                    ));
                }
                true
            }
            (Value::Integer(_), ColumnType::Integer) => true,
            (Value::Real(v), ColumnType::Real) => {
                canonical_real(*v).is_some_and(|c| c.to_bits() == v.to_bits())
            }
            (Value::Text(t), ColumnType::Text { max_chars }) => {
                if let Some(max) = max_chars
                    && t.chars().count() > max as usize
                {
                    return constraint(format!(
                        "value too long for {}.{} (at most {max} characters)",
                        table.name, column.name
                    ));
                }
                true
            }
            (Value::Boolean(_), ColumnType::Boolean) => true,
            (Value::Bytes(_), ColumnType::Bytes) => true,
            (Value::Timestamp(_), ColumnType::Timestamp) => true,
            _ => false,
        };
        if !fits {
            return invalid(format!(
                "a {} value does not fit column {}.{} of type {}",
                value.type_name(),
                table.name,
                column.name,
                column.column_type.name()
            ));
        }
    }
    Ok(())
}

/// The key values of a row: its primary key columns, or the hidden row id.
pub(crate) fn key_of(table: &TableDef, row: &[Value], rowid: Option<&[Value]>) -> Vec<Value> {
    match table.primary_key.is_empty() {
        true => rowid.map(<[Value]>::to_vec).unwrap_or_default(),
        false => table.primary_key.iter().map(|&k| row[k].clone()).collect(),
    }
}

fn apply_row(
    state: &mut WriteState<'_>,
    change: &RowChange,
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    let Some(table) = state.schema.table(&change.table).cloned() else {
        return Ok(invalid(format!("no table {}", change.table)));
    };
    if let Some(row) = &change.row
        && let Err(v) = check_row(&table, row)
    {
        return Ok(Err(v));
    }
    let key_width = table.primary_key.len().max(1);
    if change.key.len() != key_width || change.key.iter().any(Value::is_null) {
        return Ok(invalid("malformed row key"));
    }
    let old_key = store::row_key(table.id, &change.key);
    let old = state.tables.row(&table, &old_key)?;
    match (change.op, old, &change.row) {
        (RowOp::Insert, None, Some(row)) => {
            if !table.primary_key.is_empty() && key_of(&table, row, None) != change.key {
                return Ok(invalid("row key does not match the row"));
            }
            if table.primary_key.is_empty() && !matches!(change.key[..], [Value::Integer(_)]) {
                return Ok(invalid("row id must be an integer"));
            }
            write_row(state, &table, None, &old_key, row, position)
        }
        (RowOp::Insert, Some(_), _) => Ok(constraint(format!(
            "duplicate primary key in table {}",
            table.name
        ))),
        (RowOp::Update, Some((_, old_row)), Some(row)) => {
            let new_key = match table.primary_key.is_empty() {
                true => old_key.clone(),
                false => store::row_key(table.id, &key_of(&table, row, None)),
            };
            if new_key != old_key && state.tables.row(&table, &new_key)?.is_some() {
                return Ok(constraint(format!(
                    "duplicate primary key in table {}",
                    table.name
                )));
            }
            write_row(
                state,
                &table,
                Some((&old_key, &old_row)),
                &new_key,
                row,
                position,
            )
        }
        (RowOp::Delete, Some((_, old_row)), None) => {
            delete_row(state, &table, &old_key, &old_row, position)?;
            Ok(Ok(()))
        }
        (RowOp::Update | RowOp::Delete, None, _) => {
            Ok(invalid(format!("no such row in {}", table.name)))
        }
        _ => Ok(invalid("malformed row change")),
    }
}

fn delete_row(
    state: &mut WriteState<'_>,
    table: &TableDef,
    key: &[u8],
    row: &[Value],
    position: u64,
) -> StoreResult<()> {
    for index in &table.indexes {
        remove_index_entry(state, index, row, key)?;
    }
    state.tables.rows.remove(key)?;
    let history = store::history_key(key, position);
    state
        .tables
        .history
        .insert(history.as_slice(), store::encode_history(None).as_slice())?;
    Ok(())
}

/// Writes `row` under `key`, replacing `old` (its key and row) if given; checks unique
/// indexes first, so a violation changes nothing.
fn write_row(
    state: &mut WriteState<'_>,
    table: &Arc<TableDef>,
    old: Option<(&[u8], &[Value])>,
    key: &[u8],
    row: &[Value],
    position: u64,
) -> StoreResult<Result<(), Violation>> {
    for index in &table.indexes {
        let same = old.is_some_and(|(old_key, old_row)| {
            old_key == key && index_values(index, old_row) == index_values(index, row)
        });
        if same {
            continue;
        }
        let except = old.map(|(k, _)| k);
        if let Err(v) = check_unique(state, index, row, except.unwrap_or(key))? {
            return Ok(Err(v));
        }
    }
    if let Some((old_key, old_row)) = old {
        for index in &table.indexes {
            remove_index_entry(state, index, old_row, old_key)?;
        }
        if old_key != key {
            state.tables.rows.remove(old_key)?;
            let history = store::history_key(old_key, position);
            state
                .tables
                .history
                .insert(history.as_slice(), store::encode_history(None).as_slice())?;
        }
    }
    let stored = store::encode_stored(position, row);
    for index in &table.indexes {
        insert_index_entry(state, index, row, key, &stored)?;
    }
    state.tables.rows.insert(key, stored.as_slice())?;
    let history = store::history_key(key, position);
    state.tables.history.insert(
        history.as_slice(),
        store::encode_history(Some(row)).as_slice(),
    )?;
    Ok(Ok(()))
}

/// Everything in the store, as sorted (table, key, value) triples: what "replay equals live"
/// compares.
pub(crate) fn dump<T: ReadableTable<Bytes, Bytes>>(
    name: &'static str,
    table: &T,
    out: &mut Vec<(&'static str, Vec<u8>, Vec<u8>)>,
) -> StoreResult<()> {
    for item in table.range::<&[u8]>(..)? {
        let (k, v) = item?;
        out.push((name, k.value().to_vec(), v.value().to_vec()));
    }
    Ok(())
}
