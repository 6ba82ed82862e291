//! The real `veritydb` binary on 127.0.0.1, driven through the Rust client: every operation
//! with TLS off and on, roles and expiry, revocation, tenant isolation for every request
//! type, table-scoped tokens, audited reads, limits, metrics, graceful shutdown, the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use veritydb::client::{Client, ClientError};
use veritydb::protocol::{BatchStatement, ErrorClass, Expectation, Request, Response, Role, codes};
use veritydb::sql::{At, Value};
use veritydb::{ExportOptions, Kind, merkle};

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn code(e: &ClientError) -> u16 {
    e.code()
        .unwrap_or_else(|| panic!("not a server error: {e}"))
}

/// A tenant `clinic` with a `patients` table, and a writer token for it.
fn setup(server: &TestServer) -> (Client, Client) {
    let admin = server.admin();
    admin.create_tenant("clinic").unwrap();
    let clinic = admin.tenant("clinic").unwrap();
    clinic
        .execute(
            "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, born TIMESTAMP)",
            &[],
        )
        .unwrap();
    clinic
        .execute(
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, patient INTEGER)",
            &[],
        )
        .unwrap();
    let (_, writer) = admin
        .create_token("clinic", Role::Writer, &[], None, "app")
        .unwrap();
    (admin, server.client(&writer))
}

