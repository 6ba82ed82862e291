//! `veritydb bench`: end-to-end measurements a user can run on their own hardware, each next
//! to a baseline measured in the same run (like `pgbench` or `tigerbeetle benchmark`).
//!
//! `bench append` appends JSON events of a fixed size in atomic batches, each batch durable
//! (fsynced) before the next, and does the same with SQLite (WAL, `synchronous=FULL`, one
//! transaction per batch) on the same rows. `--in-flight N` adds a run that keeps N batches
//! submitted (`Tenant::submit_batch`) so the next is encoded while one is synced. `--scaling`
//! repeats the VerityDB run at growing log sizes, each in a fresh process that warms up on a
//! scratch database first, to show that the CPU cost per entry and the memory stay flat as the
//! log grows.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde::Serialize;

mod server;
mod verify;

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Durable batched appends, against SQLite inserting the same rows in the same batches.
    Append(AppendArgs),
    /// Independent verification of an export written by core, against raw SHA-256 over the
    /// same file.
    Verify(verify::VerifyArgs),
    /// The network server on loopback: concurrent durable single-row writes (group commit)
    /// and pipelined point queries, against PostgreSQL with pgbench in the same run.
    Server(server::ServerArgs),
}

#[derive(Debug, Clone, Args)]
pub(crate) struct AppendArgs {
    /// Entries to append.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Entries per atomic, durable batch.
    #[arg(long, default_value_t = 1000)]
    batch: u64,
    /// Bytes of each event's JSON payload.
    #[arg(long, default_value_t = 200)]
    payload_bytes: usize,
    /// Directory for the temporary databases (default: the current directory; avoid tmpfs,
    /// where fsync costs nothing).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Skip the SQLite baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Prepare the next segment in the background (Options::preallocate_segments).
    #[arg(long)]
    preallocate: bool,
    /// Append with buffered writes through the page cache instead of direct I/O
    /// (Options::direct_io(false)).
    #[arg(long)]
    buffered_io: bool,
    /// Segment size in MiB (Options::segment_bytes_max; default the largest, 256).
    #[arg(long, default_value_t = 256)]
    segment_mib: u64,
    /// Run VerityDB at 10^4, 10^5, 10^6 and 10^7 entries, each size several times, each run in
    /// a fresh process, and report each size's lowest and median CPU per entry and peak
    /// memory.
    #[arg(long)]
    scaling: bool,
    /// Batches in flight in the second VerityDB run: the writer submits a batch
    /// (Tenant::submit_batch), encodes the next while it is written and synced, and waits for
    /// each before it has more than this many in flight. Every batch is still durable before
    /// it is acknowledged. 1 skips that run.
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Before measuring, append this many entries to a scratch database in the same process
    /// (not measured), so the process's one-time costs (thread pool start, allocator growth)
    /// are not charged to the measured log. `--scaling` uses 10,000.
    #[arg(long, default_value_t = 0)]
    warm_up_entries: u64,
}

/// One measured run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Run {
    entries: u64,
    seconds: f64,
    entries_per_second: f64,
    payload_mb_per_second: f64,
    cpu_seconds: f64,
    cpu_ns_per_entry: f64,
    /// The part of `cpu_ns_per_entry` spent in the kernel (writes, fsync, page cache).
    system_cpu_ns_per_entry: f64,
    peak_rss_bytes: u64,
}

#[derive(Debug, Serialize)]
struct AppendReport {
    bench: &'static str,
    entries: u64,
    batch: u64,
    payload_bytes: usize,
    fsync_p50_us: f64,
    /// One batch at a time: append, wait until durable, append the next.
    veritydb: Run,
    /// `in_flight` batches at a time (`--in-flight`), each durable before it is acknowledged.
    veritydb_pipelined: Option<Run>,
    in_flight: usize,
    sqlite: Option<Run>,
    /// VerityDB entries/s (one batch at a time) divided by SQLite rows/s.
    ratio_vs_sqlite: Option<f64>,
    /// Pipelined VerityDB entries/s divided by SQLite rows/s.
    pipelined_ratio_vs_sqlite: Option<f64>,
}

