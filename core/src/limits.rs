//! Every bound core respects, in one place. Format limits mirror `docs/spec/limits.md` (a
//! verifier enforces the same numbers); node limits bound what a running node keeps in memory
//! and on disk. Units come last in each name; each limit says why it has its value.

/// Tenant names fit a `str8` and keep origins short (`docs/spec/limits.md`).
pub const TENANT_NAME_BYTES_MAX: usize = 64;
/// A host name plus a path.
pub const NODE_NAME_BYTES_MAX: usize = 128;
/// `node_name + "/" + tenant`, with slack for other logs' origins.
pub const ORIGIN_BYTES_MAX: usize = 256;
/// A token id or a service name, not a document.
pub const ACTOR_BYTES_MAX: usize = 128;
/// Derived: version, tenant, position, timestamp, kind, actor.
pub const HEADER_BYTES_MAX: usize = 1 + 1 + TENANT_NAME_BYTES_MAX + 8 + 8 + 2 + 1 + ACTOR_BYTES_MAX;
/// A wide table row; bounds the commitment list of one entry to 32 KiB.
pub const ENTRY_FIELDS_MAX: usize = 1024;
/// Column and field names.
pub const FIELD_NAME_BYTES_MAX: usize = 128;
/// Sum of field name and value bytes of one entry: documents belong in object storage.
pub const ENTRY_PAYLOAD_BYTES_MAX: usize = 1024 * 1024;
/// Application stream names.
pub const STREAM_NAME_BYTES_MAX: usize = 128;
/// Entries per tenant; bounds every proof to 49 hashes.
pub const TREE_SIZE_MAX: u64 = 1 << 48;
/// Above any valid proof for `TREE_SIZE_MAX`.
pub const PROOF_HASHES_MAX: usize = 64;
/// A checkpoint with `NOTE_SIGNATURES_MAX` Ed25519 signatures is under 4 KiB.
pub const NOTE_BYTES_MAX: usize = 16 * 1024;
/// C2SP requires accepting at least 16 signatures.
pub const NOTE_SIGNATURES_MAX: usize = 32;
/// Larger than the largest entry record plus its chain hash.
pub const EXPORT_FRAME_BODY_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Base64 of the largest entry record, a full proof and a note.
pub const RECEIPT_BYTES_MAX: usize = 4 * 1024 * 1024;

/// The largest entry record (`docs/spec/entry.md` §7): every field disclosed.
pub const ENTRY_RECORD_BYTES_MAX: usize = 2
    + HEADER_BYTES_MAX
    + 2
    + ENTRY_FIELDS_MAX * 32
    + 2
    + ENTRY_FIELDS_MAX * (2 + 32 + 2 + 4)
    + ENTRY_PAYLOAD_BYTES_MAX
    + 32;

