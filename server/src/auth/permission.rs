//! Who may do what (`docs/spec/protocol.md` §5): every request is checked against the
//! token's tenant, role and tables before it touches data.
//!
//! | need | reader | writer | admin | auditor |
//! | --- | --- | --- | --- | --- |
//! | SELECT, read stream, read_at_least | yes | yes | yes | no |
//! | INSERT/UPDATE/DELETE, append | no | yes | yes | no |
//! | CREATE/DROP (schema) | no | no | yes | no |
//! | checkpoints, proofs, size, receipts, exports | yes | yes | yes | yes |
//! | tokens and audit settings of the tenant | no | no | yes | no |
//! | tenants, status (node-wide tokens only) | no | no | yes | no |
//!
//! A token limited to tables may run SQL only on those tables, may fetch receipts only for
//! rows of those tables, and may not read or append streams or export (an export holds every
//! table). Invariant: the tenant check comes first, so a token for tenant A learns nothing
//! about tenant B, not even whether it exists.

use super::{Principal, SYSTEM_TENANT};
use crate::errors::forbidden;
use veritydb::protocol::{Role, WireError, codes};
use veritydb::sql::{Shape, StatementKind};

/// What a request needs.
#[derive(Debug)]
pub(crate) enum Need<'a> {
    /// SQL statements on a tenant, as core parsed them.
    Sql(&'a str, &'a [&'a Shape]),
    /// Reading rows or events without SQL (stream reads, read_at_least).
    ReadData(&'a str),
    /// Appending events.
    AppendEvents(&'a str),
    /// Checkpoints, proofs, sizes, the tenant's identity.
    Proofs(&'a str),
    /// A receipt (tables are checked against the entry later).
    Receipt(&'a str),
    /// An export.
    Export(&'a str),
    /// Administering one tenant (tokens, audit settings).
    TenantAdmin(&'a str),
    /// Administering the node (tenants, status).
    NodeAdmin,
}

/// Whether `principal` may do what `need` describes.
pub(crate) fn authorize(principal: &Principal, need: &Need<'_>) -> Result<(), WireError> {
    let role = principal.role;
    let data_reader = matches!(role, Role::Reader | Role::Writer | Role::Admin);
    let unrestricted = principal.tables.is_empty();
    match *need {
        Need::Sql(tenant, shapes) => {
            tenant_scope(principal, tenant)?;
            for shape in shapes {
                sql_allowed(principal, shape)?;
            }
            Ok(())
        }
        Need::ReadData(tenant) => {
            tenant_scope(principal, tenant)?;
            require(data_reader, role, "read rows or events")?;
            require_unrestricted(unrestricted, "read streams")
        }
        Need::AppendEvents(tenant) => {
            tenant_scope(principal, tenant)?;
            require(matches!(role, Role::Writer | Role::Admin), role, "append")?;
            require_unrestricted(unrestricted, "append to streams")
        }
        Need::Proofs(tenant) | Need::Receipt(tenant) => tenant_scope(principal, tenant),
        Need::Export(tenant) => {
            tenant_scope(principal, tenant)?;
            require_unrestricted(unrestricted, "export (an export holds every table)")
        }
        Need::TenantAdmin(tenant) => {
            tenant_scope(principal, tenant)?;
            require(role == Role::Admin, role, "administer the tenant")?;
            require_unrestricted(unrestricted, "administer the tenant")
        }
        Need::NodeAdmin => {
            if !principal.is_node_wide() || role != Role::Admin || !unrestricted {
                return Err(forbidden(
                    codes::ROLE_FORBIDDEN,
                    "only a node-wide admin token (--tenant '*' --role admin) may do this",
                ));
            }
            Ok(())
        }
    }
}

/// The tenant check: the token's own tenant, or every tenant for a node-wide token (the
/// system tenant only for node-wide tokens).
pub(crate) fn tenant_scope(principal: &Principal, tenant: &str) -> Result<(), WireError> {
    if principal.is_node_wide() || (principal.tenant == tenant && tenant != SYSTEM_TENANT) {
        return Ok(());
    }
    Err(forbidden(
        codes::TENANT_FORBIDDEN,
        format!("the token is for tenant {}, not {tenant}", principal.tenant),
    ))
}

/// Whether a token limited to tables may see the named table (names as core stores them:
/// unquoted names in lower case, quoted names as written; token tables are lower case).
pub(crate) fn table_allowed(principal: &Principal, table: &str) -> bool {
    principal.tables.is_empty() || principal.tables.contains(table)
}

fn sql_allowed(principal: &Principal, shape: &Shape) -> Result<(), WireError> {
    let role = principal.role;
    match shape.kind {
        StatementKind::Read => require(
            matches!(role, Role::Reader | Role::Writer | Role::Admin),
            role,
            "query rows",
        )?,
        StatementKind::Write => require(
            matches!(role, Role::Writer | Role::Admin),
            role,
            "write rows",
        )?,
        StatementKind::Schema => require(role == Role::Admin, role, "change the schema")?,
    }
    if principal.tables.is_empty() {
        return Ok(());
    }
    if !shape.complete {
        return Err(forbidden(
            codes::TABLE_FORBIDDEN,
            "the token is limited to tables and the statement's tables cannot be determined",
        ));
    }
    match shape.tables().find(|t| !principal.tables.contains(*t)) {
        Some(table) => Err(forbidden(
            codes::TABLE_FORBIDDEN,
            format!("the token may not use table {table}"),
        )),
        None => Ok(()),
    }
}

fn require(allowed: bool, role: Role, what: &str) -> Result<(), WireError> {
    if allowed {
        return Ok(());
    }
    Err(forbidden(
        codes::ROLE_FORBIDDEN,
        format!("a {} token may not {what}", role.name()),
    ))
}

fn require_unrestricted(unrestricted: bool, what: &str) -> Result<(), WireError> {
    if unrestricted {
        return Ok(());
    }
    Err(forbidden(
        codes::TABLE_FORBIDDEN,
        format!("a token limited to tables may not {what}"),
    ))
}
