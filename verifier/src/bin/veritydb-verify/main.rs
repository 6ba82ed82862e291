//! `veritydb-verify`: check VerityDB exports, receipts, checkpoints and proofs offline.
//!
//! This file only parses arguments and dispatches; each command lives in its own module, and
//! all verification happens in the `veritydb_verify` library. Exit codes: 0 verified, 1
//! rejected (a verdict with a reason), 2 could not check (usage, unreadable input, an invalid
//! trusted key).

mod checkpoint;
mod checkpoints;
mod consistency;
mod export;
mod inclusion;
mod input;
mod note;
mod output;
mod receipt;
mod threads;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Verify VerityDB exports, receipts, checkpoints and RFC 6962 proofs, independently of the
/// database that wrote them.
///
/// Exit status: 0 verified, 1 rejected (with a reason code), 2 could not check.
#[derive(Parser)]
#[command(name = "veritydb-verify", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Export(export::Args),
    Receipt(receipt::Args),
    Checkpoint(checkpoint::Args),
    Note(note::Args),
    Checkpoints(checkpoints::Args),
    Inclusion(inclusion::Args),
    Consistency(consistency::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Export(args) => export::run(&args),
        Command::Receipt(args) => receipt::run(&args),
        Command::Checkpoint(args) => checkpoint::run(&args),
        Command::Note(args) => note::run(&args),
        Command::Checkpoints(args) => checkpoints::run(&args),
        Command::Inclusion(args) => inclusion::run(&args),
        Command::Consistency(args) => consistency::run(&args),
    };
    output::exit(outcome)
}
