"""The independent verifier (crate ``veritydb-verify``, not the database): bytes in, verdict
out. Every function returns a ``Report`` with the same fields and reason codes as
``veritydb-verify ... --json`` (``docs/spec/verdicts.md``). A rejected input is a report with
``ok == False``; exceptions mean nothing could be checked (``TrustedKeyError``,
``StorageError``, ``ParameterTypeError``).
"""

import datetime
import struct
from typing import Union

from veritydb._errors import InvalidInputError
from veritydb._native import (
    Report,
    ed25519_verify,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_consistency,
    verify_export,
    verify_inclusion,
    verify_note,
    verify_receipt,
)

__all__ = [
    "Report",
    "ed25519_verify",
    "sql_value",
    "verify_checkpoint",
    "verify_checkpoint_consistency",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
    "verify_note",
    "verify_receipt",
]


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def sql_value(field: bytes) -> Union[None, bool, int, float, str, bytes, datetime.datetime]:
    """The SQL value of a disclosed column field of a row entry (``c.<column>``): a type tag
    and a payload, as ``docs/spec/entry.md`` §5.2 defines. Raises ``InvalidInputError`` for
    bytes that are not a canonical value."""
    if not field:
        raise InvalidInputError("an empty field is not a SQL value")
    tag, payload = field[0], bytes(field[1:])
    if tag == 0 and not payload:
        return None
    if tag in (1, 2, 6) and len(payload) == 8:
        if tag == 2:
            return float(struct.unpack(">d", payload)[0])
        number = int(struct.unpack(">q", payload)[0])
        return number if tag == 1 else _EPOCH + datetime.timedelta(microseconds=number)
    if tag == 3:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidInputError(f"a text value that is not UTF-8: {e}") from None
    if tag == 4 and payload in (b"\x00", b"\x01"):
        return payload == b"\x01"
    if tag == 5:
        return payload
    raise InvalidInputError(f"not a SQL value: tag {tag} with {len(payload)} payload bytes")
