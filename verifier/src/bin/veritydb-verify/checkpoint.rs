//! `veritydb-verify checkpoint FILE`: check a signed checkpoint.

use std::path::PathBuf;

use veritydb_verify::limits::NOTE_BYTES_MAX;
use veritydb_verify::{Report, verify_checkpoint};

use crate::input::{self, CannotCheck, TrustArgs};
use crate::output::OutputArgs;

/// Verify a signed checkpoint: signature by a trusted key named like its origin, and its text.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The checkpoint file; `-` reads stdin.
    file: PathBuf,
    /// Require this origin (for example `audit.example.com/node1/acme`).
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let keys = args.trust.load()?;
    let bytes = input::read_bounded(&args.file, NOTE_BYTES_MAX)?;
    args.output
        .print(verify_checkpoint(&bytes, &keys, args.origin.as_deref()))
}
