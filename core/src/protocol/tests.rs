//! Round trips of every message, and decoding of arbitrary bytes without panics.

use proptest::prelude::*;

use super::*;
use crate::checkpoint::{Checkpoint, NodeKey};
use crate::sql::{At, ColumnType, ResultColumn, Rows, Value};

fn checkpoint(size: u64) -> Checkpoint {
    let key = NodeKey::from_seed(&[7; 32]);
    Checkpoint::sign("example.com/node/acme", size, [size as u8; 32], &[&key])
}

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(-5),
        Value::Real(1.5),
        Value::Text("héllo".into()),
        Value::Boolean(true),
        Value::Bytes(vec![0, 1, 255]),
        Value::Timestamp(1_700_000_000_000_000),
    ]
}

fn token_info() -> TokenInfo {
    TokenInfo {
        id: "0123456789abcdef".into(),
        tenant: "acme".into(),
        role: Role::Writer,
        tables: vec!["patients".into(), "visits".into()],
        expires_at_us: Some(99),
        created_at_us: 42,
        label: "ci".into(),
        revoked: true,
    }
}

fn all_requests() -> Vec<Request> {
    let t = || "acme".to_string();
    vec![
        Request::Hello(Hello {
            version_min: 1,
            version_max: 3,
            token: "vdb_x".into(),
            client: "test".into(),
        }),
        Request::Ping,
        Request::Execute {
            tenant: t(),
            sql: "INSERT INTO t VALUES (?)".into(),
            params: values(),
        },
        Request::Query {
            tenant: t(),
            sql: "SELECT 1".into(),
            params: vec![],
            at: Some(At::Position(9)),
        },
        Request::Query {
            tenant: t(),
            sql: "SELECT 1".into(),
            params: vec![Value::Integer(1)],
            at: Some(At::Timestamp(7)),
        },
        Request::Prepare {
            tenant: t(),
            statement: 3,
            sql: "SELECT * FROM t WHERE id = ?".into(),
        },
        Request::ExecutePrepared {
            statement: 3,
            params: values(),
        },
        Request::QueryPrepared {
            statement: 4,
            params: vec![],
            at: None,
        },
        Request::ClosePrepared { statement: 4 },
        Request::Batch {
            tenant: t(),
            statements: vec![
                BatchStatement::Sql {
                    sql: "DELETE FROM t".into(),
                    params: vec![],
                },
                BatchStatement::Prepared {
                    statement: 1,
                    params: values(),
                },
            ],
            expectations: vec![
                Expectation {
                    table: "t".into(),
                    key: vec![Value::Integer(1)],
                    version: Some(3),
                },
                Expectation {
                    table: "t".into(),
                    key: vec![Value::Integer(2)],
                    version: None,
                },
            ],
        },
        Request::ReadAtLeast {
            tenant: t(),
            position: 5,
        },
        Request::Append {
            tenant: t(),
            events: vec![("s".into(), "{}".into()), ("s2".into(), "[1]".into())],
        },
        Request::Read {
            tenant: t(),
            stream: "s".into(),
            start: 0,
            end: u64::MAX,
        },
        Request::Size { tenant: t() },
        Request::Checkpoint { tenant: t() },
        Request::LatestCheckpoint { tenant: t() },
        Request::Checkpoints {
            tenant: t(),
            start: 1,
            end: 2,
        },
        Request::CheckpointCount { tenant: t() },
        Request::Root {
            tenant: t(),
            size: 3,
        },
        Request::InclusionProof {
            tenant: t(),
            index: 1,
            size: 4,
        },
        Request::ConsistencyProof {
            tenant: t(),
            old_size: 1,
            new_size: 4,
        },
        Request::Receipt {
            tenant: t(),
            position: 2,
            disclose: vec!["stream".into()],
        },
        Request::Export {
            tenant: t(),
            from: 0,
            to: Some(10),
            withhold: vec!["event".into()],
        },
        Request::Export {
            tenant: t(),
            from: 3,
            to: None,
            withhold: vec![],
        },
        Request::TenantInfo { tenant: t() },
        Request::CreateTenant { tenant: t() },
        Request::ListTenants,
        Request::CreateToken {
            tenant: "*".into(),
            role: Role::Auditor,
            tables: vec!["a".into()],
            expires_at_us: None,
            label: "first".into(),
        },
        Request::ListTokens { tenant: None },
        Request::ListTokens { tenant: Some(t()) },
        Request::RevokeToken {
            token_id: "0123456789abcdef".into(),
        },
        Request::Status,
        Request::SetTableAudited {
            tenant: t(),
            table: "patients".into(),
            audited: true,
        },
    ]
}

