//! What the admin commands share: where to act ([`Target`]: a server over the network, or a
//! data directory opened in this process while no server runs), and output helpers.

pub(crate) mod audit;
pub(crate) mod checkpoint;
pub(crate) mod export;
pub(crate) mod receipt;
pub(crate) mod sql;
pub(crate) mod status;
pub(crate) mod tenant;
pub(crate) mod token;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use veritydb::Db;
use veritydb::client::{Client, ClientError, ClientOptions};

use crate::auth::Registry;
use crate::serve::metrics::Metrics;

/// The actor recorded on admin entries made by the CLI on a data directory.
pub(crate) const LOCAL_ACTOR: &str = "cli:local";

/// Where a command acts.
#[derive(Debug, Clone, Args)]
pub(crate) struct TargetArgs {
    /// The server: vdb://host:port, or vdbs://host:port for TLS [default: $VERITYDB_URL].
    #[arg(long)]
    url: Option<String>,
    /// The bearer token (vdb_...) [default: $VERITYDB_TOKEN].
    #[arg(long)]
    token: Option<String>,
    /// A PEM file of CA certificates to trust for vdbs:// (default: the system's bundle).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Act on this data directory in this process instead of a server (the server must be
    /// stopped: a data directory has one user at a time).
    #[arg(long, conflicts_with = "url")]
    data: Option<PathBuf>,
}

/// A connected server, or an opened data directory with its registry.
pub(crate) enum Target {
    Remote(Client),
    Local(Db, Registry),
}

impl TargetArgs {
    /// Connects or opens, with errors a person understands.
    pub(crate) fn open(&self) -> Result<Target, String> {
        if let Some(data) = &self.data {
            let db = crate::serve::open_db(data, &Arc::new(Metrics::new()))?;
            let registry = Registry::open(&db)?;
            return Ok(Target::Local(db, registry));
        }
        let url = self
            .url
            .clone()
            .or_else(|| std::env::var("VERITYDB_URL").ok())
            .ok_or("say where: --url vdb://host:port (or $VERITYDB_URL), or --data DIR")?;
        let token = self
            .token
            .clone()
            .or_else(|| std::env::var("VERITYDB_TOKEN").ok())
            .ok_or("a token is needed: --token vdb_... (or $VERITYDB_TOKEN)")?;
        let mut options = ClientOptions::new(token).client_name("veritydb-cli");
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read the CA certificate {}: {e}", path.display()))?;
            options = options.ca_certificates_pem(pem);
        }
        Client::connect(&url, options)
            .map(Target::Remote)
            .map_err(|e| format!("{url}: {}", client_error(&e)))
    }
}

/// A client error as a person should read it.
pub(crate) fn client_error(e: &ClientError) -> String {
    match e {
        ClientError::Server(w) => format!("{} ({})", w.message, w.class.name()),
        other => other.to_string(),
    }
}

/// Splits `a,b,c` into names, dropping empty parts.
pub(crate) fn names(list: Option<&str>) -> Vec<String> {
    list.map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Prints rows as an aligned text table.
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(rules.iter().map(String::as_str).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
