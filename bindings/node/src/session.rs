//! [`Session`]: what a `Database` and every `Tenant`, `Statement` and `Batch` made from it
//! share, so that `close()` really closes.
//!
//! Core handles are cheap clones that keep the database open while any clone lives, and JS
//! objects are freed whenever the garbage collector gets to them. If binding objects held core
//! handles, `await db.close()` could not release the database's files (nor its lock, so
//! reopening the directory would fail). So binding objects hold the session and a name or an
//! id, and the session holds every core handle: `close()` drops them all at once.
//!
//! Invariants:
//! - a call holds the read side of `state` for as long as it uses a core handle, and drops its
//!   clones before releasing it; `close()` takes the write side, so it waits for running calls
//!   and then drops the last handles (core flushes and saves its state on that drop);
//! - once closed, every call fails with `VERITYDB_CLOSED`;
//! - the JS thread never waits on `state` nor on the disk: calls run on libuv's thread pool,
//!   finalizers only `try_read`, and a session collected unclosed is released on a thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::backend::{Backend, StatementBackend, TenantBackend};
use crate::errors::{BindingError, ErrorCode};

type Result<T> = std::result::Result<T, BindingError>;

/// A database's core handles, until `close()`.
pub(crate) struct Session {
    state: RwLock<Option<Open>>,
    next_statement_id: AtomicU64,
    /// Set when `close()` starts: work that waits on JS (a stream export) stops instead of
    /// holding `close()` up.
    closing: AtomicBool,
}

struct Open {
    backend: Backend,
    tenants: Mutex<HashMap<String, TenantBackend>>,
    statements: Mutex<HashMap<u64, Arc<StatementBackend>>>,
}

/// A database nobody closed is released when its last JS object is garbage-collected, on the JS
/// thread: its handles are dropped on a thread of their own, since dropping the last one saves
/// the database's state to disk.
impl Drop for Session {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = state.take() {
            let release = std::thread::Builder::new()
                .name("veritydb-release".into())
                .spawn(move || drop(open));
            // Without a thread, the handles drop here (the spawn error dropped the closure).
            let _ = release;
        }
    }
}

impl Open {
    /// The handle of tenant `name` (kept by `open_tenant`; made again if it is not kept).
    fn tenant(&self, name: &str) -> Result<TenantBackend> {
        let kept = lock(&self.tenants).get(name).cloned();
        match kept {
            Some(tenant) => Ok(tenant),
            None => self.backend.tenant(name),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    pub(crate) fn new(backend: Backend) -> Arc<Session> {
        Arc::new(Session {
            state: RwLock::new(Some(Open {
                backend,
                tenants: Mutex::new(HashMap::new()),
                statements: Mutex::new(HashMap::new()),
            })),
            next_statement_id: AtomicU64::new(1),
            closing: AtomicBool::new(false),
        })
    }

    /// Runs `f` on the open database, or fails with `VERITYDB_CLOSED`.
    fn with_open<T>(&self, f: impl FnOnce(&Open) -> Result<T>) -> Result<T> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.as_ref() {
            Some(open) => f(open),
            None => Err(BindingError::closed("the database")),
        }
    }

    /// Runs `f` on the database's backend.
    pub(crate) fn with_backend<T>(&self, f: impl FnOnce(&Backend) -> Result<T>) -> Result<T> {
        self.with_open(|open| f(&open.backend))
    }

    /// Makes a handle on tenant `name` (creating the tenant of an embedded database, or of a
    /// server with `create`) and keeps it for [`Session::with_tenant`].
    pub(crate) fn open_tenant(&self, name: &str, create: bool) -> Result<()> {
        self.with_open(|open| {
            if !create && lock(&open.tenants).contains_key(name) {
                return Ok(());
            }
            let tenant = match create {
                true => open.backend.create_tenant(name)?,
                false => open.backend.tenant(name)?,
            };
            lock(&open.tenants).insert(name.to_owned(), tenant);
            Ok(())
        })
    }

    /// Runs `f` on the handle of tenant `name` (made by [`Session::open_tenant`]).
    pub(crate) fn with_tenant<T>(
        &self,
        name: &str,
        f: impl FnOnce(&TenantBackend) -> Result<T>,
    ) -> Result<T> {
        self.with_open(|open| f(&open.tenant(name)?))
    }

    /// Prepares `sql` on tenant `name`; returns the statement's id and its parameter count
    /// and kind.
    pub(crate) fn prepare(&self, name: &str, sql: &str) -> Result<(u64, usize, bool)> {
        self.with_open(|open| {
            let statement = open.tenant(name)?.prepare(sql)?;
            let shape = (statement.param_count(), statement.is_query());
            let id = self.next_statement_id.fetch_add(1, Ordering::Relaxed);
            lock(&open.statements).insert(id, Arc::new(statement));
            Ok((id, shape.0, shape.1))
        })
    }

    /// Runs `f` on prepared statement `id`.
    pub(crate) fn with_statement<T>(
        &self,
        id: u64,
        f: impl FnOnce(&StatementBackend) -> Result<T>,
    ) -> Result<T> {
        self.with_open(|open| {
            let statement = lock(&open.statements).get(&id).cloned();
            match statement {
                Some(statement) => f(&statement),
                None => Err(BindingError::new(
                    ErrorCode::Internal,
                    format!(
                        "prepared statement {id} is unknown (a bug in veritydb's Node binding)"
                    ),
                )),
            }
        })
    }

    /// Runs `f` on tenant `name` and the prepared statements `ids` (for a batch).
    pub(crate) fn with_tenant_and_statements<T>(
        &self,
        name: &str,
        ids: &[u64],
        f: impl FnOnce(&TenantBackend, &HashMap<u64, Arc<StatementBackend>>) -> Result<T>,
    ) -> Result<T> {
        self.with_open(|open| {
            let statements: HashMap<u64, Arc<StatementBackend>> = {
                let all = lock(&open.statements);
                ids.iter()
                    .filter_map(|id| all.get(id).map(|s| (*id, Arc::clone(s))))
                    .collect()
            };
            f(&open.tenant(name)?, &statements)
        })
    }

    /// Forgets prepared statement `id` (its JS object was garbage-collected). Never waits:
    /// if `close()` holds the state, it drops every statement anyway.
    pub(crate) fn forget_statement(&self, id: u64) {
        if let Ok(state) = self.state.try_read()
            && let Some(open) = state.as_ref()
        {
            lock(&open.statements).remove(&id);
        }
    }

    /// Closes the database: waits for running calls, then drops every core handle.
    /// Closing twice does nothing.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        let open = self
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Statements and tenants hold clones of the database: drop them before it.
        if let Some(open) = open {
            let Open {
                backend,
                tenants,
                statements,
            } = open;
            drop(statements);
            drop(tenants);
            drop(backend);
        }
    }

    /// Whether `close()` has started.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Whether `close()` has run.
    pub(crate) fn is_closed(&self) -> bool {
        match self.state.try_read() {
            Ok(state) => state.is_none(),
            // `close()` is running.
            Err(_) => true,
        }
    }
}
