//! One handler per request type: check the token (revocation and expiry on every request),
//! authorize, run the embedded call, encode the response. Runs on a worker thread.
//!
//! Invariants: authorization happens before any data is touched, tenant scope first; an
//! audited read records its access entry (durably) before any row leaves the server; every
//! error becomes a structured error frame, never a panic or a dropped request.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use veritydb::protocol::limits::{
    CHECKPOINTS_PER_FRAME_MAX, PREPARED_STATEMENTS_PER_CONNECTION_MAX, RESPONSE_CHUNK_BYTES,
    STATUS_VALUE_BYTES_MAX,
};
use veritydb::protocol::{
    ALL_TENANTS, BatchStatement, ErrorClass, EventRecord, ExportDone, Request, Response, WireError,
    codes, encode_rows,
};
use veritydb::sql::{At, ExecResult, Rows, Shape, Statement, StatementKind, Value};
use veritydb::{ExportOptions, Kind, Tenant};

use super::audit;
use super::worker::{Gone, Prepared, Reply, Session, Shared};
use crate::auth::permission::{Need, authorize, table_allowed, tenant_scope};
use crate::errors::{self, wire};
use crate::limits::EXPORTS_CONCURRENT_MAX;

/// Why a handler stopped.
pub(crate) enum Fail {
    /// Answer with this error.
    Wire(WireError),
    /// The connection is gone.
    Gone,
}

impl From<WireError> for Fail {
    fn from(e: WireError) -> Fail {
        Fail::Wire(e)
    }
}

impl From<Gone> for Fail {
    fn from(_: Gone) -> Fail {
        Fail::Gone
    }
}

type Outcome = Result<(), Fail>;

/// Handles one request, answering on `reply`. `Err` only when the connection is gone.
pub(crate) fn handle(
    shared: &Shared,
    session: &mut Session,
    id: u64,
    request: Request,
    reply: &mut Reply<'_>,
) -> Result<(), Gone> {
    shared.metrics.request(request.frame_type());
    let outcome = shared
        .registry
        .check(&session.principal)
        .map_err(Fail::Wire)
        .and_then(|()| dispatch(shared, session, id, request, reply));
    match outcome {
        Ok(()) => Ok(()),
        Err(Fail::Gone) => Err(Gone),
        Err(Fail::Wire(e)) => {
            shared.metrics.error(e.class);
            reply.error(id, e)
        }
    }
}

fn dispatch(
    shared: &Shared,
    session: &mut Session,
    id: u64,
    request: Request,
    reply: &mut Reply<'_>,
) -> Outcome {
    match request {
        Request::Ping => one(reply, id, &Response::Pong),
        Request::Execute {
            tenant,
            sql,
            params,
        } => execute(shared, session, id, &tenant, &sql, &params, reply),
        Request::Query {
            tenant,
            sql,
            params,
            at,
        } => query(shared, session, id, (&tenant, &sql, &params, at), reply),
        Request::Prepare {
            tenant,
            statement,
            sql,
        } => prepare(shared, session, id, &tenant, statement, sql, reply),
        Request::ExecutePrepared { statement, params } => {
            execute_prepared(shared, session, id, statement, &params, reply)
        }
        Request::QueryPrepared {
            statement,
            params,
            at,
        } => query_prepared(shared, session, id, statement, &params, at, reply),
        Request::ClosePrepared { statement } => match session.prepared.remove(&statement) {
            Some(_) => one(reply, id, &Response::Ok),
            None => Err(statement_not_found(statement).into()),
        },
        Request::Batch {
            tenant,
            statements,
            expectations,
        } => batch(
            shared,
            session,
            id,
            &tenant,
            &statements,
            &expectations,
            reply,
        ),
        Request::Append { tenant, events } => append(shared, session, id, &tenant, &events, reply),
        Request::Read {
            tenant,
            stream,
            start,
            end,
        } => read(shared, session, id, &tenant, &stream, start, end, reply),
        Request::Receipt {
            tenant,
            position,
            disclose,
        } => receipt(shared, session, id, &tenant, position, &disclose, reply),
        Request::Export {
            tenant,
            from,
            to,
            withhold,
        } => export(
            shared,
            session,
            id,
            &tenant,
            &ExportOptions { from, to, withhold },
            reply,
        ),
        Request::Checkpoints { tenant, start, end } => {
            checkpoints(shared, session, id, &tenant, start, end, reply)
        }
        request => super::admin::handle(shared, session, id, request, reply),
    }
}

