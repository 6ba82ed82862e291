//! The projection store: one redb database per tenant holding the tables derived from the
//! log (`docs/internals/projections.md`).
//!
//! redb tables, all with byte-string keys and values:
//! - `meta`: `applied` (u64: entries of the log applied, an exclusive end), `chain` (the chain
//!   hash of entry `applied - 1`), `format`, `ignored` (entries that did not apply);
//! - `tables`: table id (u64, the position of its `create_table`) → table definition (JSON);
//! - `rows`: `table_id || key` → `version (u64) || row`: the current rows;
//! - `index`: `index_id || index key || key` → `u32 len || table_id || key`, then, for rows of
//!   at most `SQL_INDEX_INLINE_ROW_BYTES_MAX` stored bytes, a copy of the stored row
//!   (`version || row`), so an index scan reads no second table: secondary index entries;
//! - `history`: `table_id || key || position (u64)` → `0` (deleted) or `1 || row`: every
//!   version of every row, for time travel;
//! - `timeline`: timestamp (u64) → exclusive end of the last schema or row entry with that
//!   timestamp, for `AS OF TIMESTAMP`.
//!
//! Keys are order-preserving ([`super::value::encode_key`]), integers big-endian, so ranges
//! of keys are ranges of values. Invariant: `rows`, `index` and `history` change only in the
//! transaction that advances `applied`, so a reopened store is always exactly the log's prefix
//! `0..applied` applied.

use std::ops::Bound;

use redb::{ReadableTable, TableDefinition};

use super::schema::{Schema, TableDef};
use super::value::{self, Value};

pub(crate) type Bytes = &'static [u8];
pub(crate) const META: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("meta");
pub(crate) const TABLES: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("tables");
pub(crate) const ROWS: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("rows");
pub(crate) const INDEX: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("index");
pub(crate) const HISTORY: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("history");
pub(crate) const TIMELINE: TableDefinition<'_, Bytes, Bytes> = TableDefinition::new("timeline");

/// The store layout version written in `meta`; a different one is rebuilt from the log.
pub(crate) const FORMAT: u64 = 2;

/// A failure of the projection store.
#[derive(Debug)]
pub(crate) enum StoreError {
    Io(std::io::Error),
    Corrupt(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> StoreError {
                StoreError::from_redb(e.into())
            }
        }
        impl From<$t> for super::Failure {
            fn from(e: $t) -> super::Failure {
                super::Failure::Store(StoreError::from_redb(e.into()))
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::StorageError,
    redb::TransactionError,
    redb::TableError,
    redb::CommitError,
    redb::DatabaseError,
    redb::SetDurabilityError
);

impl StoreError {
    fn from_redb(e: redb::Error) -> StoreError {
        match e {
            redb::Error::Io(io) => StoreError::Io(io),
            redb::Error::PreviousIo => StoreError::Io(std::io::Error::other(
                "an earlier write to the projection store failed",
            )),
            other => StoreError::Corrupt(other.to_string()),
        }
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// The data tables of one snapshot or transaction.
pub(crate) struct Tables<T> {
    pub(crate) rows: T,
    pub(crate) index: T,
    pub(crate) history: T,
    pub(crate) timeline: T,
}

/// `table_id || key(values)`.
pub(crate) fn row_key(table_id: u64, key: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + key.len() * 10);
    out.extend_from_slice(&table_id.to_be_bytes());
    key_into(key, &mut out);
    out
}

/// The key encoding of a primary key's values.
pub(crate) fn key_into(key: &[Value], out: &mut Vec<u8>) {
    for v in key {
        value::encode_key(v, false, out);
    }
}

/// `index_id || index values (each ASC or DESC) || key`.
pub(crate) fn index_key(index_id: u64, values: &[(&Value, bool)], key: &[u8]) -> Vec<u8> {
    let mut out = index_prefix(index_id, values);
    out.extend_from_slice(key);
    out
}

/// `index_id || index values`: every entry for these values starts with it.
pub(crate) fn index_prefix(index_id: u64, values: &[(&Value, bool)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + values.len() * 10);
    out.extend_from_slice(&index_id.to_be_bytes());
    for (v, desc) in values {
        value::encode_key(v, *desc, &mut out);
    }
    out
}

/// An index entry's value: the row key, and a copy of the stored row (`version || row`) if it
/// is small enough.
pub(crate) fn encode_index_value(row_key: &[u8], stored: &[u8]) -> Vec<u8> {
    let inline = stored.len() <= crate::limits::SQL_INDEX_INLINE_ROW_BYTES_MAX;
    let mut out = Vec::with_capacity(4 + row_key.len() + if inline { stored.len() } else { 0 });
    let len = u32::try_from(row_key.len()).expect("row keys are bounded by the payload limit");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(row_key);
    if inline {
        out.extend_from_slice(stored);
    }
    out
}

fn decode_index_value(value: &[u8]) -> StoreResult<(&[u8], Option<&[u8]>)> {
    let (len, rest) = value
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("short index value"))?;
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        return Err(corrupt("index value shorter than its key"));
    }
    let (key, stored) = rest.split_at(len);
    Ok((key, (!stored.is_empty()).then_some(stored)))
}

/// The smallest key greater than every key starting with `prefix`, if any.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The key range of every key starting with `prefix`.
pub(crate) fn prefix_range(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    (Bound::Included(prefix.to_vec()), end)
}

/// A byte range borrowed for redb's `range`.
pub(crate) fn borrowed(range: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (
        range.0.as_ref().map(Vec::as_slice),
        range.1.as_ref().map(Vec::as_slice),
    )
}

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// A stored row value: `version || row`.
pub(crate) fn encode_stored(version: u64, row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&version.to_be_bytes());
    value::encode_row(row, &mut out);
    out
}

