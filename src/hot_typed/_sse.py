"""Typed event streams over SSE responses. Framing is httpx-sse's job; this module
only checks the response is an event stream, bounds the size of a frame, decodes
each frame's data into a model, and turns transport failures into `HotError`s."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Generic, TypeVar

import httpx
from httpx_sse import EventSource
from typing_extensions import Self

from ._errors import (
    HotConnectionError,
    HotFrameTooLargeError,
    HotResponseValidationError,
    HotTimeoutError,
)

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "AsyncEventStream",
    "EventStream",
    "aiter_events",
    "iter_events",
    "limit_frames",
]

E = TypeVar("E")

#: Largest SSE frame accepted by default. A run's result or streamed payload
#: travels in one frame, so the bound is generous; it exists so that a server
#: that never ends a frame cannot make the client buffer without limit.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

# Two line ends in a row (CRLF counting as one) end a frame. Every such pair
# contains one of these: LF LF, CR CR, or LF CR (which covers CRLF CRLF).
_FRAME_ENDS = (b"\n\n", b"\r\r", b"\n\r")


class _FrameLimit(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The body of an SSE response, refusing a frame longer than `max_bytes`.

    It only finds where frames end (to know how long the current one is);
    parsing them stays httpx-sse's job. The current frame is kept, at most
    `max_bytes` plus one read, so the error can carry it.
    """

    def __init__(
        self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, max_bytes: int, where: str
    ) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._where = where
        self._frame = bytearray()

    def _check(self, chunk: bytes) -> bytes:
        # The last byte of the previous read may pair with the first of this one.
        window = self._frame[-1:] + chunk
        end = max(window.rfind(pair) for pair in _FRAME_ENDS)
        if end >= 0:
            self._frame = bytearray(window[end + 2 :])
        else:
            self._frame += chunk
        if len(self._frame) > self._max_bytes:
            raise HotFrameTooLargeError(
                f"event stream {self._where} sent a frame longer than "
                f"{self._max_bytes} bytes (max_sse_frame_bytes); the stream was closed",
                raw=self._frame[: self._max_bytes].decode("utf-8", "replace"),
                max_bytes=self._max_bytes,
            )
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._stream, httpx.SyncByteStream)
        for chunk in self._stream:
            yield self._check(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield self._check(chunk)

    def close(self) -> None:
        assert isinstance(self._stream, httpx.SyncByteStream)
        self._stream.close()

    async def aclose(self) -> None:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        await self._stream.aclose()


def limit_frames(response: httpx.Response, max_bytes: int) -> None:
    """Make reading `response` raise `HotFrameTooLargeError` on a frame over `max_bytes`.

    Call it before anything is read. A response that is not an event stream is
    left alone (`iter_events` refuses it). The bytes counted are those received,
    so the request should ask for no content encoding.
    """
    if not _is_event_stream(response):
        return
    where = f"{response.request.method} {response.request.url.path}"
    response.stream = _FrameLimit(response.stream, max_bytes, where)


def _is_event_stream(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "text/event-stream"


def _not_an_event_stream(response: httpx.Response) -> HotResponseValidationError:
    """The error for a 2xx answer that is not an event stream; its body must have been read."""
    content_type = response.headers.get("content-type") or "(none)"
    return HotResponseValidationError(
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} with content type {content_type!r}, not an event stream",
        raw=response.content.decode("utf-8", "replace"),
    )


def _translate(error: httpx.HTTPError, response: httpx.Response) -> Exception:
    where = f"{response.request.method} {response.request.url.path}"
    if isinstance(error, httpx.TimeoutException):
        return HotTimeoutError(f"event stream {where} timed out while reading")
    return HotConnectionError(f"event stream {where} was cut: {type(error).__name__}: {error}")


def iter_events(response: httpx.Response, decode: Callable[[str], E | None]) -> Iterator[E]:
    """Yield the decoded events of an open SSE response; comments are never yielded."""
    if not _is_event_stream(response):
        try:
            response.read()
        except httpx.HTTPError as error:
            raise _translate(error, response) from error
        raise _not_an_event_stream(response)
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
    if not _is_event_stream(response):
        try:
            await response.aread()
        except httpx.HTTPError as error:
            raise _translate(error, response) from error
        raise _not_an_event_stream(response)
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
        """Stop reading and close the connection; iterating afterwards yields nothing.

        Idempotent; leaving a `with` block calls it."""
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
        """Stop reading and close the connection; iterating afterwards yields nothing.

        Idempotent; leaving an `async with` block calls it."""
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
