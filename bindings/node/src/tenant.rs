//! `Tenant`: one tenant's log, embedded or remote. Every method that touches disk or network
//! returns a Promise and runs on libuv's thread pool (`crate::job`).

use std::sync::Arc;

use napi::bindgen_prelude::{Array, AsyncTask, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use veritydb::ExportOptions;
use veritydb::sql::{At, Rows, Value};

use crate::batch::Batch;
use crate::convert::{self, RowMode};
use crate::errors::BindingError;
use crate::export::{self, ExportStream};
use crate::job::Job;
use crate::session::Session;
use crate::statement::Statement;
use crate::types::{Checkpoint, ExecResult, ExportSummary, Receipt, StreamEvent};

/// One tenant's log: its SQL tables, its event streams, and the checkpoints, receipts and
/// exports that prove them. Get one with `db.tenant(name)`.
#[napi]
pub struct Tenant {
    pub(crate) session: Arc<Session>,
    pub(crate) name: String,
}

/// A query's rows, to be converted on the JS thread as `mode` asks.
pub struct QueryRows(pub(crate) Rows, pub(crate) RowMode);

pub(crate) fn rows_to_js<'env>(
    env: &'env Env,
    rows: QueryRows,
) -> Result<Unknown<'env>, BindingError> {
    convert::rows_to_js(env, rows.0, rows.1)
}

