//! The node's security registry: tenants, tokens and audited tables, kept as `admin` entries
//! (`docs/spec/entry.md` §5.4) in the log of the reserved tenant `system`, and held in memory
//! for fast checks.
//!
//! Invariants:
//! - the log is the source of truth: the in-memory state is exactly the fold of the system
//!   log's admin entries ([`Registry::open`] rebuilds it), and every change is appended (and
//!   durable) before the in-memory state changes, under one lock, so both stay in log order;
//! - secrets are never stored or logged: only SHA-256 of a token's secret is kept, and it is
//!   compared in constant time;
//! - revocation and expiry are checked on every request, not only at the handshake, so a
//!   revoked token stops working at once on every open connection.

pub(crate) mod permission;
pub(crate) mod token;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use veritydb::protocol::limits::{
    TABLES_PER_TOKEN_MAX, TOKEN_LABEL_BYTES_MAX, TOKENS_PER_NODE_MAX,
};
use veritydb::protocol::{ALL_TENANTS, ErrorClass, Role, TenantInfo, TokenInfo, WireError, codes};
use veritydb::{Db, Field, Kind, NewEntry, StoredEntry, Tenant};

use crate::errors::{self, wire};
use token::TokenId;

/// The tenant whose log holds the registry. Reserved: no one can create it or hold a token
/// scoped to it except node administrators (`*`).
pub(crate) const SYSTEM_TENANT: &str = "system";

/// Entries read per step when loading the registry.
const LOAD_STEP_ENTRIES: u64 = 1024;

/// Admin entry operations (`op` field).
const OP_TENANT_CREATE: &str = "tenant_create";
const OP_TOKEN_CREATE: &str = "token_create";
const OP_TOKEN_REVOKE: &str = "token_revoke";
const OP_TABLE_AUDIT: &str = "table_audit";

/// A token that passed the handshake.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) id: TokenId,
    pub(crate) id_text: String,
    /// A tenant name, or `*`.
    pub(crate) tenant: String,
    pub(crate) role: Role,
    /// Empty: every table.
    pub(crate) tables: BTreeSet<String>,
    /// The actor recorded on entries this principal causes: `token:<id>`.
    pub(crate) actor: Arc<str>,
}

impl Principal {
    /// Whether the token covers every tenant.
    pub(crate) fn is_node_wide(&self) -> bool {
        self.tenant == ALL_TENANTS
    }
}

struct TokenRecord {
    info: TokenInfo,
    secret_sha256: [u8; 32],
}

#[derive(Default)]
struct State {
    tokens: HashMap<TokenId, TokenRecord>,
    audited: HashMap<String, BTreeSet<String>>,
}

/// Tenants, tokens and audit settings of one node.
pub(crate) struct Registry {
    db: Db,
    system: Tenant,
    state: RwLock<State>,
    /// Held while appending an admin entry and applying it, so memory follows log order.
    writes: Mutex<()>,
}

