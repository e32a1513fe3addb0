"""An `AsyncHotClient` holds many event streams open at once, spread over several
connection pools (`ShardedPool`), each pool's requests counted until their response
closes. Over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import certifi
import httpx
import pytest

from hot_typed import AsyncHotClient, StreamComplete, StreamData
from hot_typed._pool import KEEPALIVE_PER_SHARD, ShardedPool
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .loopback_listener import TlsListener
from .sse_script import refused_url

STREAM_ID = UUID(int=1)
RUN_ID = UUID(int=2)


def frame(payload: dict[str, object]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def events_after(barrier: threading.Barrier) -> Iterator[bytes]:
    """One data event and the stream's end, sent only once `barrier` is full: every
    stream completes only if all of them were open at the same time."""
    yield b": open\n\n"
    barrier.wait()
    yield frame(
        {
            "type": "stream:data",
            "stream_data_id": str(UUID(int=3)),
            "run_id": str(RUN_ID),
            "data_type": "text",
            "payload": {"n": 1},
        }
    )
    yield frame({"type": "stream:complete", "stream_id": str(STREAM_ID)})


def held_streams(count: int) -> LoopbackServer:
    barrier = threading.Barrier(count, timeout=10)

    def handle(request: HttpRequest) -> HttpResponse:
        body = events_after(barrier)
        return HttpResponse(200, body, {"Content-Type": "text/event-stream"})

    return LoopbackServer(handle)


@pytest.mark.parametrize("pools", ["the client's", "one of its own"])
async def test_an_async_client_holds_more_streams_open_at_once_than_one_httpx_pool_allows(
    pools: str,
) -> None:
    # httpx's default pool opens at most 100 connections: the 101st stream would
    # wait for one of the others to end, and none ends before all are open. A
    # pool of the client's opens no more than SHARD_SIZE; one pool large enough
    # to take them all has no connection limit either.
    count = 120
    own = httpx.AsyncClient(transport=ShardedPool(shard_size=count))
    given = own if pools == "one of its own" else None
    with held_streams(count) as server:
        hot = AsyncHotClient("test-token", base_url=server.base_url, client=given)
        async with own, hot as client:

            async def subscribe() -> list[object]:
                async with client.streams.subscribe(str(STREAM_ID)) as stream:
                    return [event async for event in stream]

            results = await asyncio.wait_for(
                asyncio.gather(*(subscribe() for _ in range(count))), timeout=20
            )
    assert len(results) == count
    for events in results:
        assert [type(event) for event in events] == [StreamData, StreamComplete]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    def handle(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, iter([b"one ", b"body"]), {"Content-Type": "text/plain"})

    with LoopbackServer(handle) as server:
        yield server


async def test_requests_fill_a_pool_to_its_size_before_another_pool_opens(
    server: LoopbackServer,
) -> None:
    pool = ShardedPool(shard_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # opening a pool warns of nothing
        async with httpx.AsyncClient(transport=pool) as http:
            responses = [
                await http.send(http.build_request("GET", server.base_url), stream=True)
                for _ in range(5)
            ]
            assert pool.in_flight == [2, 2, 1]
            for response in responses:
                assert await response.aread() == b"one body"
                await response.aclose()
                await response.aclose()  # a second close gives nothing back twice
            assert pool.in_flight == [0, 0, 0]
            # The next request goes to the first of the least busy pools, on a kept connection.
            response = await http.get(server.base_url)
            assert response.content == b"one body"
            assert pool.in_flight == [0, 0, 0]
            assert pool.pools == 3


async def test_a_request_that_fails_to_connect_leaves_its_pool_free() -> None:
    pool = ShardedPool(shard_size=1)
    async with httpx.AsyncClient(transport=pool) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(refused_url())
        assert pool.in_flight == [0]
        with pytest.raises(httpx.ConnectError):
            await http.get(refused_url())
        assert pool.pools == 1


def test_a_pool_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^shard_size must be >= 1$"):
        ShardedPool(shard_size=0)


def test_a_proxy_named_by_the_environment_still_carries_the_async_clients_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # httpx honours proxy variables only with the transport it creates itself.
    def proxy(request: HttpRequest) -> HttpResponse:
        return HttpResponse.json({"host": request.headers["host"], "path": request.path})

    async def through(server: LoopbackServer) -> object:
        monkeypatch.setenv("HTTP_PROXY", server.base_url)
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        with pytest.warns(UserWarning, match="plain http"):
            client = AsyncHotClient("test-token", base_url="http://hot.invalid")
        async with client:
            return (await client.request_raw("GET", "/v1/ping")).json()

    with LoopbackServer(proxy) as server:
        assert asyncio.run(through(server)) == {"host": "hot.invalid", "path": "/v1/ping"}


async def test_a_pool_keeps_a_bounded_number_of_idle_connections_for_reuse(
    server: LoopbackServer,
) -> None:
    count = KEEPALIVE_PER_SHARD + 5
    async with httpx.AsyncClient(transport=ShardedPool(shard_size=count)) as http:

        async def connections() -> set[object]:
            """The local addresses of `count` requests in flight at once, then all closed."""
            responses = [
                await http.send(http.build_request("GET", server.base_url), stream=True)
                for _ in range(count)
            ]
            used = {r.extensions["network_stream"].get_extra_info("client_addr") for r in responses}
            for response in responses:
                await response.aread()
                await response.aclose()
            return used

        first = await connections()
        again = await connections()
    assert len(first) == len(again) == count
    assert len(first & again) == KEEPALIVE_PER_SHARD


class TlsServer(TlsListener):
    """HTTPS/1.1 on loopback with a certificate of its own throwaway CA (`ca`):
    every connection gets one `ok` answer and is closed."""

    def serve(self, connection: socket.socket) -> None:
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                received = b""
                while b"\r\n\r\n" not in received and (chunk := tls.recv(65536)):
                    received += chunk
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except (OSError, ssl.SSLError):  # a client that refused the certificate hangs up
            pass


async def test_the_pools_trust_only_what_ssl_cert_file_named_when_the_first_opened(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # httpx/_config.py `create_ssl_context`: SSL_CERT_FILE, when set, is the whole
    # trust store, and certifi's bundle is left out; here that bundle holds the CA
    # of another server, standing for a public authority. As httpx's own transport
    # reads it once, when made, the pools share the trust the first one loaded.
    with TlsServer() as named, TlsServer() as bundled:
        named.ca.cert_pem.write_to_path(str(tmp_path / "named.pem"))
        bundled.ca.cert_pem.write_to_path(str(tmp_path / "bundle.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "named.pem"))
        monkeypatch.setattr(certifi, "where", lambda: str(tmp_path / "bundle.pem"))
        pool = ShardedPool(shard_size=1)
        async with httpx.AsyncClient(transport=pool) as http:
            held = await http.send(http.build_request("GET", named.base_url), stream=True)
            monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "bundle.pem"))
            second = await http.get(named.base_url)  # from another pool, with the same trust
            answers = [await held.aread(), second.content]
            await held.aclose()
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(bundled.base_url)
    assert (answers, pool.pools) == ([b"ok", b"ok"], 2)
