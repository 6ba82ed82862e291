//! The kernel's effects: schema and row changes, and their normative entry layouts
//! (`docs/spec/entry.md` §5.1 and §5.2). A change becomes exactly one entry; decoding an
//! entry gives back the same change, so replaying the log applies exactly what was applied
//! live.
//!
//! Invariant: encoding is canonical (one byte string per change) and decoding accepts only
//! canonical entries; anything else decodes to `None` and replay ignores it.

use super::schema::{Column, Schema, TableDef};
use super::value::{self, ColumnType, Value};
use crate::entry::{Field, Kind};
use crate::log::NewEntry;

/// Prefix of the field holding a column's value in a row entry.
pub(crate) const COLUMN_FIELD_PREFIX: &str = "c.";

/// One change to the tenant's tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    CreateTable {
        name: String,
        columns: Vec<Column>,
        primary_key: Vec<String>,
    },
    DropTable {
        name: String,
    },
    CreateIndex {
        name: String,
        table: String,
        columns: Vec<(String, bool)>,
        unique: bool,
    },
    DropIndex {
        name: String,
    },
    Row(RowChange),
}

/// What a row entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowOp {
    Insert,
    Update,
    Delete,
}

impl RowOp {
    fn name(self) -> &'static str {
        match self {
            RowOp::Insert => "insert",
            RowOp::Update => "update",
            RowOp::Delete => "delete",
        }
    }
}

/// A row change: for insert the new row's key, for update and delete the key of the row
/// before the change; `row` is the full new row (absent for delete).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowChange {
    pub(crate) table: String,
    pub(crate) op: RowOp,
    pub(crate) key: Vec<Value>,
    pub(crate) row: Option<Vec<Value>>,
}

impl Change {
    /// The entry recording this change; row changes need their table's definition.
    pub(crate) fn to_entry(&self, table: Option<&TableDef>, actor: &str) -> NewEntry {
        let (kind, fields) = match self {
            Change::Row(row) => {
                let table = table.expect("row changes are encoded with their table");
                (Kind::Row, row_fields(row, table))
            }
            schema => (Kind::Schema, schema_fields(schema)),
        };
        NewEntry {
            kind,
            actor: actor.to_owned(),
            fields,
        }
    }

    /// Decodes an entry of kind schema or row against the schema in force before it.
    pub(crate) fn from_entry(kind: Kind, fields: &[Field], schema: &Schema) -> Option<Change> {
        match kind {
            Kind::Schema => decode_schema(fields),
            Kind::Row => decode_row(fields, schema).map(Change::Row),
            _ => None,
        }
    }
}

fn text_field(name: &str, value: &str) -> Field {
    Field::new(name, value.as_bytes().to_vec())
}

fn schema_fields(change: &Change) -> Vec<Field> {
    match change {
        Change::CreateTable {
            name,
            columns,
            primary_key,
        } => {
            let columns: Vec<String> = columns
                .iter()
                .map(|c| {
                    let null = if c.not_null { "\tnot null" } else { "" };
                    format!("{}\t{}{null}", c.name, c.column_type.name())
                })
                .collect();
            vec![
                text_field("op", "create_table"),
                text_field("table", name),
                text_field("columns", &columns.join("\n")),
                text_field("primary_key", &primary_key.join("\n")),
            ]
        }
        Change::DropTable { name } => {
            vec![text_field("op", "drop_table"), text_field("table", name)]
        }
        Change::CreateIndex {
            name,
            table,
            columns,
            unique,
        } => {
            let columns: Vec<String> = columns
                .iter()
                .map(|(c, desc)| format!("{c}\t{}", if *desc { "desc" } else { "asc" }))
                .collect();
            vec![
                text_field("op", "create_index"),
                text_field("table", table),
                text_field("index", name),
                text_field("columns", &columns.join("\n")),
                text_field("unique", if *unique { "true" } else { "false" }),
            ]
        }
        Change::DropIndex { name } => {
            vec![text_field("op", "drop_index"), text_field("index", name)]
        }
        Change::Row(_) => unreachable!("row changes are not schema entries"),
    }
}

fn row_fields(row: &RowChange, table: &TableDef) -> Vec<Field> {
    let mut key = Vec::new();
    value::encode_row(&row.key, &mut key);
    let mut fields = vec![
        text_field("table", &row.table),
        text_field("op", row.op.name()),
        Field::new("key", key),
    ];
    if let Some(values) = &row.row {
        for (column, v) in table.columns.iter().zip(values) {
            let mut bytes = Vec::new();
            value::encode_field(v, &mut bytes);
            fields.push(Field::new(
                format!("{COLUMN_FIELD_PREFIX}{}", column.name),
                bytes,
            ));
        }
    }
    fields
}

