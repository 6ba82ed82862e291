//! `veritydb status`: the node at a glance.

use clap::Args;

use super::{Target, TargetArgs, client_error, print_table};
use crate::auth::SYSTEM_TENANT;

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    target: TargetArgs,
}

pub(crate) fn run(args: &StatusArgs) -> Result<(), String> {
    let items = match args.target.open()? {
        Target::Remote(client) => client.status().map_err(|e| client_error(&e))?,
        Target::Local(db, registry) => {
            let tokens = registry.tokens(None);
            let entries: u64 = db
                .tenants()
                .iter()
                .filter(|n| *n != SYSTEM_TENANT)
                .filter_map(|n| db.existing_tenant(n))
                .map(|t| t.size())
                .sum();
            vec![
                ("node_name".to_owned(), db.node_name().to_owned()),
                (
                    "server".to_owned(),
                    "not running (data directory opened directly)".to_owned(),
                ),
                ("tenants".to_owned(), registry.tenants().len().to_string()),
                ("entries".to_owned(), entries.to_string()),
                (
                    "tokens_live".to_owned(),
                    tokens.iter().filter(|t| !t.revoked).count().to_string(),
                ),
            ]
        }
    };
    let rows: Vec<Vec<String>> = items.into_iter().map(|(k, v)| vec![k, v]).collect();
    print_table(&["", "value"], &rows);
    Ok(())
}
