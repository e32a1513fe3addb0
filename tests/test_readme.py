"""Every Python block of the README is a complete program: each runs alone, in a
fresh namespace, against the emulator serving the demo's handlers (as
`python -m hot_typed fake-server` does), and each, written to a file of its own,
type-checks under mypy --strict and pyright strict. New blocks are found and
checked without any change here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hot_typed._demo import install_handlers
from hot_typed.testing import HotEmulator

from .test_typing import pyright_errors

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _python_blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def _block_files(directory: Path) -> dict[Path, str]:
    """Each block as `readme_block_<n>.py` in `directory` (numbered from 1, in order)."""
    files: dict[Path, str] = {}
    for number, block in enumerate(_python_blocks(), start=1):
        file = directory / f"readme_block_{number}.py"
        file.write_text(block, encoding="utf-8")
        files[file] = block
    return files


def test_the_readme_has_python_examples() -> None:
    assert len(_python_blocks()) >= 10


def test_every_readme_example_runs_alone_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with HotEmulator() as emulator:
        install_handlers(emulator)
        monkeypatch.setenv("HOT_BASE_URL", emulator.base_url)
        monkeypatch.setenv("HOT_API_KEY", emulator.api_key)
        for number, block in enumerate(_python_blocks(), start=1):
            namespace: dict[str, object] = {"__name__": f"readme_block_{number}"}
            try:
                exec(compile(block, f"README.md block {number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"README block {number} failed alone: {error!r}\n{block}")
    out = capsys.readouterr().out
    assert "result: {'answer':" in out
    assert "404 not_found" in out
    assert "403 {'error': {'code': 'forbidden'" in out


def test_every_readme_example_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    files = _block_files(tmp_path)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "mypy.ini"),
            "--strict",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            *(file.name for file in files),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_readme_example_type_checks_under_pyright_strict() -> None:
    # Inside the project (in its git-ignored build/), so its pyright settings apply.
    directory = ROOT / "build" / "readme_blocks"
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("readme_block_*.py"):
        stale.unlink()
    files = _block_files(directory)
    errors = pyright_errors(*files)
    assert errors == set(), sorted(errors)


def _shell_blocks() -> list[str]:
    return re.findall(r"^```(?:bash|sh)\n(.*?)^```", README.read_text("utf-8"), re.M | re.S)


def test_the_readme_test_command_is_what_ci_runs() -> None:
    commands = [block.strip() for block in _shell_blocks()]
    assert "bash .ci/run" in commands
    ci = (README.parent / ".ci" / "run").read_text("utf-8")
    for step in (
        '-m venv "$VENV"',
        'install --quiet -e ".[dev]"',
        "ruff",
        "mypy",
        '"$VENV/bin/pyright"',
        "--verifytypes hot_typed --ignoreexternal",
        "pytest",
    ):
        assert step in ci


def test_ci_proves_the_pydantic_floor_the_package_declares() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    (floor,) = re.findall(r'^PYDANTIC_FLOOR="([0-9.]+)"$', ci, re.MULTILINE)
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert f'"pydantic>={floor},<3"' in pyproject
    assert '"pydantic==$PYDANTIC_FLOOR.*"' in ci
    assert f"pydantic {floor} and later 2.x" in README.read_text("utf-8")


def test_the_readme_install_command_ends_in_the_demo() -> None:
    first = _shell_blocks()[0].strip()
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    assert first.endswith(".venv/bin/python -m hot_typed demo")
