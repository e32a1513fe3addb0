"""`python -m hot_typed demo`, end to end, as a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from hot_typed.testing import HotEmulator


def _demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"HOT_API_KEY", "HOT_BASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "hot_typed", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        check=False,
    )


def test_the_demo_tours_every_feature_against_the_emulator_and_exits_zero() -> None:
    done = _demo()

    assert done.returncode == 0, done.stderr
    out = done.stdout
    for section in [
        "Publish a typed event",
        "Stream a reply token by token",
        "Call a Hot function",
        "Wait on a run, then on a background task",
        "List runs",
        "Upload a file and download it again",
        "A typed API error",
        "A payload refused before sending",
    ]:
        assert section in out
    assert "Typed events, typed streams, and nothing sent that the server would refuse." in out
    assert "::demo::math/add(2, 3) = 5" in out
    assert "completed: {'rows': 42}" in out
    assert "identical: True" in out
    assert "NotFoundError: status=404 code=not_found" in out
    assert "requests sent for it: 0" in out


def test_the_read_only_demo_reads_a_real_api_without_changing_it() -> None:
    with HotEmulator() as emulator:
        done = _demo("--live", "--base-url", emulator.base_url, "--token", emulator.api_key)
        methods = {request.method for request in emulator.requests}

    assert done.returncode == 0, done.stderr
    assert "read-only" in done.stdout
    assert "Run statistics" in done.stdout
    assert methods == {"GET"}


def test_the_read_only_demo_takes_its_settings_from_the_environment() -> None:
    with HotEmulator() as emulator:
        env = {"HOT_BASE_URL": emulator.base_url, "HOT_API_KEY": emulator.api_key}
        done = _demo("--live", env=env)

    assert done.returncode == 0, done.stderr
    assert "read-only" in done.stdout


def test_the_demo_tours_the_emulator_even_when_the_environment_names_a_real_hot() -> None:
    with HotEmulator() as real:
        env = {"HOT_BASE_URL": real.base_url, "HOT_API_KEY": real.api_key}
        done = _demo(env=env)
        touched = len(real.requests)

    assert done.returncode == 0, done.stderr
    assert "read-only" not in done.stdout
    assert "::demo::math/add(2, 3) = 5" in done.stdout
    assert touched == 0


def test_the_demo_refuses_live_settings_without_live() -> None:
    done = _demo("--base-url", "http://127.0.0.1:9", "--token", "t")

    assert done.returncode == 2
    assert "--live" in done.stderr


def test_the_demo_fails_with_a_clear_message_when_the_api_is_unreachable() -> None:
    done = _demo("--live", "--base-url", "http://127.0.0.1:9", "--token", "t")

    assert done.returncode == 1
    assert "demo failed: HotConnectionError" in done.stderr


def test_the_demo_asks_for_a_token_with_a_base_url() -> None:
    done = _demo("--live", "--base-url", "http://127.0.0.1:9")

    assert done.returncode == 2
    assert "HOT_API_KEY" in done.stderr
