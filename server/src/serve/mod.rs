//! `veritydb serve`: the network server (`docs/spec/protocol.md`).
//!
//! ```text
//! clients ─TCP/TLS─► event loop (1 thread, mio) ─jobs─► worker pool (N threads) ─► Db (core)
//!                      ▲                                    │  core group-commits the writes
//!                      └──────── response bytes ◄───────────┘  of all waiting workers
//! ```
//!
//! Startup refuses a non-loopback address without TLS unless `--insecure` is given, and says
//! so loudly when it is. SIGTERM or SIGINT shuts down gracefully: no new connections, requests
//! already received finish, every acknowledged write is already durable (fsynced before its
//! acknowledgement), the database closes cleanly, exit status 0.

mod admin;
mod audit;
mod connection;
mod event_loop;
mod handlers;
mod metered_storage;
pub(crate) mod metrics;
mod worker;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use clap::{Args, ValueEnum};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use veritydb::storage::FileStorage;
use veritydb::{Db, Options};

use crate::auth::Registry;
use crate::limits::{
    CONNECTIONS_MAX_DEFAULT, FRAME_TIMEOUT_MS_DEFAULT, HANDSHAKE_TIMEOUT_MS_DEFAULT,
    IDLE_TIMEOUT_MS_DEFAULT, WORKERS_DEFAULT,
};
use event_loop::{EventLoop, LoopConfig};
use metrics::Metrics;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The data directory, made by `veritydb init`.
    #[arg(long)]
    data: PathBuf,
    /// The address to listen on; port 0 picks a free port (printed at startup).
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// PEM file with the server's certificate chain; turns TLS on (clients use vdbs://).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM file with the certificate's private key.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Allow listening on a non-loopback address without TLS. Tokens and data then cross
    /// the network in clear text: use only on a network you trust completely.
    #[arg(long)]
    insecure: bool,
    /// Serve Prometheus metrics over HTTP on this address (for example 127.0.0.1:9187).
    #[arg(long)]
    metrics: Option<SocketAddr>,
    /// How much to log (to standard error).
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    log_level: LogLevel,
    /// Worker threads that run requests; concurrent writes beyond this wait for a worker
    /// (and are group-committed in the next round).
    #[arg(long, default_value_t = WORKERS_DEFAULT)]
    workers: usize,
    /// Connections served at once; more are refused with a `busy` error.
    #[arg(long, default_value_t = CONNECTIONS_MAX_DEFAULT)]
    max_connections: usize,
    /// Close connections that stay idle this long (milliseconds).
    #[arg(long, default_value_t = IDLE_TIMEOUT_MS_DEFAULT)]
    idle_timeout_ms: u64,
    /// Time a new connection has to finish TLS and the hello (milliseconds).
    #[arg(long, default_value_t = HANDSHAKE_TIMEOUT_MS_DEFAULT)]
    handshake_timeout_ms: u64,
    /// Time a started frame has to arrive completely (milliseconds); slower senders are
    /// disconnected.
    #[arg(long, default_value_t = FRAME_TIMEOUT_MS_DEFAULT)]
    frame_timeout_ms: u64,
}

/// Log levels of `--log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn filter(self) -> tracing_subscriber::filter::LevelFilter {
        use tracing_subscriber::filter::LevelFilter;
        match self {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

pub(crate) fn run(args: &ServeArgs) -> Result<(), String> {
    init_logging(args.log_level);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    check_address(args.listen, tls.is_some(), args.insecure)?;
    if args.workers == 0 || args.max_connections == 0 {
        return Err("--workers and --max-connections must be at least 1".into());
    }
    let metrics = Arc::new(Metrics::new());
    let db = open_db(&args.data, &metrics)?;
    let registry = Registry::open(&db)?;
    if !registry.has_tokens() {
        return Err(format!(
            "{} is not initialized: run `veritydb init --data {}` first",
            args.data.display(),
            args.data.display()
        ));
    }
    let shared = Arc::new(worker::Shared {
        db,
        registry,
        metrics: Arc::clone(&metrics),
        exports_running: AtomicUsize::new(0),
        started: Instant::now(),
        server_name: format!("veritydb {}", env!("CARGO_PKG_VERSION")),
    });
    let listener = mio::net::TcpListener::bind(args.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let metrics_at = match args.metrics {
        Some(addr) => Some(
            metrics::serve(addr, Arc::clone(&metrics))
                .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?,
        ),
        None => None,
    };
    let config = LoopConfig {
        connections_max: args.max_connections,
        idle_timeout_ms: args.idle_timeout_ms.max(1),
        handshake_timeout_ms: args.handshake_timeout_ms.max(1),
        frame_timeout_ms: args.frame_timeout_ms.max(1),
    };
    let event_loop = EventLoop::new(
        listener,
        tls.clone(),
        Arc::clone(&shared),
        args.workers,
        config,
    )
    .map_err(|e| format!("cannot start the server: {e}"))?;
    let scheme = if tls.is_some() { "vdbs" } else { "vdb" };
    tracing::info!(
        node = shared.db.node_name(),
        workers = args.workers,
        tls = tls.is_some(),
        "listening on {scheme}://{bound}"
    );
    println!("listening on {scheme}://{bound}");
    if let Some(at) = metrics_at {
        tracing::info!("metrics at http://{at}/metrics");
        println!("metrics on http://{at}/metrics");
    }
    let _ = std::io::stdout().flush();
    event_loop
        .run()
        .map_err(|e| format!("the server failed: {e}"))?;
    drop(shared);
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(level: LogLevel) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level.filter())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Refuses cleartext on a non-loopback address unless `--insecure`, and warns when it is.
fn check_address(addr: SocketAddr, tls: bool, insecure: bool) -> Result<(), String> {
    if tls || addr.ip().is_loopback() {
        return Ok(());
    }
    if !insecure {
        return Err(format!(
            "refusing to listen on {addr} without TLS: tokens and data would cross the network \
             in clear text. Give --tls-cert and --tls-key, listen on 127.0.0.1, or pass \
             --insecure if this network is trusted"
        ));
    }
    let warning = format!(
        "INSECURE: listening on {addr} without TLS (--insecure): tokens and data cross the network in clear text"
    );
    tracing::warn!("{warning}");
    eprintln!("veritydb: WARNING: {warning}");
    Ok(())
}

/// Opens the database with fsync metering; a missing directory is an error (not created).
pub(crate) fn open_db(path: &Path, metrics: &Arc<Metrics>) -> Result<Db, String> {
    if !path.is_dir() {
        return Err(format!(
            "no data directory at {}: run `veritydb init --data {}` first",
            path.display(),
            path.display()
        ));
    }
    let storage = FileStorage::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock => format!(
            "{} is in use by another process (a running server?)",
            path.display()
        ),
        _ => format!("cannot open {}: {e}", path.display()),
    })?;
    let storage = metered_storage::MeteredStorage::new(Arc::new(storage), Arc::clone(metrics));
    Db::open_storage(Arc::new(storage), Options::default())
        .map_err(|e| format!("cannot open the database in {}: {e}", path.display()))
}

fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad certificate in {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the certificate and key do not work together: {e}"))?;
    Ok(Arc::new(config))
}
