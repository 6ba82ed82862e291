"""The Database/Tenant API, the same on an embedded database and on a real server."""

from __future__ import annotations

import base64
import datetime
import io
import threading
from pathlib import Path

import pytest

import veritydb
from veritydb import verify

UTC = datetime.timezone.utc


def make_visits(tenant: veritydb.Tenant) -> None:
    tenant.execute(
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, patient TEXT NOT NULL, at TIMESTAMP,"
        " note BYTES, paid BOOLEAN, amount REAL)"
    )


def test_execute_query_and_columns(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    at = datetime.datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)
    w = tenant.execute(
        "INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)", (1, "ann", at, b"\x00\xff", True, 12.5)
    )
    assert w.rows_affected == 1 and isinstance(w.position, int)
    rows = tenant.query("SELECT * FROM visits")
    assert rows == [(1, "ann", at, b"\x00\xff", True, 12.5)]
    assert rows.columns == ("id", "patient", "at", "note", "paid", "amount")
    assert rows.types == ("integer", "text", "timestamp", "bytes", "boolean", "real")
    assert rows.versions == [w.position]
    assert len(rows) == 1 and rows[0][1] == "ann" and list(rows)[0] == rows[0]
    assert rows[-1:] == [rows[0]]
    dicts = tenant.query("SELECT id, patient FROM visits", as_dicts=True)
    assert dicts == [{"id": 1, "patient": "ann"}]
    assert rows[0][2].tzinfo is not None


def test_nulls_and_64_bit_integers(tenant: veritydb.Tenant) -> None:
    tenant.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER, t TEXT)")
    big = 2**63 - 1
    tenant.execute("INSERT INTO n VALUES (?, ?, ?)", (1, big, None))
    tenant.execute("INSERT INTO n VALUES (?, ?, ?)", [2, -(2**63), "x"])
    assert tenant.query("SELECT v, t FROM n ORDER BY id") == [(big, None), (-(2**63), "x")]


def test_update_and_time_travel(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    first = tenant.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (1, "ann"))
    tenant.execute("UPDATE visits SET patient = ? WHERE id = ?", ("anne", 1))
    assert tenant.query("SELECT patient FROM visits") == [("anne",)]
    assert tenant.query_at("SELECT patient FROM visits", position=first.position) == [("ann",)]
    later = datetime.datetime.now(UTC) + datetime.timedelta(days=1)
    assert tenant.query_at("SELECT patient FROM visits", timestamp=later) == [("anne",)]
    epoch_us = 0
    with pytest.raises(veritydb.InvalidStatementError):
        # The table did not exist at the epoch.
        tenant.query_at("SELECT patient FROM visits", timestamp=epoch_us)
    with pytest.raises(veritydb.OutOfRangeError):
        tenant.query_at("SELECT patient FROM visits", position=10**9)
    with pytest.raises(veritydb.InvalidInputError):
        tenant.query_at("SELECT patient FROM visits")


def test_prepared_statements(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    insert = tenant.prepare("INSERT INTO visits (id, patient) VALUES (?, ?)")
    assert insert.param_count == 2 and not insert.is_query
    for i in range(10):
        insert.execute((i, f"p{i}"))
    get = tenant.prepare("SELECT patient FROM visits WHERE id = ?")
    assert get.is_query and get.sql.startswith("SELECT")
    assert get.query((7,)) == [("p7",)]
    assert get.query((7,), as_dicts=True) == [{"patient": "p7"}]
    position = tenant.query("SELECT id FROM visits WHERE id = 3").versions[0]
    assert get.query_at((3,), position=position) == [("p3",)]


def test_batch_commits_atomically(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    with tenant.batch() as batch:
        batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (1, "a"))
        batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (2, "b"))
    assert batch.result is not None and batch.result.rows_affected == 2
    with pytest.raises(veritydb.ConstraintError):
        with tenant.batch() as batch:
            batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (3, "c"))
            batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (1, "dup"))
    assert tenant.query("SELECT COUNT(*) FROM visits") == [(2,)]
    with pytest.raises(RuntimeError):
        with tenant.batch() as batch:
            batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (4, "d"))
            raise RuntimeError("the block failed")
    assert tenant.query("SELECT COUNT(*) FROM visits") == [(2,)]
    with pytest.raises(veritydb.ClosedError):
        batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (5, "e"))
    # A block may end the batch itself: the exit leaves it as it is.
    with tenant.batch() as batch:
        batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (5, "e"))
        committed = batch.commit()
    assert batch.result is not None and batch.result.position == committed.position
    assert "committed" in repr(batch)
    with tenant.batch() as batch:
        batch.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (6, "f"))
        batch.discard()
    assert batch.result is None and "discarded" in repr(batch)
    assert tenant.query("SELECT COUNT(*) FROM visits") == [(3,)]


