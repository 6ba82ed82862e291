//! Writes a valid export of many entries, for tests and benchmarks of export verification at
//! scale (the browser page's progress bar, WASM-vs-native throughput), and prints the tenant's
//! verifier key on stdout.
//!
//! ```sh
//! cargo run --release -p veritydb-testdata --example large_export -- ENTRIES OUT [PAYLOAD_BYTES]
//! ```
//!
//! The log comes from the deterministic in-memory database of the vectors (fixed key, clock
//! and salts), tenant `bulk`; a checkpoint is signed every `CHECKPOINT_EVERY` entries, and the
//! export holds the whole log. The same arguments always write the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::process::ExitCode;

use veritydb::ExportOptions;

/// Entries appended per batch.
const BATCH_ENTRIES: u64 = 1_000;
/// A checkpoint is signed after every this many entries.
const CHECKPOINT_EVERY: u64 = 10_000;
/// The default size of each event's JSON payload.
const PAYLOAD_BYTES_DEFAULT: usize = 200;
/// The bound on `PAYLOAD_BYTES`: far below the entry payload limit.
const PAYLOAD_BYTES_MAX: usize = 65_536;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [entries, out] => parse(entries, out, None),
        [entries, out, payload] => parse(entries, out, Some(payload)),
        _ => None,
    };
    let Some((entries, out, payload_bytes)) = parsed else {
        eprintln!(
            "usage: large_export ENTRIES OUT [PAYLOAD_BYTES]\n  writes a valid export of ENTRIES entries to OUT and prints its verifier key\n  (PAYLOAD_BYTES: 16..={PAYLOAD_BYTES_MAX}, default {PAYLOAD_BYTES_DEFAULT})"
        );
        return ExitCode::from(2);
    };
    match write_export(entries, out, payload_bytes) {
        Ok(vkey) => {
            println!("{vkey}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("large_export: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse<'a>(
    entries: &str,
    out: &'a str,
    payload: Option<&String>,
) -> Option<(u64, &'a str, usize)> {
    let entries = entries.parse().ok()?;
    let payload_bytes = match payload {
        Some(text) => text.parse().ok()?,
        None => PAYLOAD_BYTES_DEFAULT,
    };
    (16..=PAYLOAD_BYTES_MAX)
        .contains(&payload_bytes)
        .then_some((entries, out, payload_bytes))
}

/// Appends `entries` events, exports the whole log to `out`, returns the verifier key.
fn write_export(entries: u64, out: &str, payload_bytes: usize) -> Result<String, String> {
    let db = veritydb_testdata::vector_db();
    let tenant = db.tenant("bulk").map_err(|e| format!("tenant: {e}"))?;
    let mut appended = 0;
    while appended < entries {
        let count = BATCH_ENTRIES.min(entries - appended);
        let events: Vec<String> = (appended..appended + count)
            .map(|n| event(n, payload_bytes))
            .collect();
        let batch: Vec<(&str, &str)> = events.iter().map(|e| ("bulk", e.as_str())).collect();
        tenant
            .append_batch(&batch)
            .map_err(|e| format!("append: {e}"))?;
        appended += count;
        if appended % CHECKPOINT_EVERY == 0 {
            tenant
                .checkpoint()
                .map_err(|e| format!("checkpoint: {e}"))?;
        }
    }
    let file = File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let mut writer = BufWriter::new(file);
    tenant
        .export(&mut writer, &ExportOptions::default(), |_, _| {})
        .map_err(|e| format!("export: {e}"))?;
    writer.flush().map_err(|e| format!("{out}: {e}"))?;
    Ok(tenant.verifier_key())
}

/// A JSON event of exactly `payload_bytes` bytes (at least 16).
fn event(n: u64, payload_bytes: usize) -> String {
    let head = format!(r#"{{"n":{n},"pad":""#);
    let padding = payload_bytes.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(padding))
}