fn all_responses() -> Vec<Response> {
    vec![
        Response::Ok,
        Response::Pong,
        Response::Welcome(Welcome {
            version: 1,
            server: "veritydb 0.1.0".into(),
            node_name: "example.com/node".into(),
            frame_bytes_max: 1 << 23,
            token_id: "0123456789abcdef".into(),
            tenant: "*".into(),
            role: Role::Admin,
        }),
        Response::Executed {
            position: 4,
            rows_affected: 2,
        },
        Response::Rows(RowsPart {
            columns: Some(vec![
                ResultColumn {
                    name: "id".into(),
                    column_type: Some(ColumnType::Integer),
                },
                ResultColumn {
                    name: "name".into(),
                    column_type: Some(ColumnType::Text {
                        max_chars: Some(20),
                    }),
                },
                ResultColumn {
                    name: "x".into(),
                    column_type: None,
                },
            ]),
            column_count: 3,
            rows: vec![vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Null,
            ]],
            versions: vec![7],
        }),
        Response::Rows(RowsPart {
            columns: None,
            column_count: 1,
            rows: vec![vec![Value::Bytes(vec![1])], vec![Value::Real(-0.5)]],
            versions: vec![1, 2],
        }),
        Response::Prepared {
            statement: 9,
            param_count: 2,
            is_query: true,
        },
        Response::Appended { start: 3, end: 5 },
        Response::Events(vec![EventRecord {
            position: 1,
            timestamp_us: 2,
            data: "{}".into(),
        }]),
        Response::Number(77),
        Response::Checkpoint(checkpoint(3)),
        Response::MaybeCheckpoint(None),
        Response::MaybeCheckpoint(Some(checkpoint(4))),
        Response::Checkpoints(vec![checkpoint(1), checkpoint(2)]),
        Response::Hash([9; 32]),
        Response::Proof(vec![[1; 32], [2; 32]]),
        Response::Receipt {
            position: 2,
            checkpoint: checkpoint(5),
            text: "c2sp.org/tlog-proof@v1\n".into(),
        },
        Response::ExportChunk {
            data: vec![1, 2, 3],
            entries_written: 10,
            entries_total: 20,
        },
        Response::ExportDone(ExportDone {
            from: 0,
            to: 20,
            entries: 20,
            checkpoints: 2,
            bytes: 999,
        }),
        Response::TenantInfo(TenantInfo {
            name: "acme".into(),
            origin: "example.com/node/acme".into(),
            verifier_key: "example.com/node/acme+01234567+AQID".into(),
            size: 3,
            checkpoints: 1,
        }),
        Response::Tenants(vec!["a".into(), "b".into()]),
        Response::TokenCreated {
            info: token_info(),
            secret: "vdb_secret".into(),
        },
        Response::Tokens(vec![token_info(), token_info()]),
        Response::Status(vec![("version".into(), "0.1.0".into())]),
        Response::Error(WireError::new(
            ErrorClass::Forbidden,
            codes::ROLE_FORBIDDEN,
            "no",
        )),
    ]
}

#[test]
fn every_request_round_trips() {
    for (i, request) in all_requests().into_iter().enumerate() {
        let mut bytes = Vec::new();
        request.encode(i as u64, &mut bytes);
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        let frame = decoder.next_frame().expect("valid").expect("complete");
        assert_eq!(frame.request_id, i as u64);
        let decoded = Request::decode(frame.frame_type, &frame.body).expect("decodes");
        assert_eq!(decoded, request);
        assert_ne!(request.name(), "unknown");
    }
}

