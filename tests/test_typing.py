"""The typing contract, checked by mypy itself under `--strict --warn-unused-ignores`
and by pyright in strict mode: `typing_usage.py` and `typing_streaming.py` (every
call's inferred type) type-check cleanly, and every line of `typing_negative.py`
tagged `# E: <code>` is an error (for mypy, with that code), and no other line is."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USAGE = Path("tests/typing_usage.py")
STREAMING = Path("tests/typing_streaming.py")
NEGATIVE = Path("tests/typing_negative.py")

_TAG = re.compile(r"#\s*E:\s*([a-z-]+)\s*$")
_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def run_mypy(*files: Path, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """mypy --strict (and `flags`) with the project's configuration over `files`."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--strict",
            "--warn-unused-ignores",
            "--show-error-codes",
            "--no-error-summary",
            "--no-pretty",
            *flags,
            *map(str, files),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed


def mypy_errors(*files: Path) -> set[tuple[str, int, str]]:
    """(path, line, error code) of every error mypy --strict reports in `files`."""
    return errors_of(run_mypy(*files))


def errors_of(completed: subprocess.CompletedProcess[str]) -> set[tuple[str, int, str]]:
    """(path, line, error code) of every error line in a mypy run's output."""
    errors = set()
    for line in completed.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            path = Path(match["path"]).as_posix()
            errors.add((path, int(match["line"]), match["code"]))
    return errors


def expected_errors(negative: Path) -> set[tuple[str, int, str]]:
    """(path, line, error code) of every line of `negative` tagged `# E: <code>`."""
    lines = (ROOT / negative).read_text(encoding="utf-8").splitlines()
    return {
        (negative.as_posix(), number, match[1])
        for number, text in enumerate(lines, start=1)
        if (match := _TAG.search(text))
    }


def test_usage_type_checks_and_each_tagged_mistake_is_an_error() -> None:
    expected = expected_errors(NEGATIVE)
    assert len(expected) >= 25
    errors = mypy_errors(USAGE, NEGATIVE)
    usage_errors = {e for e in errors if e[0] == USAGE.as_posix()}
    assert usage_errors == set(), "typing_usage.py must type-check cleanly"
    assert errors == expected


def pyright_errors(*files: Path) -> set[tuple[str, int, str]]:
    """(path relative to the project, line, rule) of every error pyright reports in
    `files`, checked in strict mode with the project's pyright configuration and
    the packages of this interpreter."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyright",
            "--outputjson",
            "--pythonpath",
            sys.executable,
            *map(str, files),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    return {
        (
            Path(diagnostic["file"]).resolve().relative_to(ROOT).as_posix(),
            diagnostic["range"]["start"]["line"] + 1,
            diagnostic.get("rule", ""),
        )
        for diagnostic in report["generalDiagnostics"]
        if diagnostic["severity"] == "error"
    }


def test_pyright_strict_passes_usage_and_flags_each_tagged_mistake() -> None:
    errors = pyright_errors(USAGE, STREAMING, NEGATIVE)
    positive = {e for e in errors if e[0] != NEGATIVE.as_posix()}
    assert positive == set(), "typing_usage.py and typing_streaming.py must type-check cleanly"
    flagged = {(path, line) for path, line, _ in errors}
    assert flagged == {(path, line) for path, line, _ in expected_errors(NEGATIVE)}
