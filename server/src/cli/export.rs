//! `veritydb export`: writes a tenant's log (or a slice) as an export file for
//! `veritydb-verify export`, with a progress bar.

use std::io::BufWriter;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use veritydb::{ExportOptions, ExportSummary};

use super::{Target, TargetArgs, client_error, names};

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// The first position (default 0).
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// The end position, exclusive (default: the log's size when the export starts).
    #[arg(long)]
    to: Option<u64>,
    /// Fields whose values are withheld (comma-separated): only their commitments go out.
    #[arg(long)]
    withhold: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    target: TargetArgs,
}

pub(crate) fn run(args: &ExportArgs) -> Result<(), String> {
    let options = ExportOptions {
        from: args.from,
        to: args.to,
        withhold: names(args.withhold.as_deref()),
    };
    let target = args.target.open()?;
    let file = std::fs::File::create(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let bar = match args.quiet {
        true => ProgressBar::hidden(),
        false => ProgressBar::new(0),
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} entries {per_sec} eta {eta}")
            .map_err(|e| e.to_string())?,
    );
    let progress = |written: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(written);
    };
    let (summary, vkey): (ExportSummary, String) = match target {
        Target::Remote(client) => {
            let tenant = client.tenant(&args.tenant).map_err(|e| client_error(&e))?;
            let summary = tenant
                .export(out, &options, progress)
                .map_err(|e| client_error(&e))?;
            (
                summary,
                tenant.verifier_key().map_err(|e| client_error(&e))?,
            )
        }
        Target::Local(db, _) => {
            let tenant = db
                .existing_tenant(&args.tenant)
                .ok_or_else(|| format!("no tenant {}", args.tenant))?;
            let summary = tenant
                .export(out, &options, progress)
                .map_err(|e| e.to_string())?;
            (summary, tenant.verifier_key())
        }
    };
    bar.finish_and_clear();
    println!(
        "Exported entries [{}, {}) of {} with {} checkpoints, {} bytes, to {}",
        summary.from,
        summary.to,
        args.tenant,
        summary.checkpoints,
        summary.bytes,
        args.out.display()
    );
    println!(
        "Check it with: veritydb-verify export {} --trust-key '{vkey}'",
        args.out.display()
    );
    Ok(())
}
