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
        let at = report
            .position
            .map(|p| format!(" at position {p}"))
            .unwrap_or_default();
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
        println!(
            "  positions:   {}..{} ({} entries verified)",
            range.from, range.to, report.entries
        );
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
            "  entry:       position {} of tenant {}, kind {} ({kind_name}), actor {:?}",
            details.position, details.tenant, details.entry_kind, details.actor
        );
        println!(
            "  time:        {} (timestamp_us {})",
            utc_time(details.timestamp_us),
            details.timestamp_us
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

/// `YYYY-MM-DDThh:mm:ss.uuuuuuZ` for microseconds since 1970-01-01T00:00:00Z (proleptic
/// Gregorian calendar; days to civil date as in H. Hinnant's `civil_from_days`).
fn utc_time(timestamp_us: u64) -> String {
    let seconds = timestamp_us / 1_000_000;
    let micros = timestamp_us % 1_000_000;
    let days = (seconds / 86_400) as i64;
    let second_of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::utc_time;

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(utc_time(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(
            utc_time(1_800_000_000_002_000),
            "2027-01-15T08:00:00.002000Z"
        );
        assert!(utc_time(u64::MAX).ends_with("T08:01:49.551615Z"));
    }
}