#[napi]
impl Tenant {
    /// The tenant's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The origin of the tenant's log, `node_name/tenant`: the name its checkpoints carry.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn origin(&self) -> AsyncTask<Job<String>> {
        let (session, name) = self.handle();
        Job::spawn(
            move || session.with_tenant(&name, |t| t.origin()),
            Job::plain,
        )
    }

    /// The C2SP verifier key an auditor pins to check this tenant's checkpoints, receipts and
    /// exports (`verifyExport(..., [key])`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn verifier_key(&self) -> AsyncTask<Job<String>> {
        let (session, name) = self.handle();
        Job::spawn(
            move || session.with_tenant(&name, |t| t.verifier_key()),
            Job::plain,
        )
    }

    /// The number of durable entries in the log.
    #[napi(ts_return_type = "Promise<bigint>")]
    pub fn size(&self) -> AsyncTask<Job<u64>> {
        let (session, name) = self.handle();
        Job::spawn(move || session.with_tenant(&name, |t| t.size()), Job::plain)
    }

    /// Runs a write statement (CREATE TABLE, CREATE INDEX, DROP TABLE, INSERT, UPDATE, DELETE)
    /// as one atomic batch of log entries; resolves once it is durable and visible to queries.
    ///
    /// `params` fill `?` (or `$1`, `$2`, ...) in order: `null`, numbers, bigints, strings,
    /// booleans, `Buffer`/`Uint8Array` and `Date`s.
    #[napi(
        ts_args_type = "sql: string, params?: Param[] | null",
        ts_return_type = "Promise<ExecResult>"
    )]
    pub fn execute(&self, sql: Unknown<'_>, params: Unknown<'_>) -> AsyncTask<Job<ExecResult>> {
        let (session, name) = self.handle();
        let arguments = sql_and_params(&sql, &params);
        Job::after(
            arguments,
            move |(sql, params)| {
                session
                    .with_tenant(&name, |t| t.execute(&sql, &params))
                    .map(Into::into)
            },
            Job::plain,
        )
    }

    /// Runs a SELECT on the current state. Rows are objects keyed by column name, or arrays
    /// with `{ rowMode: 'array' }`; `columns` names and types the columns, and `versions` gives
    /// each row's version (the position that last wrote it) for `Batch.expectVersion`.
    #[napi(
        ts_generic_types = "R = Row",
        ts_args_type = "sql: string, params?: Param[] | null, options?: QueryOptions | null",
        ts_return_type = "Promise<QueryResult<R>>"
    )]
    pub fn query(
        &self,
        sql: Unknown<'_>,
        params: Unknown<'_>,
        options: Unknown<'_>,
    ) -> AsyncTask<Job<QueryRows>> {
        self.select(&sql, &params, None, &options)
    }

    /// Runs a SELECT on the state as of a past point of the log: `{ position }` (once that
    /// entry and every one before it were applied) or `{ timestamp }` (a `Date`, or a `bigint`
    /// of microseconds since 1970: every entry at or before it). The SQL must not carry its own
    /// `AT POSITION` / `AS OF TIMESTAMP`.
    #[napi(
        ts_generic_types = "R = Row",
        ts_args_type = "sql: string, params: Param[] | null | undefined, at: At, options?: QueryOptions | null",
        ts_return_type = "Promise<QueryResult<R>>"
    )]
    pub fn query_at(
        &self,
        sql: Unknown<'_>,
        params: Unknown<'_>,
        at: Unknown<'_>,
        options: Unknown<'_>,
    ) -> AsyncTask<Job<QueryRows>> {
        self.select(&sql, &params, Some(&at), &options)
    }

    /// Parses (and, remotely, prepares on the server) a statement once, to run it many times
    /// with different parameters.
    #[napi(ts_args_type = "sql: string", ts_return_type = "Promise<Statement>")]
    pub fn prepare(&self, sql: Unknown<'_>) -> AsyncTask<Job<Statement>> {
        let (session, name) = self.handle();
        let sql = convert::string(&sql, "sql");
        Job::after(
            sql,
            move |sql| {
                let (id, param_count, is_query) = session.prepare(&name, &sql)?;
                Ok(Statement::new(session, id, sql, param_count, is_query))
            },
            Job::plain,
        )
    }

    /// A new batch: add statements with `execute`, then `commit()` them atomically. Most code
    /// uses `tenant.batch(async (tx) => { ... })`, which commits when the callback returns
    /// and writes nothing if it throws.
    #[napi]
    pub fn new_batch(&self) -> Batch {
        Batch::new(Arc::clone(&self.session), self.name.clone())
    }

    /// Appends an application event to a named stream; resolves to its position once durable.
    /// `event` is any value `JSON.stringify` writes (an object, an array, a string, ...).
    #[napi(
        ts_args_type = "stream: string, event: unknown",
        ts_return_type = "Promise<bigint>"
    )]
    pub fn append(
        &self,
        env: &Env,
        stream: Unknown<'_>,
        event: Unknown<'_>,
    ) -> AsyncTask<Job<u64>> {
        let (session, name) = self.handle();
        let arguments = convert::string(&stream, "stream")
            .and_then(|stream| Ok((stream, convert::json_text(env, event, "event")?)));
        Job::after(
            arguments,
            move |(stream, json)| session.with_tenant(&name, |t| t.append(&stream, &json)),
            Job::plain,
        )
    }

    /// The events of `stream` at positions `start` (default 0) up to `end` (exclusive; default
    /// the end of the log), at most 100,000 of them: continue from the last position + 1.
    #[napi(
        ts_args_type = "stream: string, start?: bigint | number | null, end?: bigint | number | null",
        ts_return_type = "Promise<StreamEvent[]>"
    )]
    pub fn read(
        &self,
        stream: Unknown<'_>,
        start: Unknown<'_>,
        end: Unknown<'_>,
    ) -> AsyncTask<Job<Vec<veritydb::Event>>> {
        let (session, name) = self.handle();
        let arguments = (|| {
            let stream = convert::string(&stream, "stream")?;
            let start = convert::optional_unsigned(Some(&start), "start")?.unwrap_or(0);
            let end = convert::optional_unsigned(Some(&end), "end")?.unwrap_or(u64::MAX);
            Ok((stream, start, end))
        })();
        Job::after(
            arguments,
            move |(stream, start, end)| session.with_tenant(&name, |t| t.read(&stream, start, end)),
            events_to_js,
        )
    }

    /// Signs a checkpoint of the durable log now (or returns the one of this size).
    #[napi(ts_return_type = "Promise<Checkpoint>")]
    pub fn checkpoint(&self) -> AsyncTask<Job<Checkpoint>> {
        let (session, name) = self.handle();
        Job::spawn(
            move || {
                session
                    .with_tenant(&name, |t| t.checkpoint())
                    .map(Into::into)
            },
            Job::plain,
        )
    }

    /// A receipt proving the entry at `position` under a signed checkpoint, disclosing the
    /// named fields and withholding the others: an event has `stream` and `event`; a row
    /// `table`, `op`, `key` and `c.<column>` for each column (`docs/spec/entry.md` §5). Hand
    /// `receipt.text` to anyone: `verifyReceipt` checks it.
    #[napi(
        ts_args_type = "position: bigint | number, options?: ReceiptOptions | null",
        ts_return_type = "Promise<Receipt>"
    )]
    pub fn receipt(&self, position: Unknown<'_>, options: Unknown<'_>) -> AsyncTask<Job<Receipt>> {
        let (session, name) = self.handle();
        let arguments = (|| {
            let position = convert::unsigned(&position, "position")?;
            let options = convert::options(&options, "options")?;
            let disclose = match convert::property(options.as_ref(), "disclose")? {
                Some(list) => convert::string_list(&list, "options.disclose")?,
                None => Vec::new(),
            };
            Ok((position, disclose))
        })();
        Job::after(
            arguments,
            move |(position, disclose)| {
                let disclose: Vec<&str> = disclose.iter().map(String::as_str).collect();
                session
                    .with_tenant(&name, |t| t.receipt(position, &disclose))
                    .map(Into::into)
            },
            Job::plain,
        )
    }

    /// Writes an export of positions `start` (default 0) to `end` (exclusive; default the
    /// durable size) — entries, the checkpoints that cover them, and what a verifier needs to
    /// check a slice — to a file path or a writable stream. Fields named in `withhold` are
    /// exported as commitments only. A file is written whole or not at all; a stream is
    /// written with backpressure and not ended.
    #[napi(
        ts_args_type = "destination: string | NodeJS.WritableStream, options?: ExportOptions | null",
        ts_return_type = "Promise<ExportSummary>"
    )]
    pub fn export(
        &self,
        destination: Unknown<'_>,
        options: Unknown<'_>,
    ) -> AsyncTask<Job<ExportSummary>> {
        let (session, name) = self.handle();
        let arguments = convert::string(&destination, "destination")
            .map_err(|_| {
                BindingError::invalid_argument(
                    "destination must be a file path or a writable stream",
                )
            })
            .and_then(|path| Ok((path, export_options(&options)?)));
        Job::after(
            arguments,
            move |(path, options)| {
                export::to_file(&session, &name, &path, &options).map(Into::into)
            },
            Job::plain,
        )
    }

    /// The export as a stream of chunks (`read()` until `null`): what `export` uses for a
    /// writable stream. Throws `VERITYDB_INVALID_ARGUMENT` for bad options.
    #[napi(ts_args_type = "options?: ExportOptions | null")]
    pub fn export_stream(&self, env: &Env, options: Unknown<'_>) -> napi::Result<ExportStream> {
        let options = export_options(&options).map_err(|e| e.into_napi(env))?;
        Ok(ExportStream::start(
            Arc::clone(&self.session),
            self.name.clone(),
            options,
        ))
    }
}

