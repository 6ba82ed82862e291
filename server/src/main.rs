//! The `veritydb` command: parses arguments and dispatches to one module per command.

mod auth;
mod bench;
mod cli;
mod demo;
mod errors;
mod init;
mod limits;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// VerityDB: a compliance-first database whose every record can be proven.
///
/// Start with `veritydb init --data DIR`, then `veritydb serve --data DIR`. Admin commands
/// act on a server (--url vdb://host:port --token vdb_..., or $VERITYDB_URL and
/// $VERITYDB_TOKEN) or directly on a data directory while no server runs (--data DIR).
#[derive(Debug, Parser)]
#[command(name = "veritydb", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a node: data directory, signing key, master key file and the first admin
    /// token; prints the public key auditors pin.
    Init(init::InitArgs),
    /// Run the server (binary protocol over TCP or TLS).
    Serve(serve::ServeArgs),
    /// Run SQL on a tenant: one statement with -c, or an interactive shell.
    Sql(cli::sql::SqlArgs),
    /// Create or list tenants.
    #[command(subcommand)]
    Tenant(cli::tenant::TenantCommand),
    /// Create, list or revoke bearer tokens.
    #[command(subcommand)]
    Token(cli::token::TokenCommand),
    /// Mark a table audited (reads append access records) or not.
    Audit(cli::audit::AuditArgs),
    /// Sign a checkpoint of a tenant's log now and print it.
    Checkpoint(cli::checkpoint::CheckpointArgs),
    /// Write an export of a tenant's log for `veritydb-verify export`.
    Export(cli::export::ExportArgs),
    /// Write a receipt proving one entry, for `veritydb-verify receipt`.
    Receipt(cli::receipt::ReceiptArgs),
    /// Show the node's status.
    Status(cli::status::StatusArgs),
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
        Command::Init(args) => init::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Sql(args) => cli::sql::run(&args),
        Command::Tenant(command) => cli::tenant::run(&command),
        Command::Token(command) => cli::token::run(&command),
        Command::Audit(args) => cli::audit::run(&args),
        Command::Checkpoint(args) => cli::checkpoint::run(&args),
        Command::Export(args) => cli::export::run(&args),
        Command::Receipt(args) => cli::receipt::run(&args),
        Command::Status(args) => cli::status::run(&args),
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
