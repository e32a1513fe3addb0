"""The usage examples in the emulator's docstrings run as written."""

from __future__ import annotations

import textwrap

import pytest

import hot_typed.testing
from hot_typed.testing import HotEmulator


def example(docstring: str | None) -> str:
    """The indented block after the first `::` of `docstring`."""
    assert docstring is not None
    block = docstring.split("::\n", 1)[1].splitlines()[1:]
    indent = " " * (len(block[0]) - len(block[0].lstrip()))
    lines = []
    for line in block:
        if line and not line.startswith(indent):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


@pytest.mark.parametrize(
    "docstring", [hot_typed.testing.__doc__, HotEmulator.__doc__], ids=["module", "class"]
)
def test_docstring_example_runs(docstring: str | None) -> None:
    namespace: dict[str, object] = {}
    code = example(docstring)
    assert "HotEmulator()" in code
    exec(code, namespace)
    test = namespace.get("test_signup_sends_welcome")
    if callable(test):
        test()
