//! The blocking Rust client of a VerityDB server (`docs/spec/protocol.md`), with the method
//! names of the embedded API: `client.tenant("acme")?.append(...)` is
//! `db.tenant("acme")?.append(...)` over the network.
//!
//! ```no_run
//! use veritydb::client::{Client, ClientOptions};
//! let client = Client::connect("vdb://127.0.0.1:7878", ClientOptions::new("vdb_..."))?;
//! let clinic = client.tenant("clinic")?;
//! let position = clinic.append("visits", r#"{"patient": 17}"#)?;
//! let receipt = clinic.receipt(position, &["stream"])?;
//! # Ok::<(), veritydb::client::ClientError>(())
//! ```
//!
//! A [`Client`] is cheap to clone and thread-safe: it keeps a pool of authenticated
//! connections and reuses them; each call takes one for its duration. [`Pipeline`] holds one
//! connection and sends many requests before reading their responses.
//!
//! Invariants: a connection goes back to the pool only after its last response was read
//! completely and nothing on it failed; prepared statements live per connection and are
//! prepared again transparently on a connection that lacks them.

mod connection;
mod pipeline;
mod tenant;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use thiserror::Error;

use crate::protocol::{ErrorClass, Request, Response, Role, TenantInfo, TokenInfo, WireError};
use connection::{Connection, Endpoint};
pub use pipeline::Pipeline;
pub use tenant::{RemoteBatch, RemoteStatement, RemoteTenant};

/// Connections kept open in the pool by default.
const POOL_CONNECTIONS_MAX: usize = 16;
/// A pooled connection idle longer than this is closed rather than reused.
const POOL_IDLE_MS_MAX: u64 = 60_000;
/// The system's CA bundle (Debian), used when no CA certificate is given.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A client call failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not `vdb://host:port` or `vdbs://host:port`.
    #[error("invalid server URL {0:?}: use vdb://host:port, or vdbs://host:port for TLS")]
    Url(String),
    /// The server could not be reached.
    #[error("cannot connect to the server: {0}")]
    Connect(#[source] std::io::Error),
    /// TLS could not be set up (bad CA certificate, name mismatch, handshake failure).
    #[error("TLS failed: {0}")]
    Tls(String),
    /// Reading or writing the connection failed.
    #[error("connection failed: {0}")]
    Io(#[source] std::io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The server sent bytes that are not the protocol (or not what was asked).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server refused or failed the request.
    #[error("{0}")]
    Server(WireError),
    /// Writing an export to its destination failed.
    #[error("writing the export failed: {0}")]
    Output(#[source] std::io::Error),
    /// An argument is invalid before anything is sent.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl ClientError {
    /// The server's error class, for errors the server sent.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            ClientError::Server(e) => Some(e.class),
            _ => None,
        }
    }

    /// The server's error code, for errors the server sent.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClientError::Server(e) => Some(e.code),
            _ => None,
        }
    }
}

/// How to connect: the token, TLS trust and timeouts.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    token: String,
    ca_certificates_pem: Option<Vec<u8>>,
    connect_timeout_ms: u64,
    io_timeout_ms: u64,
    pool_connections_max: usize,
    client_name: String,
}

impl ClientOptions {
    /// Options with a bearer token (`vdb_...`, from `veritydb token create`).
    pub fn new(token: impl Into<String>) -> ClientOptions {
        ClientOptions {
            token: token.into(),
            ca_certificates_pem: None,
            connect_timeout_ms: 10_000,
            io_timeout_ms: 120_000,
            pool_connections_max: POOL_CONNECTIONS_MAX,
            client_name: format!("veritydb-rust/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Trust these CA certificates (PEM) for `vdbs://` instead of the system bundle.
    pub fn ca_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> ClientOptions {
        self.ca_certificates_pem = Some(pem.into());
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout_ms(mut self, ms: u64) -> ClientOptions {
        self.connect_timeout_ms = ms.max(1);
        self
    }

    /// How long one read or write may block (default 120 s).
    pub fn io_timeout_ms(mut self, ms: u64) -> ClientOptions {
        self.io_timeout_ms = ms.max(1);
        self
    }

    /// Idle connections kept for reuse (default 16).
    pub fn pool_connections_max(mut self, n: usize) -> ClientOptions {
        self.pool_connections_max = n;
        self
    }

    /// The name the client gives the server in the handshake (for its logs).
    pub fn client_name(mut self, name: impl Into<String>) -> ClientOptions {
        self.client_name = name.into();
        self
    }
}

/// A connection pool to one server.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    endpoint: Endpoint,
    pool: Mutex<Vec<Connection>>,
    pool_max: usize,
    welcome: crate::protocol::Welcome,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.inner.endpoint.host)
            .field("port", &self.inner.endpoint.port)
            .field("tls", &self.inner.endpoint.tls.is_some())
            .finish()
    }
}

impl Client {
    /// Connects to `vdb://host:port` (plain TCP) or `vdbs://host:port` (TLS) and checks the
    /// token with one handshake.
    pub fn connect(url: &str, options: ClientOptions) -> Result<Client, ClientError> {
        let (tls, host, port) = parse_url(url)?;
        let tls = match tls {
            false => None,
            true => Some(tls_config(options.ca_certificates_pem.as_deref())?),
        };
        let endpoint = Endpoint {
            host,
            port,
            tls,
            token: options.token,
            client_name: options.client_name,
            connect_timeout: Duration::from_millis(options.connect_timeout_ms),
            io_timeout: Duration::from_millis(options.io_timeout_ms),
        };
        let first = Connection::open(&endpoint)?;
        let welcome = first.welcome.clone();
        Ok(Client {
            inner: Arc::new(ClientInner {
                endpoint,
                pool: Mutex::new(vec![first]),
                pool_max: options.pool_connections_max,
                welcome,
            }),
        })
    }

