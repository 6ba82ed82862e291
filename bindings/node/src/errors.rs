//! Every Rust error the package can meet, mapped to one stable `code` string here and nowhere
//! else (STYLE §9).
//!
//! A rejected Promise (or a throw, for the few synchronous calls) carries a JS `Error` whose
//! `code` is one of [`ErrorCode`]'s strings and whose `message` is the Rust error's text.
//! Embedded and remote databases give the same codes for the same faults: core's errors map by
//! who is at fault, a server's by the error class it sends. The codes are documented in the
//! package README; a test checks that each is there, and another that every Rust variant maps.
//!
//! Work that runs off the JS thread returns [`BindingError`] (plain Rust, `Send`); it becomes
//! a JS value only on the JS thread ([`BindingError::into_napi`]).

use napi::bindgen_prelude::Object;
use napi::{Env, JsError, JsValue};
use veritydb::client::ClientError;
use veritydb::error::{
    CheckpointError, Corruption, ExportError, InvalidInput, OpenError, ProofError, ReadError,
    ReceiptError, WriteError,
};
use veritydb::protocol::ErrorClass as WireClass;
use veritydb::protocol::codes as wire_codes;
use veritydb::sql::{ErrorClass, ExecuteError, PrepareError, QueryError};

/// The stable `code` of every error this package throws or rejects with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A JS value of the wrong type or an impossible value (a string for a position, a
    /// fractional number, a bigint beyond 64 bits, a `Symbol` as a SQL parameter).
    InvalidArgument,
    /// An argument or statement the database refuses: a tenant or stream name, event JSON, a
    /// field to disclose, a server URL; SQL that does not fit this database (unknown table or
    /// column, type mismatch, the wrong number of parameters, a write given to `query`). One
    /// code for both, because a server reports both as one class.
    Invalid,
    /// A `Database` used after `close()` (through it or any of its tenants and statements),
    /// or a `Batch` used after `commit()`.
    Closed,
    /// Not valid SQL.
    Syntax,
    /// Valid SQL outside the supported subset; the message names the construct.
    UnsupportedSql,
    /// A primary key, unique index, NOT NULL or length rule refused a change.
    Constraint,
    /// An expected row version did not match: nothing was written.
    Conflict,
    /// A position or time beyond the log.
    OutOfRange,
    /// A named limit was exceeded (`veritydb::limits`).
    Limit,
    /// Reading or writing storage or a file failed.
    Io,
    /// Another process holds the database open.
    InUse,
    /// An earlier write failure stopped the database: reopen it.
    Stopped,
    /// Stored data is damaged, or a safety check refused to sign an inconsistent checkpoint.
    Corrupt,
    /// A trusted key given to the verifier is not a valid Ed25519 C2SP vkey.
    InvalidKey,
    /// More trusted keys than `trusted_keys_max`.
    TooManyKeys,
    /// No trusted key was given: nothing could vouch for a signature.
    NoTrustedKey,
    /// A hash given as a string is not standard base64.
    InvalidBase64,
    /// An `ExportVerifier` used after `finish()`.
    VerifierFinished,
    /// The server could not be reached, TLS failed, or the connection broke.
    Network,
    /// The server refused the token: unknown, malformed, expired or revoked.
    Auth,
    /// The token is valid but may not do this (tenant, role or table).
    Forbidden,
    /// No such tenant, prepared statement or token on the server.
    NotFound,
    /// The server is overloaded or shutting down; retrying later may succeed.
    Busy,
    /// The server sent something that is not the protocol.
    Protocol,
    /// A bug in VerityDB (server or this package); please report it.
    Internal,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::InvalidArgument,
        ErrorCode::Invalid,
        ErrorCode::Closed,
        ErrorCode::Syntax,
        ErrorCode::UnsupportedSql,
        ErrorCode::Constraint,
        ErrorCode::Conflict,
        ErrorCode::OutOfRange,
        ErrorCode::Limit,
        ErrorCode::Io,
        ErrorCode::InUse,
        ErrorCode::Stopped,
        ErrorCode::Corrupt,
        ErrorCode::InvalidKey,
        ErrorCode::TooManyKeys,
        ErrorCode::NoTrustedKey,
        ErrorCode::InvalidBase64,
        ErrorCode::VerifierFinished,
        ErrorCode::Network,
        ErrorCode::Auth,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Busy,
        ErrorCode::Protocol,
        ErrorCode::Internal,
    ];

    /// The string JS code compares against (`error.code`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "VERITYDB_INVALID_ARGUMENT",
            ErrorCode::Invalid => "VERITYDB_INVALID",
            ErrorCode::Closed => "VERITYDB_CLOSED",
            ErrorCode::Syntax => "VERITYDB_SYNTAX",
            ErrorCode::UnsupportedSql => "VERITYDB_UNSUPPORTED_SQL",
            ErrorCode::Constraint => "VERITYDB_CONSTRAINT",
            ErrorCode::Conflict => "VERITYDB_CONFLICT",
            ErrorCode::OutOfRange => "VERITYDB_OUT_OF_RANGE",
            ErrorCode::Limit => "VERITYDB_LIMIT",
            ErrorCode::Io => "VERITYDB_IO",
            ErrorCode::InUse => "VERITYDB_IN_USE",
            ErrorCode::Stopped => "VERITYDB_STOPPED",
            ErrorCode::Corrupt => "VERITYDB_CORRUPT",
            ErrorCode::InvalidKey => "VERITYDB_INVALID_KEY",
            ErrorCode::TooManyKeys => "VERITYDB_TOO_MANY_KEYS",
            ErrorCode::NoTrustedKey => "VERITYDB_NO_TRUSTED_KEY",
            ErrorCode::InvalidBase64 => "VERITYDB_INVALID_BASE64",
            ErrorCode::VerifierFinished => "VERITYDB_VERIFIER_FINISHED",
            ErrorCode::Network => "VERITYDB_NETWORK",
            ErrorCode::Auth => "VERITYDB_AUTH",
            ErrorCode::Forbidden => "VERITYDB_FORBIDDEN",
            ErrorCode::NotFound => "VERITYDB_NOT_FOUND",
            ErrorCode::Busy => "VERITYDB_BUSY",
            ErrorCode::Protocol => "VERITYDB_PROTOCOL",
            ErrorCode::Internal => "VERITYDB_INTERNAL",
        }
    }
}