fn every_operation(server: &TestServer) {
    let (admin, writer) = setup(server);
    let t = writer.tenant("clinic").unwrap();
    writer.ping().unwrap();

    // SQL: execute, prepare + execute, batch with a version precondition, queries.
    let one = t
        .execute(
            "INSERT INTO patients (id, name) VALUES (?, ?)",
            &[Value::Integer(1), Value::Text("Ada".into())],
        )
        .unwrap();
    assert_eq!(one.rows_affected, 1);
    let insert = t
        .prepare("INSERT INTO patients (id, name, born) VALUES (?, ?, ?)")
        .unwrap();
    assert_eq!(insert.param_count(), 3);
    assert!(!insert.is_query());
    insert
        .execute(&[
            Value::Integer(2),
            Value::Text("Grace".into()),
            Value::Timestamp(1_000_000),
        ])
        .unwrap();
    let rows = t
        .query(
            "SELECT id, name FROM patients WHERE id = ?",
            &[Value::Integer(2)],
        )
        .unwrap();
    assert_eq!(rows.column_names(), vec!["id", "name"]);
    assert_eq!(
        rows.rows,
        vec![vec![Value::Integer(2), Value::Text("Grace".into())]]
    );
    let version = rows.versions[0];
    let mut batch = t.batch();
    batch
        .execute(
            "UPDATE patients SET name = ? WHERE id = ?",
            &[Value::Text("Grace H".into()), Value::Integer(2)],
        )
        .unwrap()
        .execute_prepared(
            &insert,
            &[Value::Integer(3), Value::Text("Alan".into()), Value::Null],
        )
        .unwrap()
        .expect_version("patients", &[Value::Integer(2)], Some(version));
    let committed = batch.commit().unwrap();
    assert_eq!(committed.rows_affected, 2);
    let mut stale = t.batch();
    stale
        .execute("DELETE FROM patients WHERE id = 2", &[])
        .unwrap()
        .expect_version("patients", &[Value::Integer(2)], Some(version));
    let conflict = stale.commit().unwrap_err();
    assert_eq!(conflict.class(), Some(ErrorClass::Conflict));
    let before = t
        .query_at(
            "SELECT name FROM patients WHERE id = 2",
            &[],
            At::Position(version),
        )
        .unwrap();
    assert_eq!(before.rows, vec![vec![Value::Text("Grace".into())]]);
    let select = t.prepare("SELECT name FROM patients WHERE id = ?").unwrap();
    assert!(select.is_query());
    assert_eq!(
        select.query(&[Value::Integer(3)]).unwrap().rows,
        vec![vec![Value::Text("Alan".into())]]
    );
    assert_eq!(
        select
            .query_at(&[Value::Integer(2)], At::Position(version))
            .unwrap()
            .rows,
        vec![vec![Value::Text("Grace".into())]]
    );
    t.read_at_least(committed.position).unwrap();
    let syntax = t.query("SELEC nothing", &[]).unwrap_err();
    assert_eq!(syntax.class(), Some(ErrorClass::Syntax));
    let constraint = t
        .execute("INSERT INTO patients (id, name) VALUES (1, 'again')", &[])
        .unwrap_err();
    assert_eq!(constraint.class(), Some(ErrorClass::Constraint));

    // Streams.
    let p = t.append("visits", r#"{"patient": 1}"#).unwrap();
    let range = t
        .append_batch(&[("visits", r#"{"patient": 2}"#), ("labs", r#"{"x": 1}"#)])
        .unwrap();
    assert_eq!(range.start, p + 1);
    let events = t.read("visits", 0, u64::MAX).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].position, p);
    assert_eq!(events[1].data, r#"{"patient": 2}"#);
    let bad_json = t.append("visits", "{not json").unwrap_err();
    assert_eq!(bad_json.class(), Some(ErrorClass::Invalid));

    // Checkpoints and proofs.
    let size = t.size().unwrap();
    assert_eq!(size, range.end);
    let cp = t.checkpoint().unwrap();
    assert_eq!(cp.size, size);
    assert_eq!(t.latest_checkpoint().unwrap().unwrap().size, size);
    let count = t.checkpoint_count().unwrap();
    assert!(count >= 1);
    let cps = t.checkpoints(0, count).unwrap();
    assert_eq!(cps.last().unwrap().size, size);
    assert_eq!(t.root(size).unwrap(), cp.root);
    let old_root = t.root(3).unwrap();
    let proof = t.consistency_proof(3, size).unwrap();
    assert!(merkle::verify_consistency(
        3, size, &old_root, &cp.root, &proof
    ));
    let inclusion = t.inclusion_proof(1, size).unwrap();
    assert!(!inclusion.is_empty());
    let out_of_range = t.root(size + 10).unwrap_err();
    assert_eq!(out_of_range.class(), Some(ErrorClass::OutOfRange));

    // Receipts and exports, checked by the independent verifier.
    let info = t.info().unwrap();
    assert_eq!(info.origin, "test.local/clinic");
    assert_eq!(t.verifier_key().unwrap(), info.verifier_key);
    let keys = veritydb_verify::TrustedKeys::parse_lines(&info.verifier_key).unwrap();
    let receipt = t.receipt(p, &["stream"]).unwrap();
    assert!(veritydb_verify::verify_receipt(receipt.text.as_bytes(), &keys).ok);
    let mut export = Vec::new();
    let mut progress_calls = 0;
    let summary = t
        .export(&mut export, &ExportOptions::default(), |_, _| {
            progress_calls += 1;
        })
        .unwrap();
    assert_eq!(summary.to, size);
    assert_eq!(summary.bytes, export.len() as u64);
    assert!(progress_calls >= 1);
    let report = veritydb_verify::verify_export(&export, &keys);
    assert!(report.ok, "{}", report.message);

    // Pipelining: many prepared queries in flight on one connection.
    let mut pipeline = writer.pipeline().unwrap();
    let id = pipeline.prepare(&select).unwrap();
    for i in 0..500 {
        pipeline
            .query_prepared(id, &[Value::Integer(i % 4)])
            .unwrap();
    }
    let mut answered = 0;
    while pipeline.outstanding() > 0 {
        let (_, response) = pipeline.recv().unwrap();
        let rows = veritydb::client::Pipeline::rows(response.unwrap()).unwrap();
        assert!(rows.len() <= 1);
        answered += 1;
    }
    assert_eq!(answered, 500);
    drop(pipeline);

    // Node administration.
    assert_eq!(admin.tenants().unwrap(), vec!["clinic".to_owned()]);
    let status = admin.status().unwrap();
    assert!(
        status
            .iter()
            .any(|(k, v)| k == "node_name" && v == "test.local")
    );
    assert_eq!(admin.tokens(Some("clinic")).unwrap().len(), 1);
}

#[test]
fn every_operation_without_tls() {
    let server = TestServer::start();
    every_operation(&server);
}

#[test]
fn every_operation_with_tls() {
    let server = TestServer::start_tls();
    assert!(server.url.starts_with("vdbs://"));
    every_operation(&server);
    // A plain client cannot talk to the TLS port; a client trusting another CA refuses it.
    let plain = Client::connect(
        &format!("vdb://{}", server.addr()),
        veritydb::client::ClientOptions::new(&server.admin_token).io_timeout_ms(5_000),
    );
    assert!(plain.is_err());
    let other = common::make_certs(server.dir.path().join("..").as_path());
    let wrong_ca = Client::connect(
        &server.url,
        veritydb::client::ClientOptions::new(&server.admin_token).ca_certificates_pem(other.ca_pem),
    );
    assert!(
        matches!(wrong_ca, Err(ClientError::Tls(_)) | Err(ClientError::Io(_))),
        "{wrong_ca:?}"
    );
}

#[test]
fn roles_and_expiry() {
    let server = TestServer::start();
    let (admin, writer) = setup(&server);
    let clinic = writer.tenant("clinic").unwrap();
    clinic
        .execute("INSERT INTO patients (id, name) VALUES (1, 'Ada')", &[])
        .unwrap();
    let p = clinic.append("visits", "{}").unwrap();
    let token = |role| admin.create_token("clinic", role, &[], None, "").unwrap().1;

    // Reader: rows and events yes, writes no.
    let reader = server.client(&token(Role::Reader));
    let r = reader.tenant("clinic").unwrap();
    assert_eq!(r.query("SELECT * FROM patients", &[]).unwrap().len(), 1);
    assert_eq!(r.read("visits", 0, 100).unwrap().len(), 1);
    for e in [
        r.execute("INSERT INTO patients (id, name) VALUES (2, 'x')", &[])
            .unwrap_err(),
        r.append("visits", "{}").unwrap_err(),
        r.set_table_audited("patients", true).unwrap_err(),
    ] {
        assert_eq!(code(&e), codes::ROLE_FORBIDDEN, "{e}");
    }

    // Writer: no schema changes, no tokens.
    let e = clinic.execute("DROP TABLE patients", &[]).unwrap_err();
    assert_eq!(code(&e), codes::ROLE_FORBIDDEN);
    let e = writer
        .create_token("clinic", Role::Admin, &[], None, "")
        .unwrap_err();
    assert_eq!(code(&e), codes::ROLE_FORBIDDEN);

    // Auditor: checkpoints, proofs, receipts, exports; never rows or events.
    let auditor = server.client(&token(Role::Auditor));
    let a = auditor.tenant("clinic").unwrap();
    a.checkpoint().unwrap();
    let size = a.size().unwrap();
    a.inclusion_proof(0, size).unwrap();
    a.receipt(p, &[]).unwrap();
    a.export(&mut Vec::new(), &ExportOptions::default(), |_, _| {})
        .unwrap();
    for e in [
        a.query("SELECT * FROM patients", &[]).unwrap_err(),
        a.read("visits", 0, 100).unwrap_err(),
        a.prepare("SELECT * FROM patients").unwrap_err(),
        a.read_at_least(0).unwrap_err(),
        a.append("visits", "{}").unwrap_err(),
    ] {
        assert_eq!(code(&e), codes::ROLE_FORBIDDEN, "{e}");
    }

    // A tenant admin administers its tenant only; node operations need a node-wide token.
    let tenant_admin = server.client(&token(Role::Admin));
    let (_, _) = tenant_admin
        .create_token("clinic", Role::Reader, &[], None, "by tenant admin")
        .unwrap();
    assert_eq!(tenant_admin.tokens(None).unwrap().len(), 5);
    for e in [
        tenant_admin.tenants().unwrap_err(),
        tenant_admin.create_tenant("other").unwrap_err(),
        tenant_admin.status().unwrap_err(),
        tenant_admin
            .create_token("*", Role::Admin, &[], None, "")
            .unwrap_err(),
    ] {
        assert_eq!(code(&e), codes::ROLE_FORBIDDEN, "{e}");
    }

    // Expiry: works until the deadline, then fails on the open connection and at connect.
    let expires = now_us() + 1_500_000;
    let (_, short) = admin
        .create_token("clinic", Role::Reader, &[], Some(expires), "short")
        .unwrap();
    let short_client = server.client(&short);
    short_client.tenant("clinic").unwrap().size().unwrap();
    while now_us() <= expires + 100_000 {
        std::thread::sleep(Duration::from_millis(100));
    }
    let e = short_client.tenant("clinic").unwrap().size().unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_EXPIRED);
    let e = Client::connect(&server.url, server.options(&short)).unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_EXPIRED);
    let e = admin
        .create_token("clinic", Role::Reader, &[], Some(1), "")
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::Invalid));

    // Bad tokens are refused at the handshake.
    for (bad, expected) in [
        ("nonsense", codes::TOKEN_MALFORMED),
        (
            "vdb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            codes::TOKEN_UNKNOWN,
        ),
    ] {
        let e = Client::connect(&server.url, server.options(bad)).unwrap_err();
        assert_eq!(code(&e), expected);
    }
    // Another secret with the same id (a character inside the secret changed).
    let mut forged: Vec<char> = server.admin_token.chars().collect();
    forged[30] = if forged[30] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let e = Client::connect(&server.url, server.options(&forged)).unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_UNKNOWN);
}

