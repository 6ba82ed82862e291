//! `veritydb-verify inclusion`: check a raw RFC 6962 inclusion proof.

use veritydb_verify::{Report, verify_inclusion};

use crate::input::{self, CannotCheck};
use crate::output::OutputArgs;

/// Verify a raw RFC 6962 inclusion proof: the leaf is at INDEX in the tree of SIZE with ROOT.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The leaf hash, base64.
    #[arg(long, value_name = "B64")]
    leaf_hash: String,
    /// The leaf's index.
    #[arg(long, value_name = "N")]
    index: u64,
    /// The tree size.
    #[arg(long, value_name = "N")]
    size: u64,
    /// The root hash, base64.
    #[arg(long, value_name = "B64")]
    root: String,
    /// The proof, comma-separated base64 hashes from the leaf's sibling up (`''` for none).
    #[arg(long, value_name = "B64,B64,...", allow_hyphen_values = true)]
    proof: String,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let leaf = input::base64("the leaf hash", &args.leaf_hash)?;
    let root = input::base64("the root", &args.root)?;
    let proof = input::proof(&args.proof)?;
    args.output.print(verify_inclusion(
        &leaf, args.index, args.size, &proof, &root,
    ))
}
