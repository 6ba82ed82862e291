//! `veritydb audit`: marks a table audited, so every read of it appends an access record
//! (who, when, what query) to the tenant's log; `--off` stops that.

use clap::Args;

use super::{LOCAL_ACTOR, Target, TargetArgs, client_error};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// The table.
    #[arg(long)]
    table: String,
    /// Stop auditing the table.
    #[arg(long)]
    off: bool,
    #[command(flatten)]
    target: TargetArgs,
}

pub(crate) fn run(args: &AuditArgs) -> Result<(), String> {
    let audited = !args.off;
    match args.target.open()? {
        Target::Remote(client) => client
            .tenant(&args.tenant)
            .and_then(|t| t.set_table_audited(&args.table, audited))
            .map_err(|e| client_error(&e))?,
        Target::Local(db, registry) => {
            db.existing_tenant(&args.tenant)
                .ok_or_else(|| format!("no tenant {}", args.tenant))?;
            registry
                .set_table_audited(LOCAL_ACTOR, &args.tenant, &args.table, audited)
                .map_err(|e| e.message)?;
        }
    }
    println!(
        "Reads of {}.{} {} recorded in the tenant's log",
        args.tenant,
        args.table,
        if audited { "are now" } else { "are no longer" }
    );
    Ok(())
}
