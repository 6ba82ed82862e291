//! Errors of the wire protocol: [`DecodeError`] for bytes that are not a valid frame or
//! message, and [`WireError`], the structured error a server sends (class, code, message;
//! `docs/spec/protocol.md` §6). Classes and codes have fixed numeric values.

use thiserror::Error;

/// Bytes that are not a valid frame or message. A server answers with a `protocol` error and
/// closes the connection; nothing else happens.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The length field is above the frame limit.
    #[error("frame of {len} bytes is larger than the limit of {max} bytes")]
    FrameTooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The length field is below the frame header.
    #[error("frame length {0} is shorter than a frame header")]
    FrameTooShort(usize),
    /// Flags this version does not define.
    #[error("unknown frame flags {0:#04x}")]
    UnknownFlags(u8),
    /// A frame type this version does not define (or one the receiver never accepts).
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    /// The body ended inside the named item.
    #[error("frame body ends inside {0}")]
    Truncated(&'static str),
    /// Bytes left after the message.
    #[error("{0} bytes after the end of the message")]
    TrailingBytes(usize),
    /// Text or bytes longer than their limit.
    #[error("{what} of {len} bytes is longer than the limit of {max} bytes")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A list with more items than its limit.
    #[error("{count} {what} are more than the limit of {max}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// How many were announced.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A value outside its domain.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
}

/// What kind of failure a server error is: the part of an error a program branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// A class this client does not know (sent by a newer server).
    Unknown = 0,
    /// The bytes were not a valid frame or message; the server closes the connection.
    Protocol = 1,
    /// No valid token: unknown, malformed, expired or revoked.
    Unauthenticated = 2,
    /// The token is valid but may not do this (tenant, role or table).
    Forbidden = 3,
    /// No such tenant, prepared statement or token.
    NotFound = 4,
    /// Not valid SQL.
    Syntax = 5,
    /// Valid SQL outside the supported subset.
    Unsupported = 6,
    /// Input that does not fit: unknown table or column, bad name, bad JSON, bad range.
    Invalid = 7,
    /// A primary key, unique, NOT NULL or length rule refused the change.
    Constraint = 8,
    /// An expected row version did not match; nothing was written.
    Conflict = 9,
    /// A position, size or time beyond the log.
    OutOfRange = 10,
    /// A named limit was exceeded.
    Limit = 11,
    /// The server is overloaded or shutting down; retrying later may succeed.
    Busy = 12,
    /// Reading or writing storage failed on the server.
    Io = 13,
    /// Stored data is damaged.
    Corrupt = 14,
    /// A bug in the server.
    Internal = 15,
}

impl ErrorClass {
    /// The class for its number (`Unknown` for numbers this version does not define).
    pub fn from_code(code: u8) -> ErrorClass {
        use ErrorClass::*;
        const ALL: [ErrorClass; 16] = [
            Unknown,
            Protocol,
            Unauthenticated,
            Forbidden,
            NotFound,
            Syntax,
            Unsupported,
            Invalid,
            Constraint,
            Conflict,
            OutOfRange,
            Limit,
            Busy,
            Io,
            Corrupt,
            Internal,
        ];
        ALL.get(usize::from(code)).copied().unwrap_or(Unknown)
    }

    /// The class's number on the wire.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The class as a stable lower-case name (`protocol`, `forbidden`, ...), as used in
    /// metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Unknown => "unknown",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Unauthenticated => "unauthenticated",
            ErrorClass::Forbidden => "forbidden",
            ErrorClass::NotFound => "not_found",
            ErrorClass::Syntax => "syntax",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Invalid => "invalid",
            ErrorClass::Constraint => "constraint",
            ErrorClass::Conflict => "conflict",
            ErrorClass::OutOfRange => "out_of_range",
            ErrorClass::Limit => "limit",
            ErrorClass::Busy => "busy",
            ErrorClass::Io => "io",
            ErrorClass::Corrupt => "corrupt",
            ErrorClass::Internal => "internal",
        }
    }
}

