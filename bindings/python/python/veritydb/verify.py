"""The independent verifier (crate ``veritydb-verify``, not the database): bytes in, verdict
out. Every function returns a ``Report`` with the same fields and reason codes as
``veritydb-verify ... --json`` (``docs/spec/verdicts.md``). A rejected input is a report with
``ok == False``; exceptions mean nothing could be checked (``TrustedKeyError``,
``StorageError``, ``ParameterTypeError``).
"""

from veritydb._native import (
    Report,
    ed25519_verify,
    sql_value,
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
