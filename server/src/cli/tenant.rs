//! `veritydb tenant create|list`: tenants and the verifier keys auditors pin for them.

use clap::Subcommand;
use veritydb::protocol::TenantInfo;

use super::{LOCAL_ACTOR, Target, TargetArgs, client_error, print_table};
use crate::auth::tenant_info;

#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant (a log of its own) and print its verifier key.
    Create {
        /// The tenant's name: 1 to 64 of a-z, 0-9, '.', '_', '-'.
        name: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the tenants with their sizes and verifier keys.
    List {
        #[command(flatten)]
        target: TargetArgs,
    },
}

pub(crate) fn run(command: &TenantCommand) -> Result<(), String> {
    match command {
        TenantCommand::Create { name, target } => {
            let info = match target.open()? {
                Target::Remote(client) => {
                    client.create_tenant(name).map_err(|e| client_error(&e))?
                }
                Target::Local(_, registry) => registry
                    .create_tenant(LOCAL_ACTOR, name)
                    .map_err(|e| e.message)?,
            };
            println!("Created tenant {}", info.name);
            println!("  origin:       {}", info.origin);
            println!("  verifier key: {}", info.verifier_key);
            Ok(())
        }
        TenantCommand::List { target } => {
            let infos: Vec<TenantInfo> = match target.open()? {
                Target::Remote(client) => {
                    let names = client.tenants().map_err(|e| client_error(&e))?;
                    let mut infos = Vec::with_capacity(names.len());
                    for name in names {
                        let tenant = client.tenant(&name).map_err(|e| client_error(&e))?;
                        infos.push(tenant.info().map_err(|e| client_error(&e))?);
                    }
                    infos
                }
                Target::Local(db, registry) => registry
                    .tenants()
                    .iter()
                    .filter_map(|n| db.existing_tenant(n))
                    .map(|t| tenant_info(&t))
                    .collect(),
            };
            let rows: Vec<Vec<String>> = infos
                .into_iter()
                .map(|i| {
                    vec![
                        i.name,
                        i.size.to_string(),
                        i.checkpoints.to_string(),
                        i.verifier_key,
                    ]
                })
                .collect();
            print_table(&["tenant", "entries", "checkpoints", "verifier key"], &rows);
            Ok(())
        }
    }
}
