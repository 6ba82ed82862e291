//! One interface over the two ways to reach a database: embedded in this process (`veritydb::Db`)
//! or a server (`veritydb::client::Client`, with the same method names). Each method is one
//! core call; errors become [`BindingError`]s with the same families for both backends.
//!
//! Everything here runs with the GIL released: it takes and returns plain Rust values.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use veritydb::client::{Client, RemoteBatch, RemoteStatement, RemoteTenant};
use veritydb::sql::{At, ExecResult, Rows, Value};
use veritydb::{Checkpoint, Event, ExportOptions, ExportSummary, Receipt};

use crate::errors::{BindingError, Family, outside_sql};

type Result<T> = std::result::Result<T, BindingError>;

/// A database.
#[derive(Clone)]
pub(crate) enum Backend {
    Embedded(veritydb::Db),
    Remote(Client),
}

impl Backend {
    pub(crate) fn tenant(&self, name: &str) -> Result<TenantHandle> {
        match self {
            Backend::Embedded(db) => Ok(TenantHandle::Embedded(db.tenant(name)?)),
            Backend::Remote(c) => Ok(TenantHandle::Remote(c.tenant(name)?)),
        }
    }

    /// Creates a tenant (embedded: opening a tenant creates it; remote: an administrator's
    /// request) and returns a handle on it.
    pub(crate) fn create_tenant(&self, name: &str) -> Result<TenantHandle> {
        match self {
            Backend::Embedded(db) => Ok(TenantHandle::Embedded(db.tenant(name)?)),
            Backend::Remote(c) => {
                c.create_tenant(name).map_err(outside_sql)?;
                Ok(TenantHandle::Remote(c.tenant(name)?))
            }
        }
    }

    pub(crate) fn tenants(&self) -> Result<Vec<String>> {
        match self {
            Backend::Embedded(db) => Ok(db.tenants()),
            Backend::Remote(c) => Ok(c.tenants()?),
        }
    }

    pub(crate) fn node_name(&self) -> String {
        match self {
            Backend::Embedded(db) => db.node_name().to_owned(),
            Backend::Remote(c) => c.node_name().to_owned(),
        }
    }
}

/// One tenant's log.
#[derive(Clone)]
pub(crate) enum TenantHandle {
    Embedded(veritydb::Tenant),
    Remote(RemoteTenant),
}

impl TenantHandle {
    pub(crate) fn name(&self) -> String {
        match self {
            TenantHandle::Embedded(t) => t.name().to_owned(),
            TenantHandle::Remote(t) => t.name().to_owned(),
        }
    }

    pub(crate) fn origin(&self) -> Result<String> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.origin()),
            TenantHandle::Remote(t) => t.origin().map_err(outside_sql),
        }
    }

    pub(crate) fn verifier_key(&self) -> Result<String> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.verifier_key()),
            TenantHandle::Remote(t) => t.verifier_key().map_err(outside_sql),
        }
    }

    pub(crate) fn size(&self) -> Result<u64> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.size()),
            TenantHandle::Remote(t) => t.size().map_err(outside_sql),
        }
    }

    pub(crate) fn append(&self, stream: &str, event_json: &str) -> Result<u64> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.append(stream, event_json)?),
            TenantHandle::Remote(t) => t.append(stream, event_json).map_err(outside_sql),
        }
    }

    pub(crate) fn append_batch(&self, events: &[(&str, &str)]) -> Result<Range<u64>> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.append_batch(events)?),
            TenantHandle::Remote(t) => t.append_batch(events).map_err(outside_sql),
        }
    }

    pub(crate) fn read(&self, stream: &str, start: u64, end: u64) -> Result<Vec<Event>> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.read(stream, start, end)?),
            TenantHandle::Remote(t) => t.read(stream, start, end).map_err(outside_sql),
        }
    }

    pub(crate) fn checkpoint(&self) -> Result<Checkpoint> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.checkpoint()?),
            TenantHandle::Remote(t) => t.checkpoint().map_err(outside_sql),
        }
    }

    pub(crate) fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.latest_checkpoint()),
            TenantHandle::Remote(t) => t.latest_checkpoint().map_err(outside_sql),
        }
    }

    pub(crate) fn receipt(&self, position: u64, disclose: &[&str]) -> Result<Receipt> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.receipt(position, disclose)?),
            TenantHandle::Remote(t) => t.receipt(position, disclose).map_err(outside_sql),
        }
    }

    pub(crate) fn export(&self, out: impl Write, options: &ExportOptions) -> Result<ExportSummary> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.export(out, options, |_, _| {})?),
            TenantHandle::Remote(t) => t.export(out, options, |_, _| {}).map_err(outside_sql),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.execute(sql, params)?),
            TenantHandle::Remote(t) => Ok(t.execute(sql, params)?),
        }
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Rows> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.query(sql, params)?),
            TenantHandle::Remote(t) => Ok(t.query(sql, params)?),
        }
    }

    pub(crate) fn query_at(&self, sql: &str, params: &[Value], at: At) -> Result<Rows> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.query_at(sql, params, at)?),
            TenantHandle::Remote(t) => Ok(t.query_at(sql, params, at)?),
        }
    }

    pub(crate) fn prepare(&self, sql: &str) -> Result<StatementHandle> {
        match self {
            TenantHandle::Embedded(t) => Ok(StatementHandle::Embedded(Arc::new(t.prepare(sql)?))),
            TenantHandle::Remote(t) => Ok(StatementHandle::Remote(Arc::new(t.prepare(sql)?))),
        }
    }

    pub(crate) fn batch(&self) -> BatchHandle {
        match self {
            TenantHandle::Embedded(t) => BatchHandle::Embedded(t.batch()),
            TenantHandle::Remote(t) => BatchHandle::Remote(t.batch()),
        }
    }

    pub(crate) fn read_at_least(&self, position: u64) -> Result<()> {
        match self {
            TenantHandle::Embedded(t) => Ok(t.read_at_least(position)?),
            TenantHandle::Remote(t) => Ok(t.read_at_least(position)?),
        }
    }
}