/// Sends one final response.
pub(crate) fn one(reply: &mut Reply<'_>, id: u64, response: &Response) -> Outcome {
    reply.response(id, false, response).map_err(Fail::from)
}

/// The tenant of a request, once the token may use it; what it writes names the token as its
/// actor (`token:<id>`).
pub(crate) fn tenant(shared: &Shared, session: &Session, name: &str) -> Result<Tenant, WireError> {
    let tenant = shared.db.existing_tenant(name).ok_or_else(|| {
        wire(
            ErrorClass::NotFound,
            codes::TENANT_NOT_FOUND,
            format!("no tenant {name}"),
        )
    })?;
    tenant
        .with_actor(Arc::clone(&session.principal.actor))
        .map_err(|e| errors::internal(e.to_string()))
}

fn statement_not_found(statement: u32) -> WireError {
    wire(
        ErrorClass::NotFound,
        codes::STATEMENT_NOT_FOUND,
        format!("no prepared statement {statement} on this connection"),
    )
}

/// Runs a write and records its commit latency when it succeeds.
fn timed<T, E>(shared: &Shared, write: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let started = Instant::now();
    let result = write();
    if result.is_ok() {
        shared
            .metrics
            .write_committed(started.elapsed().as_secs_f64());
    }
    result
}

fn execute(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    sql: &str,
    params: &[Value],
    reply: &mut Reply<'_>,
) -> Outcome {
    let (t, statement) = authorized_sql(shared, session, tenant_name, sql)?;
    audit::before_write(
        shared,
        &session.principal,
        &t,
        &statement.shape(),
        (sql, params),
    )?;
    let result =
        timed(shared, || statement.execute(params)).map_err(|e| errors::from_execute(&e))?;
    executed(reply, id, &result)
}

fn query(
    shared: &Shared,
    session: &Session,
    id: u64,
    (tenant_name, sql, params, at): (&str, &str, &[Value], Option<At>),
    reply: &mut Reply<'_>,
) -> Outcome {
    let (t, statement) = authorized_sql(shared, session, tenant_name, sql)?;
    let rows = match at {
        None => statement.query(params),
        Some(at) => statement.query_at(params, at),
    }
    .map_err(|e| errors::from_query(&e))?;
    let shape = statement.shape();
    audit::sql_read(
        shared,
        &session.principal,
        &t,
        &shape,
        (sql, params),
        rows.len() as u64,
    )?;
    send_rows(reply, id, &rows)
}

/// Parses `sql` with core (once: the statement returned is the one to run) and authorizes
/// what core parsed, after the tenant check. Text core refuses gets core's error; nothing was
/// touched.
fn authorized_sql(
    shared: &Shared,
    session: &Session,
    tenant_name: &str,
    sql: &str,
) -> Result<(Tenant, Statement), WireError> {
    tenant_scope(&session.principal, tenant_name)?;
    let t = tenant(shared, session, tenant_name)?;
    let statement = t.prepare(sql).map_err(|e| errors::from_prepare(&e))?;
    authorize(
        &session.principal,
        &Need::Sql(tenant_name, &[&statement.shape()]),
    )?;
    Ok((t, statement))
}

fn executed(reply: &mut Reply<'_>, id: u64, result: &ExecResult) -> Outcome {
    one(
        reply,
        id,
        &Response::Executed {
            position: result.position,
            rows_affected: result.rows_affected,
        },
    )
}

fn send_rows(reply: &mut Reply<'_>, id: u64, rows: &Rows) -> Outcome {
    encode_rows(id, rows, |frame| reply.frame(&frame)).map_err(Fail::from)
}

