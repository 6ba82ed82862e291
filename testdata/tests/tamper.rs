//! Core against the independent verifier.
//!
//! Differential: random logs written by core — whole exports, random slices, receipts with
//! random disclosures — always verify.
//!
//! Tampering: thousands of seeded mutations of those files — bit flips in every region, frames
//! dropped, duplicated or swapped, truncation, splices from other exports — are never
//! accepted, and byte flips are rejected with a reason that fits the region they hit.
//! `VERITYDB_TAMPER_LOGS` sets the number of random logs (default 48).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

use veritydb::env::{SeededSalts, SteppingClock};
use veritydb::storage::MemoryStorage;
use veritydb::{Db, ExportOptions, NodeKey, Options, Tenant};
use veritydb_testdata::frames;
use veritydb_verify::{
    ExportVerifier, Reason, Report, SequentialChecker, TrustedKeys, verify_receipt,
};

/// Verifies an export twice — plainly in one piece, and through the batching path in
/// chunks of a varying size — and insists on identical reports.
fn verify_export(bytes: &[u8], keys: &TrustedKeys) -> Report {
    let plain = veritydb_verify::verify_export(bytes, keys);
    let mut batched =
        ExportVerifier::with_entry_checker(keys, std::sync::Arc::new(SequentialChecker));
    let chunk = 1 + bytes.len() % 4099;
    for part in bytes.chunks(chunk) {
        batched.update(part);
    }
    let batched = batched.finish();
    assert_eq!(
        plain.to_json(),
        batched.to_json(),
        "the batching path disagrees with the plain verifier"
    );
    plain
}

/// A seeded generator for schedules (not for anything secret).
struct Rng(ChaCha8Rng);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

/// A random log: 1..120 entries in random batches, random payload sizes, random checkpoints.
fn random_log(seed: u64, rng: &mut Rng) -> (Db, Tenant) {
    let options = Options::default()
        .node_name("tamper.example")
        .node_key(NodeKey::from_seed(&[seed as u8; 32]))
        .clock(Arc::new(SteppingClock::new(
            1_700_000_000_000_000 + seed,
            rng.below(3),
        )))
        .salts(Arc::new(SeededSalts::insecure_from_seed(seed)))
        .background_checkpoints(false);
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options).unwrap();
    let tenant = db.tenant("t").unwrap();
    let size = 1 + rng.below(120);
    while tenant.size() < size {
        let n = 1 + rng.below(10.min(size - tenant.size()));
        let events: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"i":{i},"data":"{}"}}"#, "d".repeat(rng.index(300))))
            .collect();
        let batch: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (if rng.below(2) == 0 { "a" } else { "b" }, e.as_str()))
            .collect();
        tenant.append_batch(&batch).unwrap();
        if rng.below(4) == 0 {
            tenant.checkpoint().unwrap();
        }
    }
    (db, tenant)
}

fn region_reasons(kind: u8) -> &'static [Reason] {
    use Reason::*;
    match kind {
        1 => &[
            MalformedFrame,
            MalformedEntry,
            TenantMismatch,
            ChainBreak,
            RootMismatch,
            OriginMismatch,
            MissingEntries,
            PositionGap,
            Uncovered,
            MisplacedCheckpoint,
            BadProof,
            Truncated,
            LimitExceeded,
        ],
        2 => &[
            MalformedEntry,
            UnsupportedVersion,
            CommitmentMismatch,
            LeafMismatch,
            ChainBreak,
            PositionGap,
            TimestampRegression,
            TenantMismatch,
        ],
        3 => &[
            MalformedFrame,
            MalformedNote,
            BadSignature,
            UntrustedKey,
            OriginMismatch,
            RootMismatch,
            InconsistentCheckpoints,
            MisplacedCheckpoint,
            BadProof,
            LimitExceeded,
        ],
        4 => &[MalformedFrame, ChainBreak, MissingEntries],
        _ => unreachable!("frame kinds are 1 to 4"),
    }
}

#[derive(Default)]
struct Tally {
    mutations: u64,
    reasons: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn rejected(&mut self, what: &str, reason: Reason, allowed: Option<&[Reason]>) {
        assert!(reason != Reason::Ok, "{what}: a tampered file was accepted");
        if let Some(allowed) = allowed {
            assert!(
                allowed.contains(&reason),
                "{what}: rejected with {}, expected one of {allowed:?}",
                reason.name()
            );
        }
        self.mutations += 1;
        *self.reasons.entry(reason.name()).or_default() += 1;
    }
}

