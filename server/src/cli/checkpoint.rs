//! `veritydb checkpoint`: signs a checkpoint of a tenant's log now and prints it.

use clap::Args;

use super::{Target, TargetArgs, client_error};

#[derive(Debug, Args)]
pub(crate) struct CheckpointArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    #[command(flatten)]
    target: TargetArgs,
}

pub(crate) fn run(args: &CheckpointArgs) -> Result<(), String> {
    let checkpoint = match args.target.open()? {
        Target::Remote(client) => client
            .tenant(&args.tenant)
            .and_then(|t| t.checkpoint())
            .map_err(|e| client_error(&e))?,
        Target::Local(db, _) => db
            .existing_tenant(&args.tenant)
            .ok_or_else(|| format!("no tenant {}", args.tenant))?
            .checkpoint()
            .map_err(|e| e.to_string())?,
    };
    print!("{}", checkpoint.note);
    Ok(())
}
