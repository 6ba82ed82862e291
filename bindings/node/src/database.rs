//! `open(path)` (embedded) and `connect(url, { token, tls })` (remote), and the `Database` both
//! resolve to.

use std::sync::Arc;

use napi::ValueType;
use napi::bindgen_prelude::{AsyncTask, Object, Unknown};
use napi_derive::napi;
use veritydb::client::{Client, ClientOptions};
use veritydb::{Db, Options};

use crate::backend::Backend;
use crate::convert;
use crate::errors::BindingError;
use crate::job::Job;
use crate::session::Session;
use crate::tenant::Tenant;

/// The path that opens a database in memory.
const IN_MEMORY: &str = ":memory:";

/// A VerityDB database, embedded in this process (`open`) or on a server (`connect`): the same
/// interface either way. Close it with `await db.close()` (or `await using db = ...`).
#[napi]
pub struct Database {
    session: Arc<Session>,
    node_name: String,
    remote: bool,
}

impl Database {
    fn new(backend: Backend) -> Database {
        Database {
            node_name: backend.node_name(),
            remote: matches!(backend, Backend::Remote(_)),
            session: Session::new(backend),
        }
    }
}

/// Opens (creating if needed) the embedded database in directory `path`, or a database that
/// lives in memory with `':memory:'`. `options.nodeName` names a new database's node (it is
/// part of every tenant's origin, `node_name/tenant`).
///
/// Rejects with `VERITYDB_IN_USE` when another process holds the directory open, `VERITYDB_IO`
/// when it cannot be read or created, `VERITYDB_CORRUPT` when stored data is damaged.
#[napi(
    ts_args_type = "path: string, options?: OpenOptions | null",
    ts_return_type = "Promise<Database>"
)]
pub fn open(path: Unknown<'_>, options: Unknown<'_>) -> AsyncTask<Job<Database>> {
    let arguments = (|| {
        let path = convert::string(&path, "path")?;
        let options = convert::options(&options, "options")?;
        let node_name = match convert::property(options.as_ref(), "nodeName")? {
            Some(name) => convert::optional_string(&name, "options.nodeName")?,
            None => None,
        };
        Ok((path, node_name))
    })();
    Job::after(
        arguments,
        |(path, node_name)| {
            let options = match node_name {
                Some(name) => Options::default().node_name(name),
                None => Options::default(),
            };
            let db = match path.as_str() {
                IN_MEMORY => {
                    Db::open_storage(Arc::new(veritydb::storage::MemoryStorage::new()), options)?
                }
                _ => Db::open_with(&path, options)?,
            };
            Ok(Database::new(Backend::Embedded(db)))
        },
        Job::plain,
    )
}

/// Connects to a VerityDB server at `vdb://host:port` (or `vdbs://host:port` for TLS) with a
/// bearer token from `veritydb token create`. `tls.ca` is the PEM of the CA that signed the
/// server's certificate (the system's CAs otherwise). The token is checked once here.
///
/// Rejects with `VERITYDB_AUTH` for a token the server refuses, `VERITYDB_NETWORK` when the
/// server cannot be reached or TLS fails, `VERITYDB_INVALID` for a malformed URL.
#[napi(
    ts_args_type = "url: string, options: ConnectOptions",
    ts_return_type = "Promise<Database>"
)]
pub fn connect(url: Unknown<'_>, options: Unknown<'_>) -> AsyncTask<Job<Database>> {
    let arguments = (|| {
        let url = convert::string(&url, "url")?;
        let options = convert::options(&options, "options")?.ok_or_else(|| {
            BindingError::invalid_argument("options must be an object with a token")
        })?;
        Ok((url, client_options(&options)?))
    })();
    Job::after(
        arguments,
        |(url, options)| {
            Ok(Database::new(Backend::Remote(Client::connect(
                &url, options,
            )?)))
        },
        Job::plain,
    )
}

