//! The `veritydb-verify` binary: exit codes 0/1/2, `--json`, stdin, `--trust-keys FILE`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Log, Signer, b64};
use serde_json::Value;

const NODE: &str = "audit.example.com/node1";
const ORIGIN: &str = "audit.example.com/node1/acme";

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_veritydb-verify"))
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().unwrap()
}

fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

struct Fixture {
    dir: tempfile::TempDir,
    vkey: String,
    log: Log,
    signer: Signer,
}

impl Fixture {
    fn new() -> Fixture {
        let signer = Signer::new(ORIGIN, 1);
        let log = Log::with_events(NODE, "acme", 9);
        let dir = tempfile::tempdir().unwrap();
        let fixture = Fixture {
            dir,
            vkey: signer.vkey(),
            log,
            signer,
        };
        fixture.write(
            "good.export",
            &fixture.log.export(0, 9, &[4, 9], &fixture.signer),
        );
        let mut bad = fixture.log.export(0, 9, &[4, 9], &fixture.signer);
        bad.push(0);
        fixture.write("trailing.export", &bad);
        fixture.write(
            "receipt.tlog-proof",
            fixture
                .log
                .receipt(2, 9, &[1], &[&fixture.signer])
                .as_bytes(),
        );
        fixture.write(
            "old.checkpoint",
            fixture
                .log
                .signed_checkpoint(4, &[&fixture.signer])
                .as_bytes(),
        );
        fixture.write(
            "new.checkpoint",
            fixture
                .log
                .signed_checkpoint(9, &[&fixture.signer])
                .as_bytes(),
        );
        fixture.write(
            "keys.txt",
            format!("# acme's node key\n\n{}\n", fixture.vkey).as_bytes(),
        );
        fixture
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

const REPORT_FIELDS: [&str; 15] = [
    "ok",
    "reason",
    "reason_code",
    "position",
    "message",
    "kind",
    "entries",
    "checkpoints",
    "tenants",
    "bytes",
    "range",
    "origin",
    "tree_size",
    "root",
    "keys",
];

#[test]
fn export_exit_codes_and_json() {
    let f = Fixture::new();
    let good = run(&["export", &f.path("good.export"), "--trust-key", &f.vkey]);
    assert_eq!(code(&good), 0, "{}", String::from_utf8_lossy(&good.stderr));
    let stdout = String::from_utf8(good.stdout).unwrap();
    assert!(stdout.starts_with("VERIFIED export"), "{stdout}");

    let report = json(&run(&[
        "export",
        &f.path("good.export"),
        "--trust-key",
        &f.vkey,
        "--json",
    ]));
    for field in REPORT_FIELDS {
        assert!(report.get(field).is_some(), "missing {field}");
    }
    assert_eq!(report["ok"], true);
    assert_eq!(report["entries"], 9);
    assert_eq!(report["kind"], "export");
    assert_eq!(report["root"], b64(&f.log.root(9)));

    let bad = run(&[
        "export",
        &f.path("trailing.export"),
        "--trust-key",
        &f.vkey,
        "--json",
    ]);
    assert_eq!(code(&bad), 1);
    let report = json(&bad);
    assert_eq!(
        (report["reason"].as_str(), report["reason_code"].as_u64()),
        (Some("trailing_data"), Some(21))
    );
    let words = run(&["export", &f.path("trailing.export"), "--trust-key", &f.vkey]);
    assert!(String::from_utf8_lossy(&words.stdout).contains("REJECTED export"));
    assert!(String::from_utf8_lossy(&words.stdout).contains("reason trailing_data, code 21"));
}

#[test]
fn export_reports_are_the_same_for_any_number_of_threads() {
    let f = Fixture::new();
    // Large enough that the CLI splits its batches over threads (it checks batches under 64
    // frames on one thread), once whole and once with a byte flipped in a late entry.
    let events = 2000;
    let big = Log::with_events(NODE, "acme", events);
    let export = big.export(0, events, &[1000, events], &f.signer);
    f.write("big.export", &export);
    let mut tampered = export.clone();
    let at = tampered.len() * 9 / 10;
    tampered[at] ^= 0x01;
    f.write("big-tampered.export", &tampered);
    for file in [
        "good.export",
        "trailing.export",
        "big.export",
        "big-tampered.export",
    ] {
        let reports: Vec<Value> = ["1", "2", "8"]
            .iter()
            .map(|threads| {
                json(&run(&[
                    "export",
                    &f.path(file),
                    "--trust-key",
                    &f.vkey,
                    "--json",
                    "--threads",
                    threads,
                ]))
            })
            .collect();
        assert!(
            reports.windows(2).all(|pair| pair[0] == pair[1]),
            "{file}: {reports:?}"
        );
        let ok = reports[0]["ok"].as_bool();
        assert_eq!(
            ok,
            Some(!file.contains("tampered") && file != "trailing.export"),
            "{file}"
        );
    }
}

#[test]
fn cannot_check_is_exit_two() {
    let f = Fixture::new();
    let missing = run(&["export", &f.path("missing.export"), "--trust-key", &f.vkey]);
    assert_eq!(code(&missing), 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("could not check"));
    let bad_key = run(&[
        "export",
        &f.path("good.export"),
        "--trust-key",
        "example.com/foo+00000000+AA==",
    ]);
    assert_eq!(code(&bad_key), 2);
    assert_eq!(
        code(&run(&["export", &f.path("good.export")])),
        2,
        "no trusted key"
    );
    assert_eq!(code(&run(&["export"])), 2, "usage");
    assert_eq!(code(&run(&["frobnicate"])), 2, "usage");
    let bad_b64 = run(&[
        "inclusion",
        "--leaf-hash",
        "!!",
        "--index",
        "0",
        "--size",
        "1",
        "--root",
        "",
        "--proof",
        "",
    ]);
    assert_eq!(code(&bad_b64), 2);
    assert_eq!(code(&run(&["--help"])), 0);
    for command in [
        "export",
        "receipt",
        "checkpoint",
        "note",
        "checkpoints",
        "inclusion",
        "consistency",
    ] {
        let help = run(&[command, "--help"]);
        assert_eq!(code(&help), 0);
        assert!(help.stdout.len() > 100, "{command} has help text");
    }
}

#[test]
fn stdin_and_key_files() {
    let f = Fixture::new();
    let bytes = std::fs::read(f.path("good.export")).unwrap();
    let output = run_stdin(
        &["export", "-", "--trust-keys", &f.path("keys.txt"), "--json"],
        &bytes,
    );
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json(&output)["bytes"], bytes.len());
    let keys = format!("{}\n", f.vkey);
    let output = run_stdin(
        &[
            "receipt",
            &f.path("receipt.tlog-proof"),
            "--trust-keys",
            "-",
        ],
        keys.as_bytes(),
    );
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn receipts_checkpoints_and_notes() {
    let f = Fixture::new();
    let receipt = run(&[
        "receipt",
        &f.path("receipt.tlog-proof"),
        "--trust-key",
        &f.vkey,
        "--json",
    ]);
    assert_eq!(code(&receipt), 0);
    let report = json(&receipt);
    assert_eq!(report["range"]["from"], 2);
    assert_eq!(report["receipt"]["disclosed"][0]["name"], "event");
    assert_eq!(report["receipt"]["tenant"], "acme");
    let words = String::from_utf8(
        run(&[
            "receipt",
            &f.path("receipt.tlog-proof"),
            "--trust-key",
            &f.vkey,
        ])
        .stdout,
    )
    .unwrap();
    assert!(words.contains("event = "), "{words}");

    let checkpoint = run(&[
        "checkpoint",
        &f.path("new.checkpoint"),
        "--trust-key",
        &f.vkey,
        "--origin",
        ORIGIN,
    ]);
    assert_eq!(code(&checkpoint), 0);
    let other = run(&[
        "checkpoint",
        &f.path("new.checkpoint"),
        "--trust-key",
        &f.vkey,
        "--origin",
        "x/y",
        "--json",
    ]);
    assert_eq!(
        (code(&other), json(&other)["reason"].as_str()),
        (1, Some("origin_mismatch"))
    );
    assert_eq!(
        code(&run(&[
            "note",
            &f.path("new.checkpoint"),
            "--trust-key",
            &f.vkey
        ])),
        0
    );
    let stranger = Signer::new("someone.else", 7).vkey();
    let untrusted = run(&[
        "note",
        &f.path("new.checkpoint"),
        "--trust-key",
        &stranger,
        "--json",
    ]);
    assert_eq!(
        (code(&untrusted), json(&untrusted)["reason"].as_str()),
        (1, Some("untrusted_key"))
    );

    let proof: Vec<String> = f
        .log
        .consistency_proof(4, 9)
        .iter()
        .map(|h| b64(h))
        .collect();
    let proof = proof.join(",");
    let args = [
        "checkpoints",
        &f.path("old.checkpoint"),
        &f.path("new.checkpoint"),
        "--proof",
        &proof,
        "--trust-key",
        &f.vkey,
    ];
    assert_eq!(code(&run(&args)), 0);
    let reversed = [
        "checkpoints",
        &f.path("new.checkpoint"),
        &f.path("old.checkpoint"),
        "--proof",
        &proof,
        "--trust-key",
        &f.vkey,
    ];
    assert_eq!(code(&run(&reversed)), 1);
}

#[test]
fn raw_proofs() {
    let f = Fixture::new();
    let proof: Vec<String> = f.log.inclusion_proof(5, 9).iter().map(|h| b64(h)).collect();
    let (leaf, root) = (b64(&f.log.leaves[5]), b64(&f.log.root(9)));
    let args = |index: &str, proof: &str| {
        run(&[
            "inclusion",
            "--leaf-hash",
            &leaf,
            "--index",
            index,
            "--size",
            "9",
            "--root",
            &root,
            "--proof",
            proof,
            "--json",
        ])
    };
    assert_eq!(code(&args("5", &proof.join(","))), 0);
    let wrong = args("4", &proof.join(","));
    assert_eq!(
        (code(&wrong), json(&wrong)["reason"].as_str()),
        (1, Some("root_mismatch"))
    );
    let short = args("5", &proof[1..].join(","));
    assert_eq!(json(&short)["reason"], "bad_proof");
    let not_a_hash = args("5", "AAAA");
    assert_eq!(json(&not_a_hash)["reason"], "bad_proof");

    let old_root = b64(&f.log.root(4));
    let proof: Vec<String> = f
        .log
        .consistency_proof(4, 9)
        .iter()
        .map(|h| b64(h))
        .collect();
    let consistency = |old_size: &str, proof: &str| {
        run(&[
            "consistency",
            "--old-size",
            old_size,
            "--new-size",
            "9",
            "--old-root",
            &old_root,
            "--new-root",
            &root,
            "--proof",
            proof,
        ])
    };
    assert_eq!(code(&consistency("4", &proof.join(","))), 0);
    assert_eq!(code(&consistency("4", "")), 1);
    assert_eq!(code(&consistency("3", &proof.join(","))), 1);
    let same = run(&[
        "consistency",
        "--old-size",
        "9",
        "--new-size",
        "9",
        "--old-root",
        &root,
        "--new-root",
        &root,
        "--proof",
        "",
    ]);
    assert_eq!(code(&same), 0);
}

#[test]
fn the_binary_reads_large_exports_in_chunks() {
    // More than one 1 MiB read: 3000 entries with 1 KiB values.
    let signer = Signer::new(ORIGIN, 1);
    let mut log = Log::new(NODE, "acme");
    for i in 0..3000u32 {
        log.append(vec![("blob".into(), vec![(i % 251) as u8; 1024])]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.export");
    std::fs::write(&path, log.export(0, 3000, &[1000, 3000], &signer)).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 3 << 20);
    let output = run(&[
        "export",
        Path::new(&path).to_str().unwrap(),
        "--trust-key",
        &signer.vkey(),
        "--json",
    ]);
    assert_eq!(code(&output), 0);
    assert_eq!(json(&output)["entries"], 3000);
}
