//! Every bound of the wire protocol (`docs/spec/protocol.md` §7), in one place. A decoder
//! refuses anything beyond these before allocating for it; an encoder never produces it.
//! Units come last in each name; each limit says why it has its value.

use crate::limits as core_limits;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// Bytes of a frame after its length field (type, flags, request id, body). Large enough for
/// the largest entry (1 MiB payload) with room to spare, and for the largest receipt; small
/// enough that a server can hold one frame per connection for thousands of connections.
pub const FRAME_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Bytes before a frame's body: `u32 length, u8 type, u8 flags, u64 request_id`.
pub const FRAME_HEADER_BYTES: usize = 4 + 1 + 1 + 8;

/// The smallest valid `length` field: type, flags and request id with an empty body.
pub const FRAME_LENGTH_MIN: usize = FRAME_HEADER_BYTES - 4;

/// A server cuts long results (rows, events, checkpoints, export bytes) into frames of about
/// this many bytes, so one response never holds the connection's buffer for long and a
/// client can process a large result while the rest arrives.
pub const RESPONSE_CHUNK_BYTES: usize = 256 * 1024;

/// An error message is for a person: a few lines at most.
pub const ERROR_MESSAGE_BYTES_MAX: usize = 4096;

/// A token as text (`vdb_` and base64url of 40 bytes is 58 bytes); room for future formats.
pub const TOKEN_TEXT_BYTES_MAX: usize = 256;

/// A client's self-description in the handshake (`veritydb-rust/0.1.0`).
pub const CLIENT_NAME_BYTES_MAX: usize = 128;

/// Events of one append request: a batch is one atomic write of the log.
pub const APPEND_EVENTS_PER_REQUEST_MAX: usize = 100_000;

/// Field names a receipt request may disclose, or an export request may withhold.
pub const FIELD_NAMES_PER_REQUEST_MAX: usize = core_limits::ENTRY_FIELDS_MAX;

/// Tables one token may be limited to; more belongs in a role without the limit.
pub const TABLES_PER_TOKEN_MAX: usize = 64;

/// A token's label (who or what it is for), shown by `token list`.
pub const TOKEN_LABEL_BYTES_MAX: usize = 128;

/// Tokens one node keeps; listing them fits one response.
pub const TOKENS_PER_NODE_MAX: usize = 10_000;

/// Key-value pairs in a status response.
pub const STATUS_ITEMS_MAX: usize = 256;

/// Bytes of one status value.
pub const STATUS_VALUE_BYTES_MAX: usize = 4096;

/// Prepared statements one connection may hold open at once.
pub const PREPARED_STATEMENTS_PER_CONNECTION_MAX: usize = 1024;

/// Checkpoints in one response frame (each is a note of at most `NOTE_BYTES_MAX`).
pub const CHECKPOINTS_PER_FRAME_MAX: usize = 256;

/// A token id as text: 16 hex digits of 8 random bytes.
pub const TOKEN_ID_BYTES_MAX: usize = 64;

const _: () = assert!(FRAME_BYTES_MAX <= u32::MAX as usize);
const _: () = assert!(core_limits::RECEIPT_BYTES_MAX + 64 * 1024 <= FRAME_BYTES_MAX);
const _: () = assert!(core_limits::ENTRY_PAYLOAD_BYTES_MAX * 2 <= FRAME_BYTES_MAX);
const _: () = assert!(core_limits::SQL_STATEMENT_BYTES_MAX * 4 <= FRAME_BYTES_MAX);
const _: () = assert!(RESPONSE_CHUNK_BYTES * 4 <= FRAME_BYTES_MAX);
const _: () =
    assert!(CHECKPOINTS_PER_FRAME_MAX * (core_limits::NOTE_BYTES_MAX + 2) <= FRAME_BYTES_MAX);
const _: () = assert!(TENANTS_LIST_BYTES_MAX <= FRAME_BYTES_MAX);

/// The largest list of tenant names (sent in one frame).
const TENANTS_LIST_BYTES_MAX: usize =
    4 + core_limits::TENANTS_PER_NODE_MAX * (1 + core_limits::TENANT_NAME_BYTES_MAX);
