//! [`RemoteTenant`]: the embedded [`crate::Tenant`]'s methods, each one request to the server.

use std::io::Write;
use std::ops::Range;

use super::connection::Connection;
use super::{Client, ClientError, expect_ok, read_whole, unexpected};
use crate::checkpoint::Checkpoint;
use crate::entry::Hash;
use crate::export::{ExportOptions, ExportSummary};
use crate::protocol::limits::PREPARED_STATEMENTS_PER_CONNECTION_MAX;
use crate::protocol::{BatchStatement, Expectation, Request, Response, RowsPart, TenantInfo};
use crate::receipt::Receipt;
use crate::sql::{At, ExecResult, Rows, Value};
use crate::{Event, limits};

/// One tenant of a server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RemoteTenant {
    client: Client,
    name: String,
}

impl RemoteTenant {
    pub(crate) fn new(client: Client, name: &str) -> RemoteTenant {
        RemoteTenant {
            client,
            name: name.to_owned(),
        }
    }

    fn t(&self) -> String {
        self.name.clone()
    }

    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tenant's origin, verifier key, size and checkpoint count.
    pub fn info(&self) -> Result<TenantInfo, ClientError> {
        match self
            .client
            .call(&Request::TenantInfo { tenant: self.t() })?
        {
            Response::TenantInfo(info) => Ok(info),
            other => Err(unexpected(&other)),
        }
    }

    /// The origin of the tenant's log: `node_name/tenant`.
    pub fn origin(&self) -> Result<String, ClientError> {
        Ok(self.info()?.origin)
    }

    /// The C2SP verifier key an auditor pins to check this tenant's checkpoints.
    pub fn verifier_key(&self) -> Result<String, ClientError> {
        Ok(self.info()?.verifier_key)
    }

    /// The number of durable entries.
    pub fn size(&self) -> Result<u64, ClientError> {
        number(self.client.call(&Request::Size { tenant: self.t() })?)
    }

    /// Appends a JSON event to a named stream; returns its position once durable.
    pub fn append(&self, stream: &str, event_json: &str) -> Result<u64, ClientError> {
        Ok(self.append_batch(&[(stream, event_json)])?.start)
    }

    /// Appends events atomically: all are durable, or none is.
    pub fn append_batch(&self, events: &[(&str, &str)]) -> Result<Range<u64>, ClientError> {
        let request = Request::Append {
            tenant: self.t(),
            events: events
                .iter()
                .map(|(s, e)| ((*s).to_owned(), (*e).to_owned()))
                .collect(),
        };
        match self.client.call(&request)? {
            Response::Appended { start, end } => Ok(start..end),
            other => Err(unexpected(&other)),
        }
    }

