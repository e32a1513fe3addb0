"""The typing contract of typed contracts (request-body dicts, Hot functions, event
types and stream data), checked by mypy itself as `test_typing.py` checks the rest:
`typing_contracts.py` type-checks cleanly under `--strict`, and every line of
`typing_contracts_negative.py` tagged `# E: <code>` is an error with that code, and
no other line is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USAGE = Path("tests/typing_contracts.py")
NEGATIVE = Path("tests/typing_contracts_negative.py")

_TAG = re.compile(r"#\s*E:\s*([a-z-]+)\s*$")
_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def _mypy_errors() -> set[tuple[str, int, str]]:
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
            str(USAGE),
            str(NEGATIVE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    errors = set()
    for line in completed.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            errors.add((Path(match["path"]).as_posix(), int(match["line"]), match["code"]))
    return errors


def _expected() -> set[tuple[str, int, str]]:
    lines = (ROOT / NEGATIVE).read_text(encoding="utf-8").splitlines()
    return {
        (NEGATIVE.as_posix(), number, match[1])
        for number, text in enumerate(lines, start=1)
        if (match := _TAG.search(text))
    }


def test_contracts_type_check_and_each_tagged_misuse_is_an_error() -> None:
    expected = _expected()
    assert len(expected) >= 10
    errors = _mypy_errors()
    assert {e for e in errors if e[0] == USAGE.as_posix()} == set(), (
        "typing_contracts.py must type-check cleanly"
    )
    assert errors == expected


def test_pyright_strict_passes_the_contracts_and_flags_each_tagged_misuse() -> None:
    from tests.test_typing import pyright_errors

    errors = pyright_errors(USAGE, NEGATIVE)
    assert {e for e in errors if e[0] == USAGE.as_posix()} == set(), (
        "typing_contracts.py must type-check cleanly under pyright strict"
    )
    flagged = {(path, line) for path, line, _ in errors}
    assert flagged == {(path, line) for path, line, _ in _expected()}
