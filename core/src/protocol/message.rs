//! Typed requests and responses (`docs/spec/protocol.md` §3–§5) and their bodies.
//!
//! Invariants: `decode(t, encode(m)) == m` for every message; a decoder consumes the whole
//! body or fails; every list is counted against a named limit and against the bytes left
//! before anything is allocated for it. Semantic checks (tenant names, SQL, JSON) are the
//! receiver's: the codec only bounds sizes.

use super::DecodeError;
use super::frame::{FLAG_MORE, write_frame};
use super::limits::*;
use super::wire::{Put, Reader, value_bytes};
use crate::checkpoint::Checkpoint;
use crate::limits as core_limits;
use crate::sql::{At, ResultColumn, Rows, Value};

/// Frame type numbers (§3 requests, §4 responses).
pub mod types {
    #![allow(missing_docs)]
    pub const HELLO: u8 = 0x01;
    pub const PING: u8 = 0x02;
    pub const EXECUTE: u8 = 0x10;
    pub const QUERY: u8 = 0x11;
    pub const PREPARE: u8 = 0x12;
    pub const EXECUTE_PREPARED: u8 = 0x13;
    pub const QUERY_PREPARED: u8 = 0x14;
    pub const CLOSE_PREPARED: u8 = 0x15;
    pub const BATCH: u8 = 0x16;
    pub const READ_AT_LEAST: u8 = 0x17;
    pub const APPEND: u8 = 0x20;
    pub const READ: u8 = 0x21;
    pub const SIZE: u8 = 0x22;
    pub const CHECKPOINT: u8 = 0x30;
    pub const LATEST_CHECKPOINT: u8 = 0x31;
    pub const CHECKPOINTS: u8 = 0x32;
    pub const CHECKPOINT_COUNT: u8 = 0x33;
    pub const ROOT: u8 = 0x34;
    pub const INCLUSION_PROOF: u8 = 0x35;
    pub const CONSISTENCY_PROOF: u8 = 0x36;
    pub const RECEIPT: u8 = 0x37;
    pub const EXPORT: u8 = 0x38;
    pub const TENANT_INFO: u8 = 0x39;
    pub const CREATE_TENANT: u8 = 0x40;
    pub const LIST_TENANTS: u8 = 0x41;
    pub const CREATE_TOKEN: u8 = 0x42;
    pub const LIST_TOKENS: u8 = 0x43;
    pub const REVOKE_TOKEN: u8 = 0x44;
    pub const STATUS: u8 = 0x45;
    pub const SET_TABLE_AUDITED: u8 = 0x46;

    pub const OK: u8 = 0x80;
    pub const WELCOME: u8 = 0x81;
    pub const PONG: u8 = 0x82;
    pub const EXECUTED: u8 = 0x90;
    pub const ROWS: u8 = 0x91;
    pub const PREPARED: u8 = 0x92;
    pub const APPENDED: u8 = 0xA0;
    pub const EVENTS: u8 = 0xA1;
    pub const NUMBER: u8 = 0xA2;
    pub const CHECKPOINT_IS: u8 = 0xB0;
    pub const MAYBE_CHECKPOINT: u8 = 0xB1;
    pub const CHECKPOINT_LIST: u8 = 0xB2;
    pub const HASH: u8 = 0xB3;
    pub const PROOF: u8 = 0xB4;
    pub const RECEIPT_IS: u8 = 0xB5;
    pub const EXPORT_CHUNK: u8 = 0xB6;
    pub const EXPORT_DONE: u8 = 0xB7;
    pub const TENANT_INFO_IS: u8 = 0xB8;
    pub const TENANTS: u8 = 0xC0;
    pub const TOKEN_CREATED: u8 = 0xC1;
    pub const TOKENS: u8 = 0xC2;
    pub const STATUS_IS: u8 = 0xC3;
    pub const ERROR: u8 = 0xFF;
}

/// The magic at the start of a hello body: "VDBP".
pub const HELLO_MAGIC: [u8; 4] = *b"VDBP";

/// A token's role (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Queries rows, reads streams, fetches checkpoints, proofs, receipts and exports.
    Reader = 1,
    /// A reader that also writes rows and appends events.
    Writer = 2,
    /// Everything in its scope, including schema changes, tokens and audit settings.
    Admin = 3,
    /// Checkpoints, proofs, receipts and exports; never rows or events.
    Auditor = 4,
}

impl Role {
    /// The role for its number.
    pub fn from_code(code: u8) -> Option<Role> {
        match code {
            1 => Some(Role::Reader),
            2 => Some(Role::Writer),
            3 => Some(Role::Admin),
            4 => Some(Role::Auditor),
            _ => None,
        }
    }

    /// The role's number.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The role's name (`reader`, `writer`, `admin`, `auditor`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// The role for its name.
    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Reader, Role::Writer, Role::Admin, Role::Auditor]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

/// The scope of a token that covers every tenant of the node.
pub const ALL_TENANTS: &str = "*";

/// The first frame of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The lowest protocol version the client speaks.
    pub version_min: u16,
    /// The highest.
    pub version_max: u16,
    /// The bearer token.
    pub token: String,
    /// The client's name and version, for logs.
    pub client: String,
}

/// The server's answer to a valid hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// The version both sides now speak.
    pub version: u16,
    /// The server's name and version.
    pub server: String,
    /// The node's name (origins are `node_name/tenant`).
    pub node_name: String,
    /// The server's frame limit.
    pub frame_bytes_max: u32,
    /// The token's id.
    pub token_id: String,
    /// The token's tenant, or `*`.
    pub tenant: String,
    /// The token's role.
    pub role: Role,
}

