//! The plain objects calls resolve to, with their TypeScript shapes (`index.d.ts` is generated
//! from these). Positions and tree sizes are `bigint`; counts are `number`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsDate};
use napi_derive::napi;

use crate::errors::BindingError;

/// The outcome of a write.
#[napi(object, object_from_js = false)]
pub struct ExecResult {
    /// The position of the last entry the write appended (a receipt can prove it); for a
    /// write that changed nothing, the last position the database had applied.
    pub position: u64,
    /// Rows inserted, updated or deleted.
    pub rows_affected: f64,
}

impl From<veritydb::ExecResult> for ExecResult {
    fn from(result: veritydb::ExecResult) -> ExecResult {
        ExecResult {
            position: result.position,
            // Row counts stay far below 2^53: a JS number holds them exactly.
            rows_affected: result.rows_affected as f64,
        }
    }
}

/// A signed checkpoint of a tenant's log (a C2SP tlog-checkpoint in a signed note).
#[napi(object, object_from_js = false)]
pub struct Checkpoint {
    /// The log's origin: `node_name/tenant`.
    pub origin: String,
    /// The number of entries the checkpoint covers.
    pub size: u64,
    /// The RFC 6962 root of those entries, base64.
    pub root: String,
    /// The signed note: what `verifyCheckpoint` checks.
    pub note: String,
}

impl From<veritydb::Checkpoint> for Checkpoint {
    fn from(checkpoint: veritydb::Checkpoint) -> Checkpoint {
        Checkpoint {
            origin: checkpoint.origin,
            size: checkpoint.size,
            root: BASE64.encode(checkpoint.root),
            note: checkpoint.note,
        }
    }
}

/// A receipt: the proof that one entry is in the signed log, with the fields it discloses.
#[napi(object, object_from_js = false)]
pub struct Receipt {
    /// The entry's position.
    pub position: u64,
    /// The checkpoint the inclusion proof leads to.
    pub checkpoint: Checkpoint,
    /// The receipt (a C2SP tlog-proof, `.tlog-proof`): what `verifyReceipt` checks.
    pub text: String,
}

impl From<veritydb::Receipt> for Receipt {
    fn from(receipt: veritydb::Receipt) -> Receipt {
        Receipt {
            position: receipt.position,
            checkpoint: receipt.checkpoint.into(),
            text: receipt.text,
        }
    }
}

/// What an export wrote.
#[napi(object, object_from_js = false)]
pub struct ExportSummary {
    /// The first position exported.
    pub start: u64,
    /// The end position (exclusive).
    pub end: u64,
    /// Entries written.
    pub entries: f64,
    /// Checkpoints written.
    pub checkpoints: f64,
    /// Bytes written.
    pub bytes: f64,
}

impl From<veritydb::ExportSummary> for ExportSummary {
    fn from(summary: veritydb::ExportSummary) -> ExportSummary {
        // Counts stay far below 2^53: JS numbers hold them exactly.
        ExportSummary {
            start: summary.from,
            end: summary.to,
            entries: summary.entries as f64,
            checkpoints: summary.checkpoints as f64,
            bytes: summary.bytes as f64,
        }
    }
}

/// An application event read back from a stream.
#[napi(object, object_from_js = false)]
pub struct StreamEvent<'env> {
    /// Its position in the tenant's log.
    pub position: u64,
    /// When it was appended (JS dates keep milliseconds; see `timestampUs`).
    pub timestamp: JsDate<'env>,
    /// When it was appended, in microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// The stream it was appended to.
    pub stream: String,
    /// The event, parsed from its JSON.
    pub data: Unknown<'env>,
}

impl<'env> StreamEvent<'env> {
    pub(crate) fn new(
        env: &'env Env,
        event: veritydb::Event,
    ) -> Result<StreamEvent<'env>, BindingError> {
        let ms = event.timestamp_us / 1000;
        Ok(StreamEvent {
            position: event.position,
            // Milliseconds since 1970 stay far below 2^53: exact as a JS number.
            timestamp: env.create_date(ms as f64)?,
            timestamp_us: event.timestamp_us,
            stream: event.stream,
            data: crate::convert::json_value(env, event.data)?,
        })
    }
}
