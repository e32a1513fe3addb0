"""`HOT_LOG` turns on the `hot_typed` logger's stderr output without code; the token
never appears in it. Each case runs a fresh interpreter, so the handler it adds
is that process's own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

TOKEN = "hot_secret_token_0123456789"
RUN_ID = "00000000-0000-4000-8000-000000000001"

_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from hot_typed import AsyncHotClient, HotClient, NotFoundError

    base, token, mode = sys.argv[1:]
    run_id = "00000000-0000-4000-8000-000000000001"

    async def main() -> None:
        if mode == "sync":
            for _ in range(2):  # a second client adds no second handler
                with HotClient(token, base_url=base, max_retries=1) as hot:
                    try:
                        hot.runs.get(run_id)
                    except NotFoundError:
                        pass
        else:
            for _ in range(2):
                async with AsyncHotClient(token, base_url=base, max_retries=1) as hot:
                    try:
                        await hot.runs.get(run_id)
                    except NotFoundError:
                        pass

    asyncio.run(main())
    """
)


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    answers = {"count": 0}

    def flaky_then_missing(request: HttpRequest) -> HttpResponse:
        answers["count"] += 1
        if answers["count"] % 2:  # every first attempt is a 503 retried once
            return HttpResponse.json(
                {"error": {"code": "unavailable", "message": "busy"}},
                status=503,
                headers={"Retry-After": "0"},
            )
        return HttpResponse.json({"error": {"code": "not_found", "message": "no run"}}, 404)

    with LoopbackServer(flaky_then_missing) as loopback:
        yield loopback


def _stderr(server: LoopbackServer, mode: str, hot_log: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HOT_LOG"}
    if hot_log is not None:
        env["HOT_LOG"] = hot_log
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, server.base_url, TOKEN, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stderr


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_hot_log_debug_shows_each_request_and_retry_once_without_the_token(
    server: LoopbackServer, mode: str
) -> None:
    err = _stderr(server, mode, "debug")
    lines = err.splitlines()
    assert sum(f"GET /runs/{RUN_ID} -> 404" in line for line in lines) == 2
    assert sum(f"GET /runs/{RUN_ID} -> 503" in line for line in lines) == 2
    assert sum("503, retry 1 of 1" in line for line in lines) == 2
    assert all(line.startswith("[") and " - hot_typed:" in line for line in lines)
    assert "DEBUG] " in err
    assert TOKEN not in err
    assert "Bearer" not in err


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_hot_log_info_shows_retries_but_not_each_request(
    server: LoopbackServer, mode: str
) -> None:
    err = _stderr(server, mode, "INFO")
    assert err.count("503, retry 1 of 1") == 2
    assert "-> 404" not in err
    assert TOKEN not in err


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_without_hot_log_the_library_writes_nothing(server: LoopbackServer, mode: str) -> None:
    assert _stderr(server, mode, None) == ""
