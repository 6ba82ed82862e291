//! Durability under fault: many concurrent writers (event appends and SQL inserts) against the
//! real server, SIGKILL mid-load, restart, then every write a client saw acknowledged must be
//! there, at the position it was acknowledged with, and an export of the log must verify with
//! the independent verifier (`veritydb-verify`, the CLI when built, and its library).
//! Loopback only; bounded to a few seconds of load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestServer;
use veritydb::ExportOptions;
use veritydb::protocol::Role;
use veritydb::sql::Value;

const EVENT_WRITERS: usize = 12;
const SQL_WRITERS: usize = 4;
const LOAD_MS: u64 = 1500;

/// The CLI `veritydb-verify` next to this test's target directory, if it was built.
fn verifier_cli() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let cli = dir.join("veritydb-verify");
    cli.is_file().then_some(cli)
}

#[test]
fn acknowledged_writes_survive_sigkill_and_the_log_verifies() {
    let mut server = TestServer::start();
    let admin = server.admin();
    admin.create_tenant("load").unwrap();
    let tenant = admin.tenant("load").unwrap();
    tenant
        .execute(
            "CREATE TABLE rows (writer INTEGER, seq INTEGER, PRIMARY KEY (writer, seq))",
            &[],
        )
        .unwrap();
    let (_, token) = admin
        .create_token("load", Role::Writer, &[], None, "load")
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(Mutex::new(Vec::<(u64, usize, u64)>::new()));
    let rows = Arc::new(Mutex::new(Vec::<(usize, u64)>::new()));
    let mut threads = Vec::new();
    for w in 0..EVENT_WRITERS + SQL_WRITERS {
        let client = server.client(&token);
        let (stop, events, rows) = (Arc::clone(&stop), Arc::clone(&events), Arc::clone(&rows));
        threads.push(std::thread::spawn(move || {
            let t = client.tenant("load").unwrap();
            for seq in 0u64.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                if w < EVENT_WRITERS {
                    let event = format!("{{\"writer\": {w}, \"seq\": {seq}}}");
                    match t.append("load", &event) {
                        Ok(p) => events.lock().unwrap().push((p, w, seq)),
                        Err(_) => return,
                    }
                } else {
                    let params = [Value::Integer(w as i64), Value::Integer(seq as i64)];
                    match t.execute("INSERT INTO rows VALUES (?, ?)", &params) {
                        Ok(_) => rows.lock().unwrap().push((w, seq)),
                        Err(_) => return,
                    }
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(LOAD_MS));
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(30);
    for t in threads {
        assert!(Instant::now() < deadline);
        t.join().unwrap();
    }
    let events = events.lock().unwrap().clone();
    let rows = rows.lock().unwrap().clone();
    assert!(
        events.len() > 100,
        "only {} events acknowledged",
        events.len()
    );
    assert!(rows.len() > 10, "only {} rows acknowledged", rows.len());

    server.spawn();
    let admin = server.admin();
    let tenant = admin.tenant("load").unwrap();
    let size = tenant.size().unwrap();
    let mut found = std::collections::HashMap::new();
    let mut at = 0;
    while at < size {
        let page = tenant.read("load", at, size).unwrap();
        let Some(last) = page.last() else { break };
        at = last.position + 1;
        for e in page {
            found.insert(e.position, e.data);
        }
    }
    for (position, w, seq) in &events {
        let expected = format!("{{\"writer\": {w}, \"seq\": {seq}}}");
        assert_eq!(
            found.get(position),
            Some(&expected),
            "acknowledged event lost at {position}"
        );
    }
    let stored = tenant
        .query("SELECT writer, seq FROM rows", &[])
        .unwrap()
        .rows;
    let stored: std::collections::HashSet<(i64, i64)> = stored
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (Value::Integer(w), Value::Integer(s)) => (*w, *s),
            other => panic!("{other:?}"),
        })
        .collect();
    for (w, seq) in &rows {
        assert!(
            stored.contains(&(*w as i64, *seq as i64)),
            "acknowledged row {w}/{seq} lost"
        );
    }

    // The whole log, exported through the server, verifies independently.
    let vkey = tenant.verifier_key().unwrap();
    let path = server.dir.path().join("load.export");
    let file = std::fs::File::create(&path).unwrap();
    let summary = tenant
        .export(file, &ExportOptions::default(), |_, _| {})
        .unwrap();
    assert_eq!(summary.to, size);
    let keys = veritydb_verify::TrustedKeys::parse_lines(&vkey).unwrap();
    let report = veritydb_verify::verify_export(&std::fs::read(&path).unwrap(), &keys);
    assert!(report.ok, "{}", report.message);
    match verifier_cli() {
        Some(cli) => {
            let out = std::process::Command::new(cli)
                .arg("export")
                .arg(&path)
                .args(["--trust-key", &vkey])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        None => eprintln!(
            "veritydb-verify CLI not built (cargo build -p veritydb-verify); checked with its library only"
        ),
    }
    eprintln!(
        "{} events and {} rows acknowledged before SIGKILL, all present after restart; log of {size} entries verified",
        events.len(),
        rows.len()
    );
}