/// Stable error codes: the precise reason inside a class (`docs/spec/protocol.md` §6).
pub mod codes {
    /// A frame or message that does not decode.
    pub const MALFORMED_FRAME: u16 = 100;
    /// A frame type the server does not accept.
    pub const UNKNOWN_FRAME_TYPE: u16 = 101;
    /// A frame above `FRAME_BYTES_MAX`.
    pub const FRAME_TOO_LARGE: u16 = 102;
    /// No protocol version in common.
    pub const UNSUPPORTED_VERSION: u16 = 103;
    /// The first frame was not a hello, or a second hello came.
    pub const HANDSHAKE_REQUIRED: u16 = 104;
    /// The handshake did not complete in time.
    pub const HANDSHAKE_TIMEOUT: u16 = 105;
    /// A frame started but did not complete in time.
    pub const FRAME_TIMEOUT: u16 = 106;
    /// The connection was idle too long.
    pub const IDLE_TIMEOUT: u16 = 107;
    /// The token is not in the token format.
    pub const TOKEN_MALFORMED: u16 = 200;
    /// No such token, or the secret does not match.
    pub const TOKEN_UNKNOWN: u16 = 201;
    /// The token expired.
    pub const TOKEN_EXPIRED: u16 = 202;
    /// The token was revoked.
    pub const TOKEN_REVOKED: u16 = 203;
    /// The token belongs to another tenant.
    pub const TENANT_FORBIDDEN: u16 = 300;
    /// The token's role may not do this.
    pub const ROLE_FORBIDDEN: u16 = 301;
    /// The token is limited to other tables.
    pub const TABLE_FORBIDDEN: u16 = 302;
    /// No such tenant.
    pub const TENANT_NOT_FOUND: u16 = 400;
    /// No such prepared statement on this connection.
    pub const STATEMENT_NOT_FOUND: u16 = 401;
    /// No such token.
    pub const TOKEN_NOT_FOUND: u16 = 402;
    /// SQL syntax error.
    pub const SQL_SYNTAX: u16 = 500;
    /// SQL outside the subset.
    pub const SQL_UNSUPPORTED: u16 = 501;
    /// Invalid input.
    pub const INVALID_INPUT: u16 = 502;
    /// A constraint refused the change.
    pub const CONSTRAINT: u16 = 503;
    /// A version precondition failed.
    pub const CONFLICT: u16 = 504;
    /// Beyond the log.
    pub const OUT_OF_RANGE: u16 = 505;
    /// A limit was exceeded.
    pub const LIMIT: u16 = 506;
    /// The tenant already exists.
    pub const TENANT_EXISTS: u16 = 507;
    /// Too many connections.
    pub const TOO_MANY_CONNECTIONS: u16 = 600;
    /// The server is shutting down.
    pub const SHUTTING_DOWN: u16 = 601;
    /// Too many exports at once.
    pub const TOO_MANY_EXPORTS: u16 = 602;
    /// Storage I/O failed.
    pub const IO: u16 = 700;
    /// Stored data is damaged.
    pub const CORRUPT: u16 = 701;
    /// Writes stopped after an I/O failure; the server must be restarted.
    pub const STOPPED: u16 = 702;
    /// A bug.
    pub const INTERNAL: u16 = 703;
}

/// A structured error from the server.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} ({class}/{code})", class = self.class.name())]
pub struct WireError {
    /// What kind of failure.
    pub class: ErrorClass,
    /// The precise reason ([`codes`]).
    pub code: u16,
    /// For a person.
    pub message: String,
}

impl WireError {
    /// An error; the message is cut to `ERROR_MESSAGE_BYTES_MAX` at a character boundary.
    pub fn new(class: ErrorClass, code: u16, message: impl Into<String>) -> WireError {
        let mut message = message.into();
        let max = super::limits::ERROR_MESSAGE_BYTES_MAX;
        if message.len() > max {
            let mut cut = max;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        WireError {
            class,
            code,
            message,
        }
    }
}
