"""The exception classes of VerityDB, shared by the native API and ``veritydb.dbapi``.

``veritydb.Error`` is the base of everything VerityDB raises and is also PEP 249's ``Error``,
so the DB-API module raises the very same classes. Each family maps one kind of fault (the Rust
side maps every Rust error to a family in ``src/errors.rs``) and has a stable ``code``. Bad
input is also a ``ValueError`` (or ``TypeError`` for a value of the wrong type), I/O is an
``OSError``.
"""


class Error(Exception):
    """Base of every VerityDB exception (PEP 249 ``Error``)."""

    code = "error"


class Warning(Exception):  # noqa: A001 - the name PEP 249 requires
    """PEP 249 ``Warning`` (VerityDB raises none)."""


class InterfaceError(Error):
    """Misuse of the interface rather than a database error (PEP 249)."""

    code = "interface"


class DatabaseError(Error):
    """An error of the database (PEP 249)."""

    code = "database"


class DataError(DatabaseError):
    """A value out of range or over a limit (PEP 249)."""

    code = "data"


class OperationalError(DatabaseError):
    """The database's operation failed: I/O, network, a conflicting write (PEP 249)."""

    code = "operational"


class IntegrityError(DatabaseError):
    """A constraint refused a change (PEP 249)."""

    code = "integrity"


class InternalError(DatabaseError):
    """Damaged data or a bug in VerityDB; please report it (PEP 249)."""

    code = "internal"


class ProgrammingError(DatabaseError):
    """Bad SQL or a bad argument (PEP 249)."""

    code = "programming"


class NotSupportedError(DatabaseError):
    """SQL or an API outside what VerityDB supports (PEP 249)."""

    code = "not_supported"


class InvalidInputError(ProgrammingError, ValueError):
    """An invalid argument: a tenant or stream name, event JSON, a field name, an option."""

    code = "invalid_input"


class ParameterTypeError(ProgrammingError, TypeError):
    """A Python value of a type VerityDB cannot store (give None, bool, int, float, str,
    bytes or an aware datetime)."""

    code = "parameter_type"


class ClosedError(InterfaceError, ValueError):
    """An object used after its database (or connection, cursor, batch) was closed."""

    code = "closed"


class SqlSyntaxError(ProgrammingError, ValueError):
    """Not valid SQL."""

    code = "syntax"


class UnsupportedSqlError(NotSupportedError, ValueError):
    """Valid SQL outside VerityDB's subset; the message names the construct."""

    code = "unsupported"


class InvalidStatementError(ProgrammingError, ValueError):
    """SQL that does not fit this database: unknown table or column, type mismatch, wrong
    number of parameters, bad literal."""

    code = "invalid"


class ConstraintError(IntegrityError):
    """A primary key, unique index, NOT NULL or length rule refused the change."""

    code = "constraint"


class ConflictError(OperationalError):
    """An expected row version did not match: nothing was written."""

    code = "conflict"


class OutOfRangeError(DataError, ValueError):
    """A position or time beyond the log."""

    code = "out_of_range"


class LimitError(DataError, ValueError):
    """A named limit was exceeded (statement size, batch size, rows per write, ...)."""

    code = "limit"


class StorageError(OperationalError, OSError):
    """Reading or writing storage or a file failed."""

    code = "io"


class DatabaseInUseError(StorageError):
    """Another process holds the database open."""

    code = "in_use"


class StoppedError(StorageError):
    """A write failed on storage and the database stopped accepting writes: reopen it."""

    code = "stopped"


class CorruptionError(InternalError):
    """Stored data is damaged, or a safety check refused an inconsistent checkpoint."""

    code = "corrupt"


class TrustedKeyError(InvalidInputError):
    """A trusted key given to the verifier is not a valid verifier key (or none was given)."""

    code = "invalid_key"


class NetworkError(OperationalError, OSError):
    """The server could not be reached, TLS failed, or the connection broke."""

    code = "network"


class AuthenticationError(OperationalError):
    """The server refused the token (unknown, malformed, expired or revoked)."""

    code = "unauthenticated"


class PermissionDeniedError(ProgrammingError):
    """The token may not do this (tenant, role or table)."""

    code = "forbidden"


class NotFoundError(ProgrammingError, LookupError):
    """No such tenant, prepared statement or token on the server."""

    code = "not_found"


class BusyError(OperationalError):
    """The server is overloaded or shutting down; retrying later may succeed."""

    code = "busy"


class ProtocolError(InterfaceError):
    """The server sent something that is not the VerityDB protocol."""

    code = "protocol"


def _public_module() -> None:
    """Shows the classes as ``veritydb.X`` (where users find them) in tracebacks and reprs."""
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, BaseException):
            value.__module__ = "veritydb.dbapi" if value is Warning else "veritydb"


_public_module()
