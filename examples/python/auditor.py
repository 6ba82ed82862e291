"""An auditor's check of a VerityDB export, independent of the database that wrote it: the
verifier library (crate veritydb-verify) recomputes every hash, the Merkle tree and the
signatures against the key the auditor pinned.

    python auditor.py EXPORT_DIR          # checks EXPORT_DIR/clinic.vdbx with clinic.vkey
    python auditor.py EXPORT.vdbx VKEY    # any export and verifier key

Exit status 0 when the export verifies, 1 when it is rejected (the reason is printed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from veritydb import verify


def audit(export: Path, vkey: str) -> bool:
    report = verify.verify_export(export, vkey)
    if report.ok:
        assert report.range is not None
        print(
            f"VERIFIED {export.name}: entries [{report.range['from']}, {report.range['to']}) of"
            f" {report.origin}, {report.checkpoints} checkpoints, tree size {report.tree_size},"
            f" signed by {', '.join(report.keys)}"
        )
    else:
        print(
            f"REJECTED {export.name}: {report.reason} (code {report.reason_code})"
            f" at position {report.position}: {report.message}"
        )
    return report.ok


def main(args: list[str]) -> int:
    if len(args) == 1:
        directory = Path(args[0])
        export, vkey = directory / "clinic.vdbx", (directory / "clinic.vkey").read_text().strip()
    elif len(args) == 2:
        export, vkey = Path(args[0]), Path(args[1]).read_text().strip()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    ok = audit(export, vkey)
    # A tampered copy must be rejected: flip one byte in the middle and check again.
    data = bytearray(export.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = export.with_name("tampered-" + export.name)
    tampered.write_bytes(bytes(data))
    rejected = not audit(tampered, vkey)
    tampered.unlink()
    return 0 if ok and rejected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
