"""Mutation testing, module by module: `python tools/mutation.py [module ...]`.

Runs mutmut (configured in pyproject.toml `[tool.mutmut]`) on each module in
turn, then prints one row per module: mutants, killed, timeouts, survivors,
the survivors docs/MUTATION.md lists as equivalent, and the score (killed and
timed-out mutants over the mutants that are not equivalent). Survivors not
listed as equivalent are printed by name: `mutmut show <name>` shows one.

Run from the repository root with the dev extra installed. Slow by design
(every mutant runs the tests that reach it), so not part of `.ci/run`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted(
    f"_models.{path.stem}"
    for path in (ROOT / "src" / "hot_typed" / "_models").glob("*.py")
    if path.stem != "__init__"
)
MODULES = [
    "_streaming", "_task_retries", "_retry", "_retry_after", "_transport", "_settings",
    "_wire", "_api_errors", "_path_ids", "_request", *MODELS, "agent", "_pool", "_uploads",
    "_runner", "_sse",
    "_frames", "_downloads", "_sources", "_transfer", "callbacks", "proxy._rules", "_bodies",
    "_pagination", "_affinity", "_functions", "_contracts", "_resources.webhooks",
    "_resources._params", "_request_ids", "_own_clients",
]
"""In the order they are measured; each also listed in `only_mutate`."""

# mutmut's exit codes of a mutant's test run (mutmut/stats.py).
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
SURVIVED = {0}

EQUIVALENT = re.compile(r"`(hot_typed\.[\w.ǁ]+__mutmut_\d+)`")
"""How docs/MUTATION.md names an equivalent mutant: in backticks, fully qualified."""


def equivalents() -> set[str]:
    doc = ROOT / "docs" / "MUTATION.md"
    return set(EQUIVALENT.findall(doc.read_text("utf-8"))) if doc.exists() else set()


def outcome(module: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / "src" / "hot_typed" / f"{module.replace('.', '/')}.py.meta"
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules", nargs="*", default=MODULES, help="e.g. _retry or _models.events"
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutants")
    parser.add_argument(
        "--report-only", action="store_true", help="print the table of the last run"
    )
    args = parser.parse_args()

    if not args.report_only:
        for module in args.modules:
            subprocess.run(
                [
                    sys.executable, "-m", "mutmut", "run",
                    "--max-children", str(args.max_children),
                    f"hot_typed.{module}.*",
                ],
                cwd=ROOT,
                check=True,
            )

    known = equivalents()
    print(f"{'module':<12} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} "
          f"{'equiv.':>6} {'unchecked':>9} {'score':>6}")
    unexplained: list[str] = []
    for module in args.modules:
        try:
            codes = outcome(module)
        except FileNotFoundError:
            print(f"{module:<12} not measured yet")
            continue
        killed = sum(code in KILLED for code in codes.values())
        timeouts = sum(code in TIMEOUT for code in codes.values())
        survivors = sorted(name for name, code in codes.items() if code in SURVIVED)
        unchecked = sum(code is None for code in codes.values())
        equivalent = [name for name in survivors if name in known]
        unexplained += [name for name in survivors if name not in known]
        measured = len(codes) - len(equivalent) - unchecked
        score = 100.0 * (killed + timeouts) / measured if measured else 0.0
        print(f"{module:<12} {len(codes):>7} {killed:>6} {timeouts:>7} {len(survivors):>8} "
              f"{len(equivalent):>6} {unchecked:>9} {score:>5.1f}%")
    if unexplained:
        print("\nsurvivors not listed as equivalent in docs/MUTATION.md:")
        print("\n".join(f"  {name}" for name in unexplained))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