#[test]
fn every_response_round_trips() {
    for (i, response) in all_responses().into_iter().enumerate() {
        let mut bytes = Vec::new();
        response.encode(i as u64, i % 2 == 0, &mut bytes);
        let frame = decode_frame(&bytes).expect("valid");
        assert_eq!(frame.more(), i % 2 == 0);
        let decoded = Response::decode(frame.frame_type, &frame.body).expect("decodes");
        assert_eq!(decoded, response);
    }
}

#[test]
fn truncated_bodies_are_errors() {
    for request in all_requests() {
        let mut bytes = Vec::new();
        request.encode(1, &mut bytes);
        let frame = decode_frame(&bytes).expect("valid");
        for cut in 0..frame.body.len() {
            let body = &frame.body[..cut];
            if let Ok(decoded) = Request::decode(frame.frame_type, body) {
                // Only a prefix that is itself a complete message may decode.
                let mut again = Vec::new();
                decoded.encode(1, &mut again);
                assert_eq!(&decode_frame(&again).expect("valid").body[..], body);
            }
        }
    }
}

#[test]
fn large_results_are_cut_into_frames() {
    let row = vec![Value::Text("x".repeat(1000)), Value::Integer(1)];
    let rows = Rows {
        columns: vec![
            ResultColumn {
                name: "a".into(),
                column_type: Some(ColumnType::Text { max_chars: None }),
            },
            ResultColumn {
                name: "b".into(),
                column_type: Some(ColumnType::Integer),
            },
        ],
        rows: vec![row; 1000],
        versions: (0..1000).collect(),
    };
    let mut frames = Vec::new();
    encode_rows::<()>(5, &rows, |f| {
        frames.push(f);
        Ok(())
    })
    .expect("no error");
    assert!(frames.len() > 2, "{} frames", frames.len());
    let mut got = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let frame = decode_frame(f).expect("valid");
        assert_eq!(frame.more(), i + 1 < frames.len());
        let Response::Rows(part) = Response::decode(frame.frame_type, &frame.body).expect("ok")
        else {
            panic!("not rows");
        };
        assert_eq!(part.columns.is_some(), i == 0);
        got.extend(part.rows);
    }
    assert_eq!(got, rows.rows);
}

#[test]
fn decoder_rejects_bad_lengths_early() {
    let mut d = FrameDecoder::new();
    d.push(&u32::MAX.to_be_bytes());
    assert!(matches!(
        d.next_frame(),
        Err(DecodeError::FrameTooLarge { .. })
    ));
    let mut d = FrameDecoder::new();
    d.push(&3u32.to_be_bytes());
    assert!(matches!(d.next_frame(), Err(DecodeError::FrameTooShort(3))));
    let mut d = FrameDecoder::new();
    let mut bytes = Vec::new();
    Request::Ping.encode(1, &mut bytes);
    bytes[5] = 0x80;
    d.push(&bytes);
    assert!(matches!(
        d.next_frame(),
        Err(DecodeError::UnknownFlags(0x80))
    ));
}

#[test]
fn decoder_splits_a_stream_fed_byte_by_byte() {
    let mut stream = Vec::new();
    for (i, r) in all_requests().iter().enumerate() {
        r.encode(i as u64, &mut stream);
    }
    let mut d = FrameDecoder::new();
    let mut n = 0;
    for b in &stream {
        d.push(std::slice::from_ref(b));
        while let Some(frame) = d.next_frame().expect("valid") {
            assert_eq!(frame.request_id, n);
            n += 1;
        }
    }
    assert_eq!(n as usize, all_requests().len());
    assert_eq!(d.buffered(), 0);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        while let Ok(Some(frame)) = d.next_frame() {
            let _ = Request::decode(frame.frame_type, &frame.body);
            let _ = Response::decode(frame.frame_type, &frame.body);
        }
        for t in 0..=255u8 {
            let _ = Request::decode(t, &bytes);
            let _ = Response::decode(t, &bytes);
        }
    }
}
