//! `veritydb-verify checkpoints OLD NEW --proof ...`: check that two signed checkpoints of one
//! log are consistent.

use std::path::PathBuf;

use veritydb_verify::limits::NOTE_BYTES_MAX;
use veritydb_verify::{Report, verify_checkpoint_consistency};

use crate::input::{self, CannotCheck, TrustArgs};
use crate::output::OutputArgs;

/// Verify two signed checkpoints of one log and the consistency proof from the older to the
/// newer: the log only grew between them.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The older (smaller) checkpoint file; `-` reads stdin.
    old: PathBuf,
    /// The newer (larger) checkpoint file.
    new: PathBuf,
    /// The RFC 6962 consistency proof, comma-separated base64 hashes (`''` for none).
    #[arg(long, value_name = "B64,B64,...", allow_hyphen_values = true)]
    proof: String,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let keys = args.trust.load()?;
    let proof = input::proof(&args.proof)?;
    let old = input::read_bounded(&args.old, NOTE_BYTES_MAX)?;
    let new = input::read_bounded(&args.new, NOTE_BYTES_MAX)?;
    args.output
        .print(verify_checkpoint_consistency(&old, &new, &proof, &keys))
}