/// The text fields of a schema entry, in order, with the expected names.
fn texts<'a, const N: usize>(fields: &'a [Field], names: [&str; N]) -> Option<[&'a str; N]> {
    if fields.len() != N {
        return None;
    }
    let mut out = [""; N];
    for ((field, name), slot) in fields.iter().zip(names).zip(out.iter_mut()) {
        if field.name != name {
            return None;
        }
        *slot = std::str::from_utf8(&field.value).ok()?;
    }
    Some(out)
}

fn decode_schema(fields: &[Field]) -> Option<Change> {
    let op = fields.first().filter(|f| f.name == "op")?;
    let change = match op.value.as_slice() {
        b"create_table" => {
            let [_, table, columns, primary_key] =
                texts(fields, ["op", "table", "columns", "primary_key"])?;
            Change::CreateTable {
                name: table.to_owned(),
                columns: columns
                    .split('\n')
                    .map(decode_column)
                    .collect::<Option<_>>()?,
                primary_key: lines(primary_key),
            }
        }
        b"drop_table" => {
            let [_, table] = texts(fields, ["op", "table"])?;
            Change::DropTable {
                name: table.to_owned(),
            }
        }
        b"create_index" => {
            let [_, table, index, columns, unique] =
                texts(fields, ["op", "table", "index", "columns", "unique"])?;
            let columns = columns
                .split('\n')
                .map(|line| match line.split_once('\t')? {
                    (c, "asc") => Some((c.to_owned(), false)),
                    (c, "desc") => Some((c.to_owned(), true)),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let unique = match unique {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Change::CreateIndex {
                name: index.to_owned(),
                table: table.to_owned(),
                columns,
                unique,
            }
        }
        b"drop_index" => {
            let [_, index] = texts(fields, ["op", "index"])?;
            Change::DropIndex {
                name: index.to_owned(),
            }
        }
        _ => return None,
    };
    // Canonical: re-encoding gives the same fields.
    (schema_fields(&change) == fields).then_some(change)
}

fn lines(text: &str) -> Vec<String> {
    match text {
        "" => Vec::new(),
        text => text.split('\n').map(str::to_owned).collect(),
    }
}

fn decode_column(line: &str) -> Option<Column> {
    let mut parts = line.split('\t');
    let name = parts.next()?.to_owned();
    let column_type = ColumnType::from_name(parts.next()?)?;
    let not_null = match parts.next() {
        None => false,
        Some("not null") => true,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Column {
        name,
        column_type,
        not_null,
    })
}

fn decode_row(fields: &[Field], schema: &Schema) -> Option<RowChange> {
    let [table, op, key] = fields.get(..3)? else {
        return None;
    };
    if (table.name.as_str(), op.name.as_str(), key.name.as_str()) != ("table", "op", "key") {
        return None;
    }
    let table_name = std::str::from_utf8(&table.value).ok()?;
    let def = schema.table(table_name)?;
    let op = match op.value.as_slice() {
        b"insert" => RowOp::Insert,
        b"update" => RowOp::Update,
        b"delete" => RowOp::Delete,
        _ => return None,
    };
    let key_width = def.primary_key.len().max(1);
    let key_values = value::decode_row(&key.value, key_width)?;
    let rest = &fields[3..];
    let row = match op {
        RowOp::Delete if rest.is_empty() => None,
        RowOp::Delete => return None,
        RowOp::Insert | RowOp::Update => {
            if rest.len() != def.columns.len() {
                return None;
            }
            let mut values = Vec::with_capacity(rest.len());
            for (field, column) in rest.iter().zip(&def.columns) {
                let name = field.name.strip_prefix(COLUMN_FIELD_PREFIX)?;
                if name != column.name {
                    return None;
                }
                values.push(value::decode_field(&field.value)?);
            }
            Some(values)
        }
    };
    Some(RowChange {
        table: table_name.to_owned(),
        op,
        key: key_values,
        row,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_changes_round_trip() {
        let changes = [
            Change::CreateTable {
                name: "t".into(),
                columns: vec![
                    Column {
                        name: "id".into(),
                        column_type: ColumnType::Integer,
                        not_null: true,
                    },
                    Column {
                        name: "name".into(),
                        column_type: ColumnType::Text {
                            max_chars: Some(20),
                        },
                        not_null: false,
                    },
                ],
                primary_key: vec!["id".into()],
            },
            Change::DropTable { name: "t".into() },
            Change::CreateIndex {
                name: "i".into(),
                table: "t".into(),
                columns: vec![("name".into(), true), ("id".into(), false)],
                unique: true,
            },
            Change::DropIndex { name: "i".into() },
        ];
        for change in changes {
            let entry = change.to_entry(None, crate::db::DEFAULT_ACTOR);
            assert_eq!(entry.kind, Kind::Schema);
            let decoded = Change::from_entry(Kind::Schema, &entry.fields, &Schema::default());
            assert_eq!(decoded, Some(change));
        }
    }
}
