//! The manifest: one case per vector, with the verdict `docs/spec/verdicts.md` requires.

use serde::Serialize;

/// The reason codes of `docs/spec/verdicts.md` §1.
const REASONS: [&str; 25] = [
    "ok",
    "malformed_frame",
    "truncated",
    "unsupported_version",
    "chain_break",
    "leaf_mismatch",
    "commitment_mismatch",
    "root_mismatch",
    "bad_signature",
    "untrusted_key",
    "inconsistent_checkpoints",
    "bad_proof",
    "position_gap",
    "timestamp_regression",
    "tenant_mismatch",
    "origin_mismatch",
    "misplaced_checkpoint",
    "uncovered",
    "malformed_note",
    "malformed_receipt",
    "index_mismatch",
    "trailing_data",
    "limit_exceeded",
    "malformed_entry",
    "missing_entries",
];

/// The numeric code of a reason name.
pub fn reason_code(reason: &str) -> u16 {
    let index = REASONS
        .iter()
        .position(|r| *r == reason)
        .unwrap_or_else(|| panic!("unknown reason {reason}"));
    u16::try_from(index).expect("25 reasons")
}

/// One vector and what verifying it must give.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// Unique name, from the file name.
    pub name: String,
    /// `export`, `receipt`, `checkpoint`, `note` or `consistency`.
    pub kind: String,
    /// The file under `testdata/vectors/`.
    pub file: Option<String>,
    /// For `consistency`: the older checkpoint's file.
    pub old: Option<String>,
    /// For `consistency`: the newer checkpoint's file.
    pub new: Option<String>,
    /// For `consistency`: the proof, base64 hashes.
    pub proof: Option<Vec<String>>,
    /// The verifier keys the auditor trusts.
    pub trusted_keys: Vec<String>,
    /// For `checkpoint`: the origin the auditor requires, if any.
    pub origin: Option<String>,
    /// What the vector is.
    pub description: String,
    /// The verdict.
    pub expect: Expect,
}

/// The verdict a case must get.
#[derive(Debug, Clone, Serialize)]
pub struct Expect {
    /// Verified.
    pub ok: bool,
    /// The reason name.
    pub reason: String,
    /// Its numeric code.
    pub reason_code: u16,
    /// The position of the first failure, if the spec gives one.
    pub position: Option<u64>,
}

impl Case {
    /// A case that must verify.
    pub fn ok(kind: &str, description: &str, key: &str) -> Case {
        Case::new(kind, description, key, "ok", None)
    }

    /// A case that must be rejected with `reason` at `position`.
    pub fn fail(
        kind: &str,
        description: &str,
        key: &str,
        reason: &str,
        position: Option<u64>,
    ) -> Case {
        Case::new(kind, description, key, reason, position)
    }

    fn new(kind: &str, description: &str, key: &str, reason: &str, position: Option<u64>) -> Case {
        Case {
            name: String::new(),
            kind: kind.to_owned(),
            file: None,
            old: None,
            new: None,
            proof: None,
            trusted_keys: vec![key.to_owned()],
            origin: None,
            description: description.to_owned(),
            expect: Expect {
                ok: reason == "ok",
                reason: reason.to_owned(),
                reason_code: reason_code(reason),
                position,
            },
        }
    }

    /// The same case trusting these keys instead.
    pub fn trusting(self, keys: &[String]) -> Case {
        Case {
            trusted_keys: keys.to_vec(),
            ..self
        }
    }
}

#[derive(Serialize)]
struct Manifest<'a> {
    version: u32,
    generator: &'static str,
    spec: &'static str,
    reasons: Vec<(&'static str, u16)>,
    cases: &'a [Case],
}

/// The manifest as pretty JSON, cases named after their files.
pub(crate) fn render(cases: &[Case]) -> Vec<u8> {
    let cases: Vec<Case> = cases
        .iter()
        .map(|c| {
            let path = c.file.as_deref().or(c.new.as_deref()).unwrap_or("case");
            let name = path.rsplit('/').next().unwrap_or(path);
            let name = name.split('.').next().unwrap_or(name);
            Case {
                name: format!("{}/{}", c.kind, name),
                ..c.clone()
            }
        })
        .collect();
    let manifest = Manifest {
        version: 1,
        generator: "cargo run -p veritydb-testdata (check: -- --check)",
        spec: "docs/spec/verdicts.md",
        reasons: REASONS.iter().map(|r| (*r, reason_code(r))).collect(),
        cases: &cases,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).expect("the manifest serializes");
    json.push(b'\n');
    json
}
