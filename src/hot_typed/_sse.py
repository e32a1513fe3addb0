"""Typed event streams over SSE responses. Framing is httpx-sse's job; this module
only checks the response is an event stream, decodes each frame's data into a
model, and turns transport failures into `HotError`s."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Generic, TypeVar

import httpx
from httpx_sse import EventSource
from typing_extensions import Self

from ._errors import HotConnectionError, HotResponseValidationError, HotTimeoutError

__all__ = ["AsyncEventStream", "EventStream", "aiter_events", "iter_events"]

E = TypeVar("E")


def _require_event_stream(response: httpx.Response, body: bytes | None) -> None:
    content_type = response.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() == "text/event-stream":
        return
    text = (body or b"").decode("utf-8", "replace")
    raise HotResponseValidationError(
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} with content type {content_type or '(none)'!r}, "
        "not an event stream",
        raw=text,
    )


def _translate(error: httpx.HTTPError, response: httpx.Response) -> Exception:
    where = f"{response.request.method} {response.request.url.path}"
    if isinstance(error, httpx.TimeoutException):
        return HotTimeoutError(f"event stream {where} timed out while reading")
    return HotConnectionError(f"event stream {where} was cut: {type(error).__name__}: {error}")


def iter_events(response: httpx.Response, decode: Callable[[str], E | None]) -> Iterator[E]:
    """Yield the decoded events of an open SSE response; comments are never yielded."""
    if response.headers.get("content-type", "").partition(";")[0].strip() != "text/event-stream":
        _require_event_stream(response, response.read())
    try:
        for sse in EventSource(response).iter_sse():
            event = decode(sse.data)
            if event is not None:
                yield event
    except httpx.HTTPError as error:
        raise _translate(error, response) from error


async def aiter_events(
    response: httpx.Response, decode: Callable[[str], E | None]
) -> AsyncIterator[E]:
    """Async twin of `iter_events`."""
    if response.headers.get("content-type", "").partition(";")[0].strip() != "text/event-stream":
        _require_event_stream(response, await response.aread())
    try:
        async for sse in EventSource(response).aiter_sse():
            event = decode(sse.data)
            if event is not None:
                yield event
    except httpx.HTTPError as error:
        raise _translate(error, response) from error


class EventStream(Generic[E]):
    """An open subscription: iterate it for typed events.

    The HTTP connection is released when the stream ends, on `close()`, on
    leaving a `with` block, on breaking out of a loop over it followed by
    garbage collection, and on any exception.
    """

    __slots__ = ("_events",)

    def __init__(self, events: Generator[E, None, None]) -> None:
        self._events = events

    def __iter__(self) -> Iterator[E]:
        return self._events

    def __next__(self) -> E:
        return next(self._events)

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncEventStream(Generic[E]):
    """Async twin of `EventStream`: `async for` it, `aclose()` or `async with` it."""

    __slots__ = ("_events",)

    def __init__(self, events: AsyncGenerator[E, None]) -> None:
        self._events = events

    def __aiter__(self) -> AsyncIterator[E]:
        return self._events

    async def __anext__(self) -> E:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
