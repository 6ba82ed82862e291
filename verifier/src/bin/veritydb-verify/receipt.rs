//! `veritydb-verify receipt FILE`: check a `.tlog-proof` receipt and say what it proves.

use std::path::PathBuf;

use veritydb_verify::limits::RECEIPT_BYTES_MAX;
use veritydb_verify::{Report, verify_receipt};

use crate::input::{self, CannotCheck, TrustArgs};
use crate::output::OutputArgs;

/// Verify a receipt: the signed checkpoint, the entry and its disclosed fields, the inclusion
/// proof.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The receipt file (`.tlog-proof`); `-` reads stdin.
    file: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let keys = args.trust.load()?;
    let bytes = input::read_bounded(&args.file, RECEIPT_BYTES_MAX)?;
    args.output.print(verify_receipt(&bytes, &keys))
}