pub(crate) fn decode_stored(bytes: &[u8], table: &TableDef) -> StoreResult<(u64, Vec<Value>)> {
    let (version, row) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| corrupt("short row value"))?;
    let row = value::decode_row(row, table.columns.len())
        .ok_or_else(|| corrupt(format!("undecodable row of table {}", table.name)))?;
    Ok((u64::from_be_bytes(*version), row))
}

impl<T: ReadableTable<Bytes, Bytes>> Tables<T> {
    /// The current row with this `table_id || key`, and its version.
    pub(crate) fn row(
        &self,
        table: &TableDef,
        key: &[u8],
    ) -> StoreResult<Option<(u64, Vec<Value>)>> {
        match self.rows.get(key)? {
            Some(v) => Ok(Some(decode_stored(v.value(), table)?)),
            None => Ok(None),
        }
    }

    /// Current rows with keys in `range`, in key order, until `f` returns false.
    pub(crate) fn scan_rows(
        &self,
        table: &TableDef,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        mut f: impl FnMut(&[u8], u64, Vec<Value>) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        for item in self.rows.range::<&[u8]>(borrowed(range))? {
            let (k, v) = item?;
            let (version, row) = decode_stored(v.value(), table)?;
            if !f(k.value(), version, row)? {
                break;
            }
        }
        Ok(())
    }

    /// Index entries in `range`, in index order: each row's key (`table_id || key`) and its
    /// stored row when the entry holds a copy.
    pub(crate) fn scan_index(
        &self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        mut f: impl FnMut(&[u8], Option<&[u8]>) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        for item in self.index.range::<&[u8]>(borrowed(range))? {
            let (_, v) = item?;
            let (key, stored) = decode_index_value(v.value())?;
            if !f(key, stored)? {
                break;
            }
        }
        Ok(())
    }

    /// Whether any index entry starts with `prefix` for a row other than `except`.
    pub(crate) fn index_has_other(
        &self,
        prefix: &[u8],
        except: Option<&[u8]>,
    ) -> StoreResult<bool> {
        let mut found = false;
        self.scan_index(&prefix_range(prefix), |key, _| {
            found = Some(key) != except;
            Ok(!found)
        })?;
        Ok(found)
    }

    /// The version of row `key` (`table_id || key`) in force before `end`, if it existed.
    pub(crate) fn row_at(
        &self,
        table: &TableDef,
        key: &[u8],
        end: u64,
    ) -> StoreResult<Option<(u64, Vec<Value>)>> {
        let mut from = key.to_vec();
        from.extend_from_slice(&0u64.to_be_bytes());
        let mut to = key.to_vec();
        to.extend_from_slice(&end.to_be_bytes());
        let last = self
            .history
            .range::<&[u8]>(from.as_slice()..to.as_slice())?
            .next_back();
        match last {
            Some(item) => {
                let (k, v) = item?;
                let position = history_position(k.value())?;
                Ok(history_row(v.value(), table)?.map(|row| (position, row)))
            }
            None => Ok(None),
        }
    }

