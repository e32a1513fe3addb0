"""The benchmark harness runs end to end and prints every figure for every contender.

Timing is the benchmark's business, not the tests': this runs it at a tiny size
and checks only that each figure, each contender and each verdict is printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
CONTENDERS = ("hot-typed", "official", "raw")


def test_the_smoke_benchmark_prints_every_figure_for_every_contender_and_a_verdict_each() -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--smoke"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a target missed at smoke size
    assert "Traceback" not in done.stderr
    out = done.stdout
    sections = out.split("\n\n")
    figures = {
        "SSE:": "median",
        "Pages:": "median",
        "Import:": "median",
        "Memory:": "growth after",
        "Async:": "median",
    }
    for title, measure in figures.items():
        section = next(s for s in sections if s.startswith(title))
        for contender in CONTENDERS:
            line = next(row for row in section.splitlines() if row.strip().startswith(contender))
            assert measure in line
        if measure == "median":
            assert "hot-typed / official: min" in section
            assert "hot-typed / raw     : min" in section
    assert "complete 5/5" in out
    verdicts = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(verdicts) == 7
    assert "machine:" in out
