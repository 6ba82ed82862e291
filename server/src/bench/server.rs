//! `veritydb bench server`: the network server end to end on loopback, against PostgreSQL
//! (Debian's server binaries and pgbench) on the same disk in the same run.
//!
//! - writes: C concurrent clients, each with its own connection, each sending one write at a
//!   time and waiting for its durable acknowledgement. Measured three ways: SQL inserts into
//!   one tenant, SQL inserts with one tenant per client, and single-event appends to one
//!   tenant. The target is `C_eff × (1 / fsync latency)` rows/s with `C_eff >= 40`: only group
//!   commit (one fsync for many writers) gets there. PostgreSQL runs the same single-row
//!   inserts with pgbench (`-c C`, synchronous_commit on). A first run sends pings instead of
//!   writes: the most round trips per second C blocking clients get from this machine at all.
//! - point queries: one connection, a prepared `SELECT ... WHERE id = ?` pipelined with many
//!   requests in flight; PostgreSQL runs pgbench in pipeline mode on one connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use veritydb::client::{Client, ClientOptions, Pipeline};
use veritydb::protocol::{Request, Role};
use veritydb::sql::Value;

#[derive(Debug, Clone, Args)]
pub(crate) struct ServerArgs {
    /// Concurrent writing clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds each write test runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Point queries sent on the pipelined connection.
    #[arg(long, default_value_t = 300_000)]
    queries: u64,
    /// Requests in flight on the pipelined connection.
    #[arg(long, default_value_t = 1024)]
    window: u64,
    /// Rows in the table the point queries read.
    #[arg(long, default_value_t = 10_000)]
    rows: u64,
    /// Directory for the temporary data (default: the current directory; avoid tmpfs, where
    /// fsync costs nothing).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Skip the PostgreSQL baseline.
    #[arg(long)]
    no_baseline: bool,
}

#[derive(Debug, Serialize)]
struct WriteRun {
    name: &'static str,
    clients: usize,
    rows: u64,
    seconds: f64,
    rows_per_second: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    /// Mean writes acknowledged per log fsync, from the server's group-commit metric.
    writes_per_fsync: Option<f64>,
    /// Mean duration of the server's log-segment fsyncs during the run (server metric).
    segment_fsync_mean_us: Option<f64>,
    /// rows/s divided by 1/fsync latency: how many writers one fsync served on average.
    fsync_multiple: f64,
}

#[derive(Debug, Serialize)]
struct QueryRun {
    queries: u64,
    window: u64,
    seconds: f64,
    queries_per_second: f64,
}

#[derive(Debug, Serialize)]
struct Postgres {
    version: String,
    insert_rows_per_second: f64,
    insert_fsync_multiple: f64,
    pipelined_point_queries_per_second: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    fsync_p50_us: f64,
    /// The group-commit target: 40 × (1 / fsync latency).
    target_rows_per_second: f64,
    writes: Vec<WriteRun>,
    point_queries: QueryRun,
    point_query_target_per_second: u64,
    postgres: Option<Postgres>,
    postgres_note: Option<String>,
}