/// One statement of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchStatement {
    /// SQL text with parameters.
    Sql {
        /// The statement.
        sql: String,
        /// Its parameters.
        params: Vec<Value>,
    },
    /// A statement prepared on this connection.
    Prepared {
        /// The statement id from `Prepared`.
        statement: u32,
        /// Its parameters.
        params: Vec<Value>,
    },
}

/// A row-version precondition of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The table.
    pub table: String,
    /// The primary key.
    pub key: Vec<Value>,
    /// The version the row must have, or `None` for "must not exist".
    pub version: Option<u64>,
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The public id (16 hex digits).
    pub id: String,
    /// The tenant, or `*` for every tenant.
    pub tenant: String,
    /// The role.
    pub role: Role,
    /// Tables the token is limited to (empty: no limit).
    pub tables: Vec<String>,
    /// When it expires, in microseconds since the Unix epoch.
    pub expires_at_us: Option<u64>,
    /// When it was created.
    pub created_at_us: u64,
    /// Who or what it is for.
    pub label: String,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A tenant's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// The tenant's name.
    pub name: String,
    /// The origin of its log.
    pub origin: String,
    /// The C2SP verifier key of its checkpoints.
    pub verifier_key: String,
    /// The number of durable entries.
    pub size: u64,
    /// The number of durable checkpoints.
    pub checkpoints: u64,
}

/// An event read back from a stream (the stream is the one requested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Position in the tenant's log.
    pub position: u64,
    /// When it was appended, in microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// The event, as JSON text.
    pub data: String,
}

/// One frame's share of a query result.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsPart {
    /// The result columns, in the first part only.
    pub columns: Option<Vec<ResultColumn>>,
    /// Values per row.
    pub column_count: u16,
    /// Rows of this part.
    pub rows: Vec<Vec<Value>>,
    /// The version of each row.
    pub versions: Vec<u64>,
}

/// What an export wrote (the final frame of an export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportDone {
    /// First position.
    pub from: u64,
    /// End position (exclusive).
    pub to: u64,
    /// Entries written.
    pub entries: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// A request (§3).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)] // fields are described in docs/spec/protocol.md §3
pub enum Request {
    Hello(Hello),
    Ping,
    Execute {
        tenant: String,
        sql: String,
        params: Vec<Value>,
    },
    Query {
        tenant: String,
        sql: String,
        params: Vec<Value>,
        at: Option<At>,
    },
    Prepare {
        tenant: String,
        statement: u32,
        sql: String,
    },
    ExecutePrepared {
        statement: u32,
        params: Vec<Value>,
    },
    QueryPrepared {
        statement: u32,
        params: Vec<Value>,
        at: Option<At>,
    },
    ClosePrepared {
        statement: u32,
    },
    Batch {
        tenant: String,
        statements: Vec<BatchStatement>,
        expectations: Vec<Expectation>,
    },
    ReadAtLeast {
        tenant: String,
        position: u64,
    },
    Append {
        tenant: String,
        events: Vec<(String, String)>,
    },
    Read {
        tenant: String,
        stream: String,
        start: u64,
        end: u64,
    },
    Size {
        tenant: String,
    },
    Checkpoint {
        tenant: String,
    },
    LatestCheckpoint {
        tenant: String,
    },
    Checkpoints {
        tenant: String,
        start: u64,
        end: u64,
    },
    CheckpointCount {
        tenant: String,
    },
    Root {
        tenant: String,
        size: u64,
    },
    InclusionProof {
        tenant: String,
        index: u64,
        size: u64,
    },
    ConsistencyProof {
        tenant: String,
        old_size: u64,
        new_size: u64,
    },
    Receipt {
        tenant: String,
        position: u64,
        disclose: Vec<String>,
    },
    Export {
        tenant: String,
        from: u64,
        to: Option<u64>,
        withhold: Vec<String>,
    },
    TenantInfo {
        tenant: String,
    },
    CreateTenant {
        tenant: String,
    },
    ListTenants,
    CreateToken {
        tenant: String,
        role: Role,
        tables: Vec<String>,
        expires_at_us: Option<u64>,
        label: String,
    },
    ListTokens {
        tenant: Option<String>,
    },
    RevokeToken {
        token_id: String,
    },
    Status,
    SetTableAudited {
        tenant: String,
        table: String,
        audited: bool,
    },
}

/// A response (§4). Multi-frame responses (rows, events, checkpoints, export chunks) arrive
/// as several frames with `FLAG_MORE` on all but the last.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)] // fields are described in docs/spec/protocol.md §4
pub enum Response {
    Ok,
    Welcome(Welcome),
    Pong,
    Executed {
        position: u64,
        rows_affected: u64,
    },
    Rows(RowsPart),
    Prepared {
        statement: u32,
        param_count: u16,
        is_query: bool,
    },
    Appended {
        start: u64,
        end: u64,
    },
    Events(Vec<EventRecord>),
    Number(u64),
    Checkpoint(Checkpoint),
    MaybeCheckpoint(Option<Checkpoint>),
    Checkpoints(Vec<Checkpoint>),
    Hash([u8; 32]),
    Proof(Vec<[u8; 32]>),
    Receipt {
        position: u64,
        checkpoint: Checkpoint,
        text: String,
    },
    ExportChunk {
        data: Vec<u8>,
        entries_written: u64,
        entries_total: u64,
    },
    ExportDone(ExportDone),
    TenantInfo(TenantInfo),
    Tenants(Vec<String>),
    TokenCreated {
        info: TokenInfo,
        secret: String,
    },
    Tokens(Vec<TokenInfo>),
    Status(Vec<(String, String)>),
    Error(super::WireError),
}