    /// The node's name, as the server announced it.
    pub fn node_name(&self) -> &str {
        &self.inner.welcome.node_name
    }

    /// The id of the token this client authenticates with.
    pub fn token_id(&self) -> &str {
        &self.inner.welcome.token_id
    }

    /// The token's tenant (`*` for every tenant) and role.
    pub fn scope(&self) -> (&str, Role) {
        (&self.inner.welcome.tenant, self.inner.welcome.role)
    }

    /// A handle on tenant `name` (checked by the server on each call).
    pub fn tenant(&self, name: &str) -> Result<RemoteTenant, ClientError> {
        crate::entry::TenantName::new(name).map_err(|e| ClientError::Invalid(e.to_string()))?;
        Ok(RemoteTenant::new(self.clone(), name))
    }

    /// The names of all tenants (node administrators only).
    pub fn tenants(&self) -> Result<Vec<String>, ClientError> {
        match self.call(&Request::ListTenants)? {
            Response::Tenants(names) => Ok(names),
            other => Err(unexpected(&other)),
        }
    }

    /// Creates a tenant (node administrators only).
    pub fn create_tenant(&self, name: &str) -> Result<TenantInfo, ClientError> {
        let request = Request::CreateTenant {
            tenant: name.to_owned(),
        };
        match self.call(&request)? {
            Response::TenantInfo(info) => Ok(info),
            other => Err(unexpected(&other)),
        }
    }

    /// Creates a token; the secret in the answer is shown this once and never again.
    pub fn create_token(
        &self,
        tenant: &str,
        role: Role,
        tables: &[&str],
        expires_at_us: Option<u64>,
        label: &str,
    ) -> Result<(TokenInfo, String), ClientError> {
        let request = Request::CreateToken {
            tenant: tenant.to_owned(),
            role,
            tables: tables.iter().map(|t| (*t).to_owned()).collect(),
            expires_at_us,
            label: label.to_owned(),
        };
        match self.call(&request)? {
            Response::TokenCreated { info, secret } => Ok((info, secret)),
            other => Err(unexpected(&other)),
        }
    }

    /// The tokens in the caller's scope (of one tenant, if given).
    pub fn tokens(&self, tenant: Option<&str>) -> Result<Vec<TokenInfo>, ClientError> {
        let request = Request::ListTokens {
            tenant: tenant.map(str::to_owned),
        };
        match self.call(&request)? {
            Response::Tokens(tokens) => Ok(tokens),
            other => Err(unexpected(&other)),
        }
    }

    /// Revokes a token; it stops working at once, on every connection.
    pub fn revoke_token(&self, token_id: &str) -> Result<(), ClientError> {
        let request = Request::RevokeToken {
            token_id: token_id.to_owned(),
        };
        expect_ok(self.call(&request)?)
    }

    /// The server's status as key-value pairs (node administrators only).
    pub fn status(&self) -> Result<Vec<(String, String)>, ClientError> {
        match self.call(&Request::Status)? {
            Response::Status(items) => Ok(items),
            other => Err(unexpected(&other)),
        }
    }

