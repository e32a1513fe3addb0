"""Runners that answer the HTTP response instead of the parsed value.

A resource bound to one of these (`hot.with_raw_response.runs`, ...) performs
the very operation descriptions the plain client does; only what a call or a
page answers changes: a `RawResponse` around the value, or a context manager
of a `StreamedResponse` whose body is read as it is iterated. Operations that
are no single exchange (event streams, waiters, uploads, `download_to`) have
no one response to show, and answer as on the plain client.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from typing import TYPE_CHECKING, TypeVar

import httpx

from ._pagination import AsyncPage, Page
from ._responses import AsyncRawResponse, AsyncStreamedResponse, RawResponse, StreamedResponse
from ._runner import AsyncRunner, SyncRunner

if TYPE_CHECKING:
    from ._request import Call, ListCall, Request

__all__ = ["RawAsyncRunner", "RawSyncRunner", "StreamingAsyncRunner", "StreamingSyncRunner"]

T = TypeVar("T")


def _page_parser(call: ListCall[T], runner: SyncRunner) -> Callable[[httpx.Response], Page[T]]:
    # The following pages come from the plain runner: they are values, not responses.
    def parse(response: httpx.Response) -> Page[T]:
        data, pagination, meta, raw = call.parse(response)
        return Page(data, pagination, meta, raw, lambda o: runner.page(call.at_offset(o)))

    return parse


def _async_page_parser(
    call: ListCall[T], runner: AsyncRunner
) -> Callable[[httpx.Response], AsyncPage[T]]:
    def parse(response: httpx.Response) -> AsyncPage[T]:
        data, pagination, meta, raw = call.parse(response)
        return AsyncPage(data, pagination, meta, raw, lambda o: runner.page(call.at_offset(o)))

    return parse


class RawSyncRunner(SyncRunner):
    """Calls and pages answer a `RawResponse` (retried as the plain call is)."""

    __slots__ = ()

    def call(self, call: Call[T]) -> RawResponse[T]:  # type: ignore[override]
        return RawResponse(self.transport.send(call.request), call.parse)

    def page(self, call: ListCall[T]) -> RawResponse[Page[T]]:  # type: ignore[override]
        plain = SyncRunner(self.transport)
        return RawResponse(self.transport.send(call.request), _page_parser(call, plain))


class RawAsyncRunner(AsyncRunner):
    __slots__ = ()

    async def call(self, call: Call[T]) -> AsyncRawResponse[T]:  # type: ignore[override]
        return AsyncRawResponse(await self.transport.send(call.request), call.parse)

    async def page(self, call: ListCall[T]) -> AsyncRawResponse[AsyncPage[T]]:  # type: ignore[override]
        plain = AsyncRunner(self.transport)
        response = await self.transport.send(call.request)
        return AsyncRawResponse(response, _async_page_parser(call, plain))


class StreamingSyncRunner(SyncRunner):
    """Calls and pages answer a context manager of a `StreamedResponse`: the request
    is sent on entering it (once: a body read as it comes cannot be retried), and
    the connection released on leaving it."""

    __slots__ = ()

    def call(self, call: Call[T]) -> AbstractContextManager[StreamedResponse[T]]:  # type: ignore[override]
        return self._open(call.request, call.parse)

    def page(self, call: ListCall[T]) -> AbstractContextManager[StreamedResponse[Page[T]]]:  # type: ignore[override]
        return self._open(call.request, _page_parser(call, SyncRunner(self.transport)))

    @contextmanager
    def _open(
        self, request: Request, parse: Callable[[httpx.Response], T]
    ) -> Generator[StreamedResponse[T], None, None]:
        with self.transport.stream(request) as response:
            yield StreamedResponse(response, parse)


class StreamingAsyncRunner(AsyncRunner):
    __slots__ = ()

    #: Its methods answer an async context manager at once, not a coroutine.
    immediate = True

    def call(self, call: Call[T]) -> AbstractAsyncContextManager[AsyncStreamedResponse[T]]:  # type: ignore[override]
        return self._open(call.request, call.parse)

    def page(  # type: ignore[override]
        self, call: ListCall[T]
    ) -> AbstractAsyncContextManager[AsyncStreamedResponse[AsyncPage[T]]]:
        return self._open(call.request, _async_page_parser(call, AsyncRunner(self.transport)))

    @asynccontextmanager
    async def _open(
        self, request: Request, parse: Callable[[httpx.Response], T]
    ) -> AsyncGenerator[AsyncStreamedResponse[T], None]:
        async with self.transport.stream(request) as response:
            yield AsyncStreamedResponse(response, parse)
