//! One interface over the two ways to reach a database: embedded in this process
//! (`veritydb::Db`) or a server (`veritydb::client::Client`, with the same method names). Each
//! method is one core call; errors become [`BindingError`]s with the same codes for both.
//!
//! Everything here is blocking and runs on libuv's thread pool (`crate::job`); it takes and
//! returns plain Rust values.

use std::io::Write;

use veritydb::client::{Client, RemoteStatement, RemoteTenant};
use veritydb::sql::{At, ExecResult, Rows, Value};
use veritydb::{Checkpoint, Db, Event, ExportOptions, ExportSummary, Receipt};

use crate::errors::BindingError;

type Result<T> = std::result::Result<T, BindingError>;

/// A database.
pub(crate) enum Backend {
    Embedded(Db),
    Remote(Client),
}

impl Backend {
    /// A handle on tenant `name`: created if needed (embedded); checked by the server on each
    /// call (remote).
    pub(crate) fn tenant(&self, name: &str) -> Result<TenantBackend> {
        Ok(match self {
            Backend::Embedded(db) => TenantBackend::Embedded(db.tenant(name)?),
            Backend::Remote(client) => TenantBackend::Remote(client.tenant(name)?),
        })
    }

    /// Creates tenant `name` (on a server: node administrators only) and returns a handle.
    pub(crate) fn create_tenant(&self, name: &str) -> Result<TenantBackend> {
        Ok(match self {
            Backend::Embedded(db) => TenantBackend::Embedded(db.tenant(name)?),
            Backend::Remote(client) => {
                client.create_tenant(name)?;
                TenantBackend::Remote(client.tenant(name)?)
            }
        })
    }

    pub(crate) fn tenants(&self) -> Result<Vec<String>> {
        Ok(match self {
            Backend::Embedded(db) => db.tenants(),
            Backend::Remote(client) => client.tenants()?,
        })
    }

    pub(crate) fn node_name(&self) -> String {
        match self {
            Backend::Embedded(db) => db.node_name().to_owned(),
            Backend::Remote(client) => client.node_name().to_owned(),
        }
    }
}

/// One tenant's log.
#[derive(Clone)]
pub(crate) enum TenantBackend {
    Embedded(veritydb::Tenant),
    Remote(RemoteTenant),
}

