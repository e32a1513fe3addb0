"""`http2=`, `proxy=` and `event_hooks=` configure the httpx client a Hot client creates:
proven on the wire (an HTTP/2 server over TLS, a forwarding proxy on loopback) and,
for the hooks, by recording spans of calls, pages and streams."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hot_typed import AsyncHotClient, EventCreateParams, HotClient
from hot_typed._demo import install_handlers
from hot_typed.testing import HotEmulator, HttpRequest, HttpResponse, LoopbackServer

from . import payloads as p
from .connect_proxy import ConnectProxy
from .h2_server import H2Server
from .sse_script import close, resolve

TOKEN = "test-token"
ENV = p.item(p.environment())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(mode: str, base_url: str, **options: Any) -> HotClient | AsyncHotClient:
    kind = HotClient if mode == "sync" else AsyncHotClient
    return kind(TOKEN, base_url=base_url, max_retries=0, **options)


# ---------------------------------------------------------------- HTTP/2


async def test_http2_true_speaks_http2_to_a_server_offering_it(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with H2Server(p.item(p.environment())) as server:
        ca = tmp_path / "ca.pem"
        server.ca.cert_pem.write_to_path(str(ca))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # httpx trusts the throwaway CA
        hot = _client(mode, server.base_url, http2=True)
        try:
            env = await resolve(hot.env.get())
            again = await resolve(hot.env.get())
        finally:
            await close(hot)
    assert env == again
    assert [r[":path"] for r in server.requests] == ["/v1/env", "/v1/env"]
    assert server.requests[0]["authorization"] == f"Bearer {TOKEN}"
    assert server.requests[0]["user-agent"].startswith("hot-sdk-python/")


async def test_https_through_a_connect_proxy_tunnels_to_the_server(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with H2Server(ENV) as server, ConnectProxy() as proxy:
        ca = tmp_path / "ca.pem"
        server.ca.cert_pem.write_to_path(str(ca))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        origin = server.base_url
        hot = _client(mode, origin, http2=True, proxy=proxy.url)
        try:
            env = await resolve(hot.env.get())
        finally:
            await close(hot)
    assert env.raw == ENV["data"]
    assert proxy.targets == [origin.removeprefix("https://")]
    assert [r[":path"] for r in server.requests] == ["/v1/env"]


# ---------------------------------------------------------------- proxy


def _answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(ENV)


@pytest.fixture
def origin() -> Iterator[LoopbackServer]:
    with LoopbackServer(_answer) as server:
        yield server


@pytest.fixture
def proxy(origin: LoopbackServer) -> Iterator[LoopbackServer]:
    """A forwarding HTTP proxy: it receives absolute-form targets and relays them."""

    def relay(request: HttpRequest) -> HttpResponse:
        assert request.target.startswith("http://")  # a proxy's request, not a server's
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        answer = httpx.request(
            request.method, request.target, headers=headers, content=request.body
        )
        return HttpResponse(
            answer.status_code,
            answer.content,
            {"Content-Type": answer.headers["content-type"], "Via": "1.1 test-proxy"},
        )

    with LoopbackServer(relay) as server:
        yield server


async def test_proxy_sends_every_request_through_the_proxy(
    mode: str, origin: LoopbackServer, proxy: LoopbackServer
) -> None:
    hot = _client(mode, origin.base_url, proxy=proxy.base_url)
    try:
        env = await resolve(hot.env.get())
    finally:
        await close(hot)
    assert env.raw == ENV["data"]
    assert [r.target for r in proxy.requests] == [f"{origin.base_url}/v1/env"]
    assert proxy.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert [r.path for r in origin.requests] == ["/v1/env"]


def test_options_of_the_created_client_are_refused_beside_a_given_client() -> None:
    with httpx.Client() as given, pytest.raises(ValueError, match="set them on that client"):
        HotClient(TOKEN, base_url="http://127.0.0.1:1", client=given, http2=True)
    with pytest.raises(ValueError, match="'request' and 'response'"):
        HotClient(TOKEN, base_url="http://127.0.0.1:1", event_hooks={"error": []})


# ---------------------------------------------------------------- tracing


Span = tuple[str, str, int, float]


class Tracer:
    """What an OpenTelemetry integration does with the hooks: a span per exchange."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._started: dict[int, float] = {}

    def on_request(self, request: httpx.Request) -> None:
        self._started[id(request)] = time.perf_counter()

    def on_response(self, response: httpx.Response) -> None:
        started = self._started.pop(id(response.request))
        request = response.request
        duration = time.perf_counter() - started
        self.spans.append((request.method, request.url.path, response.status_code, duration))

    async def aon_request(self, request: httpx.Request) -> None:
        self.on_request(request)

    async def aon_response(self, response: httpx.Response) -> None:
        self.on_response(response)

    def hooks(self, mode: str) -> dict[str, list[Any]]:
        if mode == "sync":
            return {"request": [self.on_request], "response": [self.on_response]}
        return {"request": [self.aon_request], "response": [self.aon_response]}


async def test_event_hooks_record_a_span_for_calls_pages_and_streams(mode: str) -> None:
    tracer = Tracer()
    with HotEmulator() as emulator:
        install_handlers(emulator)
        kind = HotClient if mode == "sync" else AsyncHotClient
        hot = kind(emulator.api_key, base_url=emulator.base_url, event_hooks=tracer.hooks(mode))
        try:
            for n in range(3):
                await resolve(hot.events.publish({"event_type": "t:x", "event_data": {"n": n}}))
            ask: EventCreateParams = {
                "event_type": "assistant:ask",
                "event_data": {"question": "?"},
            }
            if isinstance(hot, HotClient):
                assert hot.events.list(limit=2).next_page() is not None
                events: list[Any] = list(hot.streams.subscribe_with_event(ask))
            else:
                assert await (await hot.events.list(limit=2)).next_page() is not None
                events = [e async for e in hot.streams.subscribe_with_event(ask)]
        finally:
            await close(hot)
    assert events
    calls = [(method, path, status) for method, path, status, _ in tracer.spans]
    assert calls == [
        ("POST", "/v1/events", 201),
        ("POST", "/v1/events", 201),
        ("POST", "/v1/events", 201),
        ("GET", "/v1/events", 200),
        ("GET", "/v1/events", 200),
        ("POST", "/v1/streams/subscribe-with-event", 200),
    ]
    assert all(duration >= 0 for *_, duration in tracer.spans)