const TENANT: usize = core_limits::TENANT_NAME_BYTES_MAX;
const NAME: usize = 255;
const TEXT_MAX: usize = FRAME_BYTES_MAX;

impl Request {
    /// The frame type of this request.
    pub fn frame_type(&self) -> u8 {
        use types::*;
        match self {
            Request::Hello(_) => HELLO,
            Request::Ping => PING,
            Request::Execute { .. } => EXECUTE,
            Request::Query { .. } => QUERY,
            Request::Prepare { .. } => PREPARE,
            Request::ExecutePrepared { .. } => EXECUTE_PREPARED,
            Request::QueryPrepared { .. } => QUERY_PREPARED,
            Request::ClosePrepared { .. } => CLOSE_PREPARED,
            Request::Batch { .. } => BATCH,
            Request::ReadAtLeast { .. } => READ_AT_LEAST,
            Request::Append { .. } => APPEND,
            Request::Read { .. } => READ,
            Request::Size { .. } => SIZE,
            Request::Checkpoint { .. } => CHECKPOINT,
            Request::LatestCheckpoint { .. } => LATEST_CHECKPOINT,
            Request::Checkpoints { .. } => CHECKPOINTS,
            Request::CheckpointCount { .. } => CHECKPOINT_COUNT,
            Request::Root { .. } => ROOT,
            Request::InclusionProof { .. } => INCLUSION_PROOF,
            Request::ConsistencyProof { .. } => CONSISTENCY_PROOF,
            Request::Receipt { .. } => RECEIPT,
            Request::Export { .. } => EXPORT,
            Request::TenantInfo { .. } => TENANT_INFO,
            Request::CreateTenant { .. } => CREATE_TENANT,
            Request::ListTenants => LIST_TENANTS,
            Request::CreateToken { .. } => CREATE_TOKEN,
            Request::ListTokens { .. } => LIST_TOKENS,
            Request::RevokeToken { .. } => REVOKE_TOKEN,
            Request::Status => STATUS,
            Request::SetTableAudited { .. } => SET_TABLE_AUDITED,
        }
    }

