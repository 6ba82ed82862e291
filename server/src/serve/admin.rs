//! Handlers of the requests that answer with one small value: sizes, checkpoints, proofs, the
//! tenant's identity, `read_at_least`, and the administration of tenants, tokens and audit
//! settings.

use veritydb::protocol::{ErrorClass, Request, Response, Role, codes};

use super::handlers::{Fail, is_all, one, read_shape, status_value, tenant};
use super::worker::{Reply, Session, Shared};
use crate::auth::permission::{Need, authorize};
use crate::auth::tenant_info;
use crate::errors::{self, wire};

/// Tokens per `Tokens` frame.
const TOKENS_PER_FRAME: usize = 1000;

pub(crate) fn handle(
    shared: &Shared,
    session: &mut Session,
    id: u64,
    request: Request,
    reply: &mut Reply<'_>,
) -> Result<(), Fail> {
    let principal = &session.principal;
    let response = match request {
        Request::Size { tenant: name } => {
            authorize(principal, &Need::Proofs(&name))?;
            Response::Number(tenant(shared, session, &name)?.size())
        }
        Request::CheckpointCount { tenant: name } => {
            authorize(principal, &Need::Proofs(&name))?;
            Response::Number(tenant(shared, session, &name)?.checkpoint_count())
        }
        Request::Checkpoint { tenant: name } => {
            authorize(principal, &Need::Proofs(&name))?;
            let cp = tenant(shared, session, &name)?
                .checkpoint()
                .map_err(|e| errors::from_checkpoint(&e))?;
            Response::Checkpoint(cp)
        }
        Request::LatestCheckpoint { tenant: name } => {
            authorize(principal, &Need::Proofs(&name))?;
            Response::MaybeCheckpoint(tenant(shared, session, &name)?.latest_checkpoint())
        }
        Request::Root { tenant: name, size } => {
            authorize(principal, &Need::Proofs(&name))?;
            let root = tenant(shared, session, &name)?
                .root(size)
                .map_err(|e| errors::from_proof(&e))?;
            Response::Hash(root)
        }
        Request::InclusionProof {
            tenant: name,
            index,
            size,
        } => {
            authorize(principal, &Need::Proofs(&name))?;
            let proof = tenant(shared, session, &name)?
                .inclusion_proof(index, size)
                .map_err(|e| errors::from_proof(&e))?;
            Response::Proof(proof)
        }
        Request::ConsistencyProof {
            tenant: name,
            old_size,
            new_size,
        } => {
            authorize(principal, &Need::Proofs(&name))?;
            let proof = tenant(shared, session, &name)?
                .consistency_proof(old_size, new_size)
                .map_err(|e| errors::from_proof(&e))?;
            Response::Proof(proof)
        }
        Request::TenantInfo { tenant: name } => {
            authorize(principal, &Need::Proofs(&name))?;
            Response::TenantInfo(tenant_info(&tenant(shared, session, &name)?))
        }
        Request::ReadAtLeast {
            tenant: name,
            position,
        } => {
            authorize(principal, &Need::Sql(&name, &[&read_shape()]))?;
            tenant(shared, session, &name)?
                .read_at_least(position)
                .map_err(|e| errors::from_query(&e))?;
            Response::Ok
        }
        Request::ListTokens { tenant: filter } => {
            return list_tokens(shared, session, id, filter, reply);
        }
        request => administer(shared, session, request)?,
    };
    one(reply, id, &response)
}

