"""The typing contract of typed contracts (request-body dicts, Hot functions, event
types and stream data), checked by mypy itself as `test_typing.py` checks the rest:
`typing_contracts.py` type-checks cleanly under `--strict`, and every line of
`typing_contracts_negative.py` tagged `# E: <code>` is an error with that code, and
no other line is."""

from __future__ import annotations

from pathlib import Path

from tests.test_typing import expected_errors, mypy_errors, pyright_errors

USAGE = Path("tests/typing_contracts.py")
NEGATIVE = Path("tests/typing_contracts_negative.py")


def test_contracts_type_check_and_each_tagged_misuse_is_an_error() -> None:
    expected = expected_errors(NEGATIVE)
    assert len(expected) >= 10
    errors = mypy_errors(USAGE, NEGATIVE)
    assert {e for e in errors if e[0] == USAGE.as_posix()} == set(), (
        "typing_contracts.py must type-check cleanly"
    )
    assert errors == expected


def test_pyright_strict_passes_the_contracts_and_flags_each_tagged_misuse() -> None:
    errors = pyright_errors(USAGE, NEGATIVE)
    assert {e for e in errors if e[0] == USAGE.as_posix()} == set(), (
        "typing_contracts.py must type-check cleanly under pyright strict"
    )
    flagged = {(path, line) for path, line, _ in errors}
    assert flagged == {(path, line) for path, line, _ in expected_errors(NEGATIVE)}