/// An error on its way to JavaScript: a code and the Rust error's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingError {
    /// What kind of fault.
    pub code: ErrorCode,
    /// The Rust error's text.
    pub message: String,
}

impl BindingError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> BindingError {
        BindingError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> BindingError {
        BindingError::new(ErrorCode::InvalidArgument, message)
    }

    pub(crate) fn closed(what: &str) -> BindingError {
        BindingError::new(ErrorCode::Closed, format!("{what} is closed"))
    }

    /// The JS `Error` with the message and a `code` property, as a `napi::Error` that carries
    /// that very object: returned from a callback or a task's `resolve`, it is what JS sees.
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        let code = self.code.as_str();
        let build = || -> napi::Result<napi::Error> {
            let error = JsError::from(napi::Error::from_reason(self.message.clone()));
            let value = error.into_unknown(*env);
            let mut object: Object<'_> = value.coerce_to_object()?;
            object.set("code", code)?;
            Ok(napi::Error::from(object.to_unknown()))
        };
        // Only an environment that is shutting down fails to build an Error object; napi's
        // own error then says the same thing without the `code` property.
        build().unwrap_or_else(|_| napi::Error::from_reason(format!("{code}: {}", self.message)))
    }
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// Whatever a conversion on the JS thread fails with (napi could not read a value at all):
/// an argument that could not be read.
impl From<napi::Error> for BindingError {
    fn from(e: napi::Error) -> BindingError {
        BindingError::invalid_argument(e.reason.clone())
    }
}

fn io_code(e: &std::io::Error) -> ErrorCode {
    match e.kind() {
        std::io::ErrorKind::InvalidInput => ErrorCode::Invalid,
        _ => ErrorCode::Io,
    }
}