pub(crate) fn run(args: &ServerArgs) -> Result<(), String> {
    if args.clients == 0 || args.seconds == 0 || args.window == 0 || args.rows == 0 {
        return Err("--clients, --seconds, --window and --rows must be positive".into());
    }
    let parent = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let work = tempfile::Builder::new()
        .prefix(".veritydb-bench-server-")
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a directory in {}: {e}", parent.display()))?;
    let fsync_p50_us = super::fsync_latency_us(work.path())?;
    let fsyncs_per_second = 1e6 / fsync_p50_us;
    eprintln!(
        "fsync p50 {fsync_p50_us:.0} µs: target {:.0} rows/s",
        40.0 * fsyncs_per_second
    );
    let server = BenchServer::start(work.path(), args.clients)?;
    let admin = server.client(&server.admin_token)?;
    let token = setup(&admin, args.clients)?;
    let mut writes = Vec::new();
    for test in [
        WriteTest::Ping,
        WriteTest::Append,
        WriteTest::SqlTenantPerClient,
        WriteTest::SqlOneTenant,
    ] {
        let run = write_test(&server, &token, test, args, fsyncs_per_second)?;
        eprintln!("{}: {:.0} rows/s", run.name, run.rows_per_second);
        writes.push(run);
    }
    let point_queries = point_queries(&server, &admin, args)?;
    eprintln!(
        "pipelined point queries: {:.0}/s",
        point_queries.queries_per_second
    );
    drop(admin);
    drop(server);
    let (postgres, postgres_note) = match args.no_baseline {
        true => (None, Some("skipped (--no-baseline)".to_owned())),
        false => match postgres_baseline(work.path(), args, fsyncs_per_second) {
            Ok(pg) => (Some(pg), None),
            Err(e) => (None, Some(format!("PostgreSQL baseline not measured: {e}"))),
        },
    };
    let report = Report {
        bench: "server",
        fsync_p50_us,
        target_rows_per_second: 40.0 * fsyncs_per_second,
        writes,
        point_queries,
        point_query_target_per_second: 100_000,
        postgres,
        postgres_note,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The `veritydb serve` process under test.
struct BenchServer {
    child: Child,
    url: String,
    metrics: String,
    admin_token: String,
}

impl BenchServer {
    fn start(dir: &Path, clients: usize) -> Result<BenchServer, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let data = dir.join("veritydb");
        let out = Command::new(&exe)
            .args(["init", "--data"])
            .arg(&data)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "init failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let admin_token = stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("vdb_"))
            .ok_or("init printed no token")?
            .to_owned();
        let workers = (clients * 2).max(128).to_string();
        let mut child = Command::new(&exe)
            .args(["serve", "--data"])
            .arg(&data)
            .args(["--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0"])
            .args(["--log-level", "warn", "--workers", &workers])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
        let url = next().trim_start_matches("listening on ").to_owned();
        let metrics = next()
            .trim_start_matches("metrics on http://")
            .trim_end_matches("/metrics")
            .to_owned();
        Ok(BenchServer {
            child,
            url,
            metrics,
            admin_token,
        })
    }

    fn client(&self, token: &str) -> Result<Client, String> {
        Client::connect(&self.url, ClientOptions::new(token)).map_err(|e| e.to_string())
    }

    /// `(sum, count)` of the group-commit and segment-fsync histograms.
    fn group_commit(&self) -> Option<[f64; 4]> {
        let mut stream = std::net::TcpStream::connect(&self.metrics).ok()?;
        stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
        let mut body = String::new();
        stream.read_to_string(&mut body).ok()?;
        let value = |name: &str| {
            body.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        Some([
            value("veritydb_group_commit_writes_sum ")?,
            value("veritydb_group_commit_writes_count ")?,
            value("veritydb_segment_fsync_seconds_sum ")?,
            value("veritydb_segment_fsync_seconds_count ")?,
        ])
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CREATE_TABLE: &str =
    "CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, client INTEGER, payload TEXT)";
const INSERT: &str = "INSERT INTO bench_rows (id, client, payload) VALUES (?, ?, ?)";

/// Tenants `bench` and `bench0..benchN` with the table; returns a node-wide writer token.
fn setup(admin: &Client, clients: usize) -> Result<String, String> {
    let e = |e: veritydb::client::ClientError| e.to_string();
    for i in 0..=clients {
        let name = tenant_name(i.checked_sub(1));
        admin.create_tenant(&name).map_err(e)?;
        admin
            .tenant(&name)
            .map_err(e)?
            .execute(CREATE_TABLE, &[])
            .map_err(e)?;
    }
    let (_, token) = admin
        .create_token("*", Role::Writer, &[], None, "bench")
        .map_err(e)?;
    Ok(token)
}

fn tenant_name(client: Option<usize>) -> String {
    match client {
        None => "bench".to_owned(),
        Some(i) => format!("bench{i}"),
    }
}

#[derive(Debug, Clone, Copy)]
enum WriteTest {
    /// No write at all: the round-trip ceiling of C blocking clients on this machine.
    Ping,
    SqlOneTenant,
    SqlTenantPerClient,
    Append,
}

fn write_test(
    server: &BenchServer,
    token: &str,
    test: WriteTest,
    args: &ServerArgs,
    fsyncs_per_second: f64,
) -> Result<WriteRun, String> {
    let name = match test {
        WriteTest::SqlOneTenant => "sql_insert_one_tenant",
        WriteTest::SqlTenantPerClient => "sql_insert_tenant_per_client",
        WriteTest::Append => "append_one_event_one_tenant",
        WriteTest::Ping => "ping_round_trips_no_write",
    };
    let stop = Arc::new(AtomicBool::new(false));
    let before = server.group_commit();
    let mut threads = Vec::new();
    for c in 0..args.clients {
        let client = server.client(token)?;
        let stop = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            write_loop(&client, test, c, &stop)
        }));
    }
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(args.seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in threads {
        latencies.extend(t.join().map_err(|_| "a writer panicked")??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = server.group_commit();
    let (writes_per_fsync, segment_fsync_mean_us) = match (before, after) {
        (Some(b), Some(a)) if a[1] > b[1] && a[3] > b[3] => (
            Some((a[0] - b[0]) / (a[1] - b[1])),
            Some((a[2] - b[2]) / (a[3] - b[3]) * 1e6),
        ),
        _ => (None, None),
    };
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let rows = latencies.len() as u64;
    if rows == 0 {
        return Err(format!("{name}: no write completed"));
    }
    let rows_per_second = rows as f64 / seconds;
    Ok(WriteRun {
        name,
        clients: args.clients,
        rows,
        seconds,
        rows_per_second,
        latency_p50_ms: pct(0.5),
        latency_p99_ms: pct(0.99),
        writes_per_fsync,
        segment_fsync_mean_us,
        fsync_multiple: rows_per_second / fsyncs_per_second,
    })
}

/// One client's writes until `stop`; returns each write's latency in milliseconds.
fn write_loop(
    client: &Client,
    test: WriteTest,
    c: usize,
    stop: &AtomicBool,
) -> Result<Vec<f64>, String> {
    let e = |e: veritydb::client::ClientError| e.to_string();
    let tenant = match test {
        WriteTest::SqlTenantPerClient => client.tenant(&tenant_name(Some(c))).map_err(e)?,
        _ => client.tenant("bench").map_err(e)?,
    };
    let insert = tenant.prepare(INSERT).map_err(e)?;
    let payload = "x".repeat(100);
    let event = format!("{{\"client\": {c}, \"payload\": \"{payload}\"}}");
    let mut latencies = Vec::new();
    let mut seq = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        match test {
            WriteTest::Ping => client.ping().map_err(e)?,
            WriteTest::Append => {
                tenant.append("bench", &event).map_err(e)?;
            }
            _ => {
                let id = (c as i64) << 40 | seq;
                insert
                    .execute(&[
                        Value::Integer(id),
                        Value::Integer(c as i64),
                        Value::Text(payload.clone()),
                    ])
                    .map_err(e)?;
            }
        }
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        seq += 1;
    }
    Ok(latencies)
}

fn point_queries(
    server: &BenchServer,
    admin: &Client,
    args: &ServerArgs,
) -> Result<QueryRun, String> {
    let e = |e: veritydb::client::ClientError| e.to_string();
    let t = admin.tenant("bench").map_err(e)?;
    t.execute("CREATE TABLE points (id INTEGER PRIMARY KEY, v TEXT)", &[])
        .map_err(e)?;
    let mut id = 0;
    while id < args.rows {
        let end = (id + 1000).min(args.rows);
        let values: Vec<String> = (id..end).map(|i| format!("({i}, 'value {i}')")).collect();
        t.execute(
            &format!("INSERT INTO points VALUES {}", values.join(",")),
            &[],
        )
        .map_err(e)?;
        id = end;
    }
    let client = server.client(&server.admin_token)?;
    let statement = client
        .tenant("bench")
        .map_err(e)?
        .prepare("SELECT v FROM points WHERE id = ?")
        .map_err(e)?;
    let mut pipeline = client.pipeline().map_err(e)?;
    let sid = pipeline.prepare(&statement).map_err(e)?;
    let started = Instant::now();
    let (mut sent, mut received) = (0u64, 0u64);
    while received < args.queries {
        // Fill the window, then drain half of it: requests leave and arrive in bursts.
        while sent < args.queries && sent - received < args.window {
            let key = (sent * 7919) % args.rows;
            pipeline
                .send(&Request::QueryPrepared {
                    statement: sid,
                    params: vec![Value::Integer(key as i64)],
                    at: None,
                })
                .map_err(e)?;
            sent += 1;
        }
        pipeline.flush().map_err(e)?;
        while received < sent && (sent - received > args.window / 2 || sent == args.queries) {
            let (_, response) = pipeline.recv().map_err(e)?;
            let rows = Pipeline::rows(response.map_err(|w| w.to_string())?).map_err(e)?;
            if rows.len() != 1 {
                return Err(format!("a point query returned {} rows", rows.len()));
            }
            received += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(QueryRun {
        queries: args.queries,
        window: args.window,
        seconds,
        queries_per_second: args.queries as f64 / seconds,
    })
}

/// PostgreSQL from Debian's packages, as user `nobody` (it refuses root), on a unix socket
/// in the work directory, with fsync and synchronous_commit on (the defaults).
fn postgres_baseline(
    work: &Path,
    args: &ServerArgs,
    fsyncs_per_second: f64,
) -> Result<Postgres, String> {
    let bin = postgres_bin()?;
    let pg = work.join("pg");
    std::fs::create_dir_all(&pg).map_err(|e| e.to_string())?;
    let status = Command::new("chmod").arg("755").arg(work).status();
    let owned = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(&pg)
        .status();
    if !matches!((status, owned), (Ok(a), Ok(b)) if a.success() && b.success()) {
        return Err("cannot hand the directory to user nobody".into());
    }
    let as_nobody = |program: &Path| {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(program);
        c
    };
    let data = pg.join("data");
    let out = as_nobody(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "--no-sync"])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let max_connections = (args.clients + 10).to_string();
    let mut postgres = as_nobody(&bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(&pg)
        .args(["-c", "listen_addresses=", "-c", "port=5439"])
        .args(["-c", &format!("max_connections={max_connections}")])
        .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("postgres: {e}"))?;
    let result = postgres_runs(&bin, &pg, args, fsyncs_per_second);
    // runuser does not pass signals on: stop the cluster with pg_ctl, then reap runuser.
    let _ = as_nobody(&bin.join("pg_ctl"))
        .args(["stop", "-m", "fast", "-w", "-D"])
        .arg(&data)
        .stdout(Stdio::null())
        .status();
    let _ = postgres.wait();
    result
}

fn postgres_bin() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no /usr/lib/postgresql (install Debian's postgresql package)")?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("postgres").is_file() && p.join("pgbench").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no PostgreSQL server binaries found".into())
}

fn postgres_runs(
    bin: &Path,
    socket: &Path,
    args: &ServerArgs,
    fsyncs_per_second: f64,
) -> Result<Postgres, String> {
    let host = socket.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Command::new(bin.join("pg_isready"))
        .args(["-h", &host, "-p", "5439", "-q"])
        .status()
        .is_ok_and(|s| s.success())
    {
        if Instant::now() > deadline {
            return Err("PostgreSQL did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let psql = |sql: &str| -> Result<String, String> {
        let out = Command::new(bin.join("psql"))
            .args([
                "-h", &host, "-p", "5439", "-U", "postgres", "-qAt", "-c", sql,
            ])
            .output()
            .map_err(|e| e.to_string())?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    };
    let version = psql("SHOW server_version")?;
    psql("CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, client INTEGER, payload TEXT)")?;
    psql("CREATE TABLE points (id INTEGER PRIMARY KEY, v TEXT)")?;
    psql(&format!(
        "INSERT INTO points SELECT i, 'value ' || i FROM generate_series(0, {}) i",
        args.rows - 1
    ))?;
    let scripts = socket.join("scripts");
    std::fs::create_dir_all(&scripts).map_err(|e| e.to_string())?;
    let insert = scripts.join("insert.sql");
    std::fs::write(
        &insert,
        format!(
            "INSERT INTO bench_rows (client, payload) VALUES (:client_id, '{}');\n",
            "x".repeat(100)
        ),
    )
    .map_err(|e| e.to_string())?;
    let insert_tps = pgbench(bin, &host, &insert, args.clients, args.seconds)?;
    let pipelined = scripts.join("pipeline.sql");
    let mut script = String::from("\\startpipeline\n");
    for i in 0..100 {
        script.push_str(&format!("\\set k{i} random(0, {})\n", args.rows - 1));
        script.push_str(&format!("SELECT v FROM points WHERE id = :k{i};\n"));
    }
    script.push_str("\\endpipeline\n");
    std::fs::write(&pipelined, script).map_err(|e| e.to_string())?;
    let pipeline_tps = pgbench(bin, &host, &pipelined, 1, args.seconds)?;
    Ok(Postgres {
        version,
        insert_rows_per_second: insert_tps,
        insert_fsync_multiple: insert_tps / fsyncs_per_second,
        pipelined_point_queries_per_second: pipeline_tps * 100.0,
    })
}

/// Transactions per second of one pgbench run of `script`.
fn pgbench(
    bin: &Path,
    host: &str,
    script: &Path,
    clients: usize,
    seconds: u64,
) -> Result<f64, String> {
    let out = Command::new(bin.join("pgbench"))
        .args([
            "-h", host, "-p", "5439", "-U", "postgres", "-n", "-M", "prepared",
        ])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
        ])
        .arg("-f")
        .arg(script)
        .arg("postgres")
        .output()
        .map_err(|e| format!("pgbench: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            format!(
                "pgbench printed no tps: {}{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            )
        })
}
