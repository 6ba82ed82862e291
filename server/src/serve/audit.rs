//! Access records (`docs/spec/entry.md` §5.3): a read of an audited table appends an `access`
//! entry to the tenant's own log — who (the token), when (the entry's timestamp), what (the
//! request, the tables, the query and its parameters, the rows returned).
//!
//! Invariant: the record is durable before the data leaves the server; if it cannot be
//! written, the read fails (fail closed).

use std::collections::BTreeSet;

use veritydb::protocol::WireError;
use veritydb::sql::{Shape, StatementKind, Value, format_timestamp};
use veritydb::{Field, Kind, NewEntry, Tenant};

use super::worker::Shared;
use crate::auth::Principal;
use crate::errors;

/// Bytes of the query text and of the parameters kept in one record; longer ones are cut
/// (and marked) so a record always fits one entry.
const RECORDED_TEXT_BYTES_MAX: usize = 256 * 1024;

/// Records that a statement read an audited table: a query (`rows` returned), or a write
/// whose source or subqueries read one (recorded before the write runs, `rows` 0).
pub(crate) fn sql_read(
    shared: &Shared,
    principal: &Principal,
    tenant: &Tenant,
    shape: &Shape,
    (sql, params): (&str, &[Value]),
    rows: u64,
) -> Result<(), WireError> {
    if shape.reads.is_empty() {
        return Ok(());
    }
    let audited = shared.registry.audited_tables(tenant.name());
    let read: BTreeSet<String> = shape.reads.intersection(&audited).cloned().collect();
    if read.is_empty() {
        return Ok(());
    }
    let request = match shape.kind {
        StatementKind::Read => "query",
        StatementKind::Write | StatementKind::Schema => "write",
    };
    record(shared, principal, tenant, request, &read, sql, params, rows)
}

/// Records, before a write runs, that its source or subqueries read an audited table.
pub(crate) fn before_write(
    shared: &Shared,
    principal: &Principal,
    tenant: &Tenant,
    shape: &Shape,
    statement: (&str, &[Value]),
) -> Result<(), WireError> {
    match shape.kind {
        StatementKind::Write => sql_read(shared, principal, tenant, shape, statement, 0),
        StatementKind::Read | StatementKind::Schema => Ok(()),
    }
}

/// Appends one access record to the tenant's log and waits until it is durable.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    shared: &Shared,
    principal: &Principal,
    tenant: &Tenant,
    request: &str,
    tables: &BTreeSet<String>,
    what: &str,
    params: &[Value],
    rows: u64,
) -> Result<(), WireError> {
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    let entry = NewEntry {
        kind: Kind::Access,
        actor: principal.actor.to_string(),
        fields: vec![
            Field::new("token_id", principal.id_text.as_str()),
            Field::new("request", request),
            Field::new("tables", tables.join(",")),
            Field::new("query", cut(what.to_owned())),
            Field::new("params", cut(params_json(params))),
            Field::new("rows", rows.to_string()),
        ],
    };
    let started = std::time::Instant::now();
    tenant
        .append_entries(&[entry])
        .map_err(|e| errors::from_write(&e))?;
    shared
        .metrics
        .write_committed(started.elapsed().as_secs_f64());
    Ok(())
}

/// The parameters as a JSON array: integers and reals as numbers, text as strings, booleans,
/// null, bytes as `{"base64": ...}`, timestamps as RFC 3339 strings.
fn params_json(params: &[Value]) -> String {
    use base64::Engine as _;
    let values: Vec<serde_json::Value> = params
        .iter()
        .map(|v| match v {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(r) => serde_json::Number::from_f64(*r)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(s) => s.clone().into(),
            Value::Boolean(b) => (*b).into(),
            Value::Bytes(b) => serde_json::json!({
                "base64": base64::engine::general_purpose::STANDARD.encode(b)
            }),
            Value::Timestamp(t) => format_timestamp(*t).into(),
        })
        .collect();
    serde_json::Value::Array(values).to_string()
}

fn cut(mut text: String) -> String {
    if text.len() <= RECORDED_TEXT_BYTES_MAX {
        return text;
    }
    let mut at = RECORDED_TEXT_BYTES_MAX;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push_str("…[cut]");
    text
}
