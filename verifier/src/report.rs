//! The verification report of `docs/spec/verdicts.md` §5, and its JSON form.
//!
//! Every front end (CLI `--json`, WASM, Python, Node) prints `Report::to_json`, so the field
//! names and their types live here only. The JSON writer is hand-written to keep the library's
//! dependencies to the hash and signature crates.

use core::fmt::Write as _;

use crate::hash::Hash;
use crate::reason::Reason;
use crate::text::encode_base64;

/// What was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// An export file.
    Export,
    /// A receipt (tlog-proof).
    Receipt,
    /// A signed checkpoint.
    Checkpoint,
    /// A signed note.
    Note,
    /// A raw RFC 6962 inclusion proof.
    Inclusion,
    /// A raw RFC 6962 consistency proof, or two checkpoints and the proof between them.
    Consistency,
}

impl Kind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Export => "export",
            Kind::Receipt => "receipt",
            Kind::Checkpoint => "checkpoint",
            Kind::Note => "note",
            Kind::Inclusion => "inclusion",
            Kind::Consistency => "consistency",
        }
    }
}

/// Log positions `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    /// First position.
    pub from: u64,
    /// One past the last position.
    pub to: u64,
}

/// How far a streaming verification has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Input bytes consumed.
    pub bytes: u64,
    /// Entries verified.
    pub entries: u64,
}

/// The outcome of one verification: a verdict with the facts established on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Verified (`reason == Reason::Ok`).
    pub ok: bool,
    /// `Ok` or the first failure in input order.
    pub reason: Reason,
    /// The log position where the first failure was found, when it has one.
    pub position: Option<u64>,
    /// One human sentence about the outcome (not stable; do not parse).
    pub message: String,
    /// What was verified.
    pub kind: Kind,
    /// Entries verified.
    pub entries: u64,
    /// Checkpoints verified.
    pub checkpoints: u64,
    /// Distinct tenants seen (1 for a valid export or receipt).
    pub tenants: u64,
    /// Input bytes consumed.
    pub bytes: u64,
    /// Positions an export covers, or `[index, index + 1)` for a receipt.
    pub range: Option<Range>,
    /// The log's origin.
    pub origin: Option<String>,
    /// The size of the largest verified checkpoint.
    pub tree_size: Option<u64>,
    /// The root of the largest verified checkpoint.
    pub root: Option<Hash>,
    /// Names of the trusted keys that verified, in order of first use.
    pub keys: Vec<String>,
    /// For a verified receipt: what it proves, field by field.
    pub receipt: Option<ReceiptDetails>,
}

/// What a verified receipt proves, in the terms a reader needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptDetails {
    /// The log's origin (`node_name/tenant`).
    pub origin: String,
    /// The tenant named by the entry header.
    pub tenant: String,
    /// The entry's position (the receipt's index).
    pub position: u64,
    /// The size of the checkpoint's tree.
    pub tree_size: u64,
    /// The checkpoint's root.
    pub root: Hash,
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// The inclusion proof, from the leaf's sibling up.
    pub proof: Vec<Hash>,
    /// The entry's timestamp, microseconds since 1970-01-01T00:00:00Z.
    pub timestamp_us: u64,
    /// The entry's kind number (entry.md §5).
    pub entry_kind: u16,
    /// Who caused the entry.
    pub actor: String,
    /// The number of fields of the entry, disclosed or not.
    pub field_count: u16,
    /// The disclosed fields, in index order.
    pub disclosed: Vec<DisclosedField>,
    /// Names of the trusted keys that signed the checkpoint.
    pub keys: Vec<String>,
}

/// One disclosed field of a verified entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosedField {
    /// The field's index in the entry.
    pub index: u16,
    /// The field's name.
    pub name: String,
    /// The field's value, as committed.
    pub value: Vec<u8>,
}

/// The name of an entry kind (entry.md §5), if it is one this version defines or reserves.
pub fn entry_kind_name(kind: u16) -> Option<&'static str> {
    match kind {
        1 => Some("event"),
        2 => Some("schema"),
        3 => Some("row"),
        4 => Some("access"),
        5 => Some("admin"),
        _ => None,
    }
}

/// A failure found while verifying: the reason code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) reason: Reason,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(reason: Reason, message: impl Into<String>) -> Failure {
        Failure {
            reason,
            message: message.into(),
        }
    }
}

impl Report {
    /// A report that has verified nothing yet and is `ok` until a failure is recorded.
    pub(crate) fn new(kind: Kind) -> Report {
        Report {
            ok: true,
            reason: Reason::Ok,
            position: None,
            message: String::new(),
            kind,
            entries: 0,
            checkpoints: 0,
            tenants: 0,
            bytes: 0,
            range: None,
            origin: None,
            tree_size: None,
            root: None,
            keys: Vec::new(),
            receipt: None,
        }
    }

    /// Records the first failure; later ones are ignored.
    pub(crate) fn fail(&mut self, failure: Failure, position: Option<u64>) {
        if self.ok {
            self.ok = false;
            self.reason = failure.reason;
            self.message = failure.message;
            self.position = position;
        }
    }