#[test]
fn revocation_is_immediate() {
    let server = TestServer::start();
    let (admin, _) = setup(&server);
    let (info, secret) = admin
        .create_token("clinic", Role::Reader, &[], None, "to revoke")
        .unwrap();
    let client = server.client(&secret);
    let t = client.tenant("clinic").unwrap();
    let statement = t.prepare("SELECT * FROM patients").unwrap();
    t.size().unwrap();
    admin.revoke_token(&info.id).unwrap();
    // The same (pooled, already authenticated) connection fails on its next request.
    let e = t.size().unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_REVOKED);
    let e = statement.query(&[]).unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_REVOKED);
    let e = Client::connect(&server.url, server.options(&secret)).unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_REVOKED);
    let listed = admin.tokens(Some("clinic")).unwrap();
    assert!(listed.iter().any(|t| t.id == info.id && t.revoked));
    // Revocation survives a restart: it is an entry in the log.
    let mut server = server;
    server.kill();
    server.spawn();
    let e = Client::connect(&server.url, server.options(&secret)).unwrap_err();
    assert_eq!(code(&e), codes::TOKEN_REVOKED);
}

/// Every request type that names a tenant, aimed at `tenant`.
fn requests_for(tenant: &str, token_of_tenant: &str) -> Vec<Request> {
    let t = || tenant.to_owned();
    vec![
        Request::Execute {
            tenant: t(),
            sql: "INSERT INTO patients (id, name) VALUES (99, 'x')".into(),
            params: vec![],
        },
        Request::Execute {
            tenant: t(),
            sql: "DROP TABLE patients".into(),
            params: vec![],
        },
        Request::Query {
            tenant: t(),
            sql: "SELECT * FROM patients".into(),
            params: vec![],
            at: None,
        },
        Request::Query {
            tenant: t(),
            sql: "SELECT * FROM patients".into(),
            params: vec![],
            at: Some(At::Position(0)),
        },
        Request::Prepare {
            tenant: t(),
            statement: 77,
            sql: "SELECT * FROM patients".into(),
        },
        Request::Batch {
            tenant: t(),
            statements: vec![BatchStatement::Sql {
                sql: "DELETE FROM patients".into(),
                params: vec![],
            }],
            expectations: vec![Expectation {
                table: "patients".into(),
                key: vec![Value::Integer(1)],
                version: None,
            }],
        },
        Request::ReadAtLeast {
            tenant: t(),
            position: 0,
        },
        Request::Append {
            tenant: t(),
            events: vec![("s".into(), "{}".into())],
        },
        Request::Read {
            tenant: t(),
            stream: "visits".into(),
            start: 0,
            end: 100,
        },
        Request::Size { tenant: t() },
        Request::Checkpoint { tenant: t() },
        Request::LatestCheckpoint { tenant: t() },
        Request::Checkpoints {
            tenant: t(),
            start: 0,
            end: 10,
        },
        Request::CheckpointCount { tenant: t() },
        Request::Root {
            tenant: t(),
            size: 1,
        },
        Request::InclusionProof {
            tenant: t(),
            index: 0,
            size: 1,
        },
        Request::ConsistencyProof {
            tenant: t(),
            old_size: 1,
            new_size: 2,
        },
        Request::Receipt {
            tenant: t(),
            position: 0,
            disclose: vec!["table".into()],
        },
        Request::Export {
            tenant: t(),
            from: 0,
            to: None,
            withhold: vec![],
        },
        Request::TenantInfo { tenant: t() },
        Request::CreateToken {
            tenant: t(),
            role: Role::Admin,
            tables: vec![],
            expires_at_us: None,
            label: String::new(),
        },
        Request::ListTokens { tenant: Some(t()) },
        Request::RevokeToken {
            token_id: token_of_tenant.to_owned(),
        },
        Request::SetTableAudited {
            tenant: t(),
            table: "patients".into(),
            audited: true,
        },
    ]
}

