"""veritydb.verify reproduces the native CLI's verdict and report on every case of
testdata/vectors/manifest.json, and every row of the Ed25519 verdict table."""

from __future__ import annotations

import datetime
import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

import veritydb
from veritydb import verify

from conftest import VECTORS

MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
CASES = MANIFEST["cases"]


def python_report(case: dict[str, Any]) -> verify.Report:
    keys = case["trusted_keys"]
    kind = case["kind"]
    if kind == "export":
        return verify.verify_export(VECTORS / case["file"], keys)
    if kind == "receipt":
        return verify.verify_receipt((VECTORS / case["file"]).read_text(), keys)
    if kind == "checkpoint":
        return verify.verify_checkpoint((VECTORS / case["file"]).read_bytes(), keys, case["origin"])
    if kind == "note":
        return verify.verify_note(VECTORS / case["file"], keys)
    if kind == "consistency":
        return verify.verify_checkpoint_consistency(
            VECTORS / case["old"], VECTORS / case["new"], case["proof"], keys
        )
    raise AssertionError(f"unknown kind {kind}")


def cli_args(case: dict[str, Any]) -> list[str]:
    trust = [arg for key in case["trusted_keys"] for arg in ("--trust-key", key)]
    kind = case["kind"]
    if kind in ("export", "receipt", "note"):
        return [kind, str(VECTORS / case["file"]), *trust]
    if kind == "checkpoint":
        origin = ["--origin", case["origin"]] if case["origin"] else []
        return ["checkpoint", str(VECTORS / case["file"]), *trust, *origin]
    proof = ",".join(case["proof"] or [])
    return ["checkpoints", str(VECTORS / case["old"]), str(VECTORS / case["new"]), "--proof", proof, *trust]


def test_the_manifest_covers_every_kind_and_reason() -> None:
    assert {c["kind"] for c in CASES} == {"checkpoint", "consistency", "export", "note", "receipt"}
    assert {c["expect"]["reason"] for c in CASES} == {name for name, _ in MANIFEST["reasons"]}
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_manifest_case_matches_the_cli(case: dict[str, Any], verify_bin: str) -> None:
    report = python_report(case)
    expect = case["expect"]
    assert (report.ok, report.reason, report.reason_code, report.position) == (
        expect["ok"],
        expect["reason"],
        expect["reason_code"],
        expect["position"],
    ), report.message
    assert report.kind == case["kind"]
    native = subprocess.run([verify_bin, *cli_args(case), "--json"], capture_output=True, text=True)
    assert native.returncode == (0 if expect["ok"] else 1), native.stderr
    assert report.to_dict() == json.loads(native.stdout)
    if case["kind"] == "export":
        # Streaming from a file object gives the same report as a path.
        with open(VECTORS / case["file"], "rb") as f:
            assert verify.verify_export(f, case["trusted_keys"]).to_dict() == report.to_dict()


def test_every_ed25519_verdict() -> None:
    table = json.loads((VECTORS / "ed25519-verdicts.json").read_text())
    cases = table["cases"]
    assert len(cases) == 914 + 151
    rejected = 0
    for c in cases:
        valid = verify.ed25519_verify(bytes.fromhex(c["key"]), bytes.fromhex(c["msg"]), bytes.fromhex(c["sig"]))
        assert valid == c["valid"], f"{c['source']} case {c['id']} ({', '.join(c['flags'])})"
        rejected += not valid
    assert rejected == 871 + 63


def test_raw_proofs() -> None:
    leaf = bytes([7]) * 32
    assert verify.verify_inclusion(leaf, 0, 1, [], leaf).ok
    report = verify.verify_inclusion(leaf, 1, 1, None, leaf)
    assert (report.ok, report.reason) == (False, "bad_proof")
    assert verify.verify_consistency(1, 1, leaf, leaf, []).ok


def test_report_fields_are_the_cli_json_fields(tmp_path: Path) -> None:
    report = verify.verify_export(b"\x89VDBEXP\n\x00\x01", "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    fields = report.to_dict()
    assert set(fields) == {
        "ok", "reason", "reason_code", "position", "message", "kind", "entries", "checkpoints",
        "tenants", "bytes", "range", "origin", "tree_size", "root", "keys", "receipt",
    }
    for name, value in fields.items():
        assert getattr(report, name) == value, name
    assert json.loads(report.to_json()) == fields
    assert (report.reason, report.reason_code) == ("truncated", 2)


def test_sql_value_decodes_canonical_values_only() -> None:
    def encoded(tag: int, payload: bytes) -> bytes:
        return bytes([tag]) + payload

    assert verify.sql_value(encoded(0, b"")) is None
    assert verify.sql_value(encoded(1, struct.pack(">q", -2))) == -2
    assert verify.sql_value(encoded(2, struct.pack(">d", 1.5))) == 1.5
    assert verify.sql_value(encoded(3, "Ada".encode())) == "Ada"
    assert verify.sql_value(encoded(4, b"\x01")) is True
    assert verify.sql_value(encoded(5, b"\x09")) == b"\x09"
    assert verify.sql_value(encoded(6, struct.pack(">q", 1_500_000))) == datetime.datetime(
        1970, 1, 1, 0, 0, 1, 500_000, tzinfo=datetime.timezone.utc
    )
    not_canonical = [
        b"",
        encoded(4, b"\x02"),
        encoded(1, b"\x00" * 3),
        encoded(9, b""),
        encoded(2, struct.pack(">d", float("nan"))),
        encoded(2, struct.pack(">d", -0.0)),
        encoded(3, b"\xff"),
    ]
    for bad in not_canonical:
        with pytest.raises(veritydb.InvalidInputError):
            verify.sql_value(bad)
