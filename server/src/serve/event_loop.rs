//! The network thread: one mio event loop that accepts connections, runs TLS, decodes frames,
//! answers the handshake, queues requests, hands them to the worker pool and writes the
//! responses back. It never touches storage, so one slow client or one slow fsync never
//! stalls another connection.
//!
//! Invariants: every connection has at most one job in flight (its requests run in order);
//! reading stops for a connection whose request queue or unsent output is full and resumes
//! when they drain (backpressure, no unbounded buffer); every protocol error answers with an
//! error frame and closes that connection only; handshake, frame, idle and write-stall
//! timeouts bound how long any connection holds resources.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
use rustls::{ServerConfig, ServerConnection};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use veritydb::protocol::limits::{FRAME_BYTES_MAX, PROTOCOL_VERSION};
use veritydb::protocol::{
    DecodeError, ErrorClass, Frame, Request, Response, Welcome, WireError, codes, types,
};

use super::connection::{Conn, Phase};
use super::worker::{Completion, Job, Outbound, Pool, Session, Shared};
use crate::errors::wire;
use crate::limits::*;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const SIGNALS: Token = Token(2);
/// Connection ids start here, above the fixed tokens, and are never reused.
const FIRST_CONNECTION_ID: u64 = 16;
/// Reads per connection per turn of the loop before others get a turn.
const READS_PER_TURN_MAX: usize = 16;
/// A closing connection that cannot send its last bytes is dropped after this long.
const CLOSING_TIMEOUT_MS: u64 = 5_000;

/// Settings from the command line.
pub(crate) struct LoopConfig {
    pub(crate) connections_max: usize,
    pub(crate) idle_timeout_ms: u64,
    pub(crate) handshake_timeout_ms: u64,
    pub(crate) frame_timeout_ms: u64,
}

pub(crate) struct EventLoop {
    poll: Poll,
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    conns: HashMap<u64, Conn>,
    next_id: u64,
    shared: Arc<Shared>,
    pool: Pool,
    completions_tx: Sender<Completion>,
    completions: Receiver<Completion>,
    waker: Arc<Waker>,
    signals: Signals,
    config: LoopConfig,
    read_buf: Vec<u8>,
    revisit: VecDeque<u64>,
    shutdown_deadline: Option<Instant>,
}

