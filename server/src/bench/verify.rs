//! `veritydb bench verify`: how fast the independent verifier checks an export written by core,
//! next to raw SHA-256 over the same file in the same run, and with how much memory.
//!
//! The export is generated first (or taken from `--file`); then a fresh child process streams
//! the file twice on one core — once through raw SHA-256, once through
//! `veritydb_verify::ExportVerifier` — in 1 MiB chunks, and reports its own peak RSS, so the
//! memory figure is the verifier's alone.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::peak_rss_bytes;

#[derive(Debug, Clone, Args)]
pub(crate) struct VerifyArgs {
    /// Entries in the generated export.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Bytes of each event's JSON payload (all disclosed in the export).
    #[arg(long, default_value_t = 1024)]
    payload_bytes: usize,
    /// Verify this existing export instead of generating one (needs --trust-key).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The verifier key for --file.
    #[arg(long)]
    trust_key: Option<String>,
    /// Directory for the generated database and export (default: the current directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    /// Keep the generated export (printed with its verifier key) instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// Internal: measure `--file` in this process and print the raw measurement.
    #[arg(long, hide = true)]
    measure_only: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Measurement {
    file_bytes: u64,
    entries: u64,
    sha256_mb_per_second: f64,
    verify_mb_per_second: f64,
    verify_entries_per_second: f64,
    verified: bool,
    reason: String,
    peak_rss_bytes: u64,
}

#[derive(Debug, Serialize)]
struct VerifyReport {
    bench: &'static str,
    payload_bytes: Option<usize>,
    #[serde(flatten)]
    measurement: Measurement,
    /// One-core verification speed as a fraction of raw SHA-256 over the same file.
    ratio_vs_sha256: f64,
    /// The `veritydb-verify export` CLI on the same file, with its default threads.
    cli: Option<CliRun>,
}

#[derive(Debug, Serialize)]
struct CliRun {
    threads: usize,
    mb_per_second: f64,
    entries_per_second: f64,
    ratio_vs_sha256: f64,
    peak_rss_bytes: u64,
    exit_code: i32,
}

const CHUNK_BYTES: usize = 1 << 20;

pub(crate) fn run(args: &VerifyArgs) -> Result<(), String> {
    if args.measure_only {
        let (file, key) = (
            args.file.as_deref().ok_or("--file is required")?,
            args.trust_key.as_deref().ok_or("--trust-key is required")?,
        );
        let m = measure(file, key)?;
        println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
        return Ok(());
    }
    let parent = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let work = tempfile::Builder::new()
        .prefix(".veritydb-bench-")
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a directory in {}: {e}", parent.display()))?;
    let (file, key) = match (&args.file, &args.trust_key) {
        (Some(file), Some(key)) => (file.clone(), key.clone()),
        (Some(_), None) => return Err("--file needs --trust-key".into()),
        _ => generate(work.path(), args)?,
    };
    if args.keep {
        let kept = parent.join("bench.vdbx");
        std::fs::rename(&file, &kept).map_err(|e| e.to_string())?;
        eprintln!("kept {} (verifier key {key})", kept.display());
        return run(&VerifyArgs {
            file: Some(kept),
            trust_key: Some(key),
            keep: false,
            ..args.clone()
        });
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new(exe)
        .args(["bench", "verify", "--measure-only", "--trust-key", &key])
        .arg("--file")
        .arg(&file)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "measuring failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let measurement: Measurement =
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    let cli = run_cli(&file, &key, &measurement)?;
    let report = VerifyReport {
        bench: "verify",
        payload_bytes: args.file.is_none().then_some(args.payload_bytes),
        ratio_vs_sha256: measurement.verify_mb_per_second / measurement.sha256_mb_per_second,
        measurement,
        cli,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        let m = &report.measurement;
        println!(
            "verify: export of {} entries, {:.1} MB; verdict {}",
            m.entries,
            m.file_bytes as f64 / 1e6,
            m.reason
        );
        println!(
            "raw SHA-256 over the file: {:>8.0} MB/s (one core)",
            m.sha256_mb_per_second
        );
        println!(
            "veritydb-verify:           {:>8.0} MB/s, {:.0} entries/s (one core), {:.0}% of SHA-256",
            m.verify_mb_per_second,
            m.verify_entries_per_second,
            report.ratio_vs_sha256 * 100.0
        );
        println!(
            "verifier peak RSS:         {:>8.1} MB",
            m.peak_rss_bytes as f64 / 1e6
        );
        match &report.cli {
            Some(cli) => println!(
                "veritydb-verify CLI:       {:>8.0} MB/s, {:.0} entries/s ({} threads), {:.0}% of SHA-256, peak RSS {:.1} MB, exit {}",
                cli.mb_per_second,
                cli.entries_per_second,
                cli.threads,
                cli.ratio_vs_sha256 * 100.0,
                cli.peak_rss_bytes as f64 / 1e6,
                cli.exit_code
            ),
            None => println!(
                "(build the CLI with `cargo build --release -p veritydb-verify` to time it too)"
            ),
        }
    }
    Ok(())
}

/// Times `veritydb-verify export` (found next to this executable) on the file, polling its
/// peak RSS; `None` if the CLI is not built.
fn run_cli(file: &Path, key: &str, m: &Measurement) -> Result<Option<CliRun>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let cli = exe.with_file_name("veritydb-verify");
    if !cli.exists() {
        return Ok(None);
    }
    let started = Instant::now();
    let mut child = Command::new(&cli)
        .args(["export", "--json", "--trust-key", key])
        .arg(file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_rss_bytes = 0;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_path).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak_rss_bytes = peak_rss_bytes.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    let mb_per_second = m.file_bytes as f64 / seconds / 1e6;
    Ok(Some(CliRun {
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        mb_per_second,
        entries_per_second: m.entries as f64 / seconds,
        ratio_vs_sha256: mb_per_second / m.sha256_mb_per_second,
        peak_rss_bytes,
        exit_code: status.code().unwrap_or(-1),
    }))
}

/// Writes a log of `args.entries` events and exports it whole; returns the file and vkey.
fn generate(dir: &Path, args: &VerifyArgs) -> Result<(PathBuf, String), String> {
    let db = veritydb::Db::open(dir.join("data")).map_err(|e| e.to_string())?;
    let tenant = db.tenant("bench").map_err(|e| e.to_string())?;
    let batch_len = 1000u64;
    let events: Vec<String> = (0..batch_len)
        .map(|i| super::payload(i, args.payload_bytes))
        .collect();
    let mut left = args.entries;
    while left > 0 {
        let n = left.min(batch_len) as usize;
        let batch: Vec<(&str, &str)> = events[..n].iter().map(|e| ("bench", e.as_str())).collect();
        tenant.append_batch(&batch).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    let path = dir.join("bench.vdbx");
    let file = std::io::BufWriter::new(File::create(&path).map_err(|e| e.to_string())?);
    tenant
        .export(file, &veritydb::ExportOptions::default(), |_, _| {})
        .map_err(|e| e.to_string())?;
    Ok((path, tenant.verifier_key()))
}

/// Streams the file through raw SHA-256, then through the verifier.
fn measure(path: &Path, vkey: &str) -> Result<Measurement, String> {
    let keys = veritydb_verify::TrustedKeys::parse([vkey]).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    let started = Instant::now();
    let mut sha = Sha256::new();
    let file_bytes = stream(path, &mut buf, |chunk| sha.update(chunk))?;
    std::hint::black_box(sha.finalize());
    let sha_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut verifier = veritydb_verify::ExportVerifier::new(&keys);
    stream(path, &mut buf, |chunk| verifier.update(chunk))?;
    let report = verifier.finish();
    let verify_seconds = started.elapsed().as_secs_f64();
    Ok(Measurement {
        file_bytes,
        entries: report.entries,
        sha256_mb_per_second: file_bytes as f64 / sha_seconds / 1e6,
        verify_mb_per_second: file_bytes as f64 / verify_seconds / 1e6,
        verify_entries_per_second: report.entries as f64 / verify_seconds,
        verified: report.ok,
        reason: report.reason.name().to_owned(),
        peak_rss_bytes: peak_rss_bytes()?,
    })
}

fn stream(path: &Path, buf: &mut [u8], mut consume: impl FnMut(&[u8])) -> Result<u64, String> {
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut total = 0u64;
    loop {
        let n = file.read(buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(total);
        }
        consume(&buf[..n]);
        total += n as u64;
    }
}