fn prepare(
    shared: &Shared,
    session: &mut Session,
    id: u64,
    tenant_name: &str,
    statement: u32,
    sql: String,
    reply: &mut Reply<'_>,
) -> Outcome {
    let (t, prepared) = authorized_sql(shared, session, tenant_name, &sql)?;
    if session.prepared.contains_key(&statement) {
        return Err(errors::invalid(format!(
            "statement id {statement} is already in use on this connection"
        ))
        .into());
    }
    if session.prepared.len() >= PREPARED_STATEMENTS_PER_CONNECTION_MAX {
        return Err(wire(
            ErrorClass::Limit,
            codes::LIMIT,
            format!(
                "at most {PREPARED_STATEMENTS_PER_CONNECTION_MAX} prepared statements per connection"
            ),
        )
        .into());
    }
    let response = Response::Prepared {
        statement,
        param_count: u16::try_from(prepared.param_count()).unwrap_or(u16::MAX),
        is_query: prepared.is_query(),
    };
    session.prepared.insert(
        statement,
        Prepared {
            tenant: t,
            shape: prepared.shape(),
            statement: prepared,
            sql,
        },
    );
    one(reply, id, &response)
}

fn prepared(session: &Session, statement: u32) -> Result<&Prepared, WireError> {
    let p = session
        .prepared
        .get(&statement)
        .ok_or_else(|| statement_not_found(statement))?;
    authorize(&session.principal, &Need::Sql(p.tenant.name(), &[&p.shape]))?;
    Ok(p)
}

fn execute_prepared(
    shared: &Shared,
    session: &Session,
    id: u64,
    statement: u32,
    params: &[Value],
    reply: &mut Reply<'_>,
) -> Outcome {
    let p = prepared(session, statement)?;
    audit::before_write(
        shared,
        &session.principal,
        &p.tenant,
        &p.shape,
        (&p.sql, params),
    )?;
    let result =
        timed(shared, || p.statement.execute(params)).map_err(|e| errors::from_execute(&e))?;
    executed(reply, id, &result)
}

fn query_prepared(
    shared: &Shared,
    session: &Session,
    id: u64,
    statement: u32,
    params: &[Value],
    at: Option<At>,
    reply: &mut Reply<'_>,
) -> Outcome {
    let p = prepared(session, statement)?;
    let rows = match at {
        None => p.statement.query(params),
        Some(at) => p.statement.query_at(params, at),
    }
    .map_err(|e| errors::from_query(&e))?;
    let rows_sent = rows.len() as u64;
    audit::sql_read(
        shared,
        &session.principal,
        &p.tenant,
        &p.shape,
        (&p.sql, params),
        rows_sent,
    )?;
    send_rows(reply, id, &rows)
}

fn batch(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    statements: &[BatchStatement],
    expectations: &[veritydb::protocol::Expectation],
    reply: &mut Reply<'_>,
) -> Outcome {
    tenant_scope(&session.principal, tenant_name)?;
    let t = tenant(shared, session, tenant_name)?;
    // Text statements are parsed by core here, once; prepared ones were at prepare time.
    let mut parsed = Vec::new();
    for s in statements {
        if let BatchStatement::Sql { sql, .. } = s {
            let statement = t.prepare(sql).map_err(|e| errors::from_prepare(&e))?;
            parsed.push((statement.shape(), statement));
        }
    }
    let mut parsed = parsed.iter();
    let mut steps: Vec<(&Shape, &Statement, &str, &[Value])> = Vec::with_capacity(statements.len());
    for s in statements {
        steps.push(match s {
            BatchStatement::Sql { sql, params } => {
                let (shape, statement) = parsed.next().expect("one parsed per text statement");
                (shape, statement, sql.as_str(), params.as_slice())
            }
            BatchStatement::Prepared { statement, params } => {
                let p = session
                    .prepared
                    .get(statement)
                    .ok_or_else(|| statement_not_found(*statement))?;
                if p.tenant.name() != tenant_name {
                    return Err(errors::invalid(format!(
                        "statement {statement} was prepared for tenant {}",
                        p.tenant.name()
                    ))
                    .into());
                }
                (&p.shape, &p.statement, p.sql.as_str(), params.as_slice())
            }
        });
    }
    let shapes: Vec<&Shape> = steps.iter().map(|(shape, ..)| *shape).collect();
    authorize(&session.principal, &Need::Sql(tenant_name, &shapes))?;
    let mut b = t.batch();
    for (shape, statement, sql, params) in steps {
        audit::before_write(shared, &session.principal, &t, shape, (sql, params))?;
        b.execute_prepared(statement, params)
            .map_err(|e| errors::from_execute(&e))?;
    }
    for e in expectations {
        b.expect_version(&e.table, &e.key, e.version);
    }
    let result = timed(shared, || b.commit()).map_err(|e| errors::from_execute(&e))?;
    executed(reply, id, &result)
}

