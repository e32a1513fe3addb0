"""The httpx client a Hot client creates for itself keeps cookies as httpx does,
and reads a response's cookies only when the response sets one."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookiejar import CookieJar
from typing import Any

import httpx
import pytest

from hot_typed import AsyncHotClient, HotClient
from hot_typed._own_clients import OwnClient
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from . import payloads as p
from .sse_script import close, resolve

STATS = p.item({"total_runs": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0})


def _answer(request: HttpRequest) -> HttpResponse:
    # A balancer in front of the API pinning a session to one backend.
    if "cookie" in request.headers:
        return HttpResponse.json(STATS)
    return HttpResponse.json(STATS, headers={"Set-Cookie": "backend=b7; Path=/"})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_answer) as loopback:
        yield loopback


async def _three_calls(kind: Any, server: LoopbackServer) -> None:
    hot = kind("test-token", base_url=server.base_url, max_retries=0)
    try:
        for _ in range(3):
            await resolve(hot.runs.stats())
    finally:
        await close(hot)


@pytest.mark.parametrize("kind", [HotClient, AsyncHotClient])
async def test_a_cookie_the_server_sets_is_sent_back_as_httpx_would(
    kind: Any, server: LoopbackServer
) -> None:
    await _three_calls(kind, server)
    sent = [request.headers.get("cookie") for request in server.requests]
    assert sent == [None, "backend=b7", "backend=b7"]


@pytest.mark.parametrize("kind", [HotClient, AsyncHotClient])
async def test_a_hot_client_reads_no_answer_for_cookies_once_none_sets_one(
    kind: Any, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[httpx.Response] = []
    read = httpx.Cookies.extract_cookies

    def counted(cookies: httpx.Cookies, response: httpx.Response) -> None:
        reads.append(response)
        read(cookies, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", counted)
    await _three_calls(kind, server)
    assert [response.headers.get("set-cookie") for response in reads] == ["backend=b7; Path=/"]


class _Counting(CookieJar):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def extract_cookies(self, response: Any, request: Any) -> None:
        self.reads += 1
        super().extract_cookies(response, request)


@pytest.mark.parametrize(
    ("headers", "reads"),
    [({"Content-Type": "application/json"}, 0), ({"Set-Cookie": "a=1"}, 1)],
)
def test_a_response_is_read_for_cookies_only_when_it_sets_one(
    headers: dict[str, str], reads: int
) -> None:
    client = OwnClient()
    jar = _Counting()
    client.cookies = jar
    request = httpx.Request("GET", "http://127.0.0.1/v1/runs")
    client.cookies.extract_cookies(httpx.Response(200, headers=headers, request=request))
    assert client.cookies.jar is jar
    assert jar.reads == reads
    assert dict(client.cookies) == ({"a": "1"} if reads else {})