    /// The events of `stream` at positions in `start..end`, at most `READ_EVENTS_MAX`.
    pub fn read(&self, stream: &str, start: u64, end: u64) -> Result<Vec<Event>, ClientError> {
        let request = Request::Read {
            tenant: self.t(),
            stream: stream.to_owned(),
            start,
            end,
        };
        match self.client.call(&request)? {
            Response::Events(events) => Ok(events
                .into_iter()
                .map(|e| Event {
                    position: e.position,
                    timestamp_us: e.timestamp_us,
                    stream: stream.to_owned(),
                    data: e.data,
                })
                .collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// Signs a checkpoint of the durable log now (or returns the one of this size).
    pub fn checkpoint(&self) -> Result<Checkpoint, ClientError> {
        match self
            .client
            .call(&Request::Checkpoint { tenant: self.t() })?
        {
            Response::Checkpoint(cp) => Ok(cp),
            other => Err(unexpected(&other)),
        }
    }

    /// The latest durable checkpoint, if any.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, ClientError> {
        match self
            .client
            .call(&Request::LatestCheckpoint { tenant: self.t() })?
        {
            Response::MaybeCheckpoint(cp) => Ok(cp),
            other => Err(unexpected(&other)),
        }
    }

    /// Durable checkpoints number `start..end`, oldest first.
    pub fn checkpoints(&self, start: u64, end: u64) -> Result<Vec<Checkpoint>, ClientError> {
        let request = Request::Checkpoints {
            tenant: self.t(),
            start,
            end,
        };
        match self.client.call(&request)? {
            Response::Checkpoints(cps) => Ok(cps),
            other => Err(unexpected(&other)),
        }
    }

    /// The number of durable checkpoints.
    pub fn checkpoint_count(&self) -> Result<u64, ClientError> {
        number(
            self.client
                .call(&Request::CheckpointCount { tenant: self.t() })?,
        )
    }

    /// The tree root at `size`.
    pub fn root(&self, size: u64) -> Result<Hash, ClientError> {
        match self.client.call(&Request::Root {
            tenant: self.t(),
            size,
        })? {
            Response::Hash(h) => Ok(h),
            other => Err(unexpected(&other)),
        }
    }

    /// The RFC 6962 inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ClientError> {
        proof(self.client.call(&Request::InclusionProof {
            tenant: self.t(),
            index,
            size,
        })?)
    }

    /// The RFC 6962 consistency proof from `old_size` to `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, ClientError> {
        proof(self.client.call(&Request::ConsistencyProof {
            tenant: self.t(),
            old_size,
            new_size,
        })?)
    }

