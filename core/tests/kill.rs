//! A real process writing to a real directory is killed with SIGKILL in the middle of its
//! writes, several times; after each kill the database reopens and every write the child
//! reported acknowledged is present and intact, the chain and tree verify, and acknowledged
//! checkpoints are there.
//!
//! The child is this test binary re-run with `VERITYDB_KILL_CHILD_DIR` set: four threads
//! append batches to two tenants (two of them submitting each batch before waiting for the
//! previous one) and print one line per acknowledged batch.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use veritydb::entry;
use veritydb::merkle::MemoryTree;
use veritydb::{Db, Options, PendingBatch};

const CHILD_ENV: &str = "VERITYDB_KILL_CHILD_DIR";
const TENANTS: [&str; 2] = ["north", "south"];

fn event(seq: u64, i: u64) -> String {
    format!(
        r#"{{"seq":{seq},"i":{i},"pad":"{}"}}"#,
        "p".repeat((seq % 7 * 30) as usize)
    )
}

/// The child: writes until killed. Not a test on its own (returns at once without the env).
#[test]
fn kill_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = Db::open_with(
        &dir,
        Options::default()
            .preallocate_segments(true)
            .checkpoint_interval_ms(20)
            .segment_bytes_max(256 * 1024),
    )
    .unwrap();
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let base: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let threads: Vec<_> = (0..4u64)
        .map(|k| {
            let db = db.clone();
            let out = Arc::clone(&out);
            std::thread::spawn(move || {
                let tenant = db.tenant(TENANTS[(k % 2) as usize]).unwrap();
                // Threads 2 and 3 keep one batch submitted ahead of the one they wait for.
                let pipelined = k >= 2;
                let mut ahead: Option<(PendingBatch, u64)> = None;
                for n in 0.. {
                    let seq = base + k * 1_000_000_000 + n;
                    let len = 1 + seq % 30;
                    let events: Vec<String> = (0..len).map(|i| event(seq, i)).collect();
                    let refs: Vec<(&str, &str)> =
                        events.iter().map(|e| ("s", e.as_str())).collect();
                    let (range, seq) = if pipelined {
                        let submitted = (tenant.submit_batch(&refs).unwrap(), seq);
                        let Some((pending, seq)) = ahead.replace(submitted) else {
                            continue;
                        };
                        (pending.wait().unwrap(), seq)
                    } else {
                        (tenant.append_batch(&refs).unwrap(), seq)
                    };
                    let mut out = out.lock().unwrap();
                    writeln!(
                        out,
                        "ack {} {} {} {seq}",
                        tenant.name(),
                        range.start,
                        range.end
                    )
                    .unwrap();
                    if n % 10 == 0 {
                        let cp = tenant.checkpoint().unwrap();
                        writeln!(out, "cp {} {} {}", tenant.name(), cp.size, hex(&cp.root))
                            .unwrap();
                    }
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked: BTreeMap<(String, u64), String> = BTreeMap::new();
    let mut checkpoints: Vec<(String, u64, String)> = Vec::new();
    for round in 0..5u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "kill_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(150 + round * 50));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = lines.join().unwrap();
        let acks = lines.iter().filter(|l| l.starts_with("ack ")).count();
        assert!(
            acks > 0,
            "round {round}: the child acknowledged nothing: {lines:?}"
        );
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts[0] {
                "ack" => {
                    let (start, end, seq): (u64, u64, u64) = (
                        parts[2].parse().unwrap(),
                        parts[3].parse().unwrap(),
                        parts[4].parse().unwrap(),
                    );
                    for (i, position) in (start..end).enumerate() {
                        acked.insert((parts[1].to_owned(), position), event(seq, i as u64));
                    }
                }
                "cp" => checkpoints.push((
                    parts[1].to_owned(),
                    parts[2].parse().unwrap(),
                    parts[3].to_owned(),
                )),
                _ => {}
            }
        }
        let started = std::time::Instant::now();
        verify(&Db::open(dir.path()).unwrap(), &acked, &checkpoints, round);
        eprintln!(
            "round {round}: {acks} acks, {} entries acked in total, verify {:?}",
            acked.len(),
            started.elapsed()
        );
    }
}

fn verify(
    db: &Db,
    acked: &BTreeMap<(String, u64), String>,
    checkpoints: &[(String, u64, String)],
    round: u64,
) {
    for name in TENANTS {
        let tenant = db.existing_tenant(name).unwrap();
        let size = tenant.size();
        let mut entries = Vec::new();
        while (entries.len() as u64) < size {
            let at = entries.len() as u64;
            let step = (size - at).min(veritydb::limits::READ_EVENTS_MAX as u64);
            entries.extend(tenant.entries(at, at + step).unwrap());
        }
        let mut chain = entry::CHAIN_GENESIS;
        let mut tree = MemoryTree::new();
        let mut roots = vec![tree.root()];
        for e in &entries {
            chain = entry::chain_hash(&chain, &e.leaf());
            assert_eq!(chain, e.chain, "round {round}: chain broken");
            tree.append(e.leaf());
            roots.push(tree.root());
        }
        for ((tenant_name, position), expected) in
            acked.range((name.to_owned(), 0)..(name.to_owned(), u64::MAX))
        {
            assert_eq!(tenant_name, name);
            let e = entries
                .get(*position as usize)
                .unwrap_or_else(|| panic!("round {round}: {name}#{position} lost"));
            assert_eq!(
                e.field("event").unwrap(),
                expected.as_bytes(),
                "round {round}: {name}#{position} changed"
            );
        }
        let stored = tenant.checkpoints(0, u64::MAX).unwrap();
        for (_, size, root) in checkpoints.iter().filter(|(t, _, _)| t == name) {
            assert_eq!(
                &hex(&roots[*size as usize]),
                root,
                "round {round}: checkpoint {size} of {name}"
            );
            assert!(
                stored.iter().any(|cp| cp.size == *size),
                "round {round}: acknowledged checkpoint {size} lost"
            );
        }
    }
}