def test_batch_expected_versions(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    tenant.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (1, "a"))
    version = tenant.query("SELECT patient FROM visits WHERE id = 1").versions[0]
    with tenant.batch() as batch:
        batch.expect_version("visits", 1, version).expect_version("visits", (2,), None)
        batch.execute("UPDATE visits SET patient = ? WHERE id = ?", ("b", 1))
    with pytest.raises(veritydb.ConflictError):
        with tenant.batch() as batch:
            batch.expect_version("visits", 1, version)
            batch.execute("UPDATE visits SET patient = ? WHERE id = ?", ("c", 1))
    assert tenant.query("SELECT patient FROM visits") == [("b",)]
    prepared = tenant.prepare("DELETE FROM visits WHERE id = ?")
    batch = tenant.batch()
    batch.execute_prepared(prepared, (1,))
    assert batch.commit().rows_affected == 1


def test_events_append_and_read(tenant: veritydb.Tenant) -> None:
    p1 = tenant.append("visits", {"patient": 17, "reason": "checkup"})
    p2 = tenant.append("visits", '{"patient": 18}')
    tenant.append("billing", [1, 2, 3])
    events = tenant.read("visits")
    assert [e.position for e in events] == [p1, p2]
    assert events[0].json() == {"patient": 17, "reason": "checkup"}
    assert events[0].stream == "visits" and events[0].timestamp.tzinfo is not None
    assert abs(events[0].timestamp.timestamp() * 1e6 - events[0].timestamp_us) < 2
    assert [e.position for e in tenant.read("visits", p2)] == [p2]
    assert [e.position for e in tenant.read("visits", 0, p2)] == [p1]
    span = tenant.append_batch([("a", {"x": 1}), ("b", {"y": 2})])
    assert len(span) == 2
    assert tenant.size() == span.stop


def test_checkpoint_receipt_and_verify(tenant: veritydb.Tenant) -> None:
    make_visits(tenant)
    w = tenant.execute("INSERT INTO visits (id, patient) VALUES (?, ?)", (1, "ann"))
    checkpoint = tenant.checkpoint()
    assert checkpoint.size == tenant.size() and len(checkpoint.root) == 32
    assert checkpoint.origin == tenant.origin()
    latest = tenant.latest_checkpoint()
    assert latest is not None and latest.size >= checkpoint.size
    key = tenant.verifier_key()
    assert verify.verify_checkpoint(checkpoint, key, origin=tenant.origin()).ok
    # Row entries name their columns `c.<column>` (docs/spec/entry.md §5.2).
    receipt = tenant.receipt(w.position, disclose=["table", "c.patient"])
    assert receipt.position == w.position and receipt.text.startswith("c2sp.org/tlog-proof@v1")
    report = verify.verify_receipt(receipt, [key])
    assert report.ok, report.message
    assert report.receipt is not None
    disclosed = {f["name"]: f["value_base64"] for f in report.receipt["disclosed"]}
    assert set(disclosed) == {"table", "c.patient"}
    assert verify.sql_value(base64.b64decode(disclosed["c.patient"])) == "ann"
    assert report.receipt["position"] == w.position
    with pytest.raises(veritydb.InvalidInputError):
        tenant.receipt(w.position, disclose=["no_such_column"])
    with pytest.raises(veritydb.OutOfRangeError):
        tenant.receipt(10**9)


