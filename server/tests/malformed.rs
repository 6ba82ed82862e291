//! Bad input: a corpus of malformed frames (bad lengths, unknown types and flags, oversize,
//! truncated, garbage before and after the handshake, invalid values, slowloris), each sent
//! on its own connection to the real server. Each must end in a clean error frame or a
//! disconnect within seconds, and the server must keep serving a healthy client throughout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::TestServer;
use veritydb::protocol::limits::FRAME_BYTES_MAX;
use veritydb::protocol::{
    ErrorClass, FrameDecoder, HELLO_MAGIC, Hello, Request, Response, codes, types, write_frame,
};
use veritydb::sql::Value;

struct Case {
    name: String,
    /// Send a valid hello first (and expect its welcome).
    after_hello: bool,
    bytes: Vec<u8>,
}

fn frame(frame_type: u8, flags: u8, id: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(&mut out, frame_type, flags, id, |b| {
        b.extend_from_slice(body);
    });
    out
}

fn hello_bytes(token: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Request::Hello(Hello {
        version_min: 1,
        version_max: 1,
        token: token.to_owned(),
        client: "malformed-test".into(),
    })
    .encode(0, &mut out);
    out
}

/// Every valid request type, encoded, to cut and corrupt.
fn valid_requests() -> Vec<Request> {
    let t = || "acme".to_owned();
    vec![
        Request::Execute {
            tenant: t(),
            sql: "INSERT INTO t VALUES (?)".into(),
            params: vec![Value::Integer(1), Value::Text("x".into())],
        },
        Request::Query {
            tenant: t(),
            sql: "SELECT 1".into(),
            params: vec![Value::Real(1.0)],
            at: None,
        },
        Request::Prepare {
            tenant: t(),
            statement: 1,
            sql: "SELECT 1".into(),
        },
        Request::ExecutePrepared {
            statement: 1,
            params: vec![Value::Bytes(vec![1, 2])],
        },
        Request::Batch {
            tenant: t(),
            statements: vec![],
            expectations: vec![],
        },
        Request::Append {
            tenant: t(),
            events: vec![("s".into(), "{}".into())],
        },
        Request::Read {
            tenant: t(),
            stream: "s".into(),
            start: 0,
            end: 9,
        },
        Request::Receipt {
            tenant: t(),
            position: 0,
            disclose: vec!["a".into()],
        },
        Request::Export {
            tenant: t(),
            from: 0,
            to: Some(1),
            withhold: vec![],
        },
        Request::CreateToken {
            tenant: t(),
            role: veritydb::protocol::Role::Reader,
            tables: vec!["x".into()],
            expires_at_us: None,
            label: "l".into(),
        },
        Request::SetTableAudited {
            tenant: t(),
            table: "x".into(),
            audited: true,
        },
        Request::InclusionProof {
            tenant: t(),
            index: 0,
            size: 1,
        },
    ]
}