    /// A receipt proving entry `position`, disclosing the named fields.
    pub fn receipt(&self, position: u64, disclose: &[&str]) -> Result<Receipt, ClientError> {
        let request = Request::Receipt {
            tenant: self.t(),
            position,
            disclose: disclose.iter().map(|f| (*f).to_owned()).collect(),
        };
        match self.client.call(&request)? {
            Response::Receipt {
                position,
                checkpoint,
                text,
            } => Ok(Receipt {
                position,
                checkpoint,
                text,
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Streams an export into `out`; `progress(entries_written, entries_total)` is called
    /// as chunks arrive.
    pub fn export(
        &self,
        mut out: impl Write,
        options: &ExportOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ExportSummary, ClientError> {
        let request = Request::Export {
            tenant: self.t(),
            from: options.from,
            to: options.to,
            withhold: options.withhold.clone(),
        };
        self.client.with_connection(|conn| {
            let id = conn.send(&request);
            conn.flush()?;
            loop {
                let (got, more, response) = conn.read_response()?;
                if got != id {
                    conn.broken = true;
                    return Err(ClientError::Protocol("response to another request".into()));
                }
                match response {
                    Response::ExportChunk {
                        data,
                        entries_written,
                        entries_total,
                    } if more => {
                        if let Err(e) = out.write_all(&data) {
                            conn.broken = true;
                            return Err(ClientError::Output(e));
                        }
                        progress(entries_written, entries_total);
                    }
                    Response::ExportDone(d) if !more => {
                        out.flush().map_err(ClientError::Output)?;
                        return Ok(ExportSummary {
                            from: d.from,
                            to: d.to,
                            entries: d.entries,
                            checkpoints: d.checkpoints,
                            bytes: d.bytes,
                        });
                    }
                    Response::Error(e) => {
                        conn.broken |= more;
                        return Err(ClientError::Server(e));
                    }
                    other => {
                        conn.broken = true;
                        return Err(unexpected(&other));
                    }
                }
            }
        })
    }

    /// Runs a write statement as one atomic batch; returns once durable and visible.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult, ClientError> {
        executed(self.client.call(&Request::Execute {
            tenant: self.t(),
            sql: sql.to_owned(),
            params: params.to_vec(),
        })?)
    }

    /// Runs a SELECT on the current state.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, ClientError> {
        rows(self.client.call(&Request::Query {
            tenant: self.t(),
            sql: sql.to_owned(),
            params: params.to_vec(),
            at: None,
        })?)
    }

    /// Runs a SELECT on the state as of a past position or time.
    pub fn query_at(&self, sql: &str, params: &[Value], at: At) -> Result<Rows, ClientError> {
        rows(self.client.call(&Request::Query {
            tenant: self.t(),
            sql: sql.to_owned(),
            params: params.to_vec(),
            at: Some(at),
        })?)
    }

    /// Checks a statement once; running it prepares it on whichever pooled connection runs it.
    pub fn prepare(&self, sql: &str) -> Result<RemoteStatement, ClientError> {
        let mut statement = RemoteStatement {
            tenant: self.clone(),
            sql: sql.to_owned(),
            param_count: 0,
            is_query: false,
        };
        let (param_count, is_query) = self
            .client
            .with_connection(|conn| statement.prepared_on(conn).map(|(_, p, q)| (p, q)))?;
        statement.param_count = param_count;
        statement.is_query = is_query;
        Ok(statement)
    }

    /// A batch: statements that commit atomically, with optional row-version preconditions.
    pub fn batch(&self) -> RemoteBatch {
        RemoteBatch {
            tenant: self.clone(),
            statements: Vec::new(),
            expectations: Vec::new(),
        }
    }

    /// Makes sure queries see every entry up to and including `position`.
    pub fn read_at_least(&self, position: u64) -> Result<(), ClientError> {
        expect_ok(self.client.call(&Request::ReadAtLeast {
            tenant: self.t(),
            position,
        })?)
    }

    /// Marks a table audited (every read of it appends an access record) or not.
    pub fn set_table_audited(&self, table: &str, audited: bool) -> Result<(), ClientError> {
        expect_ok(self.client.call(&Request::SetTableAudited {
            tenant: self.t(),
            table: table.to_owned(),
            audited,
        })?)
    }
}

/// A statement checked once and run many times with different parameters.
#[derive(Debug, Clone)]
pub struct RemoteStatement {
    tenant: RemoteTenant,
    sql: String,
    param_count: usize,
    is_query: bool,
}

impl RemoteStatement {
    /// The number of parameters the statement takes.
    pub fn param_count(&self) -> usize {
        self.param_count
    }

    /// Whether the statement is a query (SELECT).
    pub fn is_query(&self) -> bool {
        self.is_query
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Runs the prepared SELECT with `params`.
    pub fn query(&self, params: &[Value]) -> Result<Rows, ClientError> {
        self.run(params, |statement, params| Request::QueryPrepared {
            statement,
            params,
            at: None,
        })
        .and_then(rows)
    }

    /// Runs the prepared SELECT as of a past position or time.
    pub fn query_at(&self, params: &[Value], at: At) -> Result<Rows, ClientError> {
        self.run(params, |statement, params| Request::QueryPrepared {
            statement,
            params,
            at: Some(at),
        })
        .and_then(rows)
    }

    /// Runs the prepared write with `params`.
    pub fn execute(&self, params: &[Value]) -> Result<ExecResult, ClientError> {
        self.run(params, |statement, params| Request::ExecutePrepared {
            statement,
            params,
        })
        .and_then(executed)
    }

    fn run(
        &self,
        params: &[Value],
        request: impl FnOnce(u32, Vec<Value>) -> Request,
    ) -> Result<Response, ClientError> {
        self.tenant.client.with_connection(|conn| {
            let (id, _, _) = self.prepared_on(conn)?;
            let request_id = conn.send(&request(id, params.to_vec()));
            conn.flush()?;
            read_whole(conn, request_id)
        })
    }

    /// The statement's id on `conn`, preparing it there first if needed; also returns the
    /// parameter count and whether it is a query.
    pub(crate) fn prepared_on(
        &self,
        conn: &mut Connection,
    ) -> Result<(u32, usize, bool), ClientError> {
        let key = (self.tenant.name.clone(), self.sql.clone());
        if let Some(&prepared) = conn.prepared.get(&key) {
            return Ok(prepared);
        }
        if conn.prepared.len() >= PREPARED_STATEMENTS_PER_CONNECTION_MAX {
            let evict = conn.prepared.keys().next().cloned();
            if let Some((evict, ..)) = evict.and_then(|k| conn.prepared.remove(&k)) {
                let id = conn.send(&Request::ClosePrepared { statement: evict });
                conn.flush()?;
                expect_ok(read_whole(conn, id)?)?;
            }
        }
        let statement = conn.next_statement;
        conn.next_statement = conn.next_statement.wrapping_add(1).max(1);
        let id = conn.send(&Request::Prepare {
            tenant: self.tenant.t(),
            statement,
            sql: self.sql.clone(),
        });
        conn.flush()?;
        match read_whole(conn, id)? {
            Response::Prepared {
                param_count,
                is_query,
                ..
            } => {
                let prepared = (statement, usize::from(param_count), is_query);
                conn.prepared.insert(key, prepared);
                Ok(prepared)
            }
            other => Err(unexpected(&other)),
        }
    }
}

/// Statements that commit atomically as one batch: all or nothing. Errors in a statement
/// are reported by [`RemoteBatch::commit`].
#[derive(Debug)]
pub struct RemoteBatch {
    tenant: RemoteTenant,
    statements: Vec<BatchStatement>,
    expectations: Vec<Expectation>,
}

impl RemoteBatch {
    /// Adds a write statement; it sees the effects of the statements added before it.
    pub fn execute(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<&mut RemoteBatch, ClientError> {
        self.add(sql, params)
    }

    /// Adds a prepared write statement.
    pub fn execute_prepared(
        &mut self,
        statement: &RemoteStatement,
        params: &[Value],
    ) -> Result<&mut RemoteBatch, ClientError> {
        self.add(&statement.sql, params)
    }

    fn add(&mut self, sql: &str, params: &[Value]) -> Result<&mut RemoteBatch, ClientError> {
        if self.statements.len() >= limits::SQL_BATCH_STATEMENTS_MAX {
            return Err(ClientError::Invalid(format!(
                "a batch holds at most {} statements",
                limits::SQL_BATCH_STATEMENTS_MAX
            )));
        }
        self.statements.push(BatchStatement::Sql {
            sql: sql.to_owned(),
            params: params.to_vec(),
        });
        Ok(self)
    }

    /// Requires that the row of `table` with primary key `key` was last written at `version`,
    /// or, with `None`, that it does not exist.
    pub fn expect_version(
        &mut self,
        table: &str,
        key: &[Value],
        version: Option<u64>,
    ) -> &mut RemoteBatch {
        self.expectations.push(Expectation {
            table: table.to_owned(),
            key: key.to_vec(),
            version,
        });
        self
    }

    /// Commits every statement as one atomic batch.
    pub fn commit(self) -> Result<ExecResult, ClientError> {
        executed(self.tenant.client.call(&Request::Batch {
            tenant: self.tenant.t(),
            statements: self.statements,
            expectations: self.expectations,
        })?)
    }
}

fn number(response: Response) -> Result<u64, ClientError> {
    match response {
        Response::Number(n) => Ok(n),
        other => Err(unexpected(&other)),
    }
}

fn proof(response: Response) -> Result<Vec<Hash>, ClientError> {
    match response {
        Response::Proof(p) => Ok(p),
        other => Err(unexpected(&other)),
    }
}

fn executed(response: Response) -> Result<ExecResult, ClientError> {
    match response {
        Response::Executed {
            position,
            rows_affected,
        } => Ok(ExecResult {
            position,
            rows_affected,
        }),
        other => Err(unexpected(&other)),
    }
}

/// The rows of a (merged) `Rows` response.
pub(crate) fn rows(response: Response) -> Result<Rows, ClientError> {
    match response {
        Response::Rows(RowsPart {
            columns: Some(columns),
            rows,
            versions,
            ..
        }) => Ok(Rows {
            columns,
            rows,
            versions,
        }),
        other => Err(unexpected(&other)),
    }
}