    /// A short stable name of the request type, for logs and metrics.
    pub fn name(&self) -> &'static str {
        type_name(self.frame_type())
    }

    /// The tenant the request names, if any.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Request::Execute { tenant, .. }
            | Request::Query { tenant, .. }
            | Request::Prepare { tenant, .. }
            | Request::Batch { tenant, .. }
            | Request::ReadAtLeast { tenant, .. }
            | Request::Append { tenant, .. }
            | Request::Read { tenant, .. }
            | Request::Size { tenant }
            | Request::Checkpoint { tenant }
            | Request::LatestCheckpoint { tenant }
            | Request::Checkpoints { tenant, .. }
            | Request::CheckpointCount { tenant }
            | Request::Root { tenant, .. }
            | Request::InclusionProof { tenant, .. }
            | Request::ConsistencyProof { tenant, .. }
            | Request::Receipt { tenant, .. }
            | Request::Export { tenant, .. }
            | Request::TenantInfo { tenant }
            | Request::CreateTenant { tenant }
            | Request::CreateToken { tenant, .. }
            | Request::SetTableAudited { tenant, .. } => Some(tenant),
            Request::ListTokens { tenant } => tenant.as_deref(),
            _ => None,
        }
    }

    /// Appends the whole frame of this request.
    pub fn encode(&self, request_id: u64, out: &mut Vec<u8>) {
        write_frame(out, self.frame_type(), 0, request_id, |b| {
            self.encode_body(b);
        });
    }

    fn encode_body(&self, b: &mut Vec<u8>) {
        match self {
            Request::Hello(h) => {
                b.extend_from_slice(&HELLO_MAGIC);
                b.put_u16(h.version_min);
                b.put_u16(h.version_max);
                b.put_str16(&h.token);
                b.put_str8(&h.client);
            }
            Request::Ping | Request::ListTenants | Request::Status => {}
            Request::Execute {
                tenant,
                sql,
                params,
            } => {
                b.put_str8(tenant);
                b.put_str32(sql);
                b.put_values(params);
            }
            Request::Query {
                tenant,
                sql,
                params,
                at,
            } => {
                b.put_str8(tenant);
                b.put_str32(sql);
                b.put_values(params);
                put_at(b, *at);
            }
            Request::Prepare {
                tenant,
                statement,
                sql,
            } => {
                b.put_str8(tenant);
                b.put_u32(*statement);
                b.put_str32(sql);
            }
            Request::ExecutePrepared { statement, params } => {
                b.put_u32(*statement);
                b.put_values(params);
            }
            Request::QueryPrepared {
                statement,
                params,
                at,
            } => {
                b.put_u32(*statement);
                b.put_values(params);
                put_at(b, *at);
            }
            Request::ClosePrepared { statement } => b.put_u32(*statement),
            Request::Batch {
                tenant,
                statements,
                expectations,
            } => {
                b.put_str8(tenant);
                b.put_u32(len32(statements.len()));
                for s in statements {
                    match s {
                        BatchStatement::Sql { sql, params } => {
                            b.put_u8(0);
                            b.put_str32(sql);
                            b.put_values(params);
                        }
                        BatchStatement::Prepared { statement, params } => {
                            b.put_u8(1);
                            b.put_u32(*statement);
                            b.put_values(params);
                        }
                    }
                }
                b.put_u32(len32(expectations.len()));
                for e in expectations {
                    b.put_str8(&e.table);
                    b.put_values(&e.key);
                    b.put_bool(e.version.is_some());
                    b.put_u64(e.version.unwrap_or(0));
                }
            }
            Request::ReadAtLeast { tenant, position } => {
                b.put_str8(tenant);
                b.put_u64(*position);
            }
            Request::Append { tenant, events } => {
                b.put_str8(tenant);
                b.put_u32(len32(events.len()));
                for (stream, event) in events {
                    b.put_str16(stream);
                    b.put_str32(event);
                }
            }
            Request::Read {
                tenant,
                stream,
                start,
                end,
            } => {
                b.put_str8(tenant);
                b.put_str16(stream);
                b.put_u64(*start);
                b.put_u64(*end);
            }
            Request::Size { tenant }
            | Request::Checkpoint { tenant }
            | Request::LatestCheckpoint { tenant }
            | Request::CheckpointCount { tenant }
            | Request::TenantInfo { tenant }
            | Request::CreateTenant { tenant } => b.put_str8(tenant),
            Request::Checkpoints { tenant, start, end } => {
                b.put_str8(tenant);
                b.put_u64(*start);
                b.put_u64(*end);
            }
            Request::Root { tenant, size } => {
                b.put_str8(tenant);
                b.put_u64(*size);
            }
            Request::InclusionProof {
                tenant,
                index,
                size,
            } => {
                b.put_str8(tenant);
                b.put_u64(*index);
                b.put_u64(*size);
            }
            Request::ConsistencyProof {
                tenant,
                old_size,
                new_size,
            } => {
                b.put_str8(tenant);
                b.put_u64(*old_size);
                b.put_u64(*new_size);
            }
            Request::Receipt {
                tenant,
                position,
                disclose,
            } => {
                b.put_str8(tenant);
                b.put_u64(*position);
                put_names(b, disclose);
            }
            Request::Export {
                tenant,
                from,
                to,
                withhold,
            } => {
                b.put_str8(tenant);
                b.put_u64(*from);
                b.put_bool(to.is_some());
                b.put_u64(to.unwrap_or(0));
                put_names(b, withhold);
            }
            Request::CreateToken {
                tenant,
                role,
                tables,
                expires_at_us,
                label,
            } => {
                b.put_str8(tenant);
                b.put_u8(role.code());
                put_names(b, tables);
                b.put_u64(expires_at_us.unwrap_or(0));
                b.put_str8(label);
            }
            Request::ListTokens { tenant } => b.put_str8(tenant.as_deref().unwrap_or("")),
            Request::RevokeToken { token_id } => b.put_str8(token_id),
            Request::SetTableAudited {
                tenant,
                table,
                audited,
            } => {
                b.put_str8(tenant);
                b.put_str8(table);
                b.put_bool(*audited);
            }
        }
    }

    /// Decodes a request body of frame type `frame_type`.
    pub fn decode(frame_type: u8, body: &[u8]) -> Result<Request, DecodeError> {
        use types::*;
        let mut r = Reader::new(body);
        let request = match frame_type {
            HELLO => {
                if r.array::<4>("hello magic")? != HELLO_MAGIC {
                    return Err(DecodeError::Invalid(
                        "hello magic",
                        "not a VerityDB client".into(),
                    ));
                }
                Request::Hello(Hello {
                    version_min: r.u16("version")?,
                    version_max: r.u16("version")?,
                    token: r.str16(TOKEN_TEXT_BYTES_MAX, "token")?,
                    client: r.str8(CLIENT_NAME_BYTES_MAX, "client name")?,
                })
            }
            PING => Request::Ping,
            LIST_TENANTS => Request::ListTenants,
            STATUS => Request::Status,
            EXECUTE => Request::Execute {
                tenant: tenant(&mut r)?,
                sql: r.str32(TEXT_MAX, "sql")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
            },
            QUERY => Request::Query {
                tenant: tenant(&mut r)?,
                sql: r.str32(TEXT_MAX, "sql")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
                at: at(&mut r)?,
            },
            PREPARE => Request::Prepare {
                tenant: tenant(&mut r)?,
                statement: r.u32("statement")?,
                sql: r.str32(TEXT_MAX, "sql")?,
            },
            EXECUTE_PREPARED => Request::ExecutePrepared {
                statement: r.u32("statement")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
            },
            QUERY_PREPARED => Request::QueryPrepared {
                statement: r.u32("statement")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
                at: at(&mut r)?,
            },
            CLOSE_PREPARED => Request::ClosePrepared {
                statement: r.u32("statement")?,
            },
            BATCH => decode_batch(&mut r)?,
            READ_AT_LEAST => Request::ReadAtLeast {
                tenant: tenant(&mut r)?,
                position: r.u64("position")?,
            },
            APPEND => {
                let tenant = tenant(&mut r)?;
                let n = r.count32(APPEND_EVENTS_PER_REQUEST_MAX, 6, "events")?;
                let events = (0..n)
                    .map(|_| Ok((r.str16(NAME_16, "stream")?, r.str32(TEXT_MAX, "event")?)))
                    .collect::<Result<_, DecodeError>>()?;
                Request::Append { tenant, events }
            }
            READ => Request::Read {
                tenant: tenant(&mut r)?,
                stream: r.str16(NAME_16, "stream")?,
                start: r.u64("start")?,
                end: r.u64("end")?,
            },
            SIZE => Request::Size {
                tenant: tenant(&mut r)?,
            },
            CHECKPOINT => Request::Checkpoint {
                tenant: tenant(&mut r)?,
            },
            LATEST_CHECKPOINT => Request::LatestCheckpoint {
                tenant: tenant(&mut r)?,
            },
            CHECKPOINTS => Request::Checkpoints {
                tenant: tenant(&mut r)?,
                start: r.u64("start")?,
                end: r.u64("end")?,
            },
            CHECKPOINT_COUNT => Request::CheckpointCount {
                tenant: tenant(&mut r)?,
            },
            ROOT => Request::Root {
                tenant: tenant(&mut r)?,
                size: r.u64("size")?,
            },
            INCLUSION_PROOF => Request::InclusionProof {
                tenant: tenant(&mut r)?,
                index: r.u64("index")?,
                size: r.u64("size")?,
            },
            CONSISTENCY_PROOF => Request::ConsistencyProof {
                tenant: tenant(&mut r)?,
                old_size: r.u64("old size")?,
                new_size: r.u64("new size")?,
            },
            RECEIPT => Request::Receipt {
                tenant: tenant(&mut r)?,
                position: r.u64("position")?,
                disclose: names(&mut r, FIELD_NAMES_PER_REQUEST_MAX, "field names")?,
            },
            EXPORT => {
                let tenant = tenant(&mut r)?;
                let from = r.u64("from")?;
                let has_to = r.bool("to")?;
                let to = r.u64("to")?;
                Request::Export {
                    tenant,
                    from,
                    to: has_to.then_some(to),
                    withhold: names(&mut r, FIELD_NAMES_PER_REQUEST_MAX, "field names")?,
                }
            }
            TENANT_INFO => Request::TenantInfo {
                tenant: tenant(&mut r)?,
            },
            CREATE_TENANT => Request::CreateTenant {
                tenant: tenant(&mut r)?,
            },
            CREATE_TOKEN => {
                let tenant = tenant(&mut r)?;
                let role = role(&mut r)?;
                let tables = names(&mut r, TABLES_PER_TOKEN_MAX, "tables")?;
                let expires = r.u64("expiry")?;
                Request::CreateToken {
                    tenant,
                    role,
                    tables,
                    expires_at_us: (expires > 0).then_some(expires),
                    label: r.str8(TOKEN_LABEL_BYTES_MAX, "label")?,
                }
            }
            LIST_TOKENS => {
                let tenant = r.str8(TENANT, "tenant")?;
                Request::ListTokens {
                    tenant: (!tenant.is_empty()).then_some(tenant),
                }
            }
            REVOKE_TOKEN => Request::RevokeToken {
                token_id: r.str8(TOKEN_ID_BYTES_MAX, "token id")?,
            },
            SET_TABLE_AUDITED => Request::SetTableAudited {
                tenant: tenant(&mut r)?,
                table: r.str8(NAME, "table")?,
                audited: r.bool("audited")?,
            },
            other => return Err(DecodeError::UnknownType(other)),
        };
        r.finish()?;
        Ok(request)
    }
}