impl From<InvalidInput> for BindingError {
    fn from(e: InvalidInput) -> BindingError {
        BindingError::new(ErrorCode::Invalid, e.to_string())
    }
}

impl From<Corruption> for BindingError {
    fn from(e: Corruption) -> BindingError {
        BindingError::new(ErrorCode::Corrupt, e.to_string())
    }
}

impl From<OpenError> for BindingError {
    fn from(e: OpenError) -> BindingError {
        let code = match &e {
            OpenError::Io(io) => io_code(io),
            OpenError::InUse(_) => ErrorCode::InUse,
            OpenError::Corrupt(_) => ErrorCode::Corrupt,
            OpenError::Invalid(_) | OpenError::NodeMismatch { .. } => ErrorCode::Invalid,
            OpenError::Random(_) => ErrorCode::Io,
            // A variant added to core later: still an error, flagged as unmapped.
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<WriteError> for BindingError {
    fn from(e: WriteError) -> BindingError {
        let code = match &e {
            WriteError::Invalid(_) => ErrorCode::Invalid,
            WriteError::TooLarge(_) | WriteError::LogFull(_) | WriteError::TooManyTenants(_) => {
                ErrorCode::Limit
            }
            // A failed write or sync stops the database until it is reopened.
            WriteError::Io(_) | WriteError::Stopped(_) => ErrorCode::Stopped,
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<ReadError> for BindingError {
    fn from(e: ReadError) -> BindingError {
        let code = match &e {
            ReadError::Invalid(_) => ErrorCode::Invalid,
            ReadError::TooMany { .. } => ErrorCode::Limit,
            ReadError::OutOfRange { .. } => ErrorCode::OutOfRange,
            ReadError::Io(io) => io_code(io),
            ReadError::Corrupt(_) => ErrorCode::Corrupt,
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<ProofError> for BindingError {
    fn from(e: ProofError) -> BindingError {
        let code = match &e {
            ProofError::OutOfRange(_) => ErrorCode::OutOfRange,
            ProofError::Io(io) => io_code(io),
            ProofError::Corrupt(_) => ErrorCode::Corrupt,
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<CheckpointError> for BindingError {
    fn from(e: CheckpointError) -> BindingError {
        let code = match e {
            CheckpointError::Write(w) => return w.into(),
            CheckpointError::Io(ref io) => io_code(io),
            CheckpointError::Inconsistent(_) => ErrorCode::Corrupt,
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<ReceiptError> for BindingError {
    fn from(e: ReceiptError) -> BindingError {
        match e {
            ReceiptError::Read(r) => r.into(),
            ReceiptError::UnknownField { .. } => {
                BindingError::new(ErrorCode::Invalid, e.to_string())
            }
            ReceiptError::Checkpoint(c) => c.into(),
            ReceiptError::Proof(p) => p.into(),
            _ => BindingError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

impl From<ExportError> for BindingError {
    fn from(e: ExportError) -> BindingError {
        match e {
            ExportError::Range { .. } => BindingError::new(ErrorCode::OutOfRange, e.to_string()),
            ExportError::Read(r) => r.into(),
            ExportError::Checkpoint(c) => c.into(),
            ExportError::Proof(p) => p.into(),
            ExportError::Output(_) => BindingError::new(ErrorCode::Io, e.to_string()),
            _ => BindingError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

/// The code of a SQL error class (`docs/reference/sql.md`): SQL errors map by their stable
/// class, so embedded and remote SQL errors get the same codes.
fn sql_code(class: ErrorClass) -> ErrorCode {
    match class {
        ErrorClass::Syntax => ErrorCode::Syntax,
        ErrorClass::Unsupported => ErrorCode::UnsupportedSql,
        ErrorClass::Invalid => ErrorCode::Invalid,
        ErrorClass::Constraint => ErrorCode::Constraint,
        ErrorClass::Conflict => ErrorCode::Conflict,
        ErrorClass::OutOfRange => ErrorCode::OutOfRange,
        ErrorClass::Limit => ErrorCode::Limit,
        ErrorClass::Io => ErrorCode::Io,
        ErrorClass::Corrupt => ErrorCode::Corrupt,
        _ => ErrorCode::Internal,
    }
}

impl From<PrepareError> for BindingError {
    fn from(e: PrepareError) -> BindingError {
        BindingError::new(sql_code(e.class()), e.to_string())
    }
}

impl From<QueryError> for BindingError {
    fn from(e: QueryError) -> BindingError {
        BindingError::new(sql_code(e.class()), e.to_string())
    }
}

impl From<ExecuteError> for BindingError {
    fn from(e: ExecuteError) -> BindingError {
        match e {
            // Appending failed: the log's own mapping says more (stopped, limit, input).
            ExecuteError::Write(w) => w.into(),
            _ => BindingError::new(sql_code(e.class()), e.to_string()),
        }
    }
}

impl From<veritydb_verify::KeyError> for BindingError {
    fn from(e: veritydb_verify::KeyError) -> BindingError {
        let code = match &e {
            veritydb_verify::KeyError::TooMany { .. } => ErrorCode::TooManyKeys,
            // Invalid, Ambiguous, and any variant a later library version adds: the auditor's
            // keys cannot be used as given.
            _ => ErrorCode::InvalidKey,
        };
        BindingError::new(code, e.to_string())
    }
}

impl From<ClientError> for BindingError {
    fn from(e: ClientError) -> BindingError {
        let code = match &e {
            ClientError::Url(_) | ClientError::Invalid(_) => ErrorCode::Invalid,
            ClientError::Connect(_)
            | ClientError::Io(_)
            | ClientError::Tls(_)
            | ClientError::Closed => ErrorCode::Network,
            ClientError::Protocol(_) => ErrorCode::Protocol,
            ClientError::Server(wire) if wire.code == wire_codes::STOPPED => ErrorCode::Stopped,
            ClientError::Server(wire) => wire_code(wire.class),
            ClientError::Output(_) => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        BindingError::new(code, e.to_string())
    }
}

/// The code of an error class a server sends (`docs/spec/protocol.md` §6): the same codes the
/// embedded database gives for the same faults.
fn wire_code(class: WireClass) -> ErrorCode {
    match class {
        WireClass::Protocol => ErrorCode::Protocol,
        WireClass::Unauthenticated => ErrorCode::Auth,
        WireClass::Forbidden => ErrorCode::Forbidden,
        WireClass::NotFound => ErrorCode::NotFound,
        WireClass::Syntax => ErrorCode::Syntax,
        WireClass::Unsupported => ErrorCode::UnsupportedSql,
        WireClass::Invalid => ErrorCode::Invalid,
        WireClass::Constraint => ErrorCode::Constraint,
        WireClass::Conflict => ErrorCode::Conflict,
        WireClass::OutOfRange => ErrorCode::OutOfRange,
        WireClass::Limit => ErrorCode::Limit,
        WireClass::Busy => ErrorCode::Busy,
        WireClass::Io => ErrorCode::Io,
        WireClass::Corrupt => ErrorCode::Corrupt,
        // `Unknown` is a class from a newer server; `Internal` a server bug.
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use veritydb::protocol::WireError;

    use super::*;

    fn io_error() -> io::Error {
        io::Error::other("disk on fire")
    }

    fn corruption() -> Corruption {
        Corruption {
            location: "segment 1".into(),
            detail: "bad crc".into(),
        }
    }

    fn invalid_inputs() -> Vec<InvalidInput> {
        vec![
            InvalidInput::TenantName("A".into()),
            InvalidInput::NodeName("/".into()),
            InvalidInput::Actor("\n".into()),
            InvalidInput::FieldName(String::new()),
            InvalidInput::FieldCount(5000),
            InvalidInput::PayloadSize(1 << 30),
            InvalidInput::StreamName(String::new()),
            InvalidInput::EventJson("{".into()),
        ]
    }

    fn check(cases: Vec<(BindingError, ErrorCode)>) {
        for (error, code) in cases {
            assert_eq!(error.code, code, "{}", error.message);
            assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn every_core_error_variant_maps_to_its_code() {
        use ErrorCode::*;
        let mut cases: Vec<(BindingError, ErrorCode)> = invalid_inputs()
            .into_iter()
            .map(|e| (e.into(), Invalid))
            .collect();
        cases.extend([
            (corruption().into(), Corrupt),
            (OpenError::Io(io_error()).into(), Io),
            (
                OpenError::Io(io::Error::new(io::ErrorKind::InvalidInput, "bad path")).into(),
                Invalid,
            ),
            (OpenError::InUse("pid 7".into()).into(), InUse),
            (OpenError::Corrupt(corruption()).into(), Corrupt),
            (
                OpenError::Invalid(InvalidInput::NodeName("/".into())).into(),
                Invalid,
            ),
            (
                OpenError::NodeMismatch {
                    stored: "a".into(),
                    requested: "b".into(),
                }
                .into(),
                Invalid,
            ),
            (OpenError::Random("no entropy".into()).into(), Io),
            (
                WriteError::Invalid(InvalidInput::StreamName(String::new())).into(),
                Invalid,
            ),
            (WriteError::TooLarge("big".into()).into(), Limit),
            (WriteError::LogFull("t".into()).into(), Limit),
            (WriteError::Io(io_error()).into(), Stopped),
            (WriteError::Stopped("earlier".into()).into(), Stopped),
            (WriteError::TooManyTenants(4096).into(), Limit),
            (
                ReadError::Invalid(InvalidInput::StreamName(String::new())).into(),
                Invalid,
            ),
            (
                ReadError::OutOfRange {
                    requested: 9,
                    size: 1,
                }
                .into(),
                OutOfRange,
            ),
            (
                ReadError::TooMany {
                    requested: 9,
                    max: 1,
                }
                .into(),
                Limit,
            ),
            (ReadError::Io(io_error()).into(), Io),
            (ReadError::Corrupt(corruption()).into(), Corrupt),
            (ProofError::OutOfRange("size".into()).into(), OutOfRange),
            (ProofError::Io(io_error()).into(), Io),
            (ProofError::Corrupt(corruption()).into(), Corrupt),
            (
                CheckpointError::Write(WriteError::Stopped("x".into())).into(),
                Stopped,
            ),
            (CheckpointError::Io(io_error()).into(), Io),
            (CheckpointError::Inconsistent("fork".into()).into(), Corrupt),
            (
                ReceiptError::Read(ReadError::OutOfRange {
                    requested: 9,
                    size: 1,
                })
                .into(),
                OutOfRange,
            ),
            (
                ReceiptError::UnknownField {
                    position: 0,
                    field: "x".into(),
                }
                .into(),
                Invalid,
            ),
            (
                ReceiptError::Checkpoint(CheckpointError::Io(io_error())).into(),
                Io,
            ),
            (
                ReceiptError::Proof(ProofError::OutOfRange("x".into())).into(),
                OutOfRange,
            ),
            (
                ExportError::Range {
                    from: 5,
                    to: 1,
                    size: 3,
                }
                .into(),
                OutOfRange,
            ),
            (ExportError::Read(ReadError::Io(io_error())).into(), Io),
            (
                ExportError::Checkpoint(CheckpointError::Inconsistent("x".into())).into(),
                Corrupt,
            ),
            (
                ExportError::Proof(ProofError::Corrupt(corruption())).into(),
                Corrupt,
            ),
            (ExportError::Output(io_error()).into(), Io),
        ]);
        check(cases);
    }

    #[test]
    fn every_sql_error_variant_maps_to_its_code() {
        use ErrorCode::*;
        let prepare = || {
            vec![
                (PrepareError::Syntax("x".into()), Syntax),
                (PrepareError::Unsupported("x".into()), UnsupportedSql),
                (PrepareError::Invalid("x".into()), Invalid),
                (PrepareError::Limit("x".into()), Limit),
            ]
        };
        let mut cases: Vec<(BindingError, ErrorCode)> = Vec::new();
        for (e, code) in prepare() {
            cases.push((QueryError::Prepare(e.clone()).into(), code));
            cases.push((ExecuteError::Prepare(e.clone()).into(), code));
            cases.push((e.into(), code));
        }
        cases.extend([
            (QueryError::Invalid("x".into()).into(), Invalid),
            (QueryError::Unsupported("x".into()).into(), UnsupportedSql),
            (QueryError::OutOfRange("x".into()).into(), OutOfRange),
            (QueryError::Limit("x".into()).into(), Limit),
            (QueryError::Io(io_error()).into(), Io),
            (QueryError::Corrupt(corruption()).into(), Corrupt),
            (ExecuteError::Invalid("x".into()).into(), Invalid),
            (ExecuteError::Unsupported("x".into()).into(), UnsupportedSql),
            (ExecuteError::Constraint("x".into()).into(), Constraint),
            (ExecuteError::Conflict("x".into()).into(), Conflict),
            (ExecuteError::Limit("x".into()).into(), Limit),
            (
                ExecuteError::Write(WriteError::TooLarge("x".into())).into(),
                Limit,
            ),
            (
                ExecuteError::Write(WriteError::Io(io_error())).into(),
                Stopped,
            ),
            (ExecuteError::Io(io_error()).into(), Io),
            (ExecuteError::Corrupt(corruption()).into(), Corrupt),
        ]);
        check(cases);
    }

    #[test]
    fn every_client_error_and_server_class_maps_to_its_code() {
        use ErrorCode::*;
        let server = |class: u8, code: u16| {
            ClientError::Server(WireError::new(WireClass::from_code(class), code, "m"))
        };
        let mut cases: Vec<(BindingError, ErrorCode)> = vec![
            (ClientError::Url("http://x".into()).into(), Invalid),
            (ClientError::Connect(io_error()).into(), Network),
            (ClientError::Tls("bad cert".into()).into(), Network),
            (ClientError::Io(io_error()).into(), Network),
            (ClientError::Closed.into(), Network),
            (ClientError::Protocol("x".into()).into(), Protocol),
            (ClientError::Output(io_error()).into(), Io),
            (ClientError::Invalid("x".into()).into(), Invalid),
            (server(13, wire_codes::STOPPED).into(), Stopped),
        ];
        // Every class a server sends, by its number on the wire (0 is a newer server's).
        let classes = [
            Internal,
            Protocol,
            Auth,
            Forbidden,
            NotFound,
            Syntax,
            UnsupportedSql,
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
        for (number, code) in classes.into_iter().enumerate() {
            let number = u8::try_from(number).expect("16 classes");
            assert_eq!(WireClass::from_code(number).code(), number);
            cases.push((server(number, 1).into(), code));
        }
        check(cases);
    }

    #[test]
    fn every_key_error_maps_to_a_code() {
        // `KeyError::Ambiguous` needs two keys whose ids collide, which cannot be built; it
        // takes the same arm as `Invalid`.
        let invalid = veritydb_verify::TrustedKeys::parse(["not a vkey"]);
        let too_many = veritydb_verify::TrustedKeys::parse(vec![
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
            veritydb_verify::limits::TRUSTED_KEYS_MAX
                + 1
        ]);
        for (result, code) in [
            (invalid, ErrorCode::InvalidKey),
            (too_many, ErrorCode::TooManyKeys),
        ] {
            let error = result.expect_err("the keys are refused");
            assert_eq!(BindingError::from(error).code, code);
        }
    }

    #[test]
    fn every_code_is_documented_and_distinct() {
        let readme = include_str!("../README.md");
        let typings = include_str!("../header.d.ts");
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            let name = code.as_str();
            assert!(name.starts_with("VERITYDB_"));
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in the README"
            );
            assert!(
                typings.contains(&format!("'{name}'")),
                "{name} is not in header.d.ts"
            );
            for other in &ErrorCode::ALL[i + 1..] {
                assert_ne!(name, other.as_str());
            }
        }
    }
}
