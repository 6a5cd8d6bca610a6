"""The idle benchmark's /proc reading and its arithmetic (the benchmark itself prints figures)."""

from __future__ import annotations

import os
import threading

from terminal.bench.idle import Sample, report, sample


def test_sample_reads_every_thread_of_this_process() -> None:
    done = threading.Event()
    helper = threading.Thread(target=done.wait)
    helper.start()
    try:
        seen = sample(os.getpid())
    finally:
        done.set()
        helper.join()
    assert len(seen.switches) >= 2  # this thread and the helper, each by its own id
    assert str(threading.get_native_id()) in {name.split()[0] for name in seen.switches}
    assert seen.cpu_seconds > 0


def test_report_counts_per_second_and_keeps_preemptions_apart() -> None:
    before = Sample({"1 python": (100, 5), "2 python": (10, 0)}, 1.00, at=0.0)
    after = Sample({"1 python": (160, 35), "2 python": (10, 0)}, 1.30, at=60.0)
    rows = dict(report(before, after))
    assert rows["wake-ups (voluntary switches), all threads"] == "1.000 /s"
    assert rows["  thread 1 python"] == "1.000 /s (60 in 60 s)"
    assert "  thread 2 python" not in rows  # it never woke
    assert rows["preemptions (involuntary switches)"] == "0.500 /s"
    assert rows["CPU (user + system)"] == "0.500 % of one core"
