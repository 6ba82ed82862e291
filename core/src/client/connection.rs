//! One client connection: TCP or TLS, the handshake, buffered writes (so pipelined requests
//! leave in few packets) and frame-by-frame reads.
//!
//! Invariant: after any error other than a server error for a request, the connection is
//! marked broken and never reused (framing or the request/response pairing may be lost).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::ClientError;
use crate::protocol::limits::PROTOCOL_VERSION;
use crate::protocol::{Frame, FrameDecoder, Hello, Request, Response, Welcome};

/// Bytes read from the socket per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// The byte stream under a connection.
enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<Arc<ClientConfig>>,
    pub(crate) token: String,
    pub(crate) client_name: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
}

/// An open, authenticated connection.
pub(crate) struct Connection {
    stream: Stream,
    decoder: FrameDecoder,
    out: Vec<u8>,
    next_id: u64,
    read_buf: Vec<u8>,
    pub(crate) welcome: Welcome,
    pub(crate) broken: bool,
    /// Statements prepared on this connection: (tenant, sql) → (id, parameter count, whether
    /// it is a query), as the server answered.
    pub(crate) prepared: HashMap<(String, String), (u32, usize, bool)>,
    pub(crate) next_statement: u32,
    pub(crate) last_used: Instant,
}

impl Connection {
    /// Connects, negotiates TLS if configured, and completes the handshake.
    pub(crate) fn open(endpoint: &Endpoint) -> Result<Connection, ClientError> {
        let tcp = connect_tcp(endpoint)?;
        tcp.set_nodelay(true).map_err(ClientError::Connect)?;
        tcp.set_read_timeout(Some(endpoint.io_timeout))
            .map_err(ClientError::Connect)?;
        tcp.set_write_timeout(Some(endpoint.io_timeout))
            .map_err(ClientError::Connect)?;
        let stream = match &endpoint.tls {
            None => Stream::Plain(tcp),
            Some(config) => {
                let name = ServerName::try_from(endpoint.host.clone())
                    .map_err(|e| ClientError::Tls(format!("{}: {e}", endpoint.host)))?;
                let conn = ClientConnection::new(Arc::clone(config), name)
                    .map_err(|e| ClientError::Tls(e.to_string()))?;
                Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
            }
        };
        let mut connection = Connection {
            stream,
            decoder: FrameDecoder::new(),
            out: Vec::new(),
            next_id: 1,
            read_buf: vec![0; READ_CHUNK_BYTES],
            welcome: Welcome {
                version: 0,
                server: String::new(),
                node_name: String::new(),
                frame_bytes_max: 0,
                token_id: String::new(),
                tenant: String::new(),
                role: crate::protocol::Role::Reader,
            },
            broken: false,
            prepared: HashMap::new(),
            next_statement: 1,
            last_used: Instant::now(),
        };
        connection.handshake(endpoint)?;
        Ok(connection)
    }

    fn handshake(&mut self, endpoint: &Endpoint) -> Result<(), ClientError> {
        let hello = Request::Hello(Hello {
            version_min: PROTOCOL_VERSION,
            version_max: PROTOCOL_VERSION,
            token: endpoint.token.clone(),
            client: endpoint.client_name.clone(),
        });
        hello.encode(0, &mut self.out);
        self.flush()?;
        let frame = self.read_frame()?;
        match Response::decode(frame.frame_type, &frame.body)
            .map_err(|e| ClientError::Protocol(e.to_string()))?
        {
            Response::Welcome(welcome) => {
                self.welcome = welcome;
                Ok(())
            }
            Response::Error(e) => Err(ClientError::Server(e)),
            other => Err(ClientError::Protocol(format!(
                "expected a welcome, got frame type {:#04x}",
                other.frame_type()
            ))),
        }
    }

    /// Queues a request (sent by the next `flush`); returns its id.
    pub(crate) fn send(&mut self, request: &Request) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        request.encode(id, &mut self.out);
        id
    }

    /// Sends every queued request.
    pub(crate) fn flush(&mut self) -> Result<(), ClientError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = self
            .stream
            .write_all(&self.out)
            .and_then(|()| self.stream.flush());
        self.out.clear();
        result.map_err(|e| self.fail(e))
    }

    /// Bytes queued and not yet flushed.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.out.len()
    }

    /// Reads the next frame from the server.
    pub(crate) fn read_frame(&mut self) -> Result<Frame, ClientError> {
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => {
                    self.broken = true;
                    return Err(ClientError::Protocol(e.to_string()));
                }
            }
            let n = match self.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    self.broken = true;
                    return Err(ClientError::Closed);
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail(e)),
            };
            self.decoder.push(&self.read_buf[..n]);
        }
    }

    /// Reads the next response: its request id, whether more frames of it follow, and the
    /// message. A connection-level error (request id 0) breaks the connection.
    pub(crate) fn read_response(&mut self) -> Result<(u64, bool, Response), ClientError> {
        let frame = self.read_frame()?;
        let response = Response::decode(frame.frame_type, &frame.body).map_err(|e| {
            self.broken = true;
            ClientError::Protocol(e.to_string())
        })?;
        if frame.request_id == 0 {
            self.broken = true;
            return Err(match response {
                Response::Error(e) => ClientError::Server(e),
                _ => ClientError::Protocol("a response without a request".into()),
            });
        }
        Ok((frame.request_id, frame.more(), response))
    }

    /// Whether the server closed the connection (or sent something unasked) while it sat
    /// in the pool; such a connection must not be reused.
    pub(crate) fn is_stale(&self) -> bool {
        let tcp = self.stream.tcp();
        if tcp.set_nonblocking(true).is_err() {
            return true;
        }
        let mut byte = [0u8; 1];
        let stale = !matches!(tcp.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        stale || tcp.set_nonblocking(false).is_err()
    }

    fn fail(&mut self, e: io::Error) -> ClientError {
        self.broken = true;
        ClientError::Io(e)
    }
}

fn connect_tcp(endpoint: &Endpoint) -> Result<TcpStream, ClientError> {
    let addrs = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .map_err(ClientError::Connect)?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, endpoint.connect_timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(ClientError::Connect(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} resolves to no address", endpoint.host),
        )
    })))
}