const _: () = assert!(ENTRY_RECORD_BYTES_MAX + 32 <= EXPORT_FRAME_BODY_BYTES_MAX);
const _: () = assert!(NODE_NAME_BYTES_MAX + 1 + TENANT_NAME_BYTES_MAX <= ORIGIN_BYTES_MAX);
const _: () = assert!(HEADER_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(ENTRY_FIELDS_MAX <= u16::MAX as usize);
const _: () = assert!(ENTRY_RECORD_BYTES_MAX * 4 / 3 + NOTE_BYTES_MAX + 4096 <= RECEIPT_BYTES_MAX);
const _: () = assert!(NOTE_SIGNATURES_MAX >= 16);
const _: () = assert!(PROOF_HASHES_MAX > 48 + 1);

// ---- Node limits (not part of the formats; see docs/internals/storage.md) ----

/// Tenants one node holds: each costs two open files and a few hundred bytes of memory.
pub const TENANTS_PER_NODE_MAX: usize = 4096;
/// Entries one atomic batch may hold: a batch is written as one contiguous run of frames and
/// must fit comfortably in one segment.
pub const BATCH_ENTRIES_MAX: usize = 100_000;
/// Bytes of one atomic batch, encoded. A batch never spans segments.
pub const BATCH_BYTES_MAX: usize = 64 * 1024 * 1024;
/// A segment is closed once it reaches this size; sealed segments are never written again.
pub const SEGMENT_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// The largest frame in a segment: one entry with its sealed payload and commitments.
pub const STORAGE_FRAME_BYTES_MAX: usize = ENTRY_RECORD_BYTES_MAX + 4096;
/// Events returned by one `read` call; callers page through longer ranges.
pub const READ_EVENTS_MAX: usize = 100_000;
/// The recovery state is rewritten after this many segment bytes, so an open after a crash
/// replays at most about this much log.
pub const STATE_INTERVAL_BYTES: u64 = 64 * 1024 * 1024;

const _: () = assert!(BATCH_BYTES_MAX as u64 <= SEGMENT_BYTES_MAX / 2);
const _: () = assert!(STORAGE_FRAME_BYTES_MAX <= BATCH_BYTES_MAX);

// ---- SQL limits (see docs/reference/sql.md) ----

/// Bytes of one SQL statement: generated statements with long IN lists fit; documents belong
/// in parameters.
pub const SQL_STATEMENT_BYTES_MAX: usize = 256 * 1024;
/// Parenthesis nesting the SQL parser follows; deeper input is refused before it can exhaust
/// the stack.
pub const SQL_NESTING_DEPTH_MAX: usize = 128;
/// Depth of one expression tree (AND/OR chains are flattened and do not count): bounds every
/// recursive walk over an expression.
pub const SQL_EXPRESSION_DEPTH_MAX: usize = 160;
/// Operators (`AND`, `OR`, `NOT`, comparisons, arithmetic) in one statement: bounds the depth
/// of the parser's own syntax tree, which is built left-deep for chains.
pub const SQL_OPERATORS_MAX: usize = 2000;
/// Parameters of one statement.
pub const SQL_PARAMS_MAX: usize = 4096;
/// Values in one `IN (...)` list.
pub const SQL_IN_LIST_MAX: usize = 10_000;
/// Columns of one table, and result columns of one query: a row entry holds `table`, `op`,
/// `key` and one field per column within `ENTRY_FIELDS_MAX`.
pub const SQL_COLUMNS_MAX: usize = 1000;
/// Columns of one index or primary key.
pub const SQL_INDEX_COLUMNS_MAX: usize = 16;
/// Indexes of one table.
pub const SQL_INDEXES_PER_TABLE_MAX: usize = 64;
/// Live tables of one tenant.
pub const SQL_TABLES_MAX: usize = 4096;
/// Table, column and index names; a column's field name `c.<name>` stays within
/// `FIELD_NAME_BYTES_MAX`.
pub const SQL_NAME_BYTES_MAX: usize = 64;
/// Rows one write (statement or batch) may change: each is one entry of one atomic batch.
pub const SQL_ROWS_PER_WRITE_MAX: usize = BATCH_ENTRIES_MAX;
/// Writes to one tenant committed together by one group commit (one log batch, one fsync).
pub const SQL_GROUP_WRITES_MAX: usize = 128;
/// Statements of one batch.
pub const SQL_BATCH_STATEMENTS_MAX: usize = 10_000;
/// Rows one query may return (and rows a query may hold to sort): page with LIMIT/OFFSET.
pub const SQL_RESULT_ROWS_MAX: usize = 1_000_000;
/// Rows whose stored form is at most this size are copied into each of their index entries,
/// so an index scan needs no second lookup per row; larger rows are fetched from the table.
pub const SQL_INDEX_INLINE_ROW_BYTES_MAX: usize = 512;
/// Entries applied per projection transaction when catching up with the log.
pub const SQL_REPLAY_STEP_ENTRIES: u64 = 1024;
/// Entries applied between durable commits of a projection: bounds what an open after a
/// crash replays from the log.
pub const SQL_PROJECTION_SYNC_ENTRIES: u64 = 100_000;

const _: () = assert!(2 + SQL_NAME_BYTES_MAX <= FIELD_NAME_BYTES_MAX);
const _: () = assert!(SQL_COLUMNS_MAX + 3 <= ENTRY_FIELDS_MAX);
const _: () = assert!(SQL_NESTING_DEPTH_MAX < SQL_EXPRESSION_DEPTH_MAX);