pub(crate) fn run(command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::Append(args) if args.scaling => scaling(&args),
        BenchCommand::Append(args) => append(&args),
        BenchCommand::Verify(args) => verify::run(&args),
        BenchCommand::Server(args) => server::run(&args),
    }
}

fn append(args: &AppendArgs) -> Result<(), String> {
    if args.batch == 0 || args.entries == 0 || args.payload_bytes < 16 {
        return Err(
            "--entries and --batch must be positive and --payload-bytes at least 16".into(),
        );
    }
    let parent = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let work = tempfile::Builder::new()
        .prefix(".veritydb-bench-")
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a directory in {}: {e}", parent.display()))?;
    let fsync_p50_us = fsync_latency_us(work.path())?;
    let events: Vec<String> = (0..args.batch)
        .map(|i| payload(i, args.payload_bytes))
        .collect();
    if args.warm_up_entries > 0 {
        // Process-wide one-time costs (starting the thread pool, growing the allocator's
        // arenas) go to a scratch database, not to the measured log.
        let warm_up = AppendArgs {
            entries: args.warm_up_entries,
            ..args.clone()
        };
        append_veritydb(&work.path().join("warm-up"), &warm_up, &events, 1)?;
        fs::remove_dir_all(work.path().join("warm-up")).map_err(|e| e.to_string())?;
        // Reset the peak-memory mark, so the measured run's peak is its own. Where the kernel
        // refuses, the peak may be the warm-up's (it appends no more than the run does).
        let _ = fs::write("/proc/self/clear_refs", "5");
    }
    let veritydb = append_veritydb(&work.path().join("veritydb"), args, &events, 1)?;
    let veritydb_pipelined = match args.in_flight {
        0 | 1 => None,
        n => Some(append_veritydb(
            &work.path().join("veritydb-pipelined"),
            args,
            &events,
            n,
        )?),
    };
    let sqlite = match args.no_baseline {
        true => None,
        false => Some(append_sqlite(
            &work.path().join("sqlite.db"),
            args,
            &events,
        )?),
    };
    let ratio = |run: &Run| {
        sqlite
            .as_ref()
            .map(|s| run.entries_per_second / s.entries_per_second)
    };
    let ratio_vs_sqlite = ratio(&veritydb);
    let pipelined_ratio_vs_sqlite = veritydb_pipelined.as_ref().and_then(ratio);
    let report = AppendReport {
        bench: "append",
        entries: args.entries,
        batch: args.batch,
        payload_bytes: args.payload_bytes,
        fsync_p50_us,
        veritydb,
        veritydb_pipelined,
        in_flight: args.in_flight,
        sqlite,
        ratio_vs_sqlite,
        pipelined_ratio_vs_sqlite,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &AppendReport) {
    println!(
        "append: {} entries of {} bytes in batches of {} (fsync p50 {:.0} µs on this disk)",
        r.entries, r.payload_bytes, r.batch, r.fsync_p50_us
    );
    println!(
        "{:<22} {:>14} {:>10} {:>12} {:>12} {:>12}",
        "system", "entries/s", "MB/s", "CPU ns/entry", "of it kernel", "peak RSS MB"
    );
    let row = |name: &str, run: &Run| {
        println!(
            "{:<22} {:>14.0} {:>10.1} {:>12.0} {:>12.0} {:>12.1}",
            name,
            run.entries_per_second,
            run.payload_mb_per_second,
            run.cpu_ns_per_entry,
            run.system_cpu_ns_per_entry,
            run.peak_rss_bytes as f64 / 1e6
        );
    };
    let pipelined = format!("veritydb {} in flight", r.in_flight);
    row("veritydb", &r.veritydb);
    if let Some(run) = &r.veritydb_pipelined {
        row(&pipelined, run);
    }
    if let Some(sqlite) = &r.sqlite {
        row("sqlite", sqlite);
    }
    if let Some(ratio) = r.ratio_vs_sqlite {
        println!("veritydb / sqlite = {ratio:.2}");
    }
    if let Some(ratio) = r.pipelined_ratio_vs_sqlite {
        println!("{pipelined} / sqlite = {ratio:.2}");
    }
}

/// Runs `body` (the appends, after the database is open) and measures wall time, process CPU
/// time and peak RSS.
fn measure(args: &AppendArgs, body: impl FnOnce() -> Result<(), String>) -> Result<Run, String> {
    let (user_before, system_before) = process_cpu_seconds()?;
    let started = Instant::now();
    body()?;
    let seconds = started.elapsed().as_secs_f64();
    let (user_after, system_after) = process_cpu_seconds()?;
    let system_seconds = system_after - system_before;
    let cpu_seconds = user_after - user_before + system_seconds;
    let entries = args.entries as f64;
    Ok(Run {
        entries: args.entries,
        seconds,
        entries_per_second: entries / seconds,
        payload_mb_per_second: entries * args.payload_bytes as f64 / seconds / 1e6,
        cpu_seconds,
        cpu_ns_per_entry: cpu_seconds * 1e9 / entries,
        system_cpu_ns_per_entry: system_seconds * 1e9 / entries,
        peak_rss_bytes: peak_rss_bytes()?,
    })
}

fn append_veritydb(
    dir: &Path,
    args: &AppendArgs,
    events: &[String],
    in_flight: usize,
) -> Result<Run, String> {
    let options = veritydb::Options::default()
        .preallocate_segments(args.preallocate)
        .direct_io(!args.buffered_io)
        .segment_bytes_max(args.segment_mib.saturating_mul(1024 * 1024));
    let db = veritydb::Db::open_with(dir, options).map_err(|e| e.to_string())?;
    let tenant = db.tenant("bench").map_err(|e| e.to_string())?;
    let error = |e: veritydb::error::WriteError| e.to_string();
    measure(args, || {
        let mut pending = std::collections::VecDeque::with_capacity(in_flight);
        let mut left = args.entries;
        while left > 0 {
            let n = left.min(args.batch) as usize;
            let batch: Vec<(&str, &str)> =
                events[..n].iter().map(|e| ("bench", e.as_str())).collect();
            if in_flight <= 1 {
                tenant.append_batch(&batch).map_err(error)?;
            } else {
                if pending.len() == in_flight {
                    pending
                        .pop_front()
                        .map_or(Ok(0..0), veritydb::PendingBatch::wait)
                        .map_err(error)?;
                }
                pending.push_back(tenant.submit_batch(&batch).map_err(error)?);
            }
            left -= n as u64;
        }
        pending
            .into_iter()
            .try_for_each(|p| p.wait().map(drop))
            .map_err(error)
    })
}

fn append_sqlite(path: &Path, args: &AppendArgs, events: &[String]) -> Result<Run, String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let mut conn = rusqlite::Connection::open(path).map_err(sql)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    conn.execute("CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, event TEXT NOT NULL)", [])
        .map_err(sql)?;
    measure(args, || {
        let mut left = args.entries;
        while left > 0 {
            let n = left.min(args.batch) as usize;
            let tx = conn.transaction().map_err(sql)?;
            {
                let mut insert = tx
                    .prepare_cached("INSERT INTO events (stream, event) VALUES (?1, ?2)")
                    .map_err(sql)?;
                for e in &events[..n] {
                    insert.execute(("bench", e.as_str())).map_err(sql)?;
                }
            }
            tx.commit().map_err(sql)?;
            left -= n as u64;
        }
        Ok(())
    })
}

