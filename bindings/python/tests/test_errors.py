"""Bad input from Python raises the documented exception and never crashes the interpreter."""

from __future__ import annotations

import datetime
import io
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

import veritydb
from veritydb import _native, dbapi, verify

KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"


def test_every_native_family_is_a_veritydb_error() -> None:
    for name in _native._error_class_names():
        cls = getattr(veritydb, name)
        assert issubclass(cls, veritydb.Error), name
        assert cls.__module__ == "veritydb"
        assert isinstance(cls.code, str) and cls.code


def test_the_hierarchy_follows_pep_249_and_python() -> None:
    assert veritydb.Error is dbapi.Error
    assert issubclass(veritydb.ConstraintError, dbapi.IntegrityError)
    assert issubclass(veritydb.SqlSyntaxError, dbapi.ProgrammingError)
    assert issubclass(veritydb.UnsupportedSqlError, dbapi.NotSupportedError)
    for bad_input in (
        veritydb.InvalidInputError,
        veritydb.SqlSyntaxError,
        veritydb.InvalidStatementError,
        veritydb.OutOfRangeError,
        veritydb.LimitError,
        veritydb.ClosedError,
        veritydb.TrustedKeyError,
    ):
        assert issubclass(bad_input, ValueError), bad_input
    assert issubclass(veritydb.ParameterTypeError, TypeError)
    for io_error in (veritydb.StorageError, veritydb.DatabaseInUseError, veritydb.NetworkError):
        assert issubclass(io_error, OSError), io_error
    assert issubclass(veritydb.ConflictError, dbapi.OperationalError)
    assert issubclass(veritydb.CorruptionError, dbapi.InternalError)


@pytest.fixture
def clinic(memory_db: veritydb.Database) -> veritydb.Tenant:
    t = memory_db.tenant("clinic")
    t.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, name VARCHAR(5) NOT NULL, at TIMESTAMP)")
    t.execute("INSERT INTO v VALUES (1, 'ann', NULL)")
    return t


@pytest.mark.parametrize(
    ("sql", "exception", "fragment"),
    [
        ("SELEC * FROM v", veritydb.SqlSyntaxError, "syntax"),
        ("SELECT * FROM v GROUP BY id", veritydb.UnsupportedSqlError, "GROUP BY"),
        ("SELECT nope FROM v", veritydb.InvalidStatementError, "nope"),
        ("SELECT * FROM missing", veritydb.InvalidStatementError, "missing"),
        ("SELECT * FROM v WHERE name = 1", veritydb.InvalidStatementError, "compare"),
    ],
)
def test_bad_sql(clinic: veritydb.Tenant, sql: str, exception: type, fragment: str) -> None:
    with pytest.raises(exception) as caught:
        clinic.query(sql)
    assert fragment.lower() in str(caught.value).lower()


def test_bad_writes(clinic: veritydb.Tenant) -> None:
    with pytest.raises(veritydb.ConstraintError, match="(?i)primary|duplicate|unique"):
        clinic.execute("INSERT INTO v VALUES (1, 'dup', NULL)")
    with pytest.raises(veritydb.ConstraintError):
        clinic.execute("INSERT INTO v VALUES (2, 'toolongname', NULL)")
    with pytest.raises(veritydb.ConstraintError):
        clinic.execute("INSERT INTO v (id) VALUES (3)")
    with pytest.raises(veritydb.InvalidStatementError, match="parameters"):
        clinic.execute("INSERT INTO v VALUES (?, ?, NULL)", (4,))
    with pytest.raises(veritydb.InvalidStatementError):
        clinic.execute("SELECT * FROM v")
    with pytest.raises(veritydb.LimitError):
        clinic.execute("INSERT INTO v VALUES (" + "1+" * 3000 + "1, 'x', NULL)")


def test_wrong_python_types(clinic: veritydb.Tenant) -> None:
    with pytest.raises(veritydb.ParameterTypeError, match="parameter 1 has type list"):
        clinic.query("SELECT * FROM v WHERE id = ?", ([1],))
    with pytest.raises(veritydb.ParameterTypeError, match="tuple or list"):
        clinic.query("SELECT * FROM v WHERE id = ?", "1")
    with pytest.raises(veritydb.ParameterTypeError):
        clinic.query("SELECT * FROM v WHERE id = ?", {"id": 1})
    with pytest.raises(veritydb.ParameterTypeError):
        clinic.query("SELECT * FROM v WHERE id = ?", (object(),))
    with pytest.raises(veritydb.InvalidInputError, match="64-bit"):
        clinic.query("SELECT * FROM v WHERE id = ?", (2**64,))
    naive = datetime.datetime(2026, 1, 1)
    with pytest.raises(veritydb.InvalidInputError, match="naive"):
        clinic.execute("UPDATE v SET at = ? WHERE id = 1", (naive,))
    with pytest.raises(TypeError):
        clinic.query(42)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        clinic.execute()  # type: ignore[call-arg]
    with pytest.raises(OverflowError):
        clinic.receipt(-1)
    with pytest.raises(veritydb.ParameterTypeError):
        clinic.receipt(1, disclose="name")
    with pytest.raises(veritydb.InvalidInputError):
        clinic.append("s", {1, 2})
    with pytest.raises(veritydb.InvalidInputError):
        clinic.append("s", "not json")
    with pytest.raises(veritydb.InvalidInputError):
        clinic.append("", {})
    with pytest.raises(veritydb.ParameterTypeError):
        clinic.export(12345)
    with pytest.raises(veritydb.ParameterTypeError):
        clinic.query_at("SELECT * FROM v", timestamp="yesterday")