fn tamper_export(
    export: &[u8],
    other: &[u8],
    keys: &TrustedKeys,
    rng: &mut Rng,
    tally: &mut Tally,
    label: &str,
) {
    let frames = frames(export);
    for _ in 0..60 {
        // A bit flip in a random frame body, checked against that frame's reasons.
        let f = &frames[rng.index(frames.len())];
        if !f.body.is_empty() {
            let at = f.body.start + rng.index(f.body.len());
            let mut bad = export.to_vec();
            bad[at] ^= 1 << rng.below(8);
            tally.rejected(
                &format!("{label}: flip at {at} in a type-{} frame", f.kind),
                verify_export(&bad, keys).reason,
                Some(region_reasons(f.kind)),
            );
        }
    }
    for _ in 0..30 {
        let mut bad = export.to_vec();
        let what = match rng.below(7) {
            0 => {
                let at = rng.index(bad.len());
                bad[at] ^= 1 << rng.below(8);
                "a flip anywhere"
            }
            1 => {
                bad.truncate(rng.index(export.len()));
                let report = verify_export(&bad, keys);
                tally.rejected(
                    &format!("{label}: truncated to {}", bad.len()),
                    report.reason,
                    Some(&[Reason::Truncated]),
                );
                continue;
            }
            2 => {
                // Any frame but an intermediate checkpoint: without one, the entries are still
                // exactly those covered by the remaining signed checkpoints, so nothing proven
                // changes (export.md: a verifier cannot know which checkpoints were signed).
                let last_checkpoint = frames.iter().rposition(|f| f.kind == 3);
                let droppable: Vec<usize> = (1..frames.len())
                    .filter(|&i| frames[i].kind != 3 || Some(i) == last_checkpoint)
                    .collect();
                let f = &frames[droppable[rng.index(droppable.len())]];
                bad.drain(f.start..f.body.end);
                "a frame dropped"
            }
            3 => {
                let f = &frames[1 + rng.index(frames.len() - 2)];
                let copy = export[f.start..f.body.end].to_vec();
                bad.splice(f.body.end..f.body.end, copy);
                "a frame duplicated"
            }
            4 => {
                let i = 1 + rng.index(frames.len() - 2);
                let (a, b) = (&frames[i], &frames[i + 1]);
                let mut swapped = export[b.start..b.body.end].to_vec();
                swapped.extend_from_slice(&export[a.start..a.body.end]);
                bad.splice(a.start..b.body.end, swapped);
                "two frames swapped"
            }
            5 => {
                let start = rng.index(bad.len());
                let len = 1 + rng.index(64.min(bad.len() - start));
                bad.drain(start..start + len);
                "bytes dropped"
            }
            _ => {
                let at = rng.index(bad.len());
                let from = rng.index(other.len());
                let len = 1 + rng.index(200.min(other.len() - from));
                bad.splice(at..at, other[from..from + len].iter().copied());
                "bytes of another export spliced in"
            }
        };
        if bad != export {
            tally.rejected(
                &format!("{label}: {what}"),
                verify_export(&bad, keys).reason,
                None,
            );
        }
    }
}

fn tamper_receipt(
    receipt: &str,
    keys: &TrustedKeys,
    rng: &mut Rng,
    tally: &mut Tally,
    label: &str,
) {
    use Reason::*;
    let lines: Vec<&str> = receipt.split_inclusive('\n').collect();
    let blank = lines.iter().position(|l| *l == "\n").unwrap();
    for _ in 0..40 {
        let i = rng.index(lines.len());
        let allowed: &[Reason] = match i {
            0 => &[MalformedReceipt],
            1 => &[
                MalformedReceipt,
                UnsupportedVersion,
                MalformedEntry,
                CommitmentMismatch,
                LeafMismatch,
                TenantMismatch,
                IndexMismatch,
            ],
            2 => &[MalformedReceipt, IndexMismatch, BadProof],
            i if i < blank => &[MalformedReceipt, RootMismatch, BadProof],
            i if i == blank => &[MalformedReceipt],
            _ => &[MalformedNote, BadSignature, UntrustedKey, MalformedReceipt],
        };
        let line = lines[i].as_bytes();
        let at = rng.index(line.len());
        let mut bad_line = line.to_vec();
        bad_line[at] ^= 1 << rng.below(7);
        let mut bad = Vec::new();
        for (j, l) in lines.iter().enumerate() {
            bad.extend_from_slice(if j == i { &bad_line } else { l.as_bytes() });
        }
        if bad != receipt.as_bytes() {
            tally.rejected(
                &format!("{label}: flip in line {i}"),
                verify_receipt(&bad, keys).reason,
                Some(allowed),
            );
        }
    }
    for _ in 0..10 {
        let mut l = lines.clone();
        let i = rng.index(l.len());
        let what = match rng.below(3) {
            0 => {
                l.remove(i);
                "removed"
            }
            1 => {
                l.insert(i, l[i]);
                "duplicated"
            }
            _ => {
                l.swap(i, (i + 1) % lines.len());
                "swapped with the next"
            }
        };
        if what == "duplicated" && l[i].starts_with('\u{2014}') {
            // The same signature twice proves nothing new; signed-note verifiers (Go's
            // golang.org/x/mod/sumdb/note among them) ignore duplicates.
            continue;
        }
        let bad = l.concat();
        if bad != receipt {
            tally.rejected(
                &format!("{label}: line {i} {what}"),
                verify_receipt(bad.as_bytes(), keys).reason,
                None,
            );
        }
    }
}