#[test]
fn tenant_isolation_for_every_request_type() {
    let server = TestServer::start();
    let admin = server.admin();
    for name in ["alpha", "beta"] {
        admin.create_tenant(name).unwrap();
        let t = admin.tenant(name).unwrap();
        t.execute(
            "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)",
            &[],
        )
        .unwrap();
        t.execute("INSERT INTO patients VALUES (1, 'secret')", &[])
            .unwrap();
        t.append("visits", "{}").unwrap();
    }
    let (beta_token, _) = admin
        .create_token("beta", Role::Reader, &[], None, "beta's")
        .unwrap();
    let beta_size = admin.tenant("beta").unwrap().size().unwrap();
    // The strongest token of tenant alpha: admin.
    let (_, alpha_admin) = admin
        .create_token("alpha", Role::Admin, &[], None, "")
        .unwrap();
    let alpha = server.client(&alpha_admin);
    let requests = requests_for("beta", &beta_token.id);
    let mut tried = std::collections::BTreeSet::new();
    for request in &requests {
        tried.insert(request.name());
        let e = alpha.call(request).unwrap_err();
        assert_eq!(code(&e), codes::TENANT_FORBIDDEN, "{}: {e}", request.name());
    }
    // Names of tenants that do not exist, and the system tenant, get the same answer.
    for tenant in ["nosuch", "system"] {
        for request in requests_for(tenant, &beta_token.id) {
            if matches!(request, Request::RevokeToken { .. }) {
                continue;
            }
            let e = alpha.call(&request).unwrap_err();
            assert_eq!(
                code(&e),
                codes::TENANT_FORBIDDEN,
                "{tenant} {}: {e}",
                request.name()
            );
        }
    }
    // Node-wide requests are refused to a tenant-scoped token.
    for request in [
        Request::CreateTenant {
            tenant: "gamma".into(),
        },
        Request::ListTenants,
        Request::Status,
        Request::ListTokens { tenant: None },
    ] {
        tried.insert(request.name());
        let result = alpha.call(&request);
        match request {
            // A tenant admin's unfiltered listing is its own tenant's tokens only.
            Request::ListTokens { .. } => match result.unwrap() {
                Response::Tokens(tokens) => assert!(tokens.iter().all(|t| t.tenant == "alpha")),
                other => panic!("{other:?}"),
            },
            _ => assert_eq!(code(&result.unwrap_err()), codes::ROLE_FORBIDDEN),
        }
    }
    // Prepared statements are bound to the tenant they were prepared for.
    let alpha_t = alpha.tenant("alpha").unwrap();
    let statement = alpha_t.prepare("SELECT * FROM patients").unwrap();
    let mut pipeline = alpha.pipeline().unwrap();
    let id = pipeline.prepare(&statement).unwrap();
    pipeline
        .send(&Request::Batch {
            tenant: "beta".into(),
            statements: vec![BatchStatement::Prepared {
                statement: id,
                params: vec![],
            }],
            expectations: vec![],
        })
        .unwrap();
    let (_, answer) = pipeline.recv().unwrap();
    assert_eq!(answer.unwrap_err().code, codes::TENANT_FORBIDDEN);
    // A statement prepared for beta on beta's connection cannot be named from alpha's: the
    // statement requests carry no tenant, only an id that is local to its connection.
    let beta = server.client(
        &admin
            .create_token("beta", Role::Reader, &[], None, "b")
            .unwrap()
            .1,
    );
    let beta_statement = beta
        .tenant("beta")
        .unwrap()
        .prepare("SELECT * FROM patients")
        .unwrap();
    let beta_count = beta
        .tenant("beta")
        .unwrap()
        .prepare("SELECT COUNT(*) FROM patients")
        .unwrap();
    let mut beta_pipeline = beta.pipeline().unwrap();
    let beta_ids = [
        beta_pipeline.prepare(&beta_statement).unwrap(),
        beta_pipeline.prepare(&beta_count).unwrap(),
    ];
    // An id that names a statement on beta's connection and none on alpha's.
    let foreign = *beta_ids.iter().find(|&&b| b != id).unwrap();
    for request in [
        Request::ExecutePrepared {
            statement: foreign,
            params: vec![],
        },
        Request::QueryPrepared {
            statement: foreign,
            params: vec![],
            at: None,
        },
        Request::ClosePrepared { statement: foreign },
    ] {
        tried.insert(request.name());
        pipeline.send(&request).unwrap();
        let (_, answer) = pipeline.recv().unwrap();
        assert_eq!(
            answer.unwrap_err().code,
            codes::STATEMENT_NOT_FOUND,
            "{}",
            request.name()
        );
    }
    drop((pipeline, beta_pipeline));
    // Every request type but the handshake and ping was tried.
    assert!(tried.len() >= 27, "{tried:?}");
    // Nothing reached beta.
    assert_eq!(admin.tenant("beta").unwrap().size().unwrap(), beta_size);
    assert!(!admin.tokens(Some("beta")).unwrap()[0].revoked);
}

