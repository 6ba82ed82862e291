//! One client connection as the network thread sees it: non-blocking socket I/O, plain or
//! through rustls, the frame decoder, the queue of decoded requests and the unsent output.
//!
//! Invariants: the output buffer only ever holds whole frames, appended in the order they
//! were produced; `Outbound::pending` counts every byte of it not yet handed to the socket (or
//! to rustls), so workers block before it grows past `OUTBOUND_BYTES_HIGH`.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use mio::net::TcpStream;
use rustls::ServerConnection;
use veritydb::protocol::{FrameDecoder, Request, Response, WireError};

use super::worker::{Outbound, Session};

/// Plaintext handed to rustls per step, so its buffer stays small.
const TLS_FEED_BYTES: usize = 64 * 1024;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for TLS and the hello.
    Handshake,
    /// Authenticated; requests flow.
    Ready,
    /// No more reading; closes once the job in flight ends and the output is sent.
    Closing,
}

pub(crate) struct Conn {
    pub(crate) socket: TcpStream,
    tls: Option<Box<ServerConnection>>,
    pub(crate) peer: SocketAddr,
    pub(crate) decoder: FrameDecoder,
    out: Vec<u8>,
    out_at: usize,
    close_notify_sent: bool,
    pub(crate) phase: Phase,
    pub(crate) session: Option<Session>,
    pub(crate) job_running: bool,
    pub(crate) queue: VecDeque<(u64, Request)>,
    pub(crate) outbound: Arc<Outbound>,
    pub(crate) opened: Instant,
    pub(crate) last_activity: Instant,
    pub(crate) frame_started: Option<Instant>,
    pub(crate) last_write: Instant,
    pub(crate) closing_since: Option<Instant>,
    pub(crate) eof: bool,
}

impl Conn {
    pub(crate) fn new(
        socket: TcpStream,
        peer: SocketAddr,
        tls: Option<ServerConnection>,
        outbound: Arc<Outbound>,
    ) -> Conn {
        let now = Instant::now();
        Conn {
            socket,
            tls: tls.map(Box::new),
            peer,
            decoder: FrameDecoder::new(),
            out: Vec::new(),
            out_at: 0,
            close_notify_sent: false,
            phase: Phase::Handshake,
            session: None,
            job_running: false,
            queue: VecDeque::new(),
            outbound,
            opened: now,
            last_activity: now,
            frame_started: None,
            last_write: now,
            closing_since: None,
            eof: false,
        }
    }

    /// Unsent output bytes.
    pub(crate) fn unsent(&self) -> usize {
        self.out.len() - self.out_at
            + self
                .tls
                .as_ref()
                .map_or(0, |t| usize::from(t.wants_write()))
    }

    /// Appends bytes a worker produced (already counted in `Outbound::pending`).
    pub(crate) fn push_output(&mut self, bytes: &[u8]) {
        if self.out_at == self.out.len() {
            self.out.clear();
            self.out_at = 0;
            self.last_write = Instant::now();
        }
        self.out.extend_from_slice(bytes);
    }

    /// Appends a response produced on the network thread.
    pub(crate) fn push_response(&mut self, id: u64, response: &Response) {
        let mut frame = Vec::new();
        response.encode(id, false, &mut frame);
        self.outbound.add(frame.len());
        self.push_output(&frame);
    }

    /// Queues an error and stops reading: the connection closes once its output is sent.
    pub(crate) fn fail(&mut self, id: u64, error: WireError) {
        self.push_response(id, &Response::Error(error));
        self.begin_close();
    }

    pub(crate) fn begin_close(&mut self) {
        if self.phase != Phase::Closing {
            self.phase = Phase::Closing;
            self.closing_since = Some(Instant::now());
            self.queue.clear();
        }
    }

    /// Reads what is available into the decoder. `Ok(true)`: bytes arrived and more may be
    /// waiting; `Ok(false)`: nothing more now (or end of stream, see `eof`).
    pub(crate) fn read_some(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        match &mut self.tls {
            None => loop {
                return match self.socket.read(buf) {
                    Ok(0) => {
                        self.eof = true;
                        Ok(false)
                    }
                    Ok(n) => {
                        self.decoder.push(&buf[..n]);
                        Ok(true)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
                    Err(e) => Err(e),
                };
            },
            Some(tls) => read_tls(tls, &mut self.socket, &mut self.decoder, buf, &mut self.eof),
        }
    }

    /// Writes as much output as the socket takes; returns the plaintext bytes consumed.
    pub(crate) fn write_some(&mut self) -> io::Result<usize> {
        let consumed = match &mut self.tls {
            None => write_plain(&mut self.socket, &self.out, &mut self.out_at)?,
            Some(tls) => {
                let consumed = write_tls(tls, &mut self.socket, &self.out, &mut self.out_at)?;
                if self.phase == Phase::Closing
                    && self.out_at == self.out.len()
                    && !self.close_notify_sent
                {
                    tls.send_close_notify();
                    self.close_notify_sent = true;
                    write_tls(tls, &mut self.socket, &[], &mut 0)?;
                }
                consumed
            }
        };
        if consumed > 0 {
            self.last_write = Instant::now();
            self.outbound.release(consumed);
        }
        if self.out_at == self.out.len() {
            self.out.clear();
            self.out_at = 0;
        }
        Ok(consumed)
    }
}

fn write_plain(socket: &mut TcpStream, out: &[u8], at: &mut usize) -> io::Result<usize> {
    let mut consumed = 0;
    while *at < out.len() {
        match socket.write(&out[*at..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *at += n;
                consumed += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(consumed)
}

fn write_tls(
    tls: &mut ServerConnection,
    socket: &mut TcpStream,
    out: &[u8],
    at: &mut usize,
) -> io::Result<usize> {
    let mut consumed = 0;
    loop {
        while tls.wants_write() {
            match tls.write_tls(socket) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(consumed),
                Err(e) => return Err(e),
            }
        }
        if *at == out.len() || tls.is_handshaking() {
            return Ok(consumed);
        }
        let end = out.len().min(*at + TLS_FEED_BYTES);
        let n = tls.writer().write(&out[*at..end])?;
        if n == 0 {
            return Ok(consumed);
        }
        *at += n;
        consumed += n;
    }
}

fn read_tls(
    tls: &mut ServerConnection,
    socket: &mut TcpStream,
    decoder: &mut FrameDecoder,
    buf: &mut [u8],
    eof: &mut bool,
) -> io::Result<bool> {
    let got = loop {
        match tls.read_tls(socket) {
            Ok(0) => {
                *eof = true;
                break false;
            }
            Ok(_) => break true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
            Err(e) => return Err(e),
        }
    };
    let state = match tls.process_new_packets() {
        Ok(state) => state,
        Err(e) => {
            // Send the alert rustls queued, then give up on the connection.
            let _ = tls.write_tls(socket);
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
    };
    let mut left = state.plaintext_bytes_to_read();
    while left > 0 {
        let n = tls.reader().read(buf)?;
        if n == 0 {
            break;
        }
        decoder.push(&buf[..n]);
        left = left.saturating_sub(n);
    }
    if state.peer_has_closed() {
        *eof = true;
    }
    Ok(got && !*eof)
}
