//! Tables and indexes as the projection knows them, with their whole history: a table is
//! identified by the position of the entry that created it, so a name reused after `DROP
//! TABLE` names a different table and time travel finds the one live at a position.
//!
//! Invariants: at any position at most one live table has a given name and at most one live
//! index has a given name; index and primary-key column indices are valid for their table.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::value::ColumnType;

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Column {
    pub(crate) name: String,
    #[serde(with = "column_type_name")]
    pub(crate) column_type: ColumnType,
    pub(crate) not_null: bool,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexDef {
    /// Position of the `create_index` entry.
    pub(crate) id: u64,
    pub(crate) name: String,
    /// Column indices, each with `true` for descending.
    pub(crate) columns: Vec<(usize, bool)>,
    pub(crate) unique: bool,
}

/// A table, live or dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TableDef {
    /// Position of the `create_table` entry.
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) columns: Vec<Column>,
    /// Column indices of the primary key; empty for a table keyed by a hidden row id.
    pub(crate) primary_key: Vec<usize>,
    pub(crate) indexes: Vec<IndexDef>,
    /// Position of the `drop_table` entry, once dropped.
    pub(crate) dropped: Option<u64>,
}

impl TableDef {
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Whether the table existed after the entries before `end` were applied.
    pub(crate) fn live_at(&self, end: u64) -> bool {
        self.id < end && self.dropped.is_none_or(|d| d >= end)
    }
}

/// Every table the tenant ever created, in creation order, and an index of the live ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    tables: Vec<Arc<TableDef>>,
    live: HashMap<String, usize>,
    /// Bumped by every schema change, so cached plans know when to bind again.
    pub(crate) version: u64,
}

impl Schema {
    /// A schema from stored table definitions (any order).
    pub(crate) fn from_tables(mut tables: Vec<TableDef>) -> Schema {
        tables.sort_by_key(|t| t.id);
        let mut schema = Schema::default();
        for table in tables {
            schema.push(table);
        }
        schema
    }

    fn push(&mut self, table: TableDef) {
        if table.dropped.is_none() {
            self.live.insert(table.name.clone(), self.tables.len());
        }
        self.tables.push(Arc::new(table));
    }

    /// The live table called `name`.
    pub(crate) fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.live.get(name).map(|&i| &self.tables[i])
    }

    /// The table called `name` that was live once the entries before `end` were applied.
    pub(crate) fn table_at(&self, name: &str, end: u64) -> Option<&Arc<TableDef>> {
        self.tables
            .iter()
            .rev()
            .find(|t| t.name == name && t.live_at(end))
    }

    /// The live table holding the index called `name`.
    pub(crate) fn index_owner(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.live
            .values()
            .map(|&i| &self.tables[i])
            .find(|t| t.indexes.iter().any(|ix| ix.name == name))
    }

    pub(crate) fn live_count(&self) -> usize {
        self.live.len()
    }

    /// Adds or replaces a table definition (replacing keeps creation order).
    pub(crate) fn put(&mut self, table: TableDef) {
        self.version += 1;
        match self.tables.iter().position(|t| t.id == table.id) {
            Some(i) => {
                self.live.retain(|_, &mut j| j != i);
                if table.dropped.is_none() {
                    self.live.insert(table.name.clone(), i);
                }
                self.tables[i] = Arc::new(table);
            }
            None => self.push(table),
        }
    }
}

mod column_type_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::sql::value::ColumnType;

    pub(super) fn serialize<S: Serializer>(t: &ColumnType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ColumnType, D::Error> {
        let name = String::deserialize(d)?;
        ColumnType::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown column type {name}")))
    }
}
