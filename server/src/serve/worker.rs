//! The worker pool: storage, fsync and every other blocking or heavy step runs here, never on
//! the network thread.
//!
//! A connection hands its queued requests to the pool as one [`Job`], with its [`Session`]
//! (token and prepared statements) moved into the job; the worker runs them in order and
//! gives the session back with [`Completion::Done`]. So a connection has at most one job in
//! flight, its requests run in the order they arrived, and no lock guards a session.
//! Many connections' jobs run at once, which is what lets core's group commit cover many
//! writers with one fsync.
//!
//! Backpressure: a worker hands response bytes to the network thread through [`Outbound`],
//! which blocks the worker while the connection has more than `OUTBOUND_BYTES_HIGH` unsent
//! bytes; a closed connection makes the worker stop at its next response.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::Waker;
use veritydb::protocol::{Request, Response, WireError};
use veritydb::{Db, Statement, Tenant};

use super::handlers;
use super::metrics::Metrics;
use crate::auth::{Principal, Registry};
use crate::limits::{OUTBOUND_BYTES_HIGH, WORKER_OUTPUT_FLUSH_BYTES};

/// What every worker shares.
pub(crate) struct Shared {
    pub(crate) db: Db,
    pub(crate) registry: Registry,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) exports_running: AtomicUsize,
    pub(crate) started: Instant,
    pub(crate) server_name: String,
}

/// A connection's authenticated state.
pub(crate) struct Session {
    pub(crate) principal: Principal,
    pub(crate) prepared: HashMap<u32, Prepared>,
}

/// A statement prepared on a connection.
pub(crate) struct Prepared {
    pub(crate) tenant: Tenant,
    pub(crate) statement: Statement,
    pub(crate) shape: veritydb::sql::Shape,
    pub(crate) sql: String,
}

/// A connection's requests, in order, with its session.
pub(crate) struct Job {
    pub(crate) conn: u64,
    pub(crate) session: Session,
    pub(crate) requests: Vec<(u64, Request)>,
    pub(crate) outbound: Arc<Outbound>,
}

/// What workers send back to the network thread.
pub(crate) enum Completion {
    /// Response bytes for a connection.
    Bytes(u64, Vec<u8>),
    /// A job finished; the session goes back to its connection.
    Done(u64, Session),
}

/// The connection is gone: stop producing for it.
#[derive(Debug)]
pub(crate) struct Gone;

/// The path of a connection's response bytes from workers to the network thread.
pub(crate) struct Outbound {
    conn: u64,
    /// Bytes handed over and not yet written to the socket.
    pending: Mutex<usize>,
    space: Condvar,
    closed: AtomicBool,
    completions: Sender<Completion>,
    waker: Arc<Waker>,
}

impl Outbound {
    pub(crate) fn new(conn: u64, completions: Sender<Completion>, waker: Arc<Waker>) -> Outbound {
        Outbound {
            conn,
            pending: Mutex::new(0),
            space: Condvar::new(),
            closed: AtomicBool::new(false),
            completions,
            waker,
        }
    }

    /// Hands bytes to the network thread, waiting while the connection is full.
    pub(crate) fn send(&self, bytes: Vec<u8>) -> Result<(), Gone> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *pending >= OUTBOUND_BYTES_HIGH {
            if self.closed.load(Ordering::Acquire) {
                return Err(Gone);
            }
            pending = self
                .space
                .wait_timeout(pending, Duration::from_millis(100))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Gone);
        }
        *pending += bytes.len();
        drop(pending);
        self.completions
            .send(Completion::Bytes(self.conn, bytes))
            .map_err(|_| Gone)?;
        self.waker.wake().map_err(|_| Gone)
    }

    /// Counts bytes the network thread queued itself (handshake answers, errors).
    pub(crate) fn add(&self, n: usize) {
        *self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += n;
    }

    /// Called by the network thread once `n` bytes left for the socket.
    pub(crate) fn release(&self, n: usize) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *pending = pending.saturating_sub(n);
        self.space.notify_all();
    }

    /// The connection closed: wake and stop every producer.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.space.notify_all();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Gathers a job's response frames and hands them over in batches.
pub(crate) struct Reply<'a> {
    outbound: &'a Outbound,
    buf: Vec<u8>,
}

impl Reply<'_> {
    /// Adds one response frame.
    pub(crate) fn response(
        &mut self,
        id: u64,
        more: bool,
        response: &Response,
    ) -> Result<(), Gone> {
        response.encode(id, more, &mut self.buf);
        self.maybe_flush()
    }

    /// Adds an error response.
    pub(crate) fn error(&mut self, id: u64, error: WireError) -> Result<(), Gone> {
        self.response(id, false, &Response::Error(error))
    }

    /// Adds an encoded frame.
    pub(crate) fn frame(&mut self, frame: &[u8]) -> Result<(), Gone> {
        self.buf.extend_from_slice(frame);
        self.maybe_flush()
    }

    fn maybe_flush(&mut self) -> Result<(), Gone> {
        if self.buf.len() >= WORKER_OUTPUT_FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands everything gathered so far to the network thread.
    pub(crate) fn flush(&mut self) -> Result<(), Gone> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.outbound.send(std::mem::take(&mut self.buf))
    }
}

/// The running pool.
pub(crate) struct Pool {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `n` workers.
    pub(crate) fn start(
        n: usize,
        shared: &Arc<Shared>,
        completions: &Sender<Completion>,
    ) -> std::io::Result<Pool> {
        let (jobs, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let receiver = Arc::clone(&receiver);
            let shared = Arc::clone(shared);
            let completions = completions.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("veritydb-worker-{i}"))
                    .spawn(move || work(&receiver, &shared, &completions))?,
            );
        }
        Ok(Pool {
            jobs: Some(jobs),
            threads,
        })
    }

    /// Queues a job; gives it back if the pool stopped.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Box<Job>> {
        match &self.jobs {
            Some(jobs) => jobs.send(job).map_err(|e| Box::new(e.0)),
            None => Err(Box::new(job)),
        }
    }

    /// Lets queued jobs finish and joins every worker.
    pub(crate) fn stop(mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, shared: &Shared, completions: &Sender<Completion>) {
    loop {
        let job = {
            let receiver = receiver
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            receiver.recv()
        };
        let Ok(job) = job else { return };
        let Job {
            conn,
            mut session,
            requests,
            outbound,
        } = job;
        let mut reply = Reply {
            outbound: &outbound,
            buf: Vec::new(),
        };
        for (id, request) in requests {
            if outbound.is_closed() {
                break;
            }
            if handlers::handle(shared, &mut session, id, request, &mut reply).is_err() {
                break;
            }
        }
        let _ = reply.flush();
        if completions.send(Completion::Done(conn, session)).is_ok() {
            let _ = outbound.waker.wake();
        }
    }
}
