//! `Statement`: SQL parsed once (and, remotely, prepared on the server), run many times.

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;

use crate::convert;
use crate::errors::BindingError;
use crate::job::Job;
use crate::session::Session;
use crate::tenant::{QueryRows, rows_to_js};
use crate::types::ExecResult;

/// A prepared statement, from `tenant.prepare(sql)`. Run it with `query`, `queryAt` or
/// `execute`, or add it to a batch with `tx.execute(statement, params)`.
#[napi]
pub struct Statement {
    session: Arc<Session>,
    /// The statement's id in the session.
    pub(crate) id: u64,
    sql: String,
    param_count: u32,
    is_query: bool,
}

impl Statement {
    pub(crate) fn new(
        session: Arc<Session>,
        id: u64,
        sql: String,
        param_count: usize,
        is_query: bool,
    ) -> Statement {
        Statement {
            session,
            id,
            sql,
            // At most `sql_params_max` (4096) parameters.
            param_count: u32::try_from(param_count).unwrap_or(u32::MAX),
            is_query,
        }
    }

    pub(crate) fn belongs_to(&self, session: &Arc<Session>) -> bool {
        Arc::ptr_eq(&self.session, session)
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        self.session.forget_statement(self.id);
    }
}

#[napi]
impl Statement {
    /// The SQL text.
    #[napi(getter)]
    pub fn sql(&self) -> String {
        self.sql.clone()
    }

    /// How many parameters the statement takes.
    #[napi(getter)]
    pub fn param_count(&self) -> u32 {
        self.param_count
    }

    /// Whether the statement is a query (SELECT).
    #[napi(getter)]
    pub fn is_query(&self) -> bool {
        self.is_query
    }

    /// Runs the prepared SELECT with `params` (see `Tenant.query`).
    #[napi(
        ts_generic_types = "R = Row",
        ts_args_type = "params?: Param[] | null, options?: QueryOptions | null",
        ts_return_type = "Promise<QueryResult<R>>"
    )]
    pub fn query(&self, params: Unknown<'_>, options: Unknown<'_>) -> AsyncTask<Job<QueryRows>> {
        self.select(&params, None, &options)
    }

    /// Runs the prepared SELECT as of a past position or time (see `Tenant.queryAt`).
    #[napi(
        ts_generic_types = "R = Row",
        ts_args_type = "params: Param[] | null | undefined, at: At, options?: QueryOptions | null",
        ts_return_type = "Promise<QueryResult<R>>"
    )]
    pub fn query_at(
        &self,
        params: Unknown<'_>,
        at: Unknown<'_>,
        options: Unknown<'_>,
    ) -> AsyncTask<Job<QueryRows>> {
        self.select(&params, Some(&at), &options)
    }

    /// Runs the prepared write with `params` (see `Tenant.execute`).
    #[napi(
        ts_args_type = "params?: Param[] | null",
        ts_return_type = "Promise<ExecResult>"
    )]
    pub fn execute(&self, params: Unknown<'_>) -> AsyncTask<Job<ExecResult>> {
        let session = Arc::clone(&self.session);
        let id = self.id;
        Job::after(
            convert::params(&params),
            move |params| {
                session
                    .with_statement(id, |s| s.execute(&params))
                    .map(Into::into)
            },
            Job::plain,
        )
    }
}

impl Statement {
    fn select(
        &self,
        params: &Unknown<'_>,
        at: Option<&Unknown<'_>>,
        options: &Unknown<'_>,
    ) -> AsyncTask<Job<QueryRows>> {
        let session = Arc::clone(&self.session);
        let id = self.id;
        let arguments = (|| -> Result<_, BindingError> {
            let params = convert::params(params)?;
            let at = at.map(convert::at).transpose()?;
            Ok((params, at, convert::row_mode(options)?))
        })();
        Job::after(
            arguments,
            move |(params, at, mode)| {
                let rows = session.with_statement(id, |s| s.query(&params, at))?;
                Ok(QueryRows(rows, mode))
            },
            rows_to_js,
        )
    }
}