    /// Every row of `table` as it was before `end`, in key order, until `f` returns false.
    pub(crate) fn scan_at(
        &self,
        table: &TableDef,
        end: u64,
        mut f: impl FnMut(&[u8], u64, Vec<Value>) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let prefix = table.id.to_be_bytes();
        let range = prefix_range(&prefix);
        // Versions of one row are adjacent and in position order: keep the last before `end`.
        let mut current: Option<(Vec<u8>, u64, Vec<u8>)> = None;
        let mut emit = |current: Option<(Vec<u8>, u64, Vec<u8>)>| -> StoreResult<bool> {
            if let Some((key, position, value)) = current
                && let Some(row) = history_row(&value, table)?
            {
                return f(&key, position, row);
            }
            Ok(true)
        };
        for item in self.history.range::<&[u8]>(borrowed(&range))? {
            let (k, v) = item?;
            let k = k.value();
            let split = k
                .len()
                .checked_sub(8)
                .ok_or_else(|| corrupt("short history key"))?;
            let (key, position) = (&k[..split], history_position(k)?);
            let same = current
                .as_ref()
                .is_some_and(|(c, _, _)| c.as_slice() == key);
            if !same && !emit(current.take())? {
                return Ok(());
            }
            if position < end {
                current = Some((key.to_vec(), position, v.value().to_vec()));
            } else if !same {
                current = None;
            }
        }
        emit(current)?;
        Ok(())
    }

    /// The exclusive end of the last schema or row entry with a timestamp at or before `us`.
    pub(crate) fn end_at_timestamp(&self, us: u64) -> StoreResult<u64> {
        let to = us.to_be_bytes();
        match self.timeline.range::<&[u8]>(..=to.as_slice())?.next_back() {
            Some(item) => {
                let (_, v) = item?;
                let bytes: [u8; 8] = v
                    .value()
                    .try_into()
                    .map_err(|_| corrupt("timeline value"))?;
                Ok(u64::from_be_bytes(bytes))
            }
            None => Ok(0),
        }
    }
}

fn history_position(key: &[u8]) -> StoreResult<u64> {
    let (_, position) = key
        .split_last_chunk::<8>()
        .ok_or_else(|| corrupt("short history key"))?;
    Ok(u64::from_be_bytes(*position))
}

fn history_row(value: &[u8], table: &TableDef) -> StoreResult<Option<Vec<Value>>> {
    match value.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, row)) => value::decode_row(row, table.columns.len())
            .map(Some)
            .ok_or_else(|| corrupt(format!("undecodable history row of {}", table.name))),
        _ => Err(corrupt("bad history value")),
    }
}

/// A history value: a deleted marker or the row.
pub(crate) fn encode_history(row: Option<&[Value]>) -> Vec<u8> {
    match row {
        None => vec![0],
        Some(row) => {
            let mut out = vec![1];
            value::encode_row(row, &mut out);
            out
        }
    }
}

/// `table_id || key || position`.
pub(crate) fn history_key(row_key: &[u8], position: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(row_key.len() + 8);
    out.extend_from_slice(row_key);
    out.extend_from_slice(&position.to_be_bytes());
    out
}

/// Loads every table definition.
pub(crate) fn load_schema<T: ReadableTable<Bytes, Bytes>>(tables: &T) -> StoreResult<Schema> {
    let mut defs = Vec::new();
    for item in tables.range::<&[u8]>(..)? {
        let (_, v) = item?;
        let def: TableDef = serde_json::from_slice(v.value())
            .map_err(|e| corrupt(format!("table definition: {e}")))?;
        defs.push(def);
    }
    Ok(Schema::from_tables(defs))
}

/// Reads a u64 from `meta`.
pub(crate) fn meta_u64<T: ReadableTable<Bytes, Bytes>>(
    meta: &T,
    name: &str,
) -> StoreResult<Option<u64>> {
    match meta.get(name.as_bytes())? {
        Some(v) => {
            let bytes: [u8; 8] = v
                .value()
                .try_into()
                .map_err(|_| corrupt(format!("meta {name}")))?;
            Ok(Some(u64::from_be_bytes(bytes)))
        }
        None => Ok(None),
    }
}
