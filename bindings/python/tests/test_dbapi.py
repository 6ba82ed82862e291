"""veritydb.dbapi: PEP 249's public compliance suite (dbapi-compliance's dbapi20), and the
transaction semantics VerityDB adds (commit sends pending writes as one atomic batch).

Deviations, each skipped by name below and explained in bindings/python/README.md:
- the suite reads its own uncommitted writes (insert, then select, no commit). A VerityDB
  connection queues writes until commit() and queries see only committed state, so the full
  suite runs on autocommit connections (`connect(..., autocommit=True)`), and the suite's
  transaction-neutral tests run again on default (transactional) connections;
- test_nextset, test_setoutputsize: the suite's own placeholders that drivers must override;
  VerityDB has no stored procedures or multiple result sets (nextset is not provided);
- test_callproc passes because Cursor has no callproc (no stored procedures), as PEP 249
  allows.
"""

from __future__ import annotations

import unittest
from pathlib import Path

import dbapi20
import pytest

import veritydb
from veritydb import dbapi


class TestDbapi20Autocommit(dbapi20.DatabaseAPI20Test):
    """The whole suite, on autocommit connections to a fresh in-memory database."""

    driver = dbapi
    connect_args = (":memory:",)
    connect_kw_args = {"tenant": "dbapi20", "autocommit": True}

    def test_nextset(self) -> None:
        raise unittest.SkipTest("test_nextset: no stored procedures or multiple result sets (Cursor.nextset is not provided)")

    def test_setoutputsize(self) -> None:
        raise unittest.SkipTest("test_setoutputsize: setoutputsize does nothing (allowed by PEP 249); the suite leaves this test to drivers")


# The suite's tests that neither read their own uncommitted writes nor need autocommit.
TRANSACTION_NEUTRAL = [
    "test_connect", "test_apilevel", "test_threadsafety", "test_paramstyle", "test_Exceptions",
    "test_ExceptionsAsConnectionAttributes", "test_commit", "test_rollback", "test_cursor",
    "test_close", "test_non_idempotent_close", "test_arraysize", "test_Date", "test_Time",
    "test_Timestamp", "test_Binary", "test_STRING", "test_BINARY", "test_NUMBER",
    "test_DATETIME", "test_ROWID", "test_callproc",
]


class TestDbapi20Transactional(TestDbapi20Autocommit):
    """The same suite on default connections (writes wait for commit)."""

    connect_kw_args = {"tenant": "dbapi20"}

    def setUp(self) -> None:
        name = self._testMethodName
        if name not in TRANSACTION_NEUTRAL and name not in ("test_nextset", "test_setoutputsize"):
            raise unittest.SkipTest(
                f"{name} reads its own uncommitted writes: VerityDB queues writes until commit()"
                " (it runs on autocommit connections in TestDbapi20Autocommit)"
            )


def test_commit_sends_pending_writes_as_one_batch(tmp_path: Path) -> None:
    path = str(tmp_path / "db")
    con = dbapi.connect(path, tenant="clinic")
    cur = con.cursor()
    cur.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, name TEXT)")
    cur.executemany("INSERT INTO v VALUES (?, ?)", [(1, "a"), (2, "b")])
    assert cur.rowcount == -1
    other = dbapi.connect(path, tenant="clinic")
    with pytest.raises(dbapi.ProgrammingError):
        other.cursor().execute("SELECT * FROM v")  # nothing committed yet: no table
    con.commit()
    assert con.last_commit is not None and con.last_commit.rows_affected == 2
    reader = other.cursor()
    reader.execute("SELECT name FROM v ORDER BY id")
    assert reader.fetchall() == [("a",), ("b",)]
    assert reader.description is not None and reader.description[0][:2] == ("name", "text")
    assert reader.description[0][1] == dbapi.STRING
    # A failing commit writes nothing.
    cur.execute("INSERT INTO v VALUES (3, 'c')")
    cur.execute("INSERT INTO v VALUES (1, 'dup')")
    with pytest.raises(dbapi.IntegrityError):
        con.commit()
    reader.execute("SELECT COUNT(*) FROM v")
    assert reader.fetchone() == (2,)
    # rollback drops pending writes.
    cur.execute("INSERT INTO v VALUES (4, 'd')")
    con.rollback()
    con.commit()
    reader.execute("SELECT COUNT(*) FROM v")
    assert reader.fetchone() == (2,)
    # The connection's tenant gives receipts for what commit wrote.
    receipt = con.tenant.receipt(con.last_commit.position, disclose=["c.name"])
    assert receipt.position == con.last_commit.position
    con.close()
    other.close()
    with pytest.raises(dbapi.InterfaceError):
        cur.execute("SELECT 1")


def test_two_spellings_of_one_path_share_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = dbapi.connect("db", tenant="clinic", autocommit=True)
    first.cursor().execute("CREATE TABLE v (id INTEGER PRIMARY KEY)")
    # "./db" and the absolute path are the same directory: the same open database, not a
    # second open that the directory lock would refuse.
    second = dbapi.connect("./db", tenant="clinic")
    third = dbapi.connect(str(tmp_path / "db"), tenant="clinic")
    for con in (second, third):
        cur = con.cursor()
        cur.execute("SELECT COUNT(*) FROM v")
        assert cur.fetchone() == (0,)
    first.close()
    second.close()
    cur = third.cursor()
    cur.execute("SELECT COUNT(*) FROM v")
    assert cur.fetchone() == (0,)
    third.close()


def test_cursor_iteration_fetchmany_and_errors() -> None:
    with dbapi.connect(":memory:", autocommit=True) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE n (i INTEGER PRIMARY KEY)")
        cur.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(10)])
        assert cur.rowcount == 10
        cur.execute("SELECT i FROM n ORDER BY i")
        cur.arraysize = 3
        assert cur.fetchmany() == [(0,), (1,), (2,)]
        assert [r[0] for r in cur] == list(range(3, 10))
        assert cur.fetchone() is None
        with pytest.raises(dbapi.ProgrammingError):
            cur.execute("SELEC")
        with pytest.raises(dbapi.NotSupportedError):
            cur.execute("SELECT i FROM n GROUP BY i")
        with pytest.raises(dbapi.ProgrammingError):
            cur.execute("INSERT INTO n VALUES (?)", (1, 2))
        cur.execute("INSERT INTO n VALUES (100)")
        with pytest.raises(dbapi.ProgrammingError):
            cur.fetchall()
        cur.close()
        with pytest.raises(dbapi.InterfaceError):
            cur.execute("SELECT 1")


def test_remote_connection(server: object) -> None:
    url, token = getattr(server, "url"), getattr(server, "token")
    with veritydb.connect(url, token=token) as db:
        db.create_tenant("dbapi-remote")
    con = dbapi.connect(url, tenant="dbapi-remote", token=token)
    cur = con.cursor()
    cur.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)")
    cur.execute("INSERT INTO r VALUES (?, ?)", (1, "remote"))
    con.commit()
    cur.execute("SELECT v FROM r WHERE id = ?", (1,))
    assert cur.fetchall() == [("remote",)]
    con.close()
