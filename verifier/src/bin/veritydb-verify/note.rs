//! `veritydb-verify note FILE`: check any C2SP signed note.

use std::path::PathBuf;

use veritydb_verify::limits::NOTE_BYTES_MAX;
use veritydb_verify::{Report, verify_note};

use crate::input::{self, CannotCheck, TrustArgs};
use crate::output::OutputArgs;

/// Verify a signed note: at least one trusted key signed it and no trusted signature fails.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The note file; `-` reads stdin.
    file: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let keys = args.trust.load()?;
    let bytes = input::read_bounded(&args.file, NOTE_BYTES_MAX)?;
    args.output.print(verify_note(&bytes, &keys))
}