fn corpus(token: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: String, after_hello: bool, bytes: Vec<u8>| {
        cases.push(Case {
            name,
            after_hello,
            bytes,
        });
    };
    let hello = hello_bytes(token);
    for after_hello in [false, true] {
        let when = if after_hello {
            "after hello"
        } else {
            "before hello"
        };
        // Bad lengths.
        for len in [
            0u32,
            1,
            5,
            9,
            u32::MAX,
            (FRAME_BYTES_MAX + 1) as u32,
            0x4745_5420,
        ] {
            let mut bytes = len.to_be_bytes().to_vec();
            bytes.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
            add(format!("length {len} {when}"), after_hello, bytes);
        }
        // Truncated frames: a length promising more than arrives.
        for cut in [1, 3, 4, 8, 13] {
            let whole = frame(types::PING, 0, 1, &[]);
            add(
                format!("ping cut at {cut} {when}"),
                after_hello,
                whole[..cut].to_vec(),
            );
        }
        let mut short = frame(types::PING, 0, 1, b"12345");
        short.truncate(short.len() - 2);
        add(
            format!("body shorter than its length {when}"),
            after_hello,
            short,
        );
        // Unknown flags and types.
        for flags in [0x02u8, 0x80, 0xFF] {
            add(
                format!("flags {flags:#x} {when}"),
                after_hello,
                frame(types::PING, flags, 1, &[]),
            );
        }
        for t in [
            0x00u8,
            0x03,
            0x0F,
            0x18,
            0x2F,
            0x47,
            0x7F,
            types::OK,
            types::ROWS,
            types::ERROR,
        ] {
            add(
                format!("frame type {t:#x} {when}"),
                after_hello,
                frame(t, 0, 1, &[]),
            );
        }
        // Garbage.
        add(
            format!("HTTP request {when}"),
            after_hello,
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        );
        add(
            format!("TLS client hello on the plain port {when}"),
            after_hello,
            vec![
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ],
        );
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in [16usize, 257, 4096] {
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            add(format!("{n} random bytes {when}"), after_hello, bytes);
        }
    }
    // Handshake-specific.
    let mut bad_magic = hello.clone();
    bad_magic[14] = b'X';
    add("hello with bad magic".into(), false, bad_magic);
    for (min, max) in [(0u16, 0u16), (2, 9), (5, 1)] {
        let mut body = HELLO_MAGIC.to_vec();
        body.extend_from_slice(&min.to_be_bytes());
        body.extend_from_slice(&max.to_be_bytes());
        body.extend_from_slice(&(token.len() as u16).to_be_bytes());
        body.extend_from_slice(token.as_bytes());
        body.push(0);
        add(
            format!("hello versions {min}..={max}"),
            false,
            frame(types::HELLO, 0, 0, &body),
        );
    }
    for cut in [4, 6, 8, 10, 20] {
        let body = &hello[14..];
        add(
            format!("hello body cut at {cut}"),
            false,
            frame(types::HELLO, 0, 0, &body[..cut.min(body.len())]),
        );
    }
    let mut trailing = hello[14..].to_vec();
    trailing.push(0);
    add(
        "hello with a trailing byte".into(),
        false,
        frame(types::HELLO, 0, 0, &trailing),
    );
    let mut bad_utf8 = HELLO_MAGIC.to_vec();
    bad_utf8.extend_from_slice(&[0, 1, 0, 1, 0, 2, 0xff, 0xfe, 0]);
    add(
        "hello with a token that is not UTF-8".into(),
        false,
        frame(types::HELLO, 0, 0, &bad_utf8),
    );
    add(
        "hello with a wrong token".into(),
        false,
        hello_bytes("vdb_wrong"),
    );
    for r in valid_requests() {
        let mut bytes = Vec::new();
        r.encode(1, &mut bytes);
        add(format!("{} before hello", r.name()), false, bytes);
    }
    // After the handshake: every request type cut short, with trailing bytes, with id 0.
    for r in valid_requests() {
        let mut whole = Vec::new();
        r.encode(7, &mut whole);
        let body = whole[14..].to_vec();
        for cut in [0, 1, body.len() / 2, body.len() - 1] {
            add(
                format!("{} body cut at {cut}", r.name()),
                true,
                frame(whole[4], 0, 7, &body[..cut]),
            );
        }
        let mut extra = body.clone();
        extra.extend_from_slice(b"junk");
        add(
            format!("{} with trailing bytes", r.name()),
            true,
            frame(whole[4], 0, 7, &extra),
        );
        add(
            format!("{} with request id 0", r.name()),
            true,
            frame(whole[4], 0, 0, &body),
        );
    }
    add("second hello".into(), true, hello.clone());
    // Invalid values inside otherwise well-formed bodies.
    let mut body = vec![4];
    body.extend_from_slice(b"acme");
    body.extend_from_slice(&[0, 0, 0, 8]);
    body.extend_from_slice(b"SELECT ?");
    body.extend_from_slice(&[0, 1, 9]); // one parameter with value tag 9
    add(
        "query with an unknown value tag".into(),
        true,
        frame(types::QUERY, 0, 3, &body),
    );
    let mut nan = body[..body.len() - 1].to_vec();
    nan.push(2);
    nan.extend_from_slice(&f64::NAN.to_bits().to_be_bytes());
    nan.extend_from_slice(&[0; 9]);
    add(
        "query with a NaN parameter".into(),
        true,
        frame(types::QUERY, 0, 3, &nan),
    );
    let mut bad_at = body[..body.len() - 3].to_vec();
    bad_at.extend_from_slice(&[0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0]);
    add(
        "query with an unknown time-travel kind".into(),
        true,
        frame(types::QUERY, 0, 3, &bad_at),
    );
    let mut huge_count = vec![4];
    huge_count.extend_from_slice(b"acme");
    huge_count.extend_from_slice(&u32::MAX.to_be_bytes());
    add(
        "append announcing 4 billion events".into(),
        true,
        frame(types::APPEND, 0, 3, &huge_count),
    );
    add(
        "batch announcing 4 billion statements".into(),
        true,
        frame(types::BATCH, 0, 3, &huge_count),
    );
    let mut bad_role = vec![4];
    bad_role.extend_from_slice(b"acme");
    bad_role.extend_from_slice(&[9, 0, 0]);
    bad_role.extend_from_slice(&[0; 8]);
    bad_role.push(0);
    add(
        "create token with role 9".into(),
        true,
        frame(types::CREATE_TOKEN, 0, 3, &bad_role),
    );
    let mut bad_bool = vec![4];
    bad_bool.extend_from_slice(b"acme");
    bad_bool.extend_from_slice(&[1, b'x', 2]);
    add(
        "audit flag 2".into(),
        true,
        frame(types::SET_TABLE_AUDITED, 0, 3, &bad_bool),
    );
    let mut not_utf8 = vec![2, 0xff, 0xfe];
    not_utf8.extend_from_slice(&[0; 8]);
    add(
        "tenant name not UTF-8".into(),
        true,
        frame(types::SIZE, 0, 3, &not_utf8[..3]),
    );
    add("valid ping then garbage".into(), true, {
        let mut b = frame(types::PING, 0, 3, &[]);
        b.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 1]);
        b
    });
    cases
}

