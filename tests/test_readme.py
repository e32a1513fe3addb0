"""Every Python block of the README runs, in order, against the emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hot_typed._demo import install_handlers
from hot_typed.testing import HotEmulator

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _python_blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples() -> None:
    assert len(_python_blocks()) >= 10


def test_every_readme_example_runs_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with HotEmulator() as emulator:
        install_handlers(emulator)
        monkeypatch.setenv("HOT_BASE_URL", emulator.base_url)
        monkeypatch.setenv("HOT_API_KEY", emulator.api_key)
        namespace: dict[str, object] = {"__name__": "readme"}
        for number, block in enumerate(_python_blocks(), start=1):
            try:
                exec(compile(block, f"README.md block {number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"README block {number} failed: {error!r}\n{block}")
    out = capsys.readouterr().out
    assert "result: {'$ok': {'answer':" in out
    assert "404 not_found" in out
    assert "403 {'error': {'code': 'forbidden'" in out


def _shell_blocks() -> list[str]:
    return re.findall(r"^```(?:bash|sh)\n(.*?)^```", README.read_text("utf-8"), re.M | re.S)


def test_the_readme_test_command_is_what_ci_runs() -> None:
    commands = [block.strip() for block in _shell_blocks()]
    assert "bash .ci/run" in commands
    ci = (README.parent / ".ci" / "run").read_text("utf-8")
    for step in ('-m venv "$VENV"', 'install --quiet -e ".[dev]"', "ruff", "mypy", "pytest"):
        assert step in ci


def test_the_readme_install_command_ends_in_the_demo() -> None:
    first = _shell_blocks()[0].strip()
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    assert first.endswith(".venv/bin/python -m hot_typed demo")
