"""Fixtures for the tests of the installed ``veritydb`` wheel: embedded databases, a real
``veritydb serve`` started on 127.0.0.1 for the remote tests, and the native binaries.

The binaries come from $VERITYDB_BIN / $VERITYDB_VERIFY_BIN (scripts/test sets them), or
else from ``cargo build`` in the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import veritydb

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "testdata" / "vectors"


def _cargo_binary(package: str, binary: str) -> str:
    out = subprocess.run(
        ["cargo", "build", "--quiet", "-p", package, "--bin", binary, "--message-format=json"],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("reason") == "compiler-artifact" and message.get("executable"):
                if message["target"]["name"] == binary:
                    return str(message["executable"])
    raise RuntimeError(f"cargo build -p {package} named no executable {binary}")


@pytest.fixture(scope="session")
def veritydb_bin() -> str:
    return os.environ.get("VERITYDB_BIN") or _cargo_binary("veritydb-server", "veritydb")


@pytest.fixture(scope="session")
def verify_bin() -> str:
    return os.environ.get("VERITYDB_VERIFY_BIN") or _cargo_binary("veritydb-verify", "veritydb-verify")


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for `localhost` (openssl): (ca, cert, key) PEM paths."""
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca), "-days", "2", "-subj", "/CN=veritydb test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


class Server:
    """A real `veritydb serve` on 127.0.0.1, stopped at the end of the session; with `tls`, on
    TLS with a certificate for `localhost` signed by a CA made for the test (`self.ca`)."""

    def __init__(self, binary: str, tls: bool = False) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="veritydb-python-server-")
        data = Path(self.dir.name) / "data"
        tls_args: list[str] = []
        self.ca: Path | None = None
        if tls:
            self.ca, cert, key = make_certificates(Path(self.dir.name))
            tls_args = ["--tls-cert", str(cert), "--tls-key", str(key)]
        init = subprocess.run(
            [binary, "init", "--data", str(data), "--node-name", "python.test"],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.token = next(
            line.strip() for line in init.stdout.splitlines() if line.strip().startswith("vdb_")
        )
        self.log = open(Path(self.dir.name) / "server.log", "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--data", str(data), "--listen", "127.0.0.1:0", "--log-level", "warn", *tls_args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        assert first.startswith("listening on "), f"unexpected first line {first!r}"
        self.url = first.removeprefix("listening on ")
        if tls:
            self.url = "vdbs://localhost:" + self.url.rsplit(":", 1)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.dir.cleanup()


@pytest.fixture(scope="session")
def server(veritydb_bin: str) -> Iterator[Server]:
    s = Server(veritydb_bin)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def tls_server(veritydb_bin: str) -> Iterator[Server]:
    s = Server(veritydb_bin, tls=True)
    try:
        yield s
    finally:
        s.stop()


_tenant_counter = iter(range(1_000_000))


@pytest.fixture(params=["embedded", "remote"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[veritydb.Database]:
    """A database of each kind: embedded in a temporary directory, and a real server."""
    if request.param == "embedded":
        database = veritydb.open(tmp_path / "db")
    else:
        srv: Server = request.getfixturevalue("server")
        database = veritydb.connect(srv.url, token=srv.token)
    with database:
        yield database


@pytest.fixture
def tenant(db: veritydb.Database) -> veritydb.Tenant:
    """A fresh tenant (unique per test, since the server lives for the whole session)."""
    return db.create_tenant(f"t{next(_tenant_counter)}")


@pytest.fixture
def memory_db() -> Iterator[veritydb.Database]:
    with veritydb.open(":memory:") as database:
        yield database