/// What the server sent back on one connection.
struct Outcome {
    frames: Vec<Response>,
    closed: bool,
}

/// Sends `bytes` (after a hello, if asked), closes the write side, and reads until the
/// server closes the connection or 5 s pass.
fn run_case(addr: &str, token: &str, case: &Case) -> Outcome {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    if case.after_hello {
        stream.write_all(&hello_bytes(token)).unwrap();
    }
    let _ = stream.write_all(&case.bytes);
    let _ = stream.shutdown(Shutdown::Write);
    read_all(&mut stream)
}

fn read_all(stream: &mut TcpStream) -> Outcome {
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(5);
    let closed = loop {
        if Instant::now() > deadline {
            break false;
        }
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => decoder.push(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false;
            }
            Err(e) => panic!("read failed: {e}"),
        }
        while let Some(f) = decoder.next_frame().expect("the server sends valid frames") {
            frames.push(Response::decode(f.frame_type, &f.body).expect("valid responses"));
        }
    };
    Outcome { frames, closed }
}

#[test]
fn malformed_frames_get_a_clean_error_or_disconnect() {
    let server = TestServer::start();
    let admin = server.admin();
    admin.create_tenant("acme").unwrap();
    let healthy = admin.tenant("acme").unwrap();
    let corpus = corpus(&server.admin_token);
    assert!(corpus.len() >= 100, "only {} cases", corpus.len());
    let mut errors = 0;
    for (i, case) in corpus.iter().enumerate() {
        let started = Instant::now();
        let outcome = run_case(&server.addr(), &server.admin_token, case);
        assert!(
            outcome.closed,
            "{}: the server did not close the connection",
            case.name
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{}", case.name);
        let mut frames = outcome.frames.iter();
        if case.after_hello {
            assert!(
                matches!(frames.next(), Some(Response::Welcome(_))),
                "{}: no welcome",
                case.name
            );
        }
        if let Some(Response::Error(e)) = outcome.frames.last() {
            errors += 1;
            assert!(
                matches!(e.class, ErrorClass::Protocol | ErrorClass::Unauthenticated)
                    || !case.after_hello,
                "{}: {e}",
                case.name
            );
        }
        // The server keeps serving others.
        if i % 10 == 0 {
            healthy
                .append("alive", &format!("{{\"case\": {i}}}"))
                .unwrap();
        }
    }
    assert!(
        errors * 10 >= corpus.len() * 8,
        "only {errors} of {} got an error frame",
        corpus.len()
    );
    admin.ping().unwrap();
    assert!(healthy.size().unwrap() > 0);
    eprintln!(
        "{} malformed inputs, {errors} answered with an error frame, all disconnected",
        corpus.len()
    );
}

#[test]
fn slow_and_silent_clients_are_disconnected() {
    let server = TestServer::start_with(
        false,
        &[
            "--handshake-timeout-ms",
            "300",
            "--frame-timeout-ms",
            "300",
            "--idle-timeout-ms",
            "600",
        ],
    );
    let admin = server.admin();
    let check_timeout = |stream: &mut TcpStream, code: u16, after_hello: bool| {
        let outcome = read_all(stream);
        assert!(outcome.closed);
        let last = outcome.frames.last().expect("an error frame");
        assert_eq!(outcome.frames.len(), 1 + usize::from(after_hello));
        match last {
            Response::Error(e) => assert_eq!(e.code, code, "{e}"),
            other => panic!("{other:?}"),
        }
    };
    // Silent before the hello.
    let mut silent = TcpStream::connect(server.addr()).unwrap();
    check_timeout(&mut silent, codes::HANDSHAKE_TIMEOUT, false);
    // Slowloris: a byte of a frame every 100 ms never completes it.
    let mut slow = TcpStream::connect(server.addr()).unwrap();
    slow.write_all(&hello_bytes(&server.admin_token)).unwrap();
    let ping = frame(types::PING, 0, 1, &[]);
    let started = Instant::now();
    for b in &ping[..ping.len() - 1] {
        if slow.write_all(std::slice::from_ref(b)).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    check_timeout(&mut slow, codes::FRAME_TIMEOUT, true);
    // Idle after the hello.
    let mut idle = TcpStream::connect(server.addr()).unwrap();
    idle.write_all(&hello_bytes(&server.admin_token)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    check_timeout(&mut idle, codes::IDLE_TIMEOUT, true);
    // Meanwhile a client that talks keeps working (its pool reconnects after the idle close).
    admin.ping().unwrap();
}

#[test]
fn a_client_that_never_reads_cannot_grow_server_memory_without_bound() {
    // Pipelines requests for a large response without reading: the server stops reading the
    // connection once its output is full, and keeps serving others meanwhile.
    let server = TestServer::start();
    let admin = server.admin();
    admin.create_tenant("big").unwrap();
    let t = admin.tenant("big").unwrap();
    let payload = format!("{{\"pad\": \"{}\"}}", "x".repeat(60_000));
    let events: Vec<(&str, &str)> = (0..100).map(|_| ("s", payload.as_str())).collect();
    t.append_batch(&events).unwrap();
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(&hello_bytes(&server.admin_token)).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut chunk = Vec::new();
    for _ in 0..1000 {
        Request::Read {
            tenant: "big".into(),
            stream: "s".into(),
            start: 0,
            end: 100,
        }
        .encode(1, &mut chunk);
    }
    // Up to 30 MB of requests, each answered with about 6 MB: a server that kept reading would
    // take them all (and buffer terabytes of answers); this one stops reading.
    let chunks_max = 30_000_000 / chunk.len();
    let mut sent = 0usize;
    while sent < chunks_max && stream.write_all(&chunk).is_ok() {
        sent += 1;
    }
    assert!(
        sent < chunks_max,
        "the server read every request without sending answers"
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(rss_kib < 300 * 1024, "server RSS {rss_kib} KiB");
    admin.ping().unwrap();
    t.size().unwrap();
}