/// Stream names travel as `str16`; core refuses those above `STREAM_NAME_BYTES_MAX` with a
/// clean error instead of the codec closing the connection.
const NAME_16: usize = u16::MAX as usize;

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("lists are bounded far below u32::MAX")
}

fn tenant(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    r.str8(TENANT, "tenant")
}

fn role(r: &mut Reader<'_>) -> Result<Role, DecodeError> {
    let code = r.u8("role")?;
    Role::from_code(code).ok_or(DecodeError::Invalid("role", format!("unknown role {code}")))
}

fn put_at(b: &mut Vec<u8>, at: Option<At>) {
    match at {
        None => {
            b.put_u8(0);
            b.put_u64(0);
        }
        Some(At::Position(p)) => {
            b.put_u8(1);
            b.put_u64(p);
        }
        Some(At::Timestamp(t)) => {
            b.put_u8(2);
            b.put_u64(t);
        }
    }
}

fn at(r: &mut Reader<'_>) -> Result<Option<At>, DecodeError> {
    let kind = r.u8("at")?;
    let value = r.u64("at")?;
    match kind {
        0 => Ok(None),
        1 => Ok(Some(At::Position(value))),
        2 => Ok(Some(At::Timestamp(value))),
        k => Err(DecodeError::Invalid("at", format!("unknown kind {k}"))),
    }
}

fn put_names(b: &mut Vec<u8>, names: &[String]) {
    b.put_u16(u16::try_from(names.len()).expect("name lists are validated"));
    for n in names {
        b.put_str8(n);
    }
}

fn names(r: &mut Reader<'_>, max: usize, what: &'static str) -> Result<Vec<String>, DecodeError> {
    let n = r.count16(max, 1, what)?;
    (0..n).map(|_| r.str8(NAME, what)).collect()
}

fn decode_batch(r: &mut Reader<'_>) -> Result<Request, DecodeError> {
    let tenant = tenant(r)?;
    let n = r.count32(core_limits::SQL_BATCH_STATEMENTS_MAX, 3, "statements")?;
    let mut statements = Vec::with_capacity(n);
    for _ in 0..n {
        statements.push(match r.u8("statement kind")? {
            0 => BatchStatement::Sql {
                sql: r.str32(TEXT_MAX, "sql")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
            },
            1 => BatchStatement::Prepared {
                statement: r.u32("statement")?,
                params: r.values(core_limits::SQL_PARAMS_MAX)?,
            },
            k => {
                return Err(DecodeError::Invalid(
                    "statement kind",
                    format!("unknown kind {k}"),
                ));
            }
        });
    }
    let m = r.count32(core_limits::SQL_BATCH_STATEMENTS_MAX, 12, "expectations")?;
    let mut expectations = Vec::with_capacity(m);
    for _ in 0..m {
        let table = r.str8(NAME, "table")?;
        let key = r.values(core_limits::SQL_INDEX_COLUMNS_MAX)?;
        let has_version = r.bool("version")?;
        let version = r.u64("version")?;
        expectations.push(Expectation {
            table,
            key,
            version: has_version.then_some(version),
        });
    }
    Ok(Request::Batch {
        tenant,
        statements,
        expectations,
    })
}

