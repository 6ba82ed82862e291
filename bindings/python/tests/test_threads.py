"""The GIL is released during long native work: another Python thread keeps running."""

from __future__ import annotations

import io
import threading
import time

import veritydb
from veritydb import verify


def max_gap_while(work: "threading.Thread") -> tuple[float, float]:
    """Runs `work` and ticks in this thread meanwhile; returns (its duration, the longest gap
    between two ticks)."""
    ticks: list[float] = []
    start = time.perf_counter()
    work.start()
    while work.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    duration = time.perf_counter() - start
    gaps = [b - a for a, b in zip(ticks, ticks[1:])] or [duration]
    return duration, max(gaps)


def test_long_calls_release_the_gil() -> None:
    with veritydb.open(":memory:") as db:
        t = db.tenant("big")
        for _ in range(20):
            t.append_batch([("s", {"i": i, "pad": "x" * 200}) for i in range(1000)])
        t.checkpoint()
        buffer = io.BytesIO()
        t.export(buffer)
        data, key = buffer.getvalue(), t.verifier_key()

        for _ in range(3):  # the machine may be busy: a few tries to get a clear measurement
            results: list[bool] = []
            work = threading.Thread(target=lambda: results.append(verify.verify_export(data, key).ok))
            duration, gap = max_gap_while(work)
            assert results == [True]
            if duration > 0.05 and gap < duration / 2:
                break
        assert duration > 0.05, "the export verified too fast to measure"
        assert gap < duration / 2, f"no tick for {gap:.3f} s of a {duration:.3f} s call: the GIL was held"

        for _ in range(3):
            work = threading.Thread(target=lambda: t.export(io.BytesIO()))
            duration, gap = max_gap_while(work)
            if duration > 0.05 and gap < duration / 2:
                break
        assert gap < max(duration / 2, 0.05), f"export held the GIL ({gap:.3f} s of {duration:.3f} s)"