fn append(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    events: &[(String, String)],
    reply: &mut Reply<'_>,
) -> Outcome {
    authorize(&session.principal, &Need::AppendEvents(tenant_name))?;
    let t = tenant(shared, session, tenant_name)?;
    let events: Vec<(&str, &str)> = events
        .iter()
        .map(|(stream, event)| (stream.as_str(), event.as_str()))
        .collect();
    let range = timed(shared, || t.append_batch(&events)).map_err(|e| errors::from_write(&e))?;
    one(
        reply,
        id,
        &Response::Appended {
            start: range.start,
            end: range.end,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn read(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    stream: &str,
    start: u64,
    end: u64,
    reply: &mut Reply<'_>,
) -> Outcome {
    authorize(&session.principal, &Need::ReadData(tenant_name))?;
    let t = tenant(shared, session, tenant_name)?;
    let events = t
        .read(stream, start, end)
        .map_err(|e| errors::from_read(&e))?;
    let mut part = Vec::new();
    let mut bytes = 0;
    let total = events.len();
    for (i, e) in events.into_iter().enumerate() {
        bytes += 20 + e.data.len();
        part.push(EventRecord {
            position: e.position,
            timestamp_us: e.timestamp_us,
            data: e.data,
        });
        if bytes >= RESPONSE_CHUNK_BYTES && i + 1 < total {
            reply.response(id, true, &Response::Events(std::mem::take(&mut part)))?;
            bytes = 0;
        }
    }
    one(reply, id, &Response::Events(part))
}

fn checkpoints(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    start: u64,
    end: u64,
    reply: &mut Reply<'_>,
) -> Outcome {
    authorize(&session.principal, &Need::Proofs(tenant_name))?;
    let t = tenant(shared, session, tenant_name)?;
    let cps = t
        .checkpoints(start, end)
        .map_err(|e| errors::from_read(&e))?;
    let mut chunks = cps.chunks(CHECKPOINTS_PER_FRAME_MAX).peekable();
    if chunks.peek().is_none() {
        return one(reply, id, &Response::Checkpoints(Vec::new()));
    }
    while let Some(chunk) = chunks.next() {
        let more = chunks.peek().is_some();
        reply.response(id, more, &Response::Checkpoints(chunk.to_vec()))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn receipt(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    position: u64,
    disclose: &[String],
    reply: &mut Reply<'_>,
) -> Outcome {
    let principal = &session.principal;
    authorize(principal, &Need::Receipt(tenant_name))?;
    let t = tenant(shared, session, tenant_name)?;
    let audited = shared.registry.audited_tables(tenant_name);
    let table = if !principal.tables.is_empty() || !audited.is_empty() {
        entry_table(&t, position)?
    } else {
        None
    };
    if !principal.tables.is_empty()
        && !table
            .as_deref()
            .is_some_and(|tb| table_allowed(principal, tb))
    {
        return Err(errors::forbidden(
            codes::TABLE_FORBIDDEN,
            "a token limited to tables may fetch receipts only for rows of those tables",
        )
        .into());
    }
    let names: Vec<&str> = disclose.iter().map(String::as_str).collect();
    let receipt = t
        .receipt(position, &names)
        .map_err(|e| errors::from_receipt(&e))?;
    if let Some(table) = table.filter(|tb| audited.contains(tb) && !disclose.is_empty()) {
        let what = format!(
            "receipt of position {position} disclosing {}",
            disclose.join(",")
        );
        audit::record(
            shared,
            principal,
            &t,
            "receipt",
            &BTreeSet::from([table]),
            &what,
            &[],
            1,
        )?;
    }
    one(
        reply,
        id,
        &Response::Receipt {
            position: receipt.position,
            checkpoint: receipt.checkpoint,
            text: receipt.text,
        },
    )
}

/// The `table` field of the entry at `position` (row and most schema entries have one).
fn entry_table(t: &Tenant, position: u64) -> Result<Option<String>, WireError> {
    let size = t.size();
    if position >= size {
        return Err(wire(
            ErrorClass::OutOfRange,
            codes::OUT_OF_RANGE,
            format!("position {position} is beyond the log's size {size}"),
        ));
    }
    let entries = t
        .entries(position, position + 1)
        .map_err(|e| errors::from_read(&e))?;
    Ok(entries.first().and_then(|e| {
        matches!(e.header.kind, Kind::Row | Kind::Schema)
            .then(|| e.field("table"))
            .flatten()
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    }))
}

fn export(
    shared: &Shared,
    session: &Session,
    id: u64,
    tenant_name: &str,
    options: &ExportOptions,
    reply: &mut Reply<'_>,
) -> Outcome {
    authorize(&session.principal, &Need::Export(tenant_name))?;
    let t = tenant(shared, session, tenant_name)?;
    let running = shared.exports_running.fetch_add(1, Ordering::AcqRel);
    let _slot = ExportSlot(shared);
    if running >= EXPORTS_CONCURRENT_MAX {
        return Err(wire(
            ErrorClass::Busy,
            codes::TOO_MANY_EXPORTS,
            format!("{EXPORTS_CONCURRENT_MAX} exports are running; retry later"),
        )
        .into());
    }
    let audited = shared.registry.audited_tables(tenant_name);
    if !audited.is_empty() {
        let what = format!(
            "export from {} to {} withholding [{}]",
            options.from,
            options.to.map_or("end".into(), |t| t.to_string()),
            options.withhold.join(",")
        );
        audit::record(
            shared,
            &session.principal,
            &t,
            "export",
            &audited,
            &what,
            &[],
            0,
        )?;
    }
    let progress = Rc::new(Cell::new((0u64, 0u64)));
    let mut writer = ChunkWriter {
        id,
        reply,
        buf: Vec::with_capacity(RESPONSE_CHUNK_BYTES),
        progress: Rc::clone(&progress),
        gone: false,
    };
    let result = t.export(&mut writer, options, |written, total| {
        progress.set((written, total));
    });
    let gone = writer.gone;
    match result {
        Ok(summary) => {
            writer.emit().map_err(|_| Fail::Gone)?;
            let done = ExportDone {
                from: summary.from,
                to: summary.to,
                entries: summary.entries,
                checkpoints: summary.checkpoints,
                bytes: summary.bytes,
            };
            one(reply, id, &Response::ExportDone(done))
        }
        Err(_) if gone => Err(Fail::Gone),
        Err(e) => Err(errors::from_export(&e).into()),
    }
}

/// Frees an export slot when the export ends, however it ends.
struct ExportSlot<'a>(&'a Shared);

impl Drop for ExportSlot<'_> {
    fn drop(&mut self) {
        self.0.exports_running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Cuts an export into `ExportChunk` frames of `RESPONSE_CHUNK_BYTES`.
struct ChunkWriter<'r, 'a> {
    id: u64,
    reply: &'r mut Reply<'a>,
    buf: Vec<u8>,
    progress: Rc<Cell<(u64, u64)>>,
    gone: bool,
}

impl ChunkWriter<'_, '_> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let (entries_written, entries_total) = self.progress.get();
        let chunk = Response::ExportChunk {
            data: std::mem::take(&mut self.buf),
            entries_written,
            entries_total,
        };
        self.reply
            .response(self.id, true, &chunk)
            .and_then(|()| self.reply.flush())
            .map_err(|Gone| {
                self.gone = true;
                io::Error::new(io::ErrorKind::BrokenPipe, "the client disconnected")
            })
    }
}

impl Write for ChunkWriter<'_, '_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = RESPONSE_CHUNK_BYTES - self.buf.len();
        let n = bytes.len().min(room);
        self.buf.extend_from_slice(&bytes[..n]);
        if self.buf.len() >= RESPONSE_CHUNK_BYTES {
            self.emit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A status value cut to its limit.
pub(crate) fn status_value(mut v: String) -> String {
    if v.len() > STATUS_VALUE_BYTES_MAX {
        let mut cut = STATUS_VALUE_BYTES_MAX;
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        v.truncate(cut);
    }
    v
}

/// The shape of a read that names no table (read_at_least).
pub(crate) fn read_shape() -> Shape {
    Shape {
        kind: StatementKind::Read,
        reads: BTreeSet::new(),
        writes: None,
        complete: true,
    }
}

/// Whether `tenant` is the all-tenants marker.
pub(crate) fn is_all(tenant: &str) -> bool {
    tenant == ALL_TENANTS
}
