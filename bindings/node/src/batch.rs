//! `Batch`: write statements that commit atomically, with optional row-version preconditions.
//!
//! Adding a statement only converts its parameters (on the JS thread, so a bad value throws at
//! once); the SQL is parsed by the database at `commit()`, for an embedded database as for a
//! server, so both report a bad statement the same way: the commit rejects and nothing is
//! written.

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, ClassInstance, JavaScriptClassExt, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;
use veritydb::limits::SQL_BATCH_STATEMENTS_MAX;
use veritydb::sql::Value;

use crate::backend::{BatchItem, Expectation};
use crate::convert;
use crate::errors::{BindingError, ErrorCode};
use crate::job::Job;
use crate::session::Session;
use crate::statement::Statement;
use crate::types::ExecResult;

/// Statements that commit atomically: all or nothing. Usually the `tx` of
/// `tenant.batch(async (tx) => { ... })`; also `tenant.newBatch()` then `commit()`.
#[napi]
pub struct Batch {
    session: Arc<Session>,
    tenant: String,
    items: Vec<Item>,
    expectations: Vec<Expectation>,
    committed: bool,
}

/// A statement added to the batch.
enum Item {
    Sql(String, Vec<Value>),
    /// A prepared statement's session id, and its SQL in case it was garbage-collected.
    Prepared(u64, String, Vec<Value>),
}

impl Batch {
    pub(crate) fn new(session: Arc<Session>, tenant: String) -> Batch {
        Batch {
            session,
            tenant,
            items: Vec::new(),
            expectations: Vec::new(),
            committed: false,
        }
    }

    fn open(&self) -> Result<(), BindingError> {
        match self.committed {
            true => Err(BindingError::closed("this batch (it was committed)")),
            false => Ok(()),
        }
    }

    fn add(
        &mut self,
        env: &Env,
        statement: &Unknown<'_>,
        params: &Unknown<'_>,
    ) -> Result<(), BindingError> {
        self.open()?;
        if self.items.len() >= SQL_BATCH_STATEMENTS_MAX {
            return Err(BindingError::new(
                ErrorCode::Limit,
                format!("a batch holds at most {SQL_BATCH_STATEMENTS_MAX} statements"),
            ));
        }
        let params = convert::params(params)?;
        let item = if statement.get_type()? == ValueType::String {
            Item::Sql(convert::string(statement, "sql")?, params)
        } else if Statement::instance_of(env, statement)? {
            let prepared: ClassInstance<'_, Statement> = statement_instance(statement)?;
            if !prepared.belongs_to(&self.session) {
                return Err(BindingError::invalid_argument(
                    "the statement was prepared on another database",
                ));
            }
            Item::Prepared(prepared.id, prepared.sql(), params)
        } else {
            return Err(BindingError::invalid_argument(
                "sql must be a string or a Statement",
            ));
        };
        self.items.push(item);
        Ok(())
    }
}

/// The `Statement` behind a JS value already checked with `instance_of`.
fn statement_instance<'env>(
    value: &Unknown<'env>,
) -> Result<ClassInstance<'env, Statement>, BindingError> {
    convert::statement(value, "sql")
}

#[napi]
impl Batch {
    /// Adds a write statement (SQL text or a prepared `Statement`) with its parameters; it
    /// sees the effects of the statements added before it. Throws `VERITYDB_INVALID_ARGUMENT`
    /// for a parameter of the wrong type, `VERITYDB_CLOSED` after `commit()`.
    #[napi(ts_args_type = "sql: string | Statement, params?: Param[] | null")]
    pub fn execute(
        &mut self,
        env: &Env,
        sql: Unknown<'_>,
        params: Unknown<'_>,
    ) -> napi::Result<()> {
        self.add(env, &sql, &params).map_err(|e| e.into_napi(env))
    }

    /// Requires that the row of `table` whose primary key is `key` was last written at
    /// `version` (from a query's `versions`), or, with `null`, that it does not exist;
    /// otherwise the commit rejects with `VERITYDB_CONFLICT` and writes nothing.
    #[napi(ts_args_type = "table: string, key: Param[], version: bigint | number | null")]
    pub fn expect_version(
        &mut self,
        env: &Env,
        table: Unknown<'_>,
        key: Unknown<'_>,
        version: Unknown<'_>,
    ) -> napi::Result<()> {
        let expectation = (|| -> Result<Expectation, BindingError> {
            self.open()?;
            let table = convert::string(&table, "table")?;
            let key = convert::params(&key)?;
            let version = convert::optional_unsigned(Some(&version), "version")?;
            Ok((table, key, version))
        })();
        let expectation = expectation.map_err(|e| e.into_napi(env))?;
        self.expectations.push(expectation);
        Ok(())
    }

    /// The number of statements added so far.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        // At most `sql_batch_statements_max` (10,000).
        u32::try_from(self.items.len()).unwrap_or(u32::MAX)
    }

    /// Commits every statement as one atomic batch; resolves once durable and visible. A bad
    /// statement, a constraint or an expected version that does not hold rejects, and then
    /// nothing was written. A batch commits once.
    #[napi(ts_return_type = "Promise<ExecResult>")]
    pub fn commit(&mut self) -> AsyncTask<Job<ExecResult>> {
        let arguments = self.open().map(|()| {
            (
                std::mem::take(&mut self.items),
                std::mem::take(&mut self.expectations),
            )
        });
        self.committed = true;
        let session = Arc::clone(&self.session);
        let tenant = self.tenant.clone();
        Job::after(
            arguments,
            move |(items, expectations)| commit(&session, &tenant, &items, &expectations),
            Job::plain,
        )
    }
}

fn commit(
    session: &Session,
    tenant: &str,
    items: &[Item],
    expectations: &[Expectation],
) -> Result<ExecResult, BindingError> {
    let ids: Vec<u64> = items
        .iter()
        .filter_map(|item| match item {
            Item::Prepared(id, _, _) => Some(*id),
            Item::Sql(..) => None,
        })
        .collect();
    session
        .with_tenant_and_statements(tenant, &ids, |t, statements| {
            let items: Vec<BatchItem<'_>> = items
                .iter()
                .map(|item| match item {
                    Item::Sql(sql, params) => BatchItem::Sql(sql, params),
                    Item::Prepared(id, sql, params) => match statements.get(id) {
                        Some(statement) => BatchItem::Prepared(statement, params),
                        None => BatchItem::Sql(sql, params),
                    },
                })
                .collect();
            t.commit(&items, expectations)
        })
        .map(Into::into)
}