/// The name of a frame type, for logs and metrics (`unknown` for undefined numbers).
pub fn type_name(frame_type: u8) -> &'static str {
    use types::*;
    match frame_type {
        HELLO => "hello",
        PING => "ping",
        EXECUTE => "execute",
        QUERY => "query",
        PREPARE => "prepare",
        EXECUTE_PREPARED => "execute_prepared",
        QUERY_PREPARED => "query_prepared",
        CLOSE_PREPARED => "close_prepared",
        BATCH => "batch",
        READ_AT_LEAST => "read_at_least",
        APPEND => "append",
        READ => "read",
        SIZE => "size",
        CHECKPOINT => "checkpoint",
        LATEST_CHECKPOINT => "latest_checkpoint",
        CHECKPOINTS => "checkpoints",
        CHECKPOINT_COUNT => "checkpoint_count",
        ROOT => "root",
        INCLUSION_PROOF => "inclusion_proof",
        CONSISTENCY_PROOF => "consistency_proof",
        RECEIPT => "receipt",
        EXPORT => "export",
        TENANT_INFO => "tenant_info",
        CREATE_TENANT => "create_tenant",
        LIST_TENANTS => "list_tenants",
        CREATE_TOKEN => "create_token",
        LIST_TOKENS => "list_tokens",
        REVOKE_TOKEN => "revoke_token",
        STATUS => "status",
        SET_TABLE_AUDITED => "set_table_audited",
        _ => "unknown",
    }
}

impl Response {
    /// The frame type of this response.
    pub fn frame_type(&self) -> u8 {
        use types::*;
        match self {
            Response::Ok => OK,
            Response::Welcome(_) => WELCOME,
            Response::Pong => PONG,
            Response::Executed { .. } => EXECUTED,
            Response::Rows(_) => ROWS,
            Response::Prepared { .. } => PREPARED,
            Response::Appended { .. } => APPENDED,
            Response::Events(_) => EVENTS,
            Response::Number(_) => NUMBER,
            Response::Checkpoint(_) => CHECKPOINT_IS,
            Response::MaybeCheckpoint(_) => MAYBE_CHECKPOINT,
            Response::Checkpoints(_) => CHECKPOINT_LIST,
            Response::Hash(_) => HASH,
            Response::Proof(_) => PROOF,
            Response::Receipt { .. } => RECEIPT_IS,
            Response::ExportChunk { .. } => EXPORT_CHUNK,
            Response::ExportDone(_) => EXPORT_DONE,
            Response::TenantInfo(_) => TENANT_INFO_IS,
            Response::Tenants(_) => TENANTS,
            Response::TokenCreated { .. } => TOKEN_CREATED,
            Response::Tokens(_) => TOKENS,
            Response::Status(_) => STATUS_IS,
            Response::Error(_) => ERROR,
        }
    }

    /// Appends the whole frame of this response; `more` sets `FLAG_MORE`.
    pub fn encode(&self, request_id: u64, more: bool, out: &mut Vec<u8>) {
        let flags = if more { FLAG_MORE } else { 0 };
        write_frame(out, self.frame_type(), flags, request_id, |b| {
            self.encode_body(b);
        });
    }

    fn encode_body(&self, b: &mut Vec<u8>) {
        match self {
            Response::Ok | Response::Pong => {}
            Response::Welcome(w) => {
                b.put_u16(w.version);
                b.put_str8(&w.server);
                b.put_str8(&w.node_name);
                b.put_u32(w.frame_bytes_max);
                b.put_str8(&w.token_id);
                b.put_str8(&w.tenant);
                b.put_u8(w.role.code());
            }
            Response::Executed {
                position,
                rows_affected,
            } => {
                b.put_u64(*position);
                b.put_u64(*rows_affected);
            }
            Response::Rows(part) => encode_rows_part(b, part),
            Response::Prepared {
                statement,
                param_count,
                is_query,
            } => {
                b.put_u32(*statement);
                b.put_u16(*param_count);
                b.put_bool(*is_query);
            }
            Response::Appended { start, end } => {
                b.put_u64(*start);
                b.put_u64(*end);
            }
            Response::Events(events) => {
                b.put_u32(len32(events.len()));
                for e in events {
                    b.put_u64(e.position);
                    b.put_u64(e.timestamp_us);
                    b.put_str32(&e.data);
                }
            }
            Response::Number(n) => b.put_u64(*n),
            Response::Checkpoint(cp) => b.put_str16(&cp.note),
            Response::MaybeCheckpoint(cp) => {
                b.put_bool(cp.is_some());
                b.put_str16(cp.as_ref().map_or("", |cp| cp.note.as_str()));
            }
            Response::Checkpoints(cps) => {
                b.put_u16(u16::try_from(cps.len()).expect("cut to CHECKPOINTS_PER_FRAME_MAX"));
                for cp in cps {
                    b.put_str16(&cp.note);
                }
            }
            Response::Hash(h) => b.extend_from_slice(h),
            Response::Proof(hashes) => {
                b.put_u8(u8::try_from(hashes.len()).expect("proofs have at most 64 hashes"));
                for h in hashes {
                    b.extend_from_slice(h);
                }
            }
            Response::Receipt {
                position,
                checkpoint,
                text,
            } => {
                b.put_u64(*position);
                b.put_str16(&checkpoint.note);
                b.put_str32(text);
            }
            Response::ExportChunk {
                data,
                entries_written,
                entries_total,
            } => {
                b.put_u64(*entries_written);
                b.put_u64(*entries_total);
                b.put_bytes32(data);
            }
            Response::ExportDone(d) => {
                for v in [d.from, d.to, d.entries, d.checkpoints, d.bytes] {
                    b.put_u64(v);
                }
            }
            Response::TenantInfo(t) => {
                b.put_str8(&t.name);
                b.put_str16(&t.origin);
                b.put_str16(&t.verifier_key);
                b.put_u64(t.size);
                b.put_u64(t.checkpoints);
            }
            Response::Tenants(names) => {
                b.put_u32(len32(names.len()));
                for n in names {
                    b.put_str8(n);
                }
            }
            Response::TokenCreated { info, secret } => {
                put_token_info(b, info);
                b.put_str16(secret);
            }
            Response::Tokens(tokens) => {
                b.put_u32(len32(tokens.len()));
                for t in tokens {
                    put_token_info(b, t);
                }
            }
            Response::Status(items) => {
                b.put_u16(u16::try_from(items.len()).expect("status items are bounded"));
                for (k, v) in items {
                    b.put_str8(k);
                    b.put_str16(v);
                }
            }
            Response::Error(e) => {
                b.put_u8(e.class.code());
                b.put_u16(e.code);
                b.put_str16(&e.message);
            }
        }
    }