/// `{ token, tls: { ca }, connectTimeoutMs, ioTimeoutMs }`.
fn client_options(options: &Object<'_>) -> Result<ClientOptions, BindingError> {
    let token = convert::property(Some(options), "token")?
        .ok_or_else(|| BindingError::invalid_argument("options.token must be a string"))?;
    let mut client = ClientOptions::new(convert::string(&token, "options.token")?)
        .client_name(format!("veritydb-node/{}", env!("CARGO_PKG_VERSION")));
    if let Some(tls) = convert::property(Some(options), "tls")? {
        let tls = convert::options(&tls, "options.tls")?;
        if let Some(ca) = convert::property(tls.as_ref(), "ca")? {
            let pem = match ca.get_type()? {
                ValueType::String => convert::string(&ca, "options.tls.ca")?.into_bytes(),
                _ => convert::with_bytes(
                    &ca,
                    "options.tls.ca",
                    "a PEM string or Buffer",
                    <[u8]>::to_vec,
                )?,
            };
            client = client.ca_certificates_pem(pem);
        }
    }
    let timeout = |name: &str| -> Result<Option<u64>, BindingError> {
        let value = convert::property(Some(options), name)?;
        convert::optional_unsigned(value.as_ref(), &format!("options.{name}"))
    };
    if let Some(ms) = timeout("connectTimeoutMs")? {
        client = client.connect_timeout_ms(ms);
    }
    if let Some(ms) = timeout("ioTimeoutMs")? {
        client = client.io_timeout_ms(ms);
    }
    Ok(client)
}

#[napi]
impl Database {
    /// The node's name (part of every tenant's origin).
    #[napi(getter)]
    pub fn node_name(&self) -> String {
        self.node_name.clone()
    }

    /// Whether this is a connection to a server (`connect`) rather than an embedded database.
    #[napi(getter)]
    pub fn remote(&self) -> bool {
        self.remote
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.session.is_closed()
    }

    /// A handle on tenant `name` (1 to 64 of `a-z 0-9 . _ -`). An embedded database creates
    /// the tenant if it does not exist; on a server, the tenant must exist (an administrator
    /// creates it with `createTenant` or `veritydb tenant create`) and the token must allow it.
    #[napi(ts_args_type = "name: string", ts_return_type = "Promise<Tenant>")]
    pub fn tenant(&self, name: Unknown<'_>) -> AsyncTask<Job<Tenant>> {
        let session = Arc::clone(&self.session);
        Job::after(
            convert::string(&name, "name"),
            move |name| {
                session.open_tenant(&name, false)?;
                Ok(Tenant { session, name })
            },
            Job::plain,
        )
    }

    /// Creates tenant `name` and resolves to it. An embedded database's `tenant()` creates
    /// too; on a server, creating a tenant is for node administrators (a tenant that exists
    /// already rejects with `VERITYDB_INVALID`) and `tenant()` only names one.
    #[napi(ts_args_type = "name: string", ts_return_type = "Promise<Tenant>")]
    pub fn create_tenant(&self, name: Unknown<'_>) -> AsyncTask<Job<Tenant>> {
        let session = Arc::clone(&self.session);
        Job::after(
            convert::string(&name, "name"),
            move |name| {
                session.open_tenant(&name, true)?;
                Ok(Tenant { session, name })
            },
            Job::plain,
        )
    }

    /// The names of all tenants, in creation order (on a server: node administrators only).
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn tenants(&self) -> AsyncTask<Job<Vec<String>>> {
        let session = Arc::clone(&self.session);
        Job::spawn(move || session.with_backend(Backend::tenants), Job::plain)
    }

    /// Closes the database: waits for calls in progress, then releases it (an embedded
    /// database saves its state and unlocks its directory). Every later call on it, its
    /// tenants or its statements rejects with `VERITYDB_CLOSED`. Closing twice is harmless.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let session = Arc::clone(&self.session);
        Job::spawn(
            move || {
                session.close();
                Ok(())
            },
            Job::plain,
        )
    }
}
