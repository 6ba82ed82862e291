"""PEP 249 (DB-API 2.0) for VerityDB.

>>> from veritydb import dbapi
>>> con = dbapi.connect(":memory:", tenant="clinic")
>>> cur = con.cursor()
>>> cur.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, patient TEXT)")
>>> cur.executemany("INSERT INTO visits VALUES (?, ?)", [(1, "ann"), (2, "bob")])
>>> con.commit()
>>> cur.execute("SELECT patient FROM visits ORDER BY id")
>>> cur.fetchall()
[('ann',), ('bob',)]
>>> con.close()

A connection is one tenant of one database (embedded path, ``":memory:"``, or a
``vdb://``/``vdbs://`` server URL). Transactions: writes (``INSERT``, ``UPDATE``, ``DELETE``,
``CREATE``, ``DROP``) are checked and queued by ``execute``, and ``commit()`` sends all of them
as ONE atomic batch of log entries; ``rollback()`` drops them. Queries run at once, on the
committed state: a connection does not see its own uncommitted writes (VerityDB has no
server-side open transaction). With ``autocommit=True`` every ``execute`` (and every
``executemany``, as one batch) commits at once.

Exceptions are the ``veritydb`` classes, which carry the PEP 249 hierarchy: ``Error`` is
``veritydb.Error``, a constraint violation is an ``IntegrityError``, and so on.
"""

from __future__ import annotations

import datetime
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, Optional, Union

import veritydb
from veritydb._errors import (
    ClosedError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]

apilevel = "2.0"
#: Threads may share the module and connections (not cursors).
threadsafety = 2
paramstyle = "qmark"

#: Prepared statements kept per connection.
STATEMENT_CACHE_SIZE = 256

Parameters = Sequence[Any]
Row = tuple[Any, ...]
Description = tuple[str, str, None, None, None, None, None]


class _TypeObject:
    """A PEP 249 type object: equal to every ``description`` type code it stands for."""

    def __init__(self, name: str, *codes: str) -> None:
        self.name = name
        self.codes = codes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return any(other == code or other.startswith(code + "(") for code in self.codes)
        return other is self

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<dbapi type {self.name}>"


STRING = _TypeObject("STRING", "text", "varchar")
BINARY = _TypeObject("BINARY", "bytes")
NUMBER = _TypeObject("NUMBER", "integer", "real", "boolean")
DATETIME = _TypeObject("DATETIME", "timestamp")
#: VerityDB has no row ids users can select; nothing compares equal to ROWID.
ROWID = _TypeObject("ROWID")


def Date(year: int, month: int, day: int) -> datetime.date:  # noqa: N802 - PEP 249 name
    """A date (VerityDB stores timestamps: use ``Timestamp`` for a column)."""
    return datetime.date(year, month, day)


def Time(hour: int, minute: int, second: int) -> datetime.time:  # noqa: N802
    """A time of day (VerityDB stores timestamps: use ``Timestamp`` for a column)."""
    return datetime.time(hour, minute, second)