impl Tenant {
    fn handle(&self) -> (Arc<Session>, String) {
        (Arc::clone(&self.session), self.name.clone())
    }

    fn select(
        &self,
        sql: &Unknown<'_>,
        params: &Unknown<'_>,
        at: Option<&Unknown<'_>>,
        options: &Unknown<'_>,
    ) -> AsyncTask<Job<QueryRows>> {
        let (session, name) = self.handle();
        let arguments = (|| {
            let (sql, params) = sql_and_params(sql, params)?;
            let at = at.map(convert::at).transpose()?;
            Ok((sql, params, at, convert::row_mode(options)?))
        })();
        Job::after(
            arguments,
            move |(sql, params, at, mode): (String, Vec<Value>, Option<At>, RowMode)| {
                let rows = session.with_tenant(&name, |t| t.query(&sql, &params, at))?;
                Ok(QueryRows(rows, mode))
            },
            rows_to_js,
        )
    }
}

fn sql_and_params(
    sql: &Unknown<'_>,
    params: &Unknown<'_>,
) -> Result<(String, Vec<Value>), BindingError> {
    Ok((convert::string(sql, "sql")?, convert::params(params)?))
}

/// `{ start, end, withhold }`.
fn export_options(value: &Unknown<'_>) -> Result<ExportOptions, BindingError> {
    let options = convert::options(value, "options")?;
    let start = convert::property(options.as_ref(), "start")?;
    let end = convert::property(options.as_ref(), "end")?;
    let withhold = match convert::property(options.as_ref(), "withhold")? {
        Some(list) => convert::string_list(&list, "options.withhold")?,
        None => Vec::new(),
    };
    Ok(ExportOptions {
        from: convert::optional_unsigned(start.as_ref(), "options.start")?.unwrap_or(0),
        to: convert::optional_unsigned(end.as_ref(), "options.end")?,
        withhold,
    })
}

/// The events as an array (at most `read_events_max` of them: indices fit a `u32`).
fn events_to_js<'env>(
    env: &'env Env,
    events: Vec<veritydb::Event>,
) -> Result<Unknown<'env>, BindingError> {
    let mut list: Array<'env> =
        env.create_array(u32::try_from(events.len()).unwrap_or(u32::MAX))?;
    for (index, event) in events.into_iter().enumerate() {
        list.set(index as u32, StreamEvent::new(env, event)?)?;
    }
    Ok(list.to_unknown())
}