def test_bytes_like_values_and_timezones(clinic: veritydb.Tenant) -> None:
    clinic.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BYTES, at TIMESTAMP)")
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    at = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=plus2)
    clinic.execute("INSERT INTO b VALUES (?, ?, ?)", (1, bytearray(b"ab"), at))
    clinic.execute("INSERT INTO b VALUES (?, ?, ?)", (2, memoryview(b"cd"), "2026-03-01T10:00:00Z"))
    rows = clinic.query("SELECT data, at FROM b ORDER BY id")
    assert rows == [(b"ab", at), (b"cd", at)]
    assert rows[0][1].utcoffset() == datetime.timedelta(0)
    before_epoch = datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    clinic.execute("INSERT INTO b VALUES (3, NULL, ?)", (before_epoch,))
    assert clinic.query("SELECT at FROM b WHERE id = 3") == [(before_epoch,)]


def test_bad_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.vdbx"
    with pytest.raises(veritydb.StorageError) as caught:
        verify.verify_export(missing, KEY)
    assert isinstance(caught.value, FileNotFoundError) or caught.value.errno == 2
    assert str(missing) in str(caught.value)
    garbage = tmp_path / "garbage.vdbx"
    garbage.write_bytes(b"not an export at all")
    report = verify.verify_export(garbage, KEY)
    assert not report.ok and report.reason == "malformed_frame"
    with pytest.raises(veritydb.ParameterTypeError):
        verify.verify_export(io.StringIO("text"), KEY)
    with pytest.raises(veritydb.ParameterTypeError):
        verify.verify_export(42, KEY)
    with pytest.raises(veritydb.TrustedKeyError):
        verify.verify_export(b"", "not a key")
    with pytest.raises(veritydb.TrustedKeyError):
        verify.verify_export(b"", [])
    # An endless iterable of keys is read only to one past the limit, then refused.
    with pytest.raises(veritydb.TrustedKeyError, match="more than"):
        verify.verify_export(b"", itertools.repeat(KEY))
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(veritydb.StorageError):
        veritydb.open(not_a_dir)
    with veritydb.open(":memory:") as db:
        t = db.tenant("t")
        t.append("s", {})
        with pytest.raises(veritydb.StorageError):
            t.export(tmp_path / "no" / "such" / "dir" / "x.vdbx")

        class Broken(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, b: object) -> int:
                raise RuntimeError("disk on fire")

        with pytest.raises(RuntimeError, match="disk on fire"):
            t.export(Broken())


def test_remote_errors(server: object) -> None:
    url = getattr(server, "url")
    with pytest.raises(veritydb.AuthenticationError):
        veritydb.connect(url, token="vdb_not_a_real_token")
    with pytest.raises(veritydb.InvalidInputError):
        veritydb.connect("http://127.0.0.1:1", token="x")
    with pytest.raises(veritydb.NetworkError):
        veritydb.connect("vdb://127.0.0.1:1", token="vdb_x")
    with pytest.raises(veritydb.InvalidInputError):
        veritydb.connect(url, token="x", tls=True)
    with veritydb.connect(url, token=getattr(server, "token")) as db:
        with pytest.raises(veritydb.NotFoundError):
            db.tenant("never-created").size()


def test_misuse_never_crashes_the_interpreter(tmp_path: Path) -> None:
    """A child interpreter hammers the API with bad calls; it must exit normally."""
    script = """
import gc, io, threading, veritydb
from veritydb import verify
db = veritydb.open(":memory:")
t = db.tenant("x")
bad = [None, 1, -1, 2**70, 1.5, "", "\\x00", b"\\xff", [], {}, object(), io.BytesIO()]
calls = [t.execute, t.query, t.prepare, t.append, t.read, t.receipt, t.export,
         t.read_at_least, db.tenant, verify.verify_export, verify.verify_receipt,
         verify.verify_checkpoint, verify.verify_note, veritydb.open]
count = 0
for call in calls:
    for a in bad:
        for b in bad[:5]:
            try:
                call(a, b)
            except Exception:
                count += 1
            try:
                call(a)
            except Exception:
                count += 1
s = t.prepare("SELECT 1")
def close_soon():
    db.close()
threading.Thread(target=close_soon).start()
for _ in range(200):
    try:
        s.query()
    except veritydb.ClosedError:
        pass
del db, t, s
gc.collect()
print("survived", count)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("survived")
