//! [`Pipeline`]: many requests in flight on one connection. The server runs a connection's
//! requests in order and answers each with its request id; a pipeline sends without waiting
//! and reads the answers as they come, so round trips overlap.

use super::connection::Connection;
use super::{Client, ClientError, RemoteStatement, merge};
use crate::protocol::{Request, Response, WireError};
use crate::sql::{Rows, Value};

/// Queued bytes after which `send` flushes by itself.
const AUTO_FLUSH_BYTES: usize = 64 * 1024;

/// A connection of its own, with requests in flight.
pub struct Pipeline {
    client: Client,
    conn: Option<Connection>,
    outstanding: u64,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("outstanding", &self.outstanding)
            .finish()
    }
}

impl Pipeline {
    pub(crate) fn new(client: Client, conn: Connection) -> Pipeline {
        Pipeline {
            client,
            conn: Some(conn),
            outstanding: 0,
        }
    }

    fn conn(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("the connection is only taken on drop")
    }

    /// Requests sent whose responses were not read yet.
    pub fn outstanding(&self) -> u64 {
        self.outstanding
    }

    /// Prepares `statement` on this pipeline's connection (with nothing in flight) and
    /// returns its id for `QueryPrepared` / `ExecutePrepared` requests.
    pub fn prepare(&mut self, statement: &RemoteStatement) -> Result<u32, ClientError> {
        if self.outstanding > 0 {
            return Err(ClientError::Invalid(
                "prepare with requests in flight: read their responses first".into(),
            ));
        }
        Ok(statement.prepared_on(self.conn())?.0)
    }

    /// Queues a request; returns its id. Sent at the next [`Pipeline::flush`] or once
    /// enough bytes are queued.
    pub fn send(&mut self, request: &Request) -> Result<u64, ClientError> {
        let conn = self.conn();
        let id = conn.send(request);
        if conn.queued_bytes() >= AUTO_FLUSH_BYTES {
            conn.flush()?;
        }
        self.outstanding += 1;
        Ok(id)
    }

    /// Queues a prepared query (see [`Pipeline::prepare`]).
    pub fn query_prepared(&mut self, statement: u32, params: &[Value]) -> Result<u64, ClientError> {
        self.send(&Request::QueryPrepared {
            statement,
            params: params.to_vec(),
            at: None,
        })
    }

    /// Sends every queued request.
    pub fn flush(&mut self) -> Result<(), ClientError> {
        self.conn().flush()
    }

    /// The next whole response: its request id and the response or the server's error for
    /// that request. Flushes first.
    pub fn recv(&mut self) -> Result<(u64, Result<Response, WireError>), ClientError> {
        if self.outstanding == 0 {
            return Err(ClientError::Invalid("no request in flight".into()));
        }
        let conn = self.conn();
        conn.flush()?;
        let (id, mut more, first) = conn.read_response()?;
        let mut merged = first;
        while more {
            let (next_id, next_more, next) = conn.read_response()?;
            if next_id != id {
                conn.broken = true;
                return Err(ClientError::Protocol(
                    "frames of two responses interleaved".into(),
                ));
            }
            more = next_more;
            merged = match next {
                Response::Error(e) => {
                    conn.broken |= more;
                    Response::Error(e)
                }
                next => merge(merged, next).inspect_err(|_| conn.broken = true)?,
            };
        }
        self.outstanding -= 1;
        Ok(match merged {
            Response::Error(e) => (id, Err(e)),
            response => (id, Ok(response)),
        })
    }

    /// The rows of a query response read by [`Pipeline::recv`].
    pub fn rows(response: Response) -> Result<Rows, ClientError> {
        super::tenant::rows(response)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.outstanding == 0
        {
            self.client.checkin(conn);
        }
    }
}