fn administer(shared: &Shared, session: &Session, request: Request) -> Result<Response, Fail> {
    let principal = &session.principal;
    let actor: &str = &principal.actor;
    Ok(match request {
        Request::CreateTenant { tenant: name } => {
            authorize(principal, &Need::NodeAdmin)?;
            Response::TenantInfo(shared.registry.create_tenant(actor, &name)?)
        }
        Request::ListTenants => {
            authorize(principal, &Need::NodeAdmin)?;
            Response::Tenants(shared.registry.tenants())
        }
        Request::CreateToken {
            tenant: name,
            role,
            tables,
            expires_at_us,
            label,
        } => {
            match is_all(&name) {
                true => authorize(principal, &Need::NodeAdmin)?,
                false => authorize(principal, &Need::TenantAdmin(&name))?,
            }
            let (info, secret) =
                shared
                    .registry
                    .create_token(actor, &name, role, &tables, expires_at_us, &label)?;
            Response::TokenCreated { info, secret }
        }
        Request::RevokeToken { token_id } => {
            let info = shared.registry.token(&token_id).ok_or_else(|| {
                wire(
                    ErrorClass::NotFound,
                    codes::TOKEN_NOT_FOUND,
                    format!("no token {token_id}"),
                )
            })?;
            match is_all(&info.tenant) {
                true => authorize(principal, &Need::NodeAdmin)?,
                false => authorize(principal, &Need::TenantAdmin(&info.tenant))?,
            }
            shared.registry.revoke_token(actor, &token_id)?;
            Response::Ok
        }
        Request::SetTableAudited {
            tenant: name,
            table,
            audited,
        } => {
            authorize(principal, &Need::TenantAdmin(&name))?;
            tenant(shared, session, &name)?;
            shared
                .registry
                .set_table_audited(actor, &name, &table, audited)?;
            Response::Ok
        }
        Request::Status => {
            authorize(principal, &Need::NodeAdmin)?;
            Response::Status(status(shared))
        }
        Request::Hello(_) => {
            return Err(wire(
                ErrorClass::Protocol,
                codes::HANDSHAKE_REQUIRED,
                "hello is only valid as the first frame",
            )
            .into());
        }
        other => {
            return Err(
                errors::internal(format!("no handler for request {}", other.name())).into(),
            );
        }
    })
}

fn list_tokens(
    shared: &Shared,
    session: &Session,
    id: u64,
    filter: Option<String>,
    reply: &mut Reply<'_>,
) -> Result<(), Fail> {
    let principal = &session.principal;
    let scope = match filter {
        Some(t) => {
            authorize(principal, &Need::TenantAdmin(&t))?;
            Some(t)
        }
        None if principal.is_node_wide() => {
            authorize(principal, &Need::NodeAdmin)?;
            None
        }
        None => {
            authorize(principal, &Need::TenantAdmin(&principal.tenant))?;
            Some(principal.tenant.clone())
        }
    };
    let tokens = shared.registry.tokens(scope.as_deref());
    let mut chunks = tokens.chunks(TOKENS_PER_FRAME).peekable();
    if chunks.peek().is_none() {
        return one(reply, id, &Response::Tokens(Vec::new()));
    }
    while let Some(chunk) = chunks.next() {
        let more = chunks.peek().is_some();
        reply.response(id, more, &Response::Tokens(chunk.to_vec()))?;
    }
    Ok(())
}

fn status(shared: &Shared) -> Vec<(String, String)> {
    let m = &shared.metrics;
    let load = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
    let tokens = shared.registry.tokens(None);
    let live = tokens.iter().filter(|t| !t.revoked).count();
    let admins = tokens
        .iter()
        .filter(|t| !t.revoked && t.role == Role::Admin && is_all(&t.tenant))
        .count();
    let items = [
        ("server", shared.server_name.clone()),
        ("node_name", shared.db.node_name().to_owned()),
        ("uptime_s", shared.started.elapsed().as_secs().to_string()),
        ("tenants", shared.registry.tenants().len().to_string()),
        ("tokens_live", live.to_string()),
        ("node_admin_tokens", admins.to_string()),
        ("connections_open", load(&m.connections_open).to_string()),
        ("connections_total", load(&m.connections_total).to_string()),
        ("bytes_received", load(&m.bytes_received).to_string()),
        ("bytes_sent", load(&m.bytes_sent).to_string()),
        (
            "writes",
            match shared.db.stopped() {
                None => "accepting".to_owned(),
                Some(why) => format!("stopped: {why}"),
            },
        ),
    ];
    items
        .into_iter()
        .map(|(k, v)| (k.to_owned(), status_value(v)))
        .collect()
}
