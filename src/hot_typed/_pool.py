"""Connections of an `AsyncHotClient` spread over several httpx connection pools.

An event stream holds its connection for as long as it is read: a backend that
relays subscriptions to browsers holds thousands at once. httpx's pool
(httpcore's) reconsiders every one of its connections each time a request
starts or a response closes, so one pool of n connections costs O(n^2) to fill
and empty (500 streams: ~7 s of bookkeeping). `ShardedPool` keeps at most
`shard_size` requests in flight per pool and opens another pool when all are
that busy, which makes the cost O(n * shard_size).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import httpx

__all__ = ["SHARD_SIZE", "ShardedPool"]

#: Requests in flight per pool before another pool is opened. Small enough that
#: a pool's own scans stay cheap, large enough that a client with a handful of
#: calls in flight uses one pool (and its keep-alive connections).
SHARD_SIZE = 32

#: Idle connections each pool keeps open for reuse (httpx's own default).
KEEPALIVE_PER_SHARD = 20


class _Shard:
    __slots__ = ("in_flight", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.in_flight = 0


class _Released(httpx.AsyncByteStream):
    """A response body that gives its request's place in `shard` back when closed
    (once, however often it is closed)."""

    __slots__ = ("_shard", "_stream")

    def __init__(self, stream: httpx.AsyncByteStream, shard: _Shard) -> None:
        self._stream = stream
        self._shard: _Shard | None = shard

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        shard, self._shard = self._shard, None
        if shard is not None:
            shard.in_flight -= 1
        await self._stream.aclose()


class ShardedPool(httpx.AsyncBaseTransport):
    """An httpx transport sending each request through the least busy of its pools.

    Every pool is an `httpx.AsyncHTTPTransport` without a connection limit (a
    stream waiting for a free connection would wait for another stream to end,
    which for a long subscription is never) and with one TLS context shared by
    all. A request counts as in flight from sending until its response is closed.
    """

    def __init__(self, *, shard_size: int = SHARD_SIZE) -> None:
        if shard_size < 1:
            raise ValueError("shard_size must be >= 1")
        self._shard_size = shard_size
        self._ssl_context: ssl.SSLContext | None = None
        self._shards: list[_Shard] = []

    @property
    def pools(self) -> int:
        """How many pools have been opened so far."""
        return len(self._shards)

    @property
    def in_flight(self) -> list[int]:
        """Requests in flight in each pool, in the order the pools were opened."""
        return [shard.in_flight for shard in self._shards]

    def _least_busy(self) -> _Shard:
        shard = min(self._shards, key=_in_flight, default=None)
        if shard is None or shard.in_flight >= self._shard_size:
            if self._ssl_context is None:
                # Loading the certificate store is the dearest part of a pool: once.
                self._ssl_context = httpx.create_ssl_context()
            limits = httpx.Limits(
                max_connections=None, max_keepalive_connections=KEEPALIVE_PER_SHARD
            )
            transport = httpx.AsyncHTTPTransport(verify=self._ssl_context, limits=limits)
            shard = _Shard(transport)
            self._shards.append(shard)
        return shard

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = self._least_busy()
        shard.in_flight += 1
        try:
            response = await shard.transport.handle_async_request(request)
        except BaseException:
            shard.in_flight -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, shard)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.transport.aclose()


def _in_flight(shard: _Shard) -> int:
    return shard.in_flight