    /// Adds key names that verified, keeping the first-use order and no duplicates.
    pub(crate) fn add_keys(&mut self, names: &[String]) {
        for name in names {
            if !self.keys.contains(name) {
                self.keys.push(name.clone());
            }
        }
    }

    /// The numeric code of `reason` (the `reason_code` field of verdicts.md §5).
    pub fn reason_code(&self) -> u16 {
        self.reason.code()
    }

    /// The report as one JSON object with the snake_case fields of verdicts.md §5, plus
    /// `receipt` (the details of a verified receipt, or `null`).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512);
        out.push('{');
        field(&mut out, "ok", &self.ok.to_string());
        field(&mut out, "reason", &json_string(self.reason.name()));
        field(&mut out, "reason_code", &self.reason_code().to_string());
        field(&mut out, "position", &json_option(self.position));
        field(&mut out, "message", &json_string(&self.message));
        field(&mut out, "kind", &json_string(self.kind.name()));
        field(&mut out, "entries", &self.entries.to_string());
        field(&mut out, "checkpoints", &self.checkpoints.to_string());
        field(&mut out, "tenants", &self.tenants.to_string());
        field(&mut out, "bytes", &self.bytes.to_string());
        let range = match self.range {
            Some(Range { from, to }) => format!("{{\"from\":{from},\"to\":{to}}}"),
            None => "null".to_owned(),
        };
        field(&mut out, "range", &range);
        field(
            &mut out,
            "origin",
            &self
                .origin
                .as_deref()
                .map_or("null".to_owned(), json_string),
        );
        field(&mut out, "tree_size", &json_option(self.tree_size));
        field(
            &mut out,
            "root",
            &self
                .root
                .map_or("null".to_owned(), |root| json_base64(&root)),
        );
        field(&mut out, "keys", &json_string_array(&self.keys));
        let receipt = self
            .receipt
            .as_ref()
            .map_or("null".to_owned(), ReceiptDetails::to_json);
        field(&mut out, "receipt", &receipt);
        out.pop(); // the comma after the last field
        out.push('}');
        out
    }
}

impl ReceiptDetails {
    fn to_json(&self) -> String {
        let mut out = String::with_capacity(512 + self.disclosed.len() * 64);
        out.push('{');
        field(&mut out, "origin", &json_string(&self.origin));
        field(&mut out, "tenant", &json_string(&self.tenant));
        field(&mut out, "position", &self.position.to_string());
        field(&mut out, "tree_size", &self.tree_size.to_string());
        field(&mut out, "root", &json_base64(&self.root));
        field(&mut out, "leaf_hash", &json_base64(&self.leaf_hash));
        let proof: Vec<String> = self.proof.iter().map(|hash| encode_base64(hash)).collect();
        field(&mut out, "proof", &json_string_array(&proof));
        field(&mut out, "timestamp_us", &self.timestamp_us.to_string());
        field(&mut out, "entry_kind", &self.entry_kind.to_string());
        let kind_name = entry_kind_name(self.entry_kind).map_or("null".to_owned(), json_string);
        field(&mut out, "entry_kind_name", &kind_name);
        field(&mut out, "actor", &json_string(&self.actor));
        field(&mut out, "field_count", &self.field_count.to_string());
        let disclosed: Vec<String> = self.disclosed.iter().map(DisclosedField::to_json).collect();
        field(&mut out, "disclosed", &format!("[{}]", disclosed.join(",")));
        field(&mut out, "keys", &json_string_array(&self.keys));
        out.pop();
        out.push('}');
        out
    }
}

impl DisclosedField {
    /// The value as text, when it is UTF-8.
    pub fn value_text(&self) -> Option<&str> {
        core::str::from_utf8(&self.value).ok()
    }

    fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.value.len() * 2);
        out.push('{');
        field(&mut out, "index", &self.index.to_string());
        field(&mut out, "name", &json_string(&self.name));
        field(&mut out, "value_base64", &json_base64(&self.value));
        field(
            &mut out,
            "value_text",
            &self.value_text().map_or("null".to_owned(), json_string),
        );
        out.pop();
        out.push('}');
        out
    }
}

/// Appends `"name":value,`.
fn field(out: &mut String, name: &str, value: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    out.push_str(value);
    out.push(',');
}

fn json_option(value: Option<u64>) -> String {
    value.map_or("null".to_owned(), |number| number.to_string())
}

fn json_base64(bytes: &[u8]) -> String {
    json_string(&encode_base64(bytes))
}

fn json_string_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| json_string(item)).collect();
    format!("[{}]", quoted.join(","))
}

/// A JSON string literal (RFC 8259 escaping).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                write!(out, "\\u{:04x}", u32::from(c)).expect("writing to a String cannot fail");
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn a_new_report_is_ok_and_keeps_the_first_failure() {
        let mut report = Report::new(Kind::Export);
        assert!(report.ok);
        report.fail(Failure::new(Reason::Truncated, "first"), Some(3));
        report.fail(Failure::new(Reason::ChainBreak, "second"), Some(4));
        assert_eq!(
            (report.reason, report.position, report.message.as_str()),
            (Reason::Truncated, Some(3), "first")
        );
        assert!(
            report
                .to_json()
                .contains("\"reason\":\"truncated\",\"reason_code\":2,\"position\":3")
        );
    }
}