    /// Decodes a response body of frame type `frame_type`.
    pub fn decode(frame_type: u8, body: &[u8]) -> Result<Response, DecodeError> {
        use types::*;
        let mut r = Reader::new(body);
        let response = match frame_type {
            OK => Response::Ok,
            PONG => Response::Pong,
            WELCOME => Response::Welcome(Welcome {
                version: r.u16("version")?,
                server: r.str8(NAME, "server")?,
                node_name: r.str8(NAME, "node name")?,
                frame_bytes_max: r.u32("frame limit")?,
                token_id: r.str8(TOKEN_ID_BYTES_MAX, "token id")?,
                tenant: tenant(&mut r)?,
                role: role(&mut r)?,
            }),
            EXECUTED => Response::Executed {
                position: r.u64("position")?,
                rows_affected: r.u64("rows affected")?,
            },
            ROWS => Response::Rows(decode_rows_part(&mut r)?),
            PREPARED => Response::Prepared {
                statement: r.u32("statement")?,
                param_count: r.u16("parameter count")?,
                is_query: r.bool("is query")?,
            },
            APPENDED => Response::Appended {
                start: r.u64("start")?,
                end: r.u64("end")?,
            },
            EVENTS => {
                let n = r.count32(core_limits::READ_EVENTS_MAX, 20, "events")?;
                let events = (0..n)
                    .map(|_| {
                        Ok(EventRecord {
                            position: r.u64("position")?,
                            timestamp_us: r.u64("timestamp")?,
                            data: r.str32(TEXT_MAX, "event")?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?;
                Response::Events(events)
            }
            NUMBER => Response::Number(r.u64("number")?),
            CHECKPOINT_IS => Response::Checkpoint(checkpoint(&mut r)?),
            MAYBE_CHECKPOINT => {
                let present = r.bool("present")?;
                let note = r.str16(core_limits::NOTE_BYTES_MAX, "checkpoint")?;
                Response::MaybeCheckpoint(match present {
                    true => Some(parse_checkpoint(&note)?),
                    false => None,
                })
            }
            CHECKPOINT_LIST => {
                let n = r.count16(CHECKPOINTS_PER_FRAME_MAX, 2, "checkpoints")?;
                let cps = (0..n)
                    .map(|_| checkpoint(&mut r))
                    .collect::<Result<_, _>>()?;
                Response::Checkpoints(cps)
            }
            HASH => Response::Hash(r.array("hash")?),
            PROOF => {
                let n = usize::from(r.u8("proof")?);
                let n = r.count(n, core_limits::PROOF_HASHES_MAX, 32, "proof hashes")?;
                let hashes = (0..n).map(|_| r.array("hash")).collect::<Result<_, _>>()?;
                Response::Proof(hashes)
            }
            RECEIPT_IS => Response::Receipt {
                position: r.u64("position")?,
                checkpoint: checkpoint(&mut r)?,
                text: r.str32(core_limits::RECEIPT_BYTES_MAX, "receipt")?,
            },
            EXPORT_CHUNK => Response::ExportChunk {
                entries_written: r.u64("entries written")?,
                entries_total: r.u64("entries total")?,
                data: r.bytes32(TEXT_MAX, "export bytes")?,
            },
            EXPORT_DONE => Response::ExportDone(ExportDone {
                from: r.u64("from")?,
                to: r.u64("to")?,
                entries: r.u64("entries")?,
                checkpoints: r.u64("checkpoints")?,
                bytes: r.u64("bytes")?,
            }),
            TENANT_INFO_IS => Response::TenantInfo(TenantInfo {
                name: tenant(&mut r)?,
                origin: r.str16(core_limits::ORIGIN_BYTES_MAX, "origin")?,
                verifier_key: r.str16(1024, "verifier key")?,
                size: r.u64("size")?,
                checkpoints: r.u64("checkpoints")?,
            }),
            TENANTS => {
                let n = r.count32(core_limits::TENANTS_PER_NODE_MAX, 1, "tenants")?;
                let names = (0..n).map(|_| tenant(&mut r)).collect::<Result<_, _>>()?;
                Response::Tenants(names)
            }
            TOKEN_CREATED => Response::TokenCreated {
                info: token_info(&mut r)?,
                secret: r.str16(TOKEN_TEXT_BYTES_MAX, "token")?,
            },
            TOKENS => {
                let n = r.count32(TOKENS_PER_NODE_MAX, 30, "tokens")?;
                let tokens = (0..n)
                    .map(|_| token_info(&mut r))
                    .collect::<Result<_, _>>()?;
                Response::Tokens(tokens)
            }
            STATUS_IS => {
                let n = r.count16(STATUS_ITEMS_MAX, 3, "status items")?;
                let items = (0..n)
                    .map(|_| {
                        Ok((
                            r.str8(NAME, "status key")?,
                            r.str16(STATUS_VALUE_BYTES_MAX, "status value")?,
                        ))
                    })
                    .collect::<Result<_, DecodeError>>()?;
                Response::Status(items)
            }
            ERROR => Response::Error(super::WireError {
                class: super::ErrorClass::from_code(r.u8("error class")?),
                code: r.u16("error code")?,
                message: r.str16(ERROR_MESSAGE_BYTES_MAX, "error message")?,
            }),
            other => return Err(DecodeError::UnknownType(other)),
        };
        r.finish()?;
        Ok(response)
    }
}

fn checkpoint(r: &mut Reader<'_>) -> Result<Checkpoint, DecodeError> {
    let note = r.str16(core_limits::NOTE_BYTES_MAX, "checkpoint")?;
    parse_checkpoint(&note)
}

fn parse_checkpoint(note: &str) -> Result<Checkpoint, DecodeError> {
    Checkpoint::from_note(note).ok_or(DecodeError::Invalid(
        "checkpoint",
        "not a checkpoint note".into(),
    ))
}

fn put_token_info(b: &mut Vec<u8>, t: &TokenInfo) {
    b.put_str8(&t.id);
    b.put_str8(&t.tenant);
    b.put_u8(t.role.code());
    put_names(b, &t.tables);
    b.put_u64(t.expires_at_us.unwrap_or(0));
    b.put_u64(t.created_at_us);
    b.put_str8(&t.label);
    b.put_bool(t.revoked);
}

fn token_info(r: &mut Reader<'_>) -> Result<TokenInfo, DecodeError> {
    let id = r.str8(TOKEN_ID_BYTES_MAX, "token id")?;
    let tenant = tenant(r)?;
    let role = role(r)?;
    let tables = names(r, TABLES_PER_TOKEN_MAX, "tables")?;
    let expires = r.u64("expiry")?;
    Ok(TokenInfo {
        id,
        tenant,
        role,
        tables,
        expires_at_us: (expires > 0).then_some(expires),
        created_at_us: r.u64("created")?,
        label: r.str8(TOKEN_LABEL_BYTES_MAX, "label")?,
        revoked: r.bool("revoked")?,
    })
}

fn encode_rows_part(b: &mut Vec<u8>, part: &RowsPart) {
    b.put_u16(part.column_count);
    b.put_bool(part.columns.is_some());
    for c in part.columns.iter().flatten() {
        b.put_str16(&c.name);
        b.put_column_type(c.column_type);
    }
    b.put_u32(len32(part.rows.len()));
    for (row, version) in part.rows.iter().zip(&part.versions) {
        b.put_u64(*version);
        for v in row {
            b.put_value(v);
        }
    }
}

fn decode_rows_part(r: &mut Reader<'_>) -> Result<RowsPart, DecodeError> {
    let column_count = r.u16("column count")?;
    let ncols = r.count(
        usize::from(column_count),
        core_limits::SQL_COLUMNS_MAX,
        0,
        "columns",
    )?;
    let columns = match r.bool("columns")? {
        true => {
            let ncols = r.count(ncols, core_limits::SQL_COLUMNS_MAX, 7, "columns")?;
            let mut columns = Vec::with_capacity(ncols);
            for _ in 0..ncols {
                columns.push(ResultColumn {
                    name: r.str16(u16::MAX as usize, "column name")?,
                    column_type: r.column_type()?,
                });
            }
            Some(columns)
        }
        false => None,
    };
    let nrows = r.count32(core_limits::SQL_RESULT_ROWS_MAX, 8 + ncols, "rows")?;
    let mut rows = Vec::with_capacity(nrows);
    let mut versions = Vec::with_capacity(nrows);
    for _ in 0..nrows {
        versions.push(r.u64("version")?);
        rows.push((0..ncols).map(|_| r.value()).collect::<Result<_, _>>()?);
    }
    Ok(RowsPart {
        columns,
        column_count,
        rows,
        versions,
    })
}

/// Encodes a query result as one or more `Rows` frames of about `RESPONSE_CHUNK_BYTES`
/// each, handing each whole frame to `emit`; stops at the first error `emit` returns.
pub fn encode_rows<E>(
    request_id: u64,
    rows: &Rows,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let column_count =
        u16::try_from(rows.columns.len()).expect("result columns are within SQL_COLUMNS_MAX");
    let mut first = true;
    let mut at = 0;
    loop {
        let mut end = at;
        let mut bytes = 0;
        while end < rows.rows.len() && (end == at || bytes < RESPONSE_CHUNK_BYTES) {
            bytes += 8 + rows.rows[end].iter().map(value_bytes).sum::<usize>();
            end += 1;
        }
        let part = RowsPart {
            columns: first.then(|| rows.columns.clone()),
            column_count,
            rows: rows.rows[at..end].to_vec(),
            versions: rows.versions[at..end].to_vec(),
        };
        let more = end < rows.rows.len();
        let mut frame = Vec::with_capacity(bytes + 64);
        Response::Rows(part).encode(request_id, more, &mut frame);
        emit(frame)?;
        if !more {
            return Ok(());
        }
        first = false;
        at = end;
    }
}
