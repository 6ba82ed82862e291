//! `veritydb receipt`: a receipt (C2SP tlog-proof) for one entry, for `veritydb-verify receipt`.

use std::path::PathBuf;

use clap::Args;

use super::{Target, TargetArgs, client_error, names};

#[derive(Debug, Args)]
pub(crate) struct ReceiptArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// The entry's position in the tenant's log.
    #[arg(long)]
    position: u64,
    /// Fields whose values the receipt discloses (comma-separated); the others stay
    /// commitments only.
    #[arg(long)]
    disclose: Option<String>,
    /// Write the receipt to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
}

pub(crate) fn run(args: &ReceiptArgs) -> Result<(), String> {
    let fields = names(args.disclose.as_deref());
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let receipt = match args.target.open()? {
        Target::Remote(client) => client
            .tenant(&args.tenant)
            .and_then(|t| t.receipt(args.position, &fields))
            .map_err(|e| client_error(&e))?,
        Target::Local(db, _) => db
            .existing_tenant(&args.tenant)
            .ok_or_else(|| format!("no tenant {}", args.tenant))?
            .receipt(args.position, &fields)
            .map_err(|e| e.to_string())?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &receipt.text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "wrote the receipt of position {} (checkpoint of size {}) to {}",
                receipt.position,
                receipt.checkpoint.size,
                path.display()
            );
        }
        None => print!("{}", receipt.text),
    }
    Ok(())
}
