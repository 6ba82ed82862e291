//! TypeScript declarations of the objects this package returns and the inputs it accepts.
//!
//! The report shape is `Report::to_json()` of the verifier library (`docs/spec/verdicts.md`
//! §5); `tests/api.test.mjs` checks that these declarations name exactly the reason codes and
//! report fields the package returns.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT_TYPES: &'static str = r#"
/** Trusted verifier keys: C2SP vkeys (`<name>+<8 hex key id>+<base64 key>`), as an array, or as one string with one vkey per line (blank lines and `#` comments ignored). At least one is required. */
export type TrustedKeysInput = string | readonly string[];
/** Binary input: a `Uint8Array` (a Node `Buffer` is one) or an `ArrayBuffer`. */
export type BytesInput = Uint8Array | ArrayBuffer;
/** Text input: a string, or its UTF-8 bytes. */
export type TextInput = string | Uint8Array | ArrayBuffer;
/** A hash: standard base64 (padded) or raw bytes. */
export type HashInput = string | Uint8Array;
/** A tree size or index: a non-negative integer as a number (up to 2^53 - 1), a bigint, or a decimal string. */
export type SizeInput = number | bigint | string;

/** The reason names of `docs/spec/verdicts.md` §1; `reason_code` is the matching number. */
export type ReasonName =
  | "ok" | "malformed_frame" | "truncated" | "unsupported_version" | "chain_break"
  | "leaf_mismatch" | "commitment_mismatch" | "root_mismatch" | "bad_signature"
  | "untrusted_key" | "inconsistent_checkpoints" | "bad_proof" | "position_gap"
  | "timestamp_regression" | "tenant_mismatch" | "origin_mismatch" | "misplaced_checkpoint"
  | "uncovered" | "malformed_note" | "malformed_receipt" | "index_mismatch" | "trailing_data"
  | "limit_exceeded" | "malformed_entry" | "missing_entries";

/** What was verified. */
export type ReportKind = "export" | "receipt" | "checkpoint" | "note" | "inclusion" | "consistency";

/** A verification report (`docs/spec/verdicts.md` §5): the object `veritydb-verify --json` prints. */
export interface Report {
  /** Verified. */
  ok: boolean;
  /** `"ok"` or the first failure's reason. */
  reason: ReasonName;
  /** The reason's fixed numeric code (0 for ok). */
  reason_code: number;
  /** The log position where the first failure was found, or null. */
  position: number | null;
  /** One human sentence (not stable; do not parse). */
  message: string;
  /** What was verified. */
  kind: ReportKind;
  /** Entries verified. */
  entries: number;
  /** Checkpoints verified. */
  checkpoints: number;
  /** Distinct tenants seen (1 for a valid export or receipt). */
  tenants: number;
  /** Input bytes consumed. */
  bytes: number;
  /** Positions an export covers, or `{index, index + 1}` for a receipt. */
  range: { from: number; to: number } | null;
  /** The log's origin (`node_name/tenant`). */
  origin: string | null;
  /** The size of the largest verified checkpoint. */
  tree_size: number | null;
  /** Its root, base64. */
  root: string | null;
  /** Names of the trusted keys that verified. */
  keys: string[];
  /** For a verified receipt, what it proves; otherwise null. */
  receipt: ReceiptDetails | null;
}

/** What a verified receipt proves. */
export interface ReceiptDetails {
  /** The log's origin (`node_name/tenant`). */
  origin: string;
  /** The tenant named by the entry header. */
  tenant: string;
  /** The entry's position in the log (the receipt's index). */
  position: number;
  /** The size of the signed checkpoint's tree. */
  tree_size: number;
  /** The checkpoint's root, base64. */
  root: string;
  /** The entry's leaf hash, base64. */
  leaf_hash: string;
  /** The inclusion proof, base64 hashes from the leaf's sibling up. */
  proof: string[];
  /** The entry's timestamp, microseconds since 1970-01-01T00:00:00Z. */
  timestamp_us: number;
  /** The entry's kind number. */
  entry_kind: number;
  /** Its name (`event`, `schema`, `row`, `access`, `admin`), or null. */
  entry_kind_name: string | null;
  /** Who caused the entry. */
  actor: string;
  /** The number of fields of the entry, disclosed or not. */
  field_count: number;
  /** The disclosed fields, in index order. */
  disclosed: DisclosedField[];
  /** Names of the trusted keys that signed the checkpoint. */
  keys: string[];
}

/** One disclosed field of a verified entry. */
export interface DisclosedField {
  /** The field's index in the entry. */
  index: number;
  /** The field's name. */
  name: string;
  /** The value as committed, base64. */
  value_base64: string;
  /** The value as text when it is UTF-8, else null. */
  value_text: string | null;
}

/** How far a streaming export verification has got. */
export interface Progress {
  /** Input bytes consumed. */
  bytes: number;
  /** Entries verified. */
  entries: number;
}

/** A parsed trusted key. */
export interface TrustedKeyInfo {
  /** The key name (for VerityDB, the log's origin). */
  name: string;
  /** The C2SP key id, 8 lowercase hex digits. */
  keyId: string;
}

/** The `code` of every `Error` this package throws ("could not check", never a verdict). */
export type ErrorCode =
  | "VERITYDB_INVALID_KEY" | "VERITYDB_TOO_MANY_KEYS" | "VERITYDB_NO_TRUSTED_KEY"
  | "VERITYDB_INVALID_ARGUMENT" | "VERITYDB_INVALID_BASE64" | "VERITYDB_VERIFIER_FINISHED"
  | "VERITYDB_INTERNAL";
"#;