impl TenantBackend {
    pub(crate) fn origin(&self) -> Result<String> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.origin(),
            TenantBackend::Remote(t) => t.origin()?,
        })
    }

    pub(crate) fn verifier_key(&self) -> Result<String> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.verifier_key(),
            TenantBackend::Remote(t) => t.verifier_key()?,
        })
    }

    pub(crate) fn size(&self) -> Result<u64> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.size(),
            TenantBackend::Remote(t) => t.size()?,
        })
    }

    pub(crate) fn append(&self, stream: &str, event_json: &str) -> Result<u64> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.append(stream, event_json)?,
            TenantBackend::Remote(t) => t.append(stream, event_json)?,
        })
    }

    pub(crate) fn read(&self, stream: &str, start: u64, end: u64) -> Result<Vec<Event>> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.read(stream, start, end)?,
            TenantBackend::Remote(t) => t.read(stream, start, end)?,
        })
    }

    pub(crate) fn checkpoint(&self) -> Result<Checkpoint> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.checkpoint()?,
            TenantBackend::Remote(t) => t.checkpoint()?,
        })
    }

    pub(crate) fn receipt(&self, position: u64, disclose: &[&str]) -> Result<Receipt> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.receipt(position, disclose)?,
            TenantBackend::Remote(t) => t.receipt(position, disclose)?,
        })
    }

    pub(crate) fn export(&self, out: impl Write, options: &ExportOptions) -> Result<ExportSummary> {
        let progress = |_: u64, _: u64| {};
        Ok(match self {
            TenantBackend::Embedded(t) => t.export(out, options, progress)?,
            TenantBackend::Remote(t) => t.export(out, options, progress)?,
        })
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        Ok(match self {
            TenantBackend::Embedded(t) => t.execute(sql, params)?,
            TenantBackend::Remote(t) => t.execute(sql, params)?,
        })
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value], at: Option<At>) -> Result<Rows> {
        Ok(match (self, at) {
            (TenantBackend::Embedded(t), None) => t.query(sql, params)?,
            (TenantBackend::Embedded(t), Some(at)) => t.query_at(sql, params, at)?,
            (TenantBackend::Remote(t), None) => t.query(sql, params)?,
            (TenantBackend::Remote(t), Some(at)) => t.query_at(sql, params, at)?,
        })
    }

    pub(crate) fn prepare(&self, sql: &str) -> Result<StatementBackend> {
        Ok(match self {
            TenantBackend::Embedded(t) => StatementBackend::Embedded(t.prepare(sql)?),
            TenantBackend::Remote(t) => StatementBackend::Remote(t.prepare(sql)?),
        })
    }

    /// Builds a batch of `items` with `expectations` and commits it: all or nothing.
    pub(crate) fn commit(
        &self,
        items: &[BatchItem<'_>],
        expectations: &[Expectation],
    ) -> Result<ExecResult> {
        match self {
            TenantBackend::Embedded(t) => {
                let mut batch = t.batch();
                for item in items {
                    match item {
                        BatchItem::Sql(sql, params) => batch.execute(sql, params)?,
                        BatchItem::Prepared(StatementBackend::Embedded(s), params) => {
                            batch.execute_prepared(s, params)?
                        }
                        BatchItem::Prepared(StatementBackend::Remote(_), _) => {
                            return Err(mixed_backends());
                        }
                    };
                }
                for (table, key, version) in expectations {
                    batch.expect_version(table, key, *version);
                }
                Ok(batch.commit()?)
            }
            TenantBackend::Remote(t) => {
                let mut batch = t.batch();
                for item in items {
                    match item {
                        BatchItem::Sql(sql, params) => batch.execute(sql, params)?,
                        BatchItem::Prepared(StatementBackend::Remote(s), params) => {
                            batch.execute_prepared(s, params)?
                        }
                        BatchItem::Prepared(StatementBackend::Embedded(_), _) => {
                            return Err(mixed_backends());
                        }
                    };
                }
                for (table, key, version) in expectations {
                    batch.expect_version(table, key, *version);
                }
                Ok(batch.commit()?)
            }
        }
    }
}

/// A statement of one database in a batch of another: the session's ids make this impossible.
fn mixed_backends() -> BindingError {
    BindingError::new(
        crate::errors::ErrorCode::Internal,
        "a prepared statement of another database in a batch (a bug in veritydb's Node binding)",
    )
}

/// One statement of a batch: SQL text, or a prepared statement, with its parameters.
pub(crate) enum BatchItem<'a> {
    Sql(&'a str, &'a [Value]),
    Prepared(&'a StatementBackend, &'a [Value]),
}

/// A row-version precondition of a batch: table, primary key, expected version (`None`: the
/// row must not exist).
pub(crate) type Expectation = (String, Vec<Value>, Option<u64>);

/// A prepared statement.
pub(crate) enum StatementBackend {
    Embedded(veritydb::Statement),
    Remote(RemoteStatement),
}

impl StatementBackend {
    pub(crate) fn param_count(&self) -> usize {
        match self {
            StatementBackend::Embedded(s) => s.param_count(),
            StatementBackend::Remote(s) => s.param_count(),
        }
    }

    pub(crate) fn is_query(&self) -> bool {
        match self {
            StatementBackend::Embedded(s) => s.is_query(),
            StatementBackend::Remote(s) => s.is_query(),
        }
    }

    pub(crate) fn query(&self, params: &[Value], at: Option<At>) -> Result<Rows> {
        Ok(match (self, at) {
            (StatementBackend::Embedded(s), None) => s.query(params)?,
            (StatementBackend::Embedded(s), Some(at)) => s.query_at(params, at)?,
            (StatementBackend::Remote(s), None) => s.query(params)?,
            (StatementBackend::Remote(s), Some(at)) => s.query_at(params, at)?,
        })
    }

    pub(crate) fn execute(&self, params: &[Value]) -> Result<ExecResult> {
        Ok(match self {
            StatementBackend::Embedded(s) => s.execute(params)?,
            StatementBackend::Remote(s) => s.execute(params)?,
        })
    }
}
