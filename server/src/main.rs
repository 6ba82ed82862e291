//! The `veritydb` command: parses arguments and dispatches to one module per command.

mod bench;
mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// VerityDB: a compliance-first database whose every record can be proven.
#[derive(Debug, Parser)]
#[command(name = "veritydb", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure VerityDB on this machine against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Write a few records to an embedded database, take a checkpoint, and write a receipt and
    /// an export that `veritydb-verify` can check.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(command) => bench::run(command),
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("veritydb: {message}");
            ExitCode::FAILURE
        }
    }
}