    /// A round trip that does nothing.
    pub fn ping(&self) -> Result<(), ClientError> {
        match self.call(&Request::Ping)? {
            Response::Pong => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// A pipeline on a connection of its own.
    pub fn pipeline(&self) -> Result<Pipeline, ClientError> {
        Ok(Pipeline::new(self.clone(), self.checkout()?))
    }

    /// Sends one request and reads its whole response, merging multi-frame responses.
    pub fn call(&self, request: &Request) -> Result<Response, ClientError> {
        self.with_connection(|conn| {
            let id = conn.send(request);
            conn.flush()?;
            read_whole(conn, id)
        })
    }

    pub(crate) fn with_connection<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        let mut conn = self.checkout()?;
        let result = f(&mut conn);
        self.checkin(conn);
        result
    }

    pub(crate) fn checkout(&self) -> Result<Connection, ClientError> {
        loop {
            let pooled = lock(&self.inner.pool).pop();
            let Some(conn) = pooled else {
                return Connection::open(&self.inner.endpoint);
            };
            let idle_ms = conn.last_used.elapsed().as_millis();
            if idle_ms < u128::from(POOL_IDLE_MS_MAX) && !conn.is_stale() {
                return Ok(conn);
            }
        }
    }

    pub(crate) fn checkin(&self, mut conn: Connection) {
        if conn.broken || conn.queued_bytes() > 0 {
            return;
        }
        conn.last_used = Instant::now();
        let mut pool = lock(&self.inner.pool);
        if pool.len() < self.inner.pool_max {
            pool.push(conn);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads every frame of the response to request `id` and merges them into one response.
pub(crate) fn read_whole(conn: &mut Connection, id: u64) -> Result<Response, ClientError> {
    let mut merged: Option<Response> = None;
    loop {
        let (got, more, response) = conn.read_response()?;
        if got != id {
            conn.broken = true;
            return Err(ClientError::Protocol(format!(
                "response to request {got} while waiting for {id}"
            )));
        }
        if let Response::Error(e) = response {
            if more {
                conn.broken = true;
            }
            return Err(ClientError::Server(e));
        }
        merged = Some(match merged {
            None => response,
            Some(so_far) => merge(so_far, response).inspect_err(|_| conn.broken = true)?,
        });
        if !more {
            return Ok(merged.expect("set above"));
        }
    }
}

/// Appends the next frame of a multi-frame response to what arrived before.
pub(crate) fn merge(so_far: Response, next: Response) -> Result<Response, ClientError> {
    Ok(match (so_far, next) {
        (Response::Rows(mut a), Response::Rows(b)) if a.column_count == b.column_count => {
            a.rows.extend(b.rows);
            a.versions.extend(b.versions);
            Response::Rows(a)
        }
        (Response::Events(mut a), Response::Events(b)) => {
            a.extend(b);
            Response::Events(a)
        }
        (Response::Checkpoints(mut a), Response::Checkpoints(b)) => {
            a.extend(b);
            Response::Checkpoints(a)
        }
        (Response::Tokens(mut a), Response::Tokens(b)) => {
            a.extend(b);
            Response::Tokens(a)
        }
        (a, b) => {
            return Err(ClientError::Protocol(format!(
                "frame type {:#04x} cannot continue a response of type {:#04x}",
                b.frame_type(),
                a.frame_type()
            )));
        }
    })
}

pub(crate) fn unexpected(response: &Response) -> ClientError {
    ClientError::Protocol(format!(
        "unexpected response of frame type {:#04x}",
        response.frame_type()
    ))
}

pub(crate) fn expect_ok(response: Response) -> Result<(), ClientError> {
    match response {
        Response::Ok => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// `vdb://host:port` or `vdbs://host:port` (IPv6 hosts in brackets).
fn parse_url(url: &str) -> Result<(bool, String, u16), ClientError> {
    let bad = || ClientError::Url(url.to_owned());
    let (tls, rest) = if let Some(rest) = url.strip_prefix("vdbs://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("vdb://") {
        (false, rest)
    } else {
        return Err(bad());
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || host.contains('/') {
        return Err(bad());
    }
    Ok((tls, host.to_owned(), port))
}

fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let pem = match ca_pem {
        Some(pem) => pem.to_vec(),
        None => std::fs::read(Path::new(SYSTEM_CA_BUNDLE)).map_err(|e| {
            ClientError::Tls(format!(
                "no CA certificate given and the system bundle {SYSTEM_CA_BUNDLE} is unreadable: {e}"
            ))
        })?,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| ClientError::Tls(format!("bad CA certificate: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| ClientError::Tls(format!("bad CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(ClientError::Tls("no CA certificate in the PEM data".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("vdb://127.0.0.1:7878").expect("valid"),
            (false, "127.0.0.1".into(), 7878)
        );
        assert_eq!(
            parse_url("vdbs://db.example.com:443/").expect("valid"),
            (true, "db.example.com".into(), 443)
        );
        assert_eq!(
            parse_url("vdb://[::1]:1").expect("valid"),
            (false, "::1".into(), 1)
        );
        for bad in [
            "http://x:1",
            "vdb://x",
            "vdb://:1",
            "vdb://x:99999",
            "vdb://a/b:1",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
