//! `veritydb-verify consistency`: check a raw RFC 6962 consistency proof.

use veritydb_verify::{Report, verify_consistency};

use crate::input::{self, CannotCheck};
use crate::output::OutputArgs;

/// Verify a raw RFC 6962 consistency proof: the tree of OLD_SIZE with OLD_ROOT is a prefix of
/// the tree of NEW_SIZE with NEW_ROOT.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The old tree size.
    #[arg(long, value_name = "N")]
    old_size: u64,
    /// The new tree size.
    #[arg(long, value_name = "N")]
    new_size: u64,
    /// The old root, base64.
    #[arg(long, value_name = "B64")]
    old_root: String,
    /// The new root, base64.
    #[arg(long, value_name = "B64")]
    new_root: String,
    /// The proof, comma-separated base64 hashes (`''` for none).
    #[arg(long, value_name = "B64,B64,...", allow_hyphen_values = true)]
    proof: String,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let old_root = input::base64("the old root", &args.old_root)?;
    let new_root = input::base64("the new root", &args.new_root)?;
    let proof = input::proof(&args.proof)?;
    let report = verify_consistency(args.old_size, args.new_size, &old_root, &new_root, &proof);
    args.output.print(report)
}
