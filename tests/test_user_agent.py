"""The User-Agent follows the Hot SDK convention and names this package, the platform
and httpx, as received by a server on loopback."""

from __future__ import annotations

import platform
import re

import httpx
import pytest

from hot_typed import __version__
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import close, make_client, resolve

RUN_ID = "00000000-0000-4000-8000-000000000001"


def _missing(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json({"error": {"code": "not_found", "message": "no"}}, status=404)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_user_agent_on_the_wire_is_hot_sdk_python_then_hot_typed(mode: str) -> None:
    with LoopbackServer(_missing) as server:
        hot = make_client(server.base_url, mode)
        try:
            with pytest.raises(Exception, match="not_found"):
                await resolve(hot.runs.get(RUN_ID))
        finally:
            await close(hot)
    agent = server.requests[0].headers["user-agent"]
    expected = (
        rf"hot-sdk-python/{re.escape(__version__)} hot-typed/{re.escape(__version__)} "
        rf"\({platform.python_implementation()} {re.escape(platform.python_version())}; "
        rf"{re.escape(platform.system())} {re.escape(platform.machine())}\) "
        rf"httpx/{re.escape(httpx.__version__)}"
    )
    assert re.fullmatch(expected, agent), agent
    assert agent.isascii()
    assert agent.isprintable()