impl Registry {
    /// Opens the registry of `db`, creating the system tenant if needed, and replays its log.
    pub(crate) fn open(db: &Db) -> Result<Registry, String> {
        let system = db
            .tenant(SYSTEM_TENANT)
            .map_err(|e| format!("cannot open the system tenant: {e}"))?;
        let mut state = State::default();
        let size = system.size();
        let mut at = 0;
        while at < size {
            let end = size.min(at + LOAD_STEP_ENTRIES);
            let entries = system
                .entries(at, end)
                .map_err(|e| format!("cannot read the system log: {e}"))?;
            for entry in &entries {
                apply(&mut state, entry);
            }
            at = end;
        }
        Ok(Registry {
            db: db.clone(),
            system,
            state: RwLock::new(state),
            writes: Mutex::new(()),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks a token's text: format, secret (constant time), revocation, expiry.
    pub(crate) fn authenticate(&self, text: &str) -> Result<Principal, WireError> {
        let unauthenticated =
            |code, message: &str| wire(ErrorClass::Unauthenticated, code, message);
        let Some((id, secret_sha256)) = token::parse(text) else {
            return Err(unauthenticated(
                codes::TOKEN_MALFORMED,
                "the token is not a VerityDB token (vdb_...)",
            ));
        };
        let state = self.read();
        let Some(record) = state.tokens.get(&id) else {
            return Err(unauthenticated(codes::TOKEN_UNKNOWN, "unknown token"));
        };
        if !token::hashes_equal(&record.secret_sha256, &secret_sha256) {
            return Err(unauthenticated(codes::TOKEN_UNKNOWN, "unknown token"));
        }
        check_live(&record.info)?;
        Ok(Principal {
            id,
            actor: Arc::from(format!("token:{}", record.info.id)),
            id_text: record.info.id.clone(),
            tenant: record.info.tenant.clone(),
            role: record.info.role,
            tables: record.info.tables.iter().cloned().collect(),
        })
    }

    /// Whether an authenticated token is still valid now (not revoked, not expired).
    pub(crate) fn check(&self, principal: &Principal) -> Result<(), WireError> {
        let state = self.read();
        match state.tokens.get(&principal.id) {
            Some(record) => check_live(&record.info),
            None => Err(wire(
                ErrorClass::Unauthenticated,
                codes::TOKEN_UNKNOWN,
                "unknown token",
            )),
        }
    }

    /// Creates a tenant: an admin entry in the system log, then the tenant's own log.
    pub(crate) fn create_tenant(&self, actor: &str, name: &str) -> Result<TenantInfo, WireError> {
        veritydb::entry::TenantName::new(name).map_err(|e| errors::invalid(e.to_string()))?;
        if name == SYSTEM_TENANT {
            return Err(errors::invalid(format!(
                "the tenant name {SYSTEM_TENANT:?} is reserved for the node's registry"
            )));
        }
        let _guard = self.lock_writes();
        if self.db.existing_tenant(name).is_some() {
            return Err(wire(
                ErrorClass::Invalid,
                codes::TENANT_EXISTS,
                format!("tenant {name} already exists"),
            ));
        }
        self.append(actor, OP_TENANT_CREATE, vec![Field::new("tenant", name)])?;
        let tenant = self.db.tenant(name).map_err(|e| errors::from_write(&e))?;
        Ok(tenant_info(&tenant))
    }

    /// Creates a token; returns its description and its text (shown once).
    pub(crate) fn create_token(
        &self,
        actor: &str,
        tenant: &str,
        role: Role,
        tables: &[String],
        expires_at_us: Option<u64>,
        label: &str,
    ) -> Result<(TokenInfo, String), WireError> {
        self.validate_token_scope(tenant, tables, label)?;
        if expires_at_us.is_some_and(|t| t <= now_us()) {
            return Err(errors::invalid("the expiry is in the past"));
        }
        let _guard = self.lock_writes();
        if self.read().tokens.len() >= TOKENS_PER_NODE_MAX {
            return Err(wire(
                ErrorClass::Limit,
                codes::LIMIT,
                format!("the node holds the maximum of {TOKENS_PER_NODE_MAX} tokens"),
            ));
        }
        let new = token::generate().map_err(errors::internal)?;
        let tables: Vec<String> = tables.iter().map(|t| t.to_ascii_lowercase()).collect();
        let fields = vec![
            Field::new("token_id", token::id_text(&new.id)),
            Field::new("tenant", tenant),
            Field::new("role", role.name()),
            Field::new("tables", tables.join(",")),
            Field::new(
                "expires_at_us",
                expires_at_us.map(|t| t.to_string()).unwrap_or_default(),
            ),
            Field::new("label", label),
            Field::new("secret_sha256", new.secret_sha256.to_vec()),
        ];
        let entry = self.append(actor, OP_TOKEN_CREATE, fields)?;
        let mut state = self.write();
        apply(&mut state, &entry);
        let info = state
            .tokens
            .get(&new.id)
            .map(|r| r.info.clone())
            .ok_or_else(|| errors::internal("a token entry did not apply"))?;
        Ok((info, new.text))
    }

    fn validate_token_scope(
        &self,
        tenant: &str,
        tables: &[String],
        label: &str,
    ) -> Result<(), WireError> {
        if tenant != ALL_TENANTS && self.db.existing_tenant(tenant).is_none() {
            return Err(wire(
                ErrorClass::NotFound,
                codes::TENANT_NOT_FOUND,
                format!("no tenant {tenant}"),
            ));
        }
        if tenant == SYSTEM_TENANT {
            return Err(errors::invalid(
                "tokens for the system tenant are node-wide: use --tenant '*'",
            ));
        }
        if tables.len() > TABLES_PER_TOKEN_MAX {
            return Err(errors::invalid(format!(
                "at most {TABLES_PER_TOKEN_MAX} tables per token"
            )));
        }
        let valid_table = |t: &String| {
            !t.is_empty()
                && t.len() <= veritydb::limits::SQL_NAME_BYTES_MAX
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        if let Some(bad) = tables.iter().find(|t| !valid_table(t)) {
            return Err(errors::invalid(format!("invalid table name {bad:?}")));
        }
        if label.len() > TOKEN_LABEL_BYTES_MAX || label.chars().any(char::is_control) {
            return Err(errors::invalid(format!(
                "the label must be at most {TOKEN_LABEL_BYTES_MAX} bytes without control characters"
            )));
        }
        Ok(())
    }

    /// Revokes a token at once; returns it as it was.
    pub(crate) fn revoke_token(&self, actor: &str, id_text: &str) -> Result<TokenInfo, WireError> {
        let not_found = || {
            wire(
                ErrorClass::NotFound,
                codes::TOKEN_NOT_FOUND,
                format!("no token {id_text}"),
            )
        };
        let id = token::parse_id(id_text).ok_or_else(not_found)?;
        let _guard = self.lock_writes();
        let info = self
            .read()
            .tokens
            .get(&id)
            .map(|r| r.info.clone())
            .ok_or_else(not_found)?;
        let entry = self.append(
            actor,
            OP_TOKEN_REVOKE,
            vec![Field::new("token_id", token::id_text(&id))],
        )?;
        apply(&mut self.write(), &entry);
        Ok(info)
    }

    /// A token's description.
    pub(crate) fn token(&self, id_text: &str) -> Option<TokenInfo> {
        let id = token::parse_id(id_text)?;
        self.read().tokens.get(&id).map(|r| r.info.clone())
    }

    /// Tokens, oldest first; of one tenant if given.
    pub(crate) fn tokens(&self, tenant: Option<&str>) -> Vec<TokenInfo> {
        let state = self.read();
        let mut tokens: Vec<TokenInfo> = state
            .tokens
            .values()
            .filter(|r| tenant.is_none_or(|t| r.info.tenant == t))
            .map(|r| r.info.clone())
            .collect();
        tokens.sort_by(|a, b| (a.created_at_us, &a.id).cmp(&(b.created_at_us, &b.id)));
        tokens
    }

    /// Marks a table of a tenant audited or not.
    pub(crate) fn set_table_audited(
        &self,
        actor: &str,
        tenant: &str,
        table: &str,
        audited: bool,
    ) -> Result<(), WireError> {
        let table = table.to_ascii_lowercase();
        if table.is_empty() || table.len() > veritydb::limits::SQL_NAME_BYTES_MAX {
            return Err(errors::invalid(format!("invalid table name {table:?}")));
        }
        let _guard = self.lock_writes();
        let entry = self.append(
            actor,
            OP_TABLE_AUDIT,
            vec![
                Field::new("tenant", tenant),
                Field::new("table", table),
                Field::new("audited", if audited { "true" } else { "false" }),
            ],
        )?;
        apply(&mut self.write(), &entry);
        Ok(())
    }

    /// The audited tables of a tenant.
    pub(crate) fn audited_tables(&self, tenant: &str) -> BTreeSet<String> {
        self.read().audited.get(tenant).cloned().unwrap_or_default()
    }

    /// Whether any token exists (an initialized node has at least the first admin token).
    pub(crate) fn has_tokens(&self) -> bool {
        !self.read().tokens.is_empty()
    }

    /// The tenants applications use (every tenant but the system tenant).
    pub(crate) fn tenants(&self) -> Vec<String> {
        let mut names = self.db.tenants();
        names.retain(|n| n != SYSTEM_TENANT);
        names
    }

    fn lock_writes(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends one admin entry (durably) and returns it as stored.
    fn append(&self, actor: &str, op: &str, fields: Vec<Field>) -> Result<StoredEntry, WireError> {
        let mut all = vec![Field::new("op", op)];
        all.extend(fields);
        let entry = NewEntry {
            kind: Kind::Admin,
            actor: actor.to_owned(),
            fields: all,
        };
        let range = self
            .system
            .append_entries(&[entry])
            .map_err(|e| errors::from_write(&e))?;
        let mut stored = self
            .system
            .entries(range.start, range.end)
            .map_err(|e| errors::from_read(&e))?;
        stored
            .pop()
            .ok_or_else(|| errors::internal("an appended admin entry cannot be read back"))
    }
}

/// A tenant's identity for responses.
pub(crate) fn tenant_info(tenant: &Tenant) -> TenantInfo {
    TenantInfo {
        name: tenant.name().to_owned(),
        origin: tenant.origin(),
        verifier_key: tenant.verifier_key(),
        size: tenant.size(),
        checkpoints: tenant.checkpoint_count(),
    }
}

fn check_live(info: &TokenInfo) -> Result<(), WireError> {
    if info.revoked {
        return Err(wire(
            ErrorClass::Unauthenticated,
            codes::TOKEN_REVOKED,
            "the token was revoked",
        ));
    }
    if info.expires_at_us.is_some_and(|t| t <= now_us()) {
        return Err(wire(
            ErrorClass::Unauthenticated,
            codes::TOKEN_EXPIRED,
            "the token expired",
        ));
    }
    Ok(())
}

/// Microseconds since the Unix epoch.
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Applies one entry of the system log to the state; entries that are not well-formed admin
/// entries change nothing (the log may hold other kinds).
fn apply(state: &mut State, entry: &StoredEntry) {
    if entry.header.kind != Kind::Admin {
        return;
    }
    let text = |name: &str| {
        entry
            .field(name)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    };
    match text("op").as_deref() {
        Some(OP_TOKEN_CREATE) => {
            if let Some(record) = token_record(entry, &text) {
                let id = token::parse_id(&record.info.id).expect("token_record checked the id");
                state.tokens.insert(id, record);
            }
        }
        Some(OP_TOKEN_REVOKE) => {
            let id = text("token_id").and_then(|t| token::parse_id(&t));
            if let Some(record) = id.and_then(|id| state.tokens.get_mut(&id)) {
                record.info.revoked = true;
            }
        }
        Some(OP_TABLE_AUDIT) => {
            if let (Some(tenant), Some(table), Some(audited)) =
                (text("tenant"), text("table"), text("audited"))
            {
                let tables = state.audited.entry(tenant).or_default();
                match audited.as_str() {
                    "true" => tables.insert(table),
                    _ => tables.remove(&table),
                };
            }
        }
        _ => {}
    }
}

fn token_record(
    entry: &StoredEntry,
    text: &impl Fn(&str) -> Option<String>,
) -> Option<TokenRecord> {
    let id = text("token_id")?;
    token::parse_id(&id)?;
    let tables = text("tables")?;
    let expires = text("expires_at_us")?;
    let secret_sha256: [u8; 32] = entry.field("secret_sha256")?.try_into().ok()?;
    Some(TokenRecord {
        info: TokenInfo {
            id,
            tenant: text("tenant")?,
            role: Role::from_name(&text("role")?)?,
            tables: tables
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            expires_at_us: match expires.as_str() {
                "" => None,
                t => Some(t.parse().ok()?),
            },
            created_at_us: entry.header.timestamp_us,
            label: text("label")?,
            revoked: false,
        },
        secret_sha256,
    })
}
