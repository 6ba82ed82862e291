//! `veritydb-verify export FILE`: stream an export file through `ExportVerifier`.

use std::io::{ErrorKind, IsTerminal, Read};
use std::path::PathBuf;

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use veritydb_verify::{ExportVerifier, Report};

use crate::input::{self, CannotCheck, TrustArgs};
use crate::output::OutputArgs;
use crate::threads::ThreadedChecker;

/// Read the export in chunks of this size; memory stays constant for any file size.
const CHUNK_BYTES: usize = 1 << 20;
/// Show a progress bar (on a terminal) for files larger than this.
const PROGRESS_BAR_BYTES_MIN: u64 = 64 << 20;

/// Verify an export file: every entry, the chain, every checkpoint's root and signature.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The export file; `-` reads stdin.
    file: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Threads that check entries (default: one per CPU). The verdict is the same for any
    /// number; 1 checks everything on one thread.
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn run(args: &Args) -> Result<Report, CannotCheck> {
    let keys = args.trust.load()?;
    let (mut reader, len) = input::open(&args.file)?;
    let progress = progress_bar(len);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let mut verifier = match threads {
        0 | 1 => ExportVerifier::new(&keys),
        _ => ExportVerifier::with_entry_checker(&keys, Arc::new(ThreadedChecker { threads })),
    };
    let mut chunk = vec![0u8; CHUNK_BYTES];
    // Stops at the end of input or at the first failure, after which input cannot matter.
    while !verifier.has_failed() {
        let read = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(input::read_error(&args.file, error)),
        };
        verifier.update(&chunk[..read]);
        if let Some(bar) = &progress {
            bar.set_position(verifier.progress().bytes);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    args.output.print(verifier.finish())
}

fn progress_bar(len: Option<u64>) -> Option<ProgressBar> {
    let len = len.filter(|len| *len >= PROGRESS_BAR_BYTES_MIN)?;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(len);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
