"""VerityDB's Python API against Python's built-in sqlite3, on the same rows in the same run.

    python bench.py [--rows N] [--batch B] [--queries Q]

Measures, for a file-backed database and for an in-memory one:
- inserts in batches: N rows of (id, name, amount) in atomic batches of B rows, through a
  prepared statement (VerityDB: `Batch.execute_prepared` + `commit`, one durable log append
  per batch; sqlite3: `executemany` + `commit` per batch, journal_mode=WAL, synchronous=FULL);
- point queries via the prepared API: Q primary-key lookups of random ids (VerityDB:
  `Statement.query`; sqlite3: `Cursor.execute` + `fetchone`, which reuses its statement cache).

Prints rows/s and the ratio VerityDB / sqlite3 (goal: >= 1). Use a release wheel
(`maturin build --release`): a debug build measures the Rust debug build, not VerityDB.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import veritydb


def rows(n: int) -> list[tuple[int, str, float]]:
    rng = random.Random(7)
    return [(i, f"patient-{i:08d}", round(rng.uniform(10, 500), 2)) for i in range(n)]


def timed(work: Callable[[], None]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def veritydb_run(path: str, data: list[tuple[int, str, float]], batch: int, ids: list[int]) -> tuple[float, float]:
    with veritydb.open(path) as db:
        t = db.tenant("bench")
        t.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)")
        insert = t.prepare("INSERT INTO visits VALUES (?, ?, ?)")

        def inserts() -> None:
            for start in range(0, len(data), batch):
                b = t.batch()
                for row in data[start : start + batch]:
                    b.execute_prepared(insert, row)
                b.commit()

        insert_s = timed(inserts)
        get = t.prepare("SELECT name, amount FROM visits WHERE id = ?")

        def queries() -> None:
            for i in ids:
                found = get.query((i,))
                assert len(found) == 1

        query_s = timed(queries)
        assert t.query("SELECT COUNT(*) FROM visits") == [(len(data),)]
    return insert_s, query_s


def sqlite_run(path: str, data: list[tuple[int, str, float]], batch: int, ids: list[int]) -> tuple[float, float]:
    con = sqlite3.connect(path)
    if path != ":memory:":
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)")
    con.commit()
    sql = "INSERT INTO visits VALUES (?, ?, ?)"

    def inserts() -> None:
        for start in range(0, len(data), batch):
            con.executemany(sql, data[start : start + batch])
            con.commit()

    insert_s = timed(inserts)
    cur = con.cursor()

    def queries() -> None:
        for i in ids:
            found = cur.execute("SELECT name, amount FROM visits WHERE id = ?", (i,)).fetchone()
            assert found is not None

    query_s = timed(queries)
    con.close()
    return insert_s, query_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=50_000)
    args = parser.parse_args()
    data = rows(args.rows)
    ids = [random.Random(11).randrange(args.rows) for _ in range(args.queries)]
    print(f"{args.rows} rows in batches of {args.batch}, {args.queries} point queries; CPUs: {os.cpu_count()}")
    print(f"{'storage':8} {'engine':9} {'insert rows/s':>14} {'point queries/s':>16}")
    for storage in ("file", "memory"):
        results = {}
        for engine, run in (("sqlite3", sqlite_run), ("veritydb", veritydb_run)):
            with tempfile.TemporaryDirectory() as tmp:
                path = ":memory:" if storage == "memory" else str(Path(tmp) / engine)
                insert_s, query_s = run(path, data, args.batch, ids)
            results[engine] = (args.rows / insert_s, args.queries / query_s)
            print(f"{storage:8} {engine:9} {results[engine][0]:14,.0f} {results[engine][1]:16,.0f}")
        ratio_insert = results["veritydb"][0] / results["sqlite3"][0]
        ratio_query = results["veritydb"][1] / results["sqlite3"][1]
        print(f"{storage:8} {'ratio':9} {ratio_insert:13.2f}x {ratio_query:15.2f}x  (veritydb / sqlite3)")


if __name__ == "__main__":
    main()