impl EventLoop {
    pub(crate) fn new(
        mut listener: TcpListener,
        tls: Option<Arc<ServerConfig>>,
        shared: Arc<Shared>,
        workers: usize,
        config: LoopConfig,
    ) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut signals = Signals::new([SIGTERM, SIGINT])?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let (completions_tx, completions) = std::sync::mpsc::channel();
        let pool = Pool::start(workers, &shared, &completions_tx)?;
        Ok(EventLoop {
            poll,
            listener,
            tls,
            conns: HashMap::new(),
            next_id: FIRST_CONNECTION_ID,
            shared,
            pool,
            completions_tx,
            completions,
            waker,
            signals,
            config,
            read_buf: vec![0; READ_CHUNK_BYTES],
            revisit: VecDeque::new(),
            shutdown_deadline: None,
        })
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: stops accepting, lets
    /// queued requests finish, closes every connection and stops the workers.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut last_tick = Instant::now();
        loop {
            let timeout = match self.revisit.is_empty() {
                true => Duration::from_millis(TIMER_TICK_MS),
                false => Duration::ZERO,
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => {}
                    SIGNALS => self.on_signals(),
                    Token(id) => self.pump(id as u64),
                }
            }
            self.drain_completions();
            let again: Vec<u64> = self.revisit.drain(..).collect();
            for id in again {
                self.pump(id);
            }
            if last_tick.elapsed() >= Duration::from_millis(TIMER_TICK_MS) {
                last_tick = Instant::now();
                self.check_timeouts();
                if self.shutdown_deadline.is_none() {
                    self.accept_all();
                }
            }
            if self.shutdown_finished() {
                break;
            }
        }
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.close(id);
        }
        drop(self.completions_tx);
        self.pool.stop();
        Ok(())
    }

    fn on_signals(&mut self) {
        let signals: Vec<i32> = self.signals.pending().collect();
        if signals.iter().any(|s| *s == SIGTERM || *s == SIGINT) && self.shutdown_deadline.is_none()
        {
            tracing::info!(
                connections = self.conns.len(),
                "shutting down: no new connections; finishing requests in flight"
            );
            let _ = self.poll.registry().deregister(&mut self.listener);
            self.shutdown_deadline =
                Some(Instant::now() + Duration::from_millis(SHUTDOWN_GRACE_MS));
            let ids: Vec<u64> = self.conns.keys().copied().collect();
            for id in ids {
                if let Some(conn) = self.conns.get_mut(&id)
                    && conn.phase == Phase::Handshake
                {
                    conn.fail(
                        0,
                        wire(
                            ErrorClass::Busy,
                            codes::SHUTTING_DOWN,
                            "the server is shutting down",
                        ),
                    );
                }
                self.revisit.push_back(id);
            }
        }
    }

    fn shutdown_finished(&self) -> bool {
        let Some(deadline) = self.shutdown_deadline else {
            return false;
        };
        let quiet = self
            .conns
            .values()
            .all(|c| !c.job_running && c.queue.is_empty() && c.unsent() == 0);
        quiet || Instant::now() >= deadline
    }

    fn accept_all(&mut self) {
        loop {
            let (mut socket, peer) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    return;
                }
            };
            let metrics = &self.shared.metrics;
            if self.conns.len() >= self.config.connections_max || self.shutdown_deadline.is_some() {
                metrics.connections_rejected.fetch_add(1, Relaxed);
                if self.tls.is_none() {
                    reject(&mut socket, self.config.connections_max);
                }
                tracing::warn!(%peer, "connection refused: at the connection limit");
                continue;
            }
            let _ = socket.set_nodelay(true);
            let id = self.next_id;
            self.next_id += 1;
            let tls = match &self.tls {
                None => None,
                Some(config) => match ServerConnection::new(Arc::clone(config)) {
                    Ok(tls) => Some(tls),
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS setup failed");
                        continue;
                    }
                },
            };
            let token = Token(usize::try_from(id).expect("ids fit in usize on 64-bit targets"));
            if let Err(e) = self.poll.registry().register(
                &mut socket,
                token,
                Interest::READABLE | Interest::WRITABLE,
            ) {
                tracing::warn!(error = %e, "cannot register a connection");
                continue;
            }
            let outbound = Arc::new(Outbound::new(
                id,
                self.completions_tx.clone(),
                Arc::clone(&self.waker),
            ));
            self.conns
                .insert(id, Conn::new(socket, peer, tls, outbound));
            metrics.connections_open.fetch_add(1, Relaxed);
            metrics.connections_total.fetch_add(1, Relaxed);
            tracing::debug!(%peer, id, "connection opened");
            self.revisit.push_back(id);
        }
    }

    fn drain_completions(&mut self) {
        while let Ok(completion) = self.completions.try_recv() {
            match completion {
                Completion::Bytes(id, bytes) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.push_output(&bytes);
                        self.revisit.push_back(id);
                    }
                }
                Completion::Done(id, session) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.session = Some(session);
                        conn.job_running = false;
                        conn.last_activity = Instant::now();
                        self.revisit.push_back(id);
                    }
                }
            }
        }
        self.revisit.make_contiguous().sort_unstable();
        let mut seen = None;
        self.revisit.retain(|id| {
            let new = seen != Some(*id);
            seen = Some(*id);
            new
        });
    }

    /// Moves one connection forward: write, read, decode, dispatch, write; closes it when
    /// it is done or broken.
    fn pump(&mut self, id: u64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let metrics = Arc::clone(&self.shared.metrics);
        let mut broken = flush(conn, &metrics).is_err();
        let mut more = false;
        if !broken && self.shutdown_deadline.is_none() {
            match self.read(id) {
                Ok(m) => more = m,
                Err(()) => broken = true,
            }
        }
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        broken |= flush(conn, &metrics).is_err();
        if !broken {
            self.dispatch(id);
        }
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let done_closing = conn.phase == Phase::Closing && !conn.job_running && conn.unsent() == 0;
        let shut = self.shutdown_deadline.is_some()
            && !conn.job_running
            && conn.queue.is_empty()
            && conn.unsent() == 0;
        let ended = conn.eof && !conn.job_running && conn.queue.is_empty() && conn.unsent() == 0;
        if broken || done_closing || shut || ended {
            self.close(id);
        } else if more {
            self.revisit.push_back(id);
        }
    }

    /// Reads and decodes while the connection has room; `Ok(true)` if it stopped with
    /// bytes possibly still waiting in the socket.
    fn read(&mut self, id: u64) -> Result<bool, ()> {
        for _ in 0..READS_PER_TURN_MAX {
            let conn = self.conns.get_mut(&id).ok_or(())?;
            if conn.phase == Phase::Closing || conn.eof || paused(conn) {
                return Ok(false);
            }
            let before = conn.decoder.buffered();
            let got = conn.read_some(&mut self.read_buf).map_err(|e| {
                tracing::debug!(peer = %conn.peer, error = %e, "read failed");
            })?;
            let received = conn.decoder.buffered().saturating_sub(before);
            self.shared
                .metrics
                .bytes_received
                .fetch_add(received as u64, Relaxed);
            self.decode(id);
            if !got {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Turns buffered bytes into queued requests (or a protocol error).
    fn decode(&mut self, id: u64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let mut decoded = 0;
        while conn.phase != Phase::Closing && conn.queue.len() < REQUESTS_QUEUED_PER_CONNECTION_MAX
        {
            match conn.decoder.next_frame() {
                Ok(Some(frame)) => {
                    decoded += 1;
                    conn.last_activity = Instant::now();
                    on_frame(conn, &frame, &self.shared);
                }
                Ok(None) => break,
                Err(e) => {
                    let code = match e {
                        DecodeError::FrameTooLarge { .. } => codes::FRAME_TOO_LARGE,
                        _ => codes::MALFORMED_FRAME,
                    };
                    self.shared.metrics.error(ErrorClass::Protocol);
                    tracing::debug!(peer = %conn.peer, error = %e, "bad frame");
                    conn.fail(0, wire(ErrorClass::Protocol, code, e.to_string()));
                }
            }
        }
        if conn.decoder.buffered() == 0 {
            conn.frame_started = None;
        } else if decoded > 0 || conn.frame_started.is_none() {
            conn.frame_started = Some(Instant::now());
        }
    }

    /// Hands the connection's queued requests to a worker if none is running for it.
    fn dispatch(&mut self, id: u64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.job_running || conn.queue.is_empty() || conn.phase == Phase::Closing {
            return;
        }
        let Some(session) = conn.session.take() else {
            return;
        };
        let n = conn.queue.len().min(JOB_REQUESTS_MAX);
        let job = Job {
            conn: id,
            session,
            requests: conn.queue.drain(..n).collect(),
            outbound: Arc::clone(&conn.outbound),
        };
        conn.job_running = true;
        if let Err(job) = self.pool.submit(job) {
            conn.session = Some(job.session);
            conn.job_running = false;
            conn.fail(
                0,
                wire(
                    ErrorClass::Busy,
                    codes::SHUTTING_DOWN,
                    "the server is stopping",
                ),
            );
        }
    }

    fn check_timeouts(&mut self) {
        let now = Instant::now();
        let idle = Duration::from_millis(self.config.idle_timeout_ms);
        let (handshake_ms, frame_ms) = (
            self.config.handshake_timeout_ms,
            self.config.frame_timeout_ms,
        );
        let mut drop_now = Vec::new();
        for (id, conn) in &mut self.conns {
            let over =
                |since: Instant, ms: u64| now.duration_since(since) > Duration::from_millis(ms);
            let timeout = |code, what: &str| wire(ErrorClass::Protocol, code, what);
            match conn.phase {
                Phase::Closing => {
                    if conn
                        .closing_since
                        .is_some_and(|t| over(t, CLOSING_TIMEOUT_MS))
                    {
                        drop_now.push(*id);
                    }
                    continue;
                }
                Phase::Handshake if over(conn.opened, handshake_ms) => {
                    conn.fail(
                        0,
                        timeout(codes::HANDSHAKE_TIMEOUT, "the handshake took too long"),
                    );
                }
                _ if conn.frame_started.is_some_and(|t| over(t, frame_ms)) => {
                    conn.fail(
                        0,
                        timeout(codes::FRAME_TIMEOUT, "a frame took too long to arrive"),
                    );
                }
                Phase::Ready
                    if !conn.job_running
                        && conn.queue.is_empty()
                        && conn.unsent() == 0
                        && now.duration_since(conn.last_activity) > idle =>
                {
                    conn.fail(
                        0,
                        timeout(codes::IDLE_TIMEOUT, "the connection was idle too long"),
                    );
                }
                _ if conn.unsent() > 0 && over(conn.last_write, WRITE_STALL_TIMEOUT_MS) => {
                    drop_now.push(*id);
                    continue;
                }
                _ => continue,
            }
            self.revisit.push_back(*id);
        }
        for id in drop_now {
            self.close(id);
        }
    }

    fn close(&mut self, id: u64) {
        if let Some(mut conn) = self.conns.remove(&id) {
            conn.outbound.close();
            let _ = self.poll.registry().deregister(&mut conn.socket);
            let _ = conn.socket.shutdown(std::net::Shutdown::Both);
            self.shared.metrics.connections_open.fetch_sub(1, Relaxed);
            tracing::debug!(peer = %conn.peer, id, "connection closed");
        }
    }
}

/// Whether the connection must not read more for now (backpressure).
fn paused(conn: &Conn) -> bool {
    conn.queue.len() >= REQUESTS_QUEUED_PER_CONNECTION_MAX
        || conn.unsent() > OUTBOUND_BYTES_HIGH
        || conn.decoder.buffered() > FRAME_BYTES_MAX + READ_CHUNK_BYTES
}

fn flush(conn: &mut Conn, metrics: &super::metrics::Metrics) -> io::Result<()> {
    let sent = conn.write_some().inspect_err(|e| {
        tracing::debug!(peer = %conn.peer, error = %e, "write failed");
    })?;
    metrics.bytes_sent.fetch_add(sent as u64, Relaxed);
    Ok(())
}

/// Handles one frame: the hello while handshaking, a queued request afterwards, or a
/// protocol error that closes the connection.
fn on_frame(conn: &mut Conn, frame: &Frame, shared: &Shared) {
    let protocol = |code, message: String| wire(ErrorClass::Protocol, code, message);
    match conn.phase {
        Phase::Closing => {}
        Phase::Handshake => {
            if frame.frame_type != types::HELLO {
                shared.metrics.error(ErrorClass::Protocol);
                conn.fail(
                    frame.request_id,
                    protocol(
                        codes::HANDSHAKE_REQUIRED,
                        "the first frame must be a hello".into(),
                    ),
                );
                return;
            }
            match handshake(frame, shared) {
                Ok((session, welcome)) => {
                    tracing::debug!(peer = %conn.peer, token = %session.principal.id_text, "authenticated");
                    conn.session = Some(session);
                    conn.phase = Phase::Ready;
                    conn.push_response(frame.request_id, &Response::Welcome(welcome));
                }
                Err(e) => {
                    shared.metrics.error(e.class);
                    tracing::info!(peer = %conn.peer, error = %e, "handshake refused");
                    conn.fail(frame.request_id, e);
                }
            }
        }
        Phase::Ready => match Request::decode(frame.frame_type, &frame.body) {
            Ok(Request::Hello(_)) => {
                shared.metrics.error(ErrorClass::Protocol);
                conn.fail(
                    frame.request_id,
                    protocol(
                        codes::HANDSHAKE_REQUIRED,
                        "hello is only valid as the first frame".into(),
                    ),
                );
            }
            Ok(_) if frame.request_id == 0 => {
                shared.metrics.error(ErrorClass::Protocol);
                conn.fail(
                    0,
                    protocol(
                        codes::MALFORMED_FRAME,
                        "request id 0 is reserved for the connection".into(),
                    ),
                );
            }
            Ok(request) => conn.queue.push_back((frame.request_id, request)),
            Err(e) => {
                let code = match e {
                    DecodeError::UnknownType(_) => codes::UNKNOWN_FRAME_TYPE,
                    _ => codes::MALFORMED_FRAME,
                };
                shared.metrics.error(ErrorClass::Protocol);
                conn.fail(frame.request_id, protocol(code, e.to_string()));
            }
        },
    }
}

fn handshake(frame: &Frame, shared: &Shared) -> Result<(Session, Welcome), WireError> {
    let hello = match Request::decode(frame.frame_type, &frame.body) {
        Ok(Request::Hello(hello)) => hello,
        Ok(_) => {
            return Err(wire(
                ErrorClass::Protocol,
                codes::HANDSHAKE_REQUIRED,
                "the first frame must be a hello",
            ));
        }
        Err(e) => {
            return Err(wire(
                ErrorClass::Protocol,
                codes::MALFORMED_FRAME,
                e.to_string(),
            ));
        }
    };
    if !(hello.version_min..=hello.version_max).contains(&PROTOCOL_VERSION) {
        return Err(wire(
            ErrorClass::Protocol,
            codes::UNSUPPORTED_VERSION,
            format!(
                "the server speaks protocol version {PROTOCOL_VERSION}; the client offered {}..={}",
                hello.version_min, hello.version_max
            ),
        ));
    }
    let principal = shared.registry.authenticate(&hello.token)?;
    let welcome = Welcome {
        version: PROTOCOL_VERSION,
        server: shared.server_name.clone(),
        node_name: shared.db.node_name().to_owned(),
        frame_bytes_max: u32::try_from(FRAME_BYTES_MAX).expect("asserted in protocol limits"),
        token_id: principal.id_text.clone(),
        tenant: principal.tenant.clone(),
        role: principal.role,
    };
    Ok((
        Session {
            principal,
            prepared: HashMap::new(),
        },
        welcome,
    ))
}

/// Best effort: tell a client beyond the connection limit why, then drop it.
fn reject(socket: &mut mio::net::TcpStream, max: usize) {
    use std::io::Write as _;
    let error = WireError::new(
        ErrorClass::Busy,
        codes::TOO_MANY_CONNECTIONS,
        format!("the server is at its limit of {max} connections"),
    );
    let mut frame = Vec::new();
    Response::Error(error).encode(0, false, &mut frame);
    let _ = socket.write(&frame);
}