#[test]
fn table_scoped_tokens() {
    let server = TestServer::start();
    let (admin, writer) = setup(&server);
    let t = writer.tenant("clinic").unwrap();
    let patient = t
        .execute("INSERT INTO patients (id, name) VALUES (1, 'Ada')", &[])
        .unwrap();
    let visit = t.execute("INSERT INTO visits VALUES (1, 1)", &[]).unwrap();
    let (_, scoped) = admin
        .create_token("clinic", Role::Writer, &["patients"], None, "patients only")
        .unwrap();
    let client = server.client(&scoped);
    let s = client.tenant("clinic").unwrap();
    assert_eq!(s.query("SELECT * FROM patients", &[]).unwrap().len(), 1);
    s.execute("INSERT INTO patients (id, name) VALUES (2, 'Bo')", &[])
        .unwrap();
    s.receipt(patient.position, &["c.name"]).unwrap();
    for e in [
        s.query("SELECT * FROM visits", &[]).unwrap_err(),
        s.query(
            "SELECT * FROM patients WHERE id IN (SELECT patient FROM visits)",
            &[],
        )
        .unwrap_err(),
        s.execute("DELETE FROM visits", &[]).unwrap_err(),
        s.append("visits", "{}").unwrap_err(),
        s.read("visits", 0, 10).unwrap_err(),
        s.export(&mut Vec::new(), &ExportOptions::default(), |_, _| {})
            .unwrap_err(),
        s.receipt(visit.position, &[]).unwrap_err(),
    ] {
        assert_eq!(code(&e), codes::TABLE_FORBIDDEN, "{e}");
    }
}