#[test]
fn valid_files_verify_and_tampered_files_never_do() {
    let logs: u64 = std::env::var("VERITYDB_TAMPER_LOGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48);
    let mut tally = Tally::default();
    let mut previous_export = Vec::new();
    for seed in 1..=logs {
        let mut rng = Rng::seeded(seed);
        let (_db, tenant) = random_log(seed, &mut rng);
        let keys = TrustedKeys::parse([tenant.verifier_key()]).unwrap();
        let size = tenant.size();
        let from = rng.below(size);
        let to = from + 1 + rng.below(size - from);
        let withhold = if rng.below(2) == 0 {
            vec!["event".to_owned()]
        } else {
            vec![]
        };
        let mut exports = Vec::new();
        for options in [
            ExportOptions::default(),
            ExportOptions {
                from,
                to: Some(to),
                withhold,
            },
        ] {
            let mut export = Vec::new();
            tenant.export(&mut export, &options, |_, _| {}).unwrap();
            let report = verify_export(&export, &keys);
            assert!(
                report.ok,
                "seed {seed}: a valid export [{}, {:?}) was rejected: {} ({})",
                options.from,
                options.to,
                report.reason.name(),
                report.message
            );
            assert_eq!(report.entries, options.to.unwrap_or(size) - options.from);
            exports.push(export);
        }
        for export in &exports {
            let other = if previous_export.is_empty() {
                exports[0].clone()
            } else {
                previous_export.clone()
            };
            tamper_export(
                export,
                &other,
                &keys,
                &mut rng,
                &mut tally,
                &format!("seed {seed}"),
            );
        }
        for _ in 0..3 {
            let position = rng.below(size);
            let disclose: &[&str] = match rng.below(3) {
                0 => &[],
                1 => &["event"],
                _ => &["stream", "event"],
            };
            let receipt = tenant.receipt(position, disclose).unwrap();
            let report = verify_receipt(receipt.text.as_bytes(), &keys);
            assert!(
                report.ok,
                "seed {seed}: a valid receipt for {position} was rejected: {}",
                report.message
            );
            tamper_receipt(
                &receipt.text,
                &keys,
                &mut rng,
                &mut tally,
                &format!("seed {seed} receipt {position}"),
            );
        }
        previous_export = exports.swap_remove(0);
    }
    eprintln!(
        "{} mutations rejected: {:?}",
        tally.mutations, tally.reasons
    );
    assert!(
        tally.mutations >= 300 * logs,
        "too few mutations ran: {}",
        tally.mutations
    );
}

/// A large export (several batches of entry frames) through both paths, valid and with
/// damage early, in the middle and at the end, so batches are checked when full, at a
/// checkpoint, and at the end of input.
#[test]
fn batched_verification_equals_plain_verification_on_a_large_export() {
    let options = Options::default()
        .node_key(NodeKey::from_seed(&[9; 32]))
        .salts(Arc::new(SeededSalts::insecure_from_seed(9)))
        .background_checkpoints(false);
    let db = Db::open_storage(Arc::new(MemoryStorage::new()), options).unwrap();
    let tenant = db.tenant("large").unwrap();
    let event = format!(r#"{{"data":"{}"}}"#, "x".repeat(1000));
    for round in 0..10 {
        tenant
            .append_batch(&vec![("s", event.as_str()); 1000])
            .unwrap();
        if round % 3 == 0 {
            tenant.checkpoint().unwrap();
        }
    }
    let mut export = Vec::new();
    tenant
        .export(&mut export, &ExportOptions::default(), |_, _| {})
        .unwrap();
    assert!(
        export.len() > 2 * 4 * 1024 * 1024,
        "the export should span several batches"
    );
    let keys = TrustedKeys::parse([tenant.verifier_key()]).unwrap();
    assert!(verify_export(&export, &keys).ok);
    let entries: Vec<_> = frames(&export)
        .into_iter()
        .filter(|f| f.kind == 2)
        .collect();
    for index in [0, 1, 3000, 4095, 4096, 7777, entries.len() - 1] {
        let mut bad = export.clone();
        bad[entries[index].body.start + 100] ^= 1;
        let report = verify_export(&bad, &keys);
        assert_eq!(
            (report.ok, report.position),
            (false, Some(index as u64)),
            "{}",
            report.message
        );
    }
}