/// A prepared statement (`Arc`: core's statement is shared, not cloned, so its plan cache is
/// shared too).
#[derive(Clone)]
pub(crate) enum StatementHandle {
    Embedded(Arc<veritydb::Statement>),
    Remote(Arc<RemoteStatement>),
}

impl StatementHandle {
    pub(crate) fn param_count(&self) -> usize {
        match self {
            StatementHandle::Embedded(s) => s.param_count(),
            StatementHandle::Remote(s) => s.param_count(),
        }
    }

    pub(crate) fn is_query(&self) -> bool {
        match self {
            StatementHandle::Embedded(s) => s.is_query(),
            StatementHandle::Remote(s) => s.is_query(),
        }
    }

    pub(crate) fn query(&self, params: &[Value]) -> Result<Rows> {
        match self {
            StatementHandle::Embedded(s) => Ok(s.query(params)?),
            StatementHandle::Remote(s) => Ok(s.query(params)?),
        }
    }

    pub(crate) fn query_at(&self, params: &[Value], at: At) -> Result<Rows> {
        match self {
            StatementHandle::Embedded(s) => Ok(s.query_at(params, at)?),
            StatementHandle::Remote(s) => Ok(s.query_at(params, at)?),
        }
    }

    pub(crate) fn execute(&self, params: &[Value]) -> Result<ExecResult> {
        match self {
            StatementHandle::Embedded(s) => Ok(s.execute(params)?),
            StatementHandle::Remote(s) => Ok(s.execute(params)?),
        }
    }
}

/// Writes that commit atomically.
pub(crate) enum BatchHandle {
    Embedded(veritydb::Batch),
    Remote(RemoteBatch),
}

impl BatchHandle {
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        match self {
            BatchHandle::Embedded(b) => b.execute(sql, params).map(drop).map_err(Into::into),
            BatchHandle::Remote(b) => b.execute(sql, params).map(drop).map_err(Into::into),
        }
    }

    pub(crate) fn execute_prepared(
        &mut self,
        statement: &StatementHandle,
        params: &[Value],
    ) -> Result<()> {
        match (self, statement) {
            (BatchHandle::Embedded(b), StatementHandle::Embedded(s)) => {
                b.execute_prepared(s, params).map(drop).map_err(Into::into)
            }
            (BatchHandle::Remote(b), StatementHandle::Remote(s)) => {
                b.execute_prepared(s, params).map(drop).map_err(Into::into)
            }
            _ => Err(BindingError::new(
                Family::InvalidInput,
                "the statement was prepared on another database than the batch's",
            )),
        }
    }

    pub(crate) fn expect_version(&mut self, table: &str, key: &[Value], version: Option<u64>) {
        match self {
            BatchHandle::Embedded(b) => drop(b.expect_version(table, key, version)),
            BatchHandle::Remote(b) => drop(b.expect_version(table, key, version)),
        }
    }

    pub(crate) fn commit(self) -> Result<ExecResult> {
        match self {
            BatchHandle::Embedded(b) => Ok(b.commit()?),
            BatchHandle::Remote(b) => Ok(b.commit()?),
        }
    }
}
