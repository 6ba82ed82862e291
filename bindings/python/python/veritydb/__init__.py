"""VerityDB for Python: a compliance-first database where every tenant's data is an
immutable, verifiable log, with SQL tables derived from it.

>>> import veritydb
>>> with veritydb.open(":memory:") as db:
...     clinic = db.tenant("clinic")
...     _ = clinic.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, patient TEXT)")
...     w = clinic.execute("INSERT INTO visits VALUES (?, ?)", (1, "ann"))
...     clinic.query("SELECT patient FROM visits WHERE id = ?", (1,))[0]
('ann',)

``veritydb.open(path)`` opens an embedded database, ``veritydb.connect(url, token=...)`` a
server; both give a ``Database``. ``veritydb.dbapi`` is the PEP 249 module and
``veritydb.verify`` the independent verifier.
"""

from veritydb._errors import (
    AuthenticationError,
    BusyError,
    ClosedError,
    ConflictError,
    ConstraintError,
    CorruptionError,
    DatabaseError,
    DatabaseInUseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    InvalidInputError,
    InvalidStatementError,
    LimitError,
    NetworkError,
    NotFoundError,
    NotSupportedError,
    OperationalError,
    OutOfRangeError,
    ParameterTypeError,
    PermissionDeniedError,
    ProgrammingError,
    ProtocolError,
    SqlSyntaxError,
    StoppedError,
    StorageError,
    TrustedKeyError,
    UnsupportedSqlError,
)
from veritydb._native import (
    Batch,
    Checkpoint,
    Database,
    Event,
    ExecResult,
    ExportSummary,
    Receipt,
    Rows,
    Statement,
    Tenant,
    connect,
    open,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Batch",
    "BusyError",
    "Checkpoint",
    "ClosedError",
    "ConflictError",
    "ConstraintError",
    "CorruptionError",
    "DataError",
    "Database",
    "DatabaseError",
    "DatabaseInUseError",
    "Error",
    "Event",
    "ExecResult",
    "ExportSummary",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InvalidInputError",
    "InvalidStatementError",
    "LimitError",
    "NetworkError",
    "NotFoundError",
    "NotSupportedError",
    "OperationalError",
    "OutOfRangeError",
    "ParameterTypeError",
    "PermissionDeniedError",
    "ProgrammingError",
    "ProtocolError",
    "Receipt",
    "Rows",
    "SqlSyntaxError",
    "Statement",
    "StoppedError",
    "StorageError",
    "Tenant",
    "TrustedKeyError",
    "UnsupportedSqlError",
    "connect",
    "open",
]