def test_export_to_a_path_and_a_file_object(tenant: veritydb.Tenant, tmp_path: Path) -> None:
    for i in range(5):
        tenant.append("s", {"i": i})
    tenant.checkpoint()
    key = tenant.verifier_key()
    path = tmp_path / "whole.vdbx"
    summary = tenant.export(path)
    assert (summary.start, summary.end, summary.entries) == (0, 5, 5)
    assert summary.bytes == path.stat().st_size
    assert verify.verify_export(path, key).ok
    assert verify.verify_export(str(path), key).ok
    buffer = io.BytesIO()
    part = tenant.export(buffer, start=1, end=3)
    assert (part.start, part.end, part.entries) == (1, 3, 2)
    report = verify.verify_export(buffer.getvalue(), key)
    assert report.ok and report.range == {"from": 1, "to": 3}
    buffer.seek(0)
    assert verify.verify_export(buffer, key).ok
    with pytest.raises(veritydb.OutOfRangeError):
        tenant.export(io.BytesIO(), start=3, end=99)


def test_tenants_and_names(db: veritydb.Database) -> None:
    t = db.create_tenant("names-test")
    assert t.name == "names-test" and "names-test" in db.tenants()
    assert db.tenant("names-test").origin().endswith("/names-test")
    assert isinstance(db.node_name, str) and db.node_name
    with pytest.raises(veritydb.InvalidInputError):
        db.tenant("Not Valid!")
    with pytest.raises(veritydb.InvalidInputError):
        db.create_tenant("Not Valid!")


def test_threads_share_objects(tenant: veritydb.Tenant) -> None:
    tenant.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER)")
    insert = tenant.prepare("INSERT INTO c VALUES (?, ?)")
    errors: list[BaseException] = []

    def work(base: int) -> None:
        try:
            for i in range(25):
                insert.execute((base + i, i))
                assert tenant.query("SELECT v FROM c WHERE id = ?", (base + i,)) == [(i,)]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert tenant.query("SELECT COUNT(*) FROM c") == [(100,)]


def test_context_manager_closes_everything(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with veritydb.open(path) as db:
        t = db.tenant("clinic")
        t.execute("CREATE TABLE x (id INTEGER PRIMARY KEY)")
        statement = t.prepare("SELECT id FROM x")
        batch = t.batch()
    assert db.closed
    for call in (
        lambda: t.query("SELECT id FROM x"),
        lambda: statement.query(),
        lambda: batch.commit(),
        lambda: db.tenant("clinic"),
        lambda: db.tenants(),
    ):
        with pytest.raises(veritydb.ClosedError):
            call()
    db.close()  # closing again does nothing
    # The files were released: the same directory opens again in this process.
    with veritydb.open(path) as again:
        assert again.tenant("clinic").query("SELECT COUNT(*) FROM x") == [(0,)]


def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with veritydb.open(str(path)) as db:
        db.tenant("a").execute("CREATE TABLE x (id INTEGER PRIMARY KEY, v TEXT)")
        db.tenant("a").execute("INSERT INTO x VALUES (1, 'kept')")
    with veritydb.open(path) as db:
        assert db.tenant("a").query("SELECT v FROM x") == [("kept",)]
    with veritydb.open(path) as db, pytest.raises(veritydb.DatabaseInUseError):
        veritydb.open(path)


def test_tls_connection(tls_server: object) -> None:
    url, token, ca = getattr(tls_server, "url"), getattr(tls_server, "token"), getattr(tls_server, "ca")
    assert url.startswith("vdbs://localhost:")
    with veritydb.connect(url, token=token, tls=ca) as db:
        t = db.create_tenant("tls")
        t.execute("CREATE TABLE x (id INTEGER PRIMARY KEY)")
        t.execute("INSERT INTO x VALUES (1)")
        assert t.query("SELECT id FROM x") == [(1,)]
    # Without the test CA the server's certificate is not trusted.
    with pytest.raises(veritydb.NetworkError):
        veritydb.connect(url, token=token, tls=True)
    with pytest.raises(veritydb.InvalidInputError):
        veritydb.connect(url.replace("vdbs://", "vdb://"), token=token, tls=ca)
