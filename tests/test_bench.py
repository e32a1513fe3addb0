"""The benchmark harness runs end to end and prints every figure for every contender.

Timing is the benchmark's business, not the tests': this runs it at a tiny size
and checks only that each figure, each contender and each verdict is printed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
CONTENDERS = ("hot-typed", "official", "raw")
# The pages figure also times three plain pydantic page models (typed values, str
# values, typed values with `uuid.UUID` ids).
REFERENCES = ("pydantic typed", "pydantic str", "pydantic uuid")


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
        contenders = CONTENDERS + REFERENCES if title == "Pages:" else CONTENDERS
        for contender in contenders:
            line = next(row for row in section.splitlines() if row.strip().startswith(contender))
            assert measure in line
        if measure == "median":
            for other in contenders[1:]:
                assert re.search(rf"hot-typed / {other} *: min \d+\.\d{{3}}x", section)
    pages = next(s for s in sections if s.startswith("Pages:"))
    assert re.search(
        r"pydantic str / official \d+\.\d{3}x, pydantic typed / official \d+\.\d{3}x,"
        r" pydantic uuid / official \d+\.\d{3}x, hot-typed / pydantic typed \d+\.\d{3}x",
        pages,
    )
    # Timed figures show the collector's share of each contender, and the pages
    # figure is shown again without it.
    for title in ("SSE:", "Pages:"):
        section = next(s for s in sections if s.startswith(title))
        rows = [row for row in section.splitlines() if "median" in row and " / " not in row]
        assert rows
        assert all(re.search(r"gc median +\d+\.\d{3} ms", row) for row in rows)
    less = next(s for s in sections if "less the collector's time" in s.split("\n")[0])
    for contender in CONTENDERS + REFERENCES:
        assert re.search(rf"\n  {contender} +min ", less)
    assert "complete 5/5" in out
    verdicts = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(verdicts) == 7
    assert "machine:" in out