/// A JSON object of exactly `bytes` bytes.
pub(crate) fn payload(i: u64, bytes: usize) -> String {
    let head = format!(r#"{{"i":{i},"pad":""#);
    let pad = bytes.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// The median latency of a 4 KiB write followed by `fdatasync` in `dir`.
pub(crate) fn fsync_latency_us(dir: &Path) -> Result<f64, String> {
    let path = dir.join("fsync-probe");
    let mut file = fs::File::create(&path).map_err(|e| e.to_string())?;
    let block = [0u8; 4096];
    let mut samples = Vec::with_capacity(100);
    for _ in 0..100 {
        let started = Instant::now();
        file.write_all(&block).map_err(|e| e.to_string())?;
        file.sync_data().map_err(|e| e.to_string())?;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    fs::remove_file(&path).map_err(|e| e.to_string())?;
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}

/// User and system CPU time of this process, in microseconds of resolution (getrusage; the
/// clock ticks of /proc/self/stat are too coarse for short runs).
fn process_cpu_seconds() -> Result<(f64, f64), String> {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike as _;
    let usage = getrusage(UsageWho::RUSAGE_SELF).map_err(|e| format!("getrusage: {e}"))?;
    let seconds = |t: nix::sys::time::TimeVal| t.num_microseconds() as f64 / 1e6;
    Ok((seconds(usage.user_time()), seconds(usage.system_time())))
}

/// Peak resident memory of this process (VmHWM), from /proc/self/status.
pub(crate) fn peak_rss_bytes() -> Result<u64, String> {
    let status = fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("reading /proc/self/status: {e}"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(kib * 1024)
}

#[derive(Debug, Serialize)]
struct ScalingReport {
    bench: &'static str,
    batch: u64,
    payload_bytes: usize,
    sizes: Vec<ScalingSize>,
    /// Largest lowest-of-the-runs CPU-per-entry divided by the smallest: the flatness figure.
    /// A busy neighbour on the host only ever adds CPU time to a run, so each size's least
    /// disturbed run is the best estimate of its own cost.
    cpu_per_entry_spread: f64,
    /// The same over the medians (also moved by the host's drift during the run).
    median_cpu_per_entry_spread: f64,
}

/// One log size: every run of it, and the median run by CPU per entry.
#[derive(Debug, Serialize)]
struct ScalingSize {
    entries: u64,
    median: Run,
    cpu_ns_per_entry_min: f64,
    cpu_ns_per_entry_max: f64,
    runs: Vec<Run>,
}

/// The log sizes of `--scaling`, each with how many fresh processes measure it. A run of 10^4
/// entries lasts about 15 ms, where one scheduler hiccup or page-cache flush moves the result
/// by 20%, and this machine kind's speed drifts by as much over a minute; every size is
/// therefore run several times and its lowest and median runs reported.
/// Each count is odd, so the median is one of the runs.
const SCALING_SIZES: [(u64, usize); 4] =
    [(10_000, 9), (100_000, 5), (1_000_000, 3), (10_000_000, 3)];
const _: () = {
    let mut i = 0;
    while i < SCALING_SIZES.len() {
        assert!(
            SCALING_SIZES[i].1 % 2 == 1,
            "an odd number of runs per size"
        );
        i += 1;
    }
};

/// What each `--scaling` process appends to a scratch database before it measures: without it
/// the 10^4 run, ten batches, also pays for starting the thread pool (measured here: 1.66-2.01
/// µs/entry cold against 1.54-1.60 warm, 8 runs each).
const SCALING_WARM_UP_ENTRIES: u64 = 10_000;

fn scaling(args: &AppendArgs) -> Result<(), String> {
    // Each size's runs are spread evenly over the rounds, so that a drift in the machine's
    // speed during the minutes this takes (a virtual machine's neighbours) touches every size
    // alike.
    let rounds = SCALING_SIZES.iter().map(|(_, r)| *r).max().unwrap_or(1);
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); SCALING_SIZES.len()];
    for round in 0..rounds {
        for (i, (entries, repeats)) in SCALING_SIZES.iter().enumerate() {
            if (round + 1) * repeats / rounds == round * repeats / rounds {
                continue;
            }
            if !args.json {
                eprintln!(
                    "scaling: {entries} entries, run {} of {repeats}",
                    runs[i].len() + 1
                );
            }
            runs[i].push(scaling_run(args, *entries)?);
        }
    }
    let sizes: Vec<ScalingSize> = SCALING_SIZES
        .iter()
        .zip(runs)
        .map(|((entries, _), mut runs)| {
            runs.sort_by(|a, b| a.cpu_ns_per_entry.total_cmp(&b.cpu_ns_per_entry));
            ScalingSize {
                entries: *entries,
                median: runs[runs.len() / 2].clone(),
                cpu_ns_per_entry_min: runs[0].cpu_ns_per_entry,
                cpu_ns_per_entry_max: runs[runs.len() - 1].cpu_ns_per_entry,
                runs,
            }
        })
        .collect();
    let spread = |cost: fn(&ScalingSize) -> f64| {
        let costs = sizes.iter().map(cost);
        costs.clone().fold(f64::MIN, f64::max) / costs.fold(f64::MAX, f64::min)
    };
    let min_spread = spread(|s| s.cpu_ns_per_entry_min);
    let median_spread = spread(|s| s.median.cpu_ns_per_entry);
    let report = ScalingReport {
        bench: "append-scaling",
        batch: args.batch,
        payload_bytes: args.payload_bytes,
        sizes,
        cpu_per_entry_spread: min_spread,
        median_cpu_per_entry_spread: median_spread,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print_scaling(&report);
    }
    Ok(())
}

fn print_scaling(report: &ScalingReport) {
    println!(
        "{:>12} {:>5} {:>14} {:>12} {:>14} {:>12} {:>12}",
        "entries", "runs", "entries/s", "CPU ns/entry", "(min-max)", "of it kernel", "peak RSS MB"
    );
    for s in &report.sizes {
        let r = &s.median;
        println!(
            "{:>12} {:>5} {:>14.0} {:>12.0} {:>14} {:>12.0} {:>12.1}",
            r.entries,
            s.runs.len(),
            r.entries_per_second,
            r.cpu_ns_per_entry,
            format!(
                "({:.0}-{:.0})",
                s.cpu_ns_per_entry_min, s.cpu_ns_per_entry_max
            ),
            r.system_cpu_ns_per_entry,
            r.peak_rss_bytes as f64 / 1e6
        );
    }
    println!(
        "CPU per entry, largest / smallest: {:.2} over each size's lowest run, {:.2} over the medians",
        report.cpu_per_entry_spread, report.median_cpu_per_entry_spread
    );
}

/// Appends `entries` in a fresh process (so every run starts from an empty log and the peak
/// memory is that run's own) and returns its measurement.
fn scaling_run(args: &AppendArgs, entries: u64) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(&exe);
    command.args([
        "bench",
        "append",
        "--json",
        "--no-baseline",
        "--in-flight",
        "1",
        "--entries",
        &entries.to_string(),
        "--warm-up-entries",
        &SCALING_WARM_UP_ENTRIES.to_string(),
    ]);
    command.args([
        "--batch",
        &args.batch.to_string(),
        "--payload-bytes",
        &args.payload_bytes.to_string(),
        "--segment-mib",
        &args.segment_mib.to_string(),
    ]);
    if args.preallocate {
        command.arg("--preallocate");
    }
    if args.buffered_io {
        command.arg("--buffered-io");
    }
    if let Some(dir) = &args.dir {
        command.arg("--dir").arg(dir);
    }
    let output = command.output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "run of {entries} entries failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    serde_json::from_value(report["veritydb"].clone()).map_err(|e| e.to_string())
}
