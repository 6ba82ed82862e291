//! `veritydb token create|list|revoke`: bearer tokens. A token's secret is shown once, at
//! creation; the node keeps only its SHA-256.

use clap::Subcommand;
use veritydb::protocol::{Role, TokenInfo};
use veritydb::sql::{format_timestamp, parse_timestamp};

use super::{LOCAL_ACTOR, Target, TargetArgs, client_error, names, print_table};
use crate::auth::now_us;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it (once: only its hash is kept).
    Create {
        /// The tenant the token is for, or '*' for every tenant (node-wide).
        #[arg(long)]
        tenant: String,
        /// reader: queries and reads; writer: also writes; admin: also schema, tokens and
        /// audit settings; auditor: checkpoints, proofs, receipts and exports, never rows.
        #[arg(long)]
        role: String,
        /// Limit the token to these tables (comma-separated).
        #[arg(long)]
        tables: Option<String>,
        /// When the token stops working: a duration from now (90s, 45m, 12h, 30d) or a
        /// UTC time (2027-01-31T00:00:00Z).
        #[arg(long)]
        expires: Option<String>,
        /// Who or what the token is for, shown by `token list`.
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List tokens (never their secrets).
    List {
        /// Only the tokens of this tenant.
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Revoke a token: it stops working at once, on every connection.
    Revoke {
        /// The token's id (16 hex digits, from `token list`).
        id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
}

pub(crate) fn run(command: &TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Create {
            tenant,
            role,
            tables,
            expires,
            label,
            target,
        } => {
            let role = Role::from_name(role).ok_or_else(|| {
                format!("unknown role {role:?}: use reader, writer, admin or auditor")
            })?;
            let tables = names(tables.as_deref());
            let expires_at_us = expires.as_deref().map(parse_expiry).transpose()?;
            let table_refs: Vec<&str> = tables.iter().map(String::as_str).collect();
            let (info, secret) = match target.open()? {
                Target::Remote(client) => client
                    .create_token(tenant, role, &table_refs, expires_at_us, label)
                    .map_err(|e| client_error(&e))?,
                Target::Local(_, registry) => registry
                    .create_token(LOCAL_ACTOR, tenant, role, &tables, expires_at_us, label)
                    .map_err(|e| e.message)?,
            };
            println!(
                "Created token {} for tenant {} with role {}{}{}",
                info.id,
                info.tenant,
                info.role.name(),
                if info.tables.is_empty() {
                    String::new()
                } else {
                    format!(", tables {}", info.tables.join(","))
                },
                info.expires_at_us
                    .map(|t| format!(", expiring {}", format_timestamp(t as i64)))
                    .unwrap_or_default()
            );
            println!("It is shown only now: store it safely.");
            println!("{secret}");
            Ok(())
        }
        TokenCommand::List { tenant, target } => {
            let tokens = match target.open()? {
                Target::Remote(client) => client
                    .tokens(tenant.as_deref())
                    .map_err(|e| client_error(&e))?,
                Target::Local(_, registry) => registry.tokens(tenant.as_deref()),
            };
            print_tokens(&tokens);
            Ok(())
        }
        TokenCommand::Revoke { id, target } => {
            match target.open()? {
                Target::Remote(client) => {
                    client.revoke_token(id).map_err(|e| client_error(&e))?;
                }
                Target::Local(_, registry) => {
                    registry
                        .revoke_token(LOCAL_ACTOR, id)
                        .map_err(|e| e.message)?;
                }
            }
            println!("Revoked token {id}");
            Ok(())
        }
    }
}

fn print_tokens(tokens: &[TokenInfo]) {
    let now = now_us();
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            let state = match (t.revoked, t.expires_at_us) {
                (true, _) => "revoked".to_owned(),
                (false, Some(e)) if e <= now => "expired".to_owned(),
                (false, Some(e)) => format!("expires {}", format_timestamp(e as i64)),
                (false, None) => "active".to_owned(),
            };
            vec![
                t.id.clone(),
                t.tenant.clone(),
                t.role.name().to_owned(),
                if t.tables.is_empty() {
                    "*".to_owned()
                } else {
                    t.tables.join(",")
                },
                format_timestamp(t.created_at_us as i64),
                state,
                t.label.clone(),
            ]
        })
        .collect();
    print_table(
        &[
            "id", "tenant", "role", "tables", "created", "state", "label",
        ],
        &rows,
    );
}

/// `90s`, `45m`, `12h`, `30d` from now, or an absolute UTC time, in microseconds.
pub(crate) fn parse_expiry(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("cannot read the expiry {text:?}: use 90s, 45m, 12h, 30d or 2027-01-31T00:00:00Z")
    };
    let text = text.trim();
    let unit_us: Option<u64> = match text.chars().last() {
        Some('s') => Some(1_000_000),
        Some('m') => Some(60_000_000),
        Some('h') => Some(3_600_000_000),
        Some('d') => Some(86_400_000_000),
        _ => None,
    };
    if let Some(unit) = unit_us
        && let Ok(n) = text[..text.len() - 1].parse::<u64>()
    {
        return n
            .checked_mul(unit)
            .and_then(|d| d.checked_add(now_us()))
            .ok_or_else(bad);
    }
    let at = parse_timestamp(text).ok_or_else(bad)?;
    u64::try_from(at).map_err(|_| bad())
}