def Timestamp(  # noqa: N802
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    """A timestamp, in UTC (VerityDB refuses naive datetimes)."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802
    return datetime.datetime.fromtimestamp(ticks, datetime.timezone.utc).date()


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    return datetime.datetime.fromtimestamp(ticks, datetime.timezone.utc).time()


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    return datetime.datetime.fromtimestamp(ticks, datetime.timezone.utc)


def Binary(data: Union[bytes, bytearray, memoryview]) -> bytes:  # noqa: N802
    return bytes(data)


class _Shared:
    """One open embedded database shared by every connection to the same path in this
    process (a database directory can be opened once per process)."""

    def __init__(self, database: veritydb.Database) -> None:
        self.database = database
        self.users = 0


_shared_lock = threading.Lock()
_shared: dict[str, _Shared] = {}


def _acquire(location: str, token: Optional[str], tls: Any) -> tuple[veritydb.Database, str]:
    if location.startswith(("vdb://", "vdbs://")):
        return veritydb.connect(location, token, tls=tls), ""
    if location == ":memory:":
        return veritydb.open(":memory:"), ""
    # Two spellings of one directory ("db", "./db", a symlink) are one database.
    key = os.path.realpath(location)
    with _shared_lock:
        shared = _shared.get(key)
        if shared is None or shared.database.closed:
            shared = _Shared(veritydb.open(location))
            _shared[key] = shared
        shared.users += 1
        return shared.database, key


def _release(database: veritydb.Database, key: str) -> None:
    if not key:
        database.close()
        return
    with _shared_lock:
        shared = _shared.get(key)
        if shared is None or shared.database is not database:
            database.close()
            return
        shared.users -= 1
        if shared.users == 0:
            del _shared[key]
            database.close()


def connect(
    database: str = ":memory:",
    tenant: str = "default",
    *,
    token: Optional[str] = None,
    tls: Any = None,
    autocommit: bool = False,
) -> Connection:
    """Connects to tenant ``tenant`` of ``database``: a directory path (embedded, created if
    needed), ``":memory:"``, or a ``vdb://host:port`` / ``vdbs://host:port`` server URL (then
    ``token`` and ``tls`` as for ``veritydb.connect``)."""
    db, key = _acquire(str(database), token, tls)
    try:
        handle = db.tenant(tenant)
    except BaseException:
        _release(db, key)
        raise
    return Connection(db, key, handle, autocommit)


class Connection:
    """A PEP 249 connection to one tenant."""

    Error = Error
    Warning = Warning
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    def __init__(
        self, database: veritydb.Database, key: str, tenant: veritydb.Tenant, autocommit: bool
    ) -> None:
        self._database: Optional[veritydb.Database] = database
        self._key = key
        self._tenant = tenant
        self._lock = threading.Lock()
        self._pending: list[tuple[veritydb.Statement, Parameters]] = []
        self._statements: dict[str, veritydb.Statement] = {}
        self.autocommit = autocommit
        #: The outcome of the last commit that wrote something (its log position proves it).
        self.last_commit: Optional[veritydb.ExecResult] = None
        self._finalizer = weakref.finalize(self, _release, database, key)

    @property
    def tenant(self) -> veritydb.Tenant:
        """The native tenant handle (receipts, exports, time travel)."""
        self._check_open()
        return self._tenant

    @property
    def closed(self) -> bool:
        return self._database is None

    def _check_open(self) -> None:
        if self._database is None:
            raise ClosedError("the connection is closed")

    def _statement(self, sql: str) -> veritydb.Statement:
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._tenant.prepare(sql)
            if len(self._statements) >= STATEMENT_CACHE_SIZE:
                self._statements.pop(next(iter(self._statements)))
            self._statements[sql] = statement
        return statement

    def cursor(self) -> Cursor:
        """A new cursor."""
        self._check_open()
        return Cursor(self)

    def commit(self) -> None:
        """Sends the pending writes as one atomic batch: all are durable, or none is."""
        with self._lock:
            self._check_open()
            pending, self._pending = self._pending, []
        if not pending:
            return
        batch = self._tenant.batch()
        for statement, params in pending:
            batch.execute_prepared(statement, params)
        self.last_commit = batch.commit()

    def rollback(self) -> None:
        """Drops the pending writes."""
        with self._lock:
            self._check_open()
            self._pending = []

    def close(self) -> None:
        """Closes the connection, dropping pending writes. Closing twice raises ``ClosedError``
        (as PEP 249's compliance suite requires)."""
        with self._lock:
            self._check_open()
            self._database = None
            self._pending = []
            self._statements = {}
        self._finalizer()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: object, exc_value: object, traceback: object) -> None:
        if self._database is None:
            return
        if exc_type is None:
            self.commit()
        self.close()

    def _write(self, statement: veritydb.Statement, rows: Sequence[Parameters]) -> int:
        """Runs (autocommit) or queues writes; returns the rowcount (-1 while queued)."""
        for params in rows:
            if len(params) != statement.param_count:
                raise veritydb.InvalidStatementError(
                    f"the statement takes {statement.param_count} parameters,"
                    f" {len(params)} were given"
                )
        if not self.autocommit:
            with self._lock:
                self._check_open()
                self._pending.extend((statement, params) for params in rows)
            return -1
        if len(rows) == 1:
            result = statement.execute(rows[0])
        else:
            batch = self._tenant.batch()
            for params in rows:
                batch.execute_prepared(statement, params)
            result = batch.commit()
        self.last_commit = result
        return result.rows_affected


class Cursor:
    """A PEP 249 cursor. Rows are fetched whole when the query runs."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = 1
        self.rowcount = -1
        self.description: Optional[tuple[Description, ...]] = None
        self._rows: list[Row] = []
        self._next = 0
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError("the cursor is closed")
        self.connection._check_open()

    def close(self) -> None:
        self._closed = True
        self._rows = []

    def execute(self, operation: str, parameters: Optional[Parameters] = None) -> None:
        """Runs a query at once, or runs/queues a write (see the module's transactions)."""
        self.executemany(operation, [parameters if parameters is not None else ()])

    def executemany(self, operation: str, seq_of_parameters: Sequence[Parameters]) -> None:
        """Runs a write once per parameter sequence; with autocommit, all in one batch."""
        self._check_open()
        if isinstance(seq_of_parameters, (str, bytes)):
            raise veritydb.ParameterTypeError("seq_of_parameters must be a sequence of sequences")
        rows = [tuple(p) for p in seq_of_parameters]
        statement = self.connection._statement(operation)
        self._rows, self._next, self.description = [], 0, None
        if statement.is_query:
            if len(rows) != 1:
                raise veritydb.InvalidStatementError("executemany() takes writes, not queries")
            found = statement.query(rows[0])
            self._rows = list(found)
            self.description = tuple(
                (name, code or "", None, None, None, None, None)
                for name, code in zip(found.columns, found.types)
            )
            self.rowcount = len(self._rows)
            return
        self.rowcount = self.connection._write(statement, rows) if rows else 0

    def fetchone(self) -> Optional[Row]:
        self._check_fetch()
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchmany(self, size: Optional[int] = None) -> list[Row]:
        self._check_fetch()
        count = self.arraysize if size is None else size
        rows = self._rows[self._next : self._next + count]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[Row]:
        self._check_fetch()
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def _check_fetch(self) -> None:
        self._check_open()
        if self.description is None:
            raise ProgrammingError("no result set: the last execute() was not a query")

    def setinputsizes(self, sizes: Any) -> None:
        """Does nothing (allowed by PEP 249)."""

    def setoutputsize(self, size: int, column: Optional[int] = None) -> None:
        """Does nothing (allowed by PEP 249)."""

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