#[test]
fn writes_name_their_token_as_actor() {
    let mut server = TestServer::start();
    let (admin, _) = setup(&server);
    let (info, secret) = admin
        .create_token("clinic", Role::Writer, &[], None, "front desk")
        .unwrap();
    let t = server.client(&secret).tenant("clinic").unwrap();
    let mut positions = vec![
        t.execute("INSERT INTO patients (id, name) VALUES (1, 'Ada')", &[])
            .unwrap()
            .position,
        t.prepare("INSERT INTO visits VALUES (?, 1)")
            .unwrap()
            .execute(&[Value::Integer(1)])
            .unwrap()
            .position,
        t.append("desk", r#"{"opened": true}"#).unwrap(),
    ];
    let mut batch = t.batch();
    batch
        .execute("INSERT INTO visits VALUES (2, 1)", &[])
        .unwrap()
        .execute("UPDATE patients SET name = 'Ada L.' WHERE id = 1", &[])
        .unwrap();
    let last = batch.commit().unwrap().position;
    positions.extend([last - 1, last]);
    assert!(server.terminate().success());
    let db = veritydb::Db::open(&server.data).unwrap();
    let clinic = db.existing_tenant("clinic").unwrap();
    for p in positions {
        let entry = &clinic.entries(p, p + 1).unwrap()[0];
        assert_eq!(
            entry.header.actor,
            format!("token:{}", info.id),
            "position {p}"
        );
    }
    // Embedded handles write as `embedded` unless given an actor; a bad actor is refused.
    let p = clinic.append("desk", "{}").unwrap();
    assert_eq!(
        clinic.entries(p, p + 1).unwrap()[0].header.actor,
        "embedded"
    );
    let named = clinic.clone().with_actor("cli:local").unwrap();
    let p = named.append("desk", "{}").unwrap();
    assert_eq!(
        named.entries(p, p + 1).unwrap()[0].header.actor,
        "cli:local"
    );
    assert!(clinic.clone().with_actor("two\nlines").is_err());
    assert!(clinic.with_actor("x".repeat(129)).is_err());
}

#[test]
fn audit_and_table_limits_see_the_tables_core_runs_on() {
    let mut server = TestServer::start();
    let (admin, writer) = setup(&server);
    let t = writer.tenant("clinic").unwrap();
    t.execute("INSERT INTO patients (id, name) VALUES (1, 'Ada')", &[])
        .unwrap();
    let clinic = admin.tenant("clinic").unwrap();
    clinic
        .execute("CREATE TABLE \"Patients\" (id INTEGER PRIMARY KEY)", &[])
        .unwrap();
    clinic
        .execute(
            "CREATE TABLE copies (id INTEGER PRIMARY KEY, name TEXT)",
            &[],
        )
        .unwrap();
    clinic.set_table_audited("patients", true).unwrap();
    let size = t.size().unwrap();
    // Backticks quote a name: core reads table patients, and the read is recorded.
    assert_eq!(t.query("SELECT * FROM `patients`", &[]).unwrap().len(), 1);
    assert_eq!(t.size().unwrap(), size + 1);
    // Copying audited rows into another table is recorded, before the row is written.
    t.execute("INSERT INTO copies SELECT id, name FROM patients", &[])
        .unwrap();
    assert_eq!(t.size().unwrap(), size + 3);
    // A token limited to patients may not use the distinct table "Patients"; unquoted
    // names fold to lower case.
    let (_, scoped) = admin
        .create_token("clinic", Role::Writer, &["patients"], None, "patients only")
        .unwrap();
    let s = server.client(&scoped).tenant("clinic").unwrap();
    let e = s.query("SELECT * FROM \"Patients\"", &[]).unwrap_err();
    assert_eq!(code(&e), codes::TABLE_FORBIDDEN, "{e}");
    assert_eq!(s.query("SELECT * FROM PATIENTS", &[]).unwrap().len(), 1);
    drop((s, t));
    assert!(server.terminate().success());
    let db = veritydb::Db::open(&server.data).unwrap();
    let entries = db
        .existing_tenant("clinic")
        .unwrap()
        .entries(size, size + 3)
        .unwrap();
    let text = |e: &veritydb::StoredEntry, f: &str| {
        String::from_utf8(e.field(f).unwrap().to_vec()).unwrap()
    };
    let kinds: Vec<Kind> = entries.iter().map(|e| e.header.kind).collect();
    assert_eq!(kinds, [Kind::Access, Kind::Access, Kind::Row]);
    assert_eq!(text(&entries[0], "request"), "query");
    assert_eq!(text(&entries[1], "request"), "write");
    assert_eq!(text(&entries[1], "tables"), "patients");
    assert_eq!(text(&entries[1], "rows"), "0");
}

#[test]
fn a_statement_prepared_twice_keeps_its_parameters_and_kind() {
    let server = TestServer::start();
    let (_, writer) = setup(&server);
    let t = writer.tenant("clinic").unwrap();
    let sql = "SELECT name FROM patients WHERE id = ?";
    for _ in 0..2 {
        // The second prepare finds the statement already prepared on the pooled connection.
        let statement = t.prepare(sql).unwrap();
        assert_eq!(statement.param_count(), 1);
        assert!(statement.is_query());
    }
}

#[test]
fn audited_reads_are_recorded() {
    let mut server = TestServer::start();
    let (admin, writer) = setup(&server);
    let t = writer.tenant("clinic").unwrap();
    t.execute("INSERT INTO patients (id, name) VALUES (1, 'Ada')", &[])
        .unwrap();
    t.execute("INSERT INTO visits VALUES (1, 1)", &[]).unwrap();
    admin
        .tenant("clinic")
        .unwrap()
        .set_table_audited("patients", true)
        .unwrap();
    let (reader_info, reader) = admin
        .create_token("clinic", Role::Reader, &[], None, "nurse")
        .unwrap();
    let r = server.client(&reader).tenant("clinic").unwrap();
    let size = r.size().unwrap();
    // Not audited: no record.
    r.query("SELECT * FROM visits", &[]).unwrap();
    assert_eq!(r.size().unwrap(), size);
    // Audited, plain and prepared: one record each, durable before the rows came back.
    r.query(
        "SELECT name FROM patients WHERE id = ?",
        &[Value::Integer(1)],
    )
    .unwrap();
    assert_eq!(r.size().unwrap(), size + 1);
    let prepared = r.prepare("SELECT * FROM patients").unwrap();
    prepared.query(&[]).unwrap();
    assert_eq!(r.size().unwrap(), size + 2);
    // Switching auditing off stops the records.
    admin
        .tenant("clinic")
        .unwrap()
        .set_table_audited("patients", false)
        .unwrap();
    r.query("SELECT * FROM patients", &[]).unwrap();
    assert_eq!(r.size().unwrap(), size + 2);
    drop(r);
    // Read the records back from the log itself.
    assert!(server.terminate().success());
    let db = veritydb::Db::open(&server.data).unwrap();
    let clinic = db.existing_tenant("clinic").unwrap();
    let entries = clinic.entries(size, size + 2).unwrap();
    let text = |e: &veritydb::StoredEntry, f: &str| {
        String::from_utf8(e.field(f).unwrap().to_vec()).unwrap()
    };
    for (entry, params) in entries.iter().zip(["[1]", "[]"]) {
        assert_eq!(entry.header.kind, Kind::Access);
        assert_eq!(entry.header.actor, format!("token:{}", reader_info.id));
        assert_eq!(text(entry, "token_id"), reader_info.id);
        assert_eq!(text(entry, "tables"), "patients");
        assert_eq!(text(entry, "rows"), "1");
        assert_eq!(text(entry, "params"), params);
        assert!(text(entry, "query").contains("FROM patients"));
    }
}

#[test]
fn connection_limit_and_metrics() {
    let mut server = TestServer::start_with(
        false,
        &["--max-connections", "2", "--metrics", "127.0.0.1:0"],
    );
    let metrics_url = server.next_line();
    let metrics_addr = metrics_url
        .strip_prefix("metrics on http://")
        .and_then(|s| s.strip_suffix("/metrics"))
        .unwrap()
        .to_owned();
    let first = server.admin();
    let second = veritydb::client::Client::connect(
        &server.url,
        server.options(&server.admin_token).pool_connections_max(0),
    )
    .unwrap();
    let _second_conn = second.pipeline().unwrap();
    let e = Client::connect(&server.url, server.options(&server.admin_token)).unwrap_err();
    assert_eq!(code(&e), codes::TOO_MANY_CONNECTIONS);
    first.create_tenant("m").unwrap();
    first.tenant("m").unwrap().append("s", "{}").unwrap();
    let _ = first.tenant("m").unwrap().query("SELEC", &[]);
    use std::io::{Read, Write};
    let mut http = std::net::TcpStream::connect(&metrics_addr).unwrap();
    http.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut body = String::new();
    http.read_to_string(&mut body).unwrap();
    for needle in [
        "veritydb_requests_total{type=\"append\"} 1",
        "veritydb_errors_total{class=\"syntax\"} 1",
        "veritydb_commit_latency_seconds_count",
        "veritydb_group_commit_writes_bucket",
        "veritydb_segment_fsync_seconds_count",
        "veritydb_connections_open 2",
        "veritydb_connections_rejected_total 1",
        "veritydb_received_bytes_total",
        "veritydb_sent_bytes_total",
    ] {
        assert!(body.contains(needle), "{needle} missing from\n{body}");
    }
}

#[test]
fn sigterm_shuts_down_gracefully_and_data_survives() {
    let mut server = TestServer::start();
    let (_, writer) = setup(&server);
    let t = writer.tenant("clinic").unwrap();
    let p = t.append("s", r#"{"n": 1}"#).unwrap();
    let started = Instant::now();
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}: {}", server.log());
    assert!(started.elapsed() < Duration::from_secs(10));
    server.spawn();
    let events = server
        .admin()
        .tenant("clinic")
        .unwrap()
        .read("s", p, p + 1)
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn refuses_cleartext_on_other_addresses() {
    let server = TestServer::start();
    let out = std::process::Command::new(common::BIN)
        .args(["serve", "--data"])
        .arg(&server.data)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without TLS"),
        "{stderr}"
    );
    // With --insecure it says so at startup (192.0.2.1 is a documentation address that no
    // interface has, so binding then fails and nothing listens).
    let out = std::process::Command::new(common::BIN)
        .args(["serve", "--data"])
        .arg(&server.data)
        .args(["--listen", "192.0.2.1:0", "--insecure"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WARNING: INSECURE"), "{stderr}");
}

#[test]
fn cli_commands() {
    let server = TestServer::start_tls();
    let admin = &server.admin_token;
    let run = |args: &[&str]| {
        let out = server.cli(admin, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["tenant", "create", "acme"]).contains("verifier key: test.local/acme+"));
    run(&[
        "sql",
        "--tenant",
        "acme",
        "-c",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
    ]);
    run(&[
        "sql",
        "--tenant",
        "acme",
        "-c",
        "INSERT INTO t VALUES (1, 'one'), (2, 'two')",
    ]);
    let out = run(&[
        "sql",
        "--tenant",
        "acme",
        "-c",
        "SELECT v FROM t ORDER BY id",
    ]);
    assert!(
        out.contains("one") && out.contains("two") && out.contains("(2 rows)"),
        "{out}"
    );
    let out = run(&[
        "token",
        "create",
        "--tenant",
        "acme",
        "--role",
        "reader",
        "--expires",
        "1d",
    ]);
    let token = out
        .lines()
        .find(|l| l.starts_with("vdb_"))
        .unwrap()
        .to_owned();
    assert!(run(&["token", "list"]).contains("reader"));
    let out = server.cli(&token, &["sql", "--tenant", "acme", "-c", "DELETE FROM t"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not write rows"));
    run(&["audit", "--tenant", "acme", "--table", "t"]);
    assert!(run(&["checkpoint", "--tenant", "acme"]).starts_with("test.local/acme\n"));
    let file = server.dir.path().join("acme.export");
    let out = run(&[
        "export",
        "--tenant",
        "acme",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("veritydb-verify export"), "{out}");
    let vkey = admin_vkey(&server, "acme");
    let keys = veritydb_verify::TrustedKeys::parse_lines(&vkey).unwrap();
    assert!(veritydb_verify::verify_export(&std::fs::read(&file).unwrap(), &keys).ok);
    let receipt = run(&[
        "receipt",
        "--tenant",
        "acme",
        "--position",
        "1",
        "--disclose",
        "table",
    ]);
    assert!(veritydb_verify::verify_receipt(receipt.as_bytes(), &keys).ok);
    assert!(run(&["status"]).contains("test.local"));
    let out = server.cli(admin, &["tenant", "create", "Bad Name"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid tenant name"));
}

fn admin_vkey(server: &TestServer, tenant: &str) -> String {
    server
        .admin()
        .tenant(tenant)
        .unwrap()
        .verifier_key()
        .unwrap()
}
