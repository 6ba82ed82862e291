//! Printing reports (plain words by default, the report JSON with `--json`) and exit codes.

use std::process::ExitCode;

use clap::Args;
use veritydb_verify::{Report, entry_kind_name};

use crate::input::CannotCheck;

/// Exit status: verified.
const EXIT_VERIFIED: u8 = 0;
/// Exit status: rejected with a reason.
const EXIT_REJECTED: u8 = 1;
/// Exit status: could not check.
const EXIT_CANNOT_CHECK: u8 = 2;

/// How to print the report.
#[derive(Args, Debug)]
pub(crate) struct OutputArgs {
    /// Print the report as JSON (the fields of docs/spec/verdicts.md §5) instead of words.
    #[arg(long)]
    json: bool,
}

impl OutputArgs {
    /// Prints the report; the exit status follows its verdict.
    pub(crate) fn print(&self, report: Report) -> Result<Report, CannotCheck> {
        if self.json {
            println!("{}", report.to_json());
        } else {
            print_words(&report);
        }
        Ok(report)
    }
}

/// The exit status of a command's outcome; "could not check" is explained on stderr.
pub(crate) fn exit(outcome: Result<Report, CannotCheck>) -> ExitCode {
    match outcome {
        Ok(report) if report.ok => ExitCode::from(EXIT_VERIFIED),
        Ok(_) => ExitCode::from(EXIT_REJECTED),
        Err(error) => {
            eprintln!("veritydb-verify: could not check: {error}");
            ExitCode::from(EXIT_CANNOT_CHECK)
        }
    }
}

fn print_words(report: &Report) {
    let kind = report.kind.name();
    if report.ok {
        println!("VERIFIED {kind}: {}", report.message);
    } else {
        let at = report.position.map(|p| format!(" at position {p}")).unwrap_or_default();
        println!(
            "REJECTED {kind}: {} (reason {}, code {}){at}",
            report.message,
            report.reason.name(),
            report.reason.code()
        );
    }
    if let Some(origin) = &report.origin {
        println!("  log:         {origin}");
    }
    if let Some(range) = report.range {
        println!("  positions:   {}..{} ({} entries verified)", range.from, range.to, report.entries);
    }
    if let (Some(size), Some(root)) = (report.tree_size, report.root) {
        println!("  checkpoint:  size {size}, root {}", base64(&root));
    }
    if !report.keys.is_empty() {
        println!("  signed by:   {}", report.keys.join(", "));
    }
    if let Some(details) = &report.receipt {
        let kind_name = entry_kind_name(details.entry_kind).unwrap_or("unknown");
        println!(
            "  entry:       position {} of tenant {}, kind {} ({kind_name}), actor {:?}, timestamp_us {}",
            details.position, details.tenant, details.entry_kind, details.actor, details.timestamp_us
        );
        println!(
            "  fields:      {} disclosed of {}",
            details.disclosed.len(),
            details.field_count
        );
        for field in &details.disclosed {
            match field.value_text() {
                Some(text) => println!("    {} = {text:?}", field.name),
                None => println!("    {} = base64:{}", field.name, base64(&field.value)),
            }
        }
    }
    println!("  input bytes: {}", report.bytes);
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
