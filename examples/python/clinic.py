"""A clinic's records on VerityDB: create a table, insert and update patients' visits, look at
the table as it was before the update, prove one record with a receipt and verify it like an
outside auditor would, then hand the auditor an export of the whole log.

    python clinic.py [OUTPUT_DIR]

OUTPUT_DIR (default: a temporary directory) receives the database, `clinic.vdbx` (the export)
and `clinic.vkey` (the key the auditor pins); `auditor.py OUTPUT_DIR` checks them.
"""

from __future__ import annotations

import base64
import datetime
import sys
import tempfile
from pathlib import Path

import veritydb
from veritydb import verify

UTC = datetime.timezone.utc


def main(out: Path) -> None:
    with veritydb.open(out / "clinic-db") as db:
        clinic = db.tenant("clinic")
        clinic.execute(
            "CREATE TABLE IF NOT EXISTS visits ("
            " id INTEGER PRIMARY KEY, patient TEXT NOT NULL, reason TEXT,"
            " seen_at TIMESTAMP, fee REAL)"
        )

        # Three visits in one atomic batch.
        with clinic.batch() as batch:
            for id_, patient, reason, hour, fee in [
                (1, "Ann Lee", "checkup", 9, 40.0),
                (2, "Bo Chen", "flu shot", 10, 25.0),
                (3, "Cy Diaz", "sprained ankle", 11, 90.0),
            ]:
                seen = datetime.datetime(2026, 1, 5, hour, 0, tzinfo=UTC)
                batch.execute(
                    "INSERT INTO visits VALUES (?, ?, ?, ?, ?)", (id_, patient, reason, seen, fee)
                )
        assert batch.result is not None
        before_update = batch.result.position
        print(f"inserted {batch.result.rows_affected} visits at log position {before_update}")

        # A correction: the update is a new entry; the old value stays provable.
        update = clinic.execute("UPDATE visits SET reason = ? WHERE id = ?", ("annual checkup", 1))
        get = clinic.prepare("SELECT patient, reason FROM visits WHERE id = ?")
        now = get.query((1,))
        then = get.query_at((1,), position=before_update)
        print(f"now:  {now[0]}")
        print(f"then: {then[0]}  (as of position {before_update})")
        assert now[0][1] == "annual checkup" and then[0][1] == "checkup"

        # A receipt for the corrected record, disclosing the patient and reason only.
        receipt = clinic.receipt(update.position, disclose=["table", "op", "c.patient", "c.reason"])
        vkey = clinic.verifier_key()
        report = verify.verify_receipt(receipt.text, [vkey])
        print(f"receipt for position {receipt.position}: {report.reason} ({report.message})")
        assert report.ok and report.receipt is not None
        for field in report.receipt["disclosed"]:
            raw = base64.b64decode(field["value_base64"])
            value = verify.sql_value(raw) if field["name"].startswith("c.") else raw.decode()
            print(f"  disclosed {field['name']} = {value!r}")
        withheld = report.receipt["field_count"] - len(report.receipt["disclosed"])
        print(f"  {withheld} fields withheld (their values stay secret, their commitments are proven)")

        # The whole log for the auditor, and the key to pin.
        summary = clinic.export(out / "clinic.vdbx")
        (out / "clinic.vkey").write_text(vkey + "\n")
        print(f"exported {summary.entries} entries ({summary.bytes} bytes) to {out / 'clinic.vdbx'}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.mkdir(parents=True, exist_ok=True)
        main(target)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
