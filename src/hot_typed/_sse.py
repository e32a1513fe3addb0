"""Typed event streams over SSE responses. Framing is httpx-sse's job; this module
only checks the response is an event stream, bounds the size of a frame, decodes
each frame's data into a model, and turns transport failures into `HotError`s."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from functools import cache
from types import TracebackType
from typing import Any, Generic, TypeVar, Union

import httpx
from httpx_sse import EventSource, ServerSentEvent
from typing_extensions import Self

from ._bodies import FilteredStream, take_encoding
from ._errors import (
    HotConnectionError,
    HotFrameTooLargeError,
    HotJsonDecodeError,
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

logger = logging.getLogger("hot_typed")

E = TypeVar("E")

#: Largest SSE frame accepted by default. A run's result or streamed payload
#: travels in one frame, so the bound is generous; it exists so that a server
#: that never ends a frame cannot make the client buffer without limit.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

# Two line ends in a row (CRLF counting as one) end a frame. Every such pair
# contains one of these: LF LF, CR CR, or LF CR (which covers CRLF CRLF). The
# lookahead finds overlapping pairs too (a run of blank lines).
_FRAME_END = re.compile(b"(?=\n\n|\r\r|\n\r)")
_CR, _LF = ord("\r"), ord("\n")
_BOM = b"\xef\xbb\xbf"


class _SkipBom:
    """Drops a UTF-8 byte order mark at the very start of the stream, as the SSE
    specification says a client must (httpx decodes UTF-8 without removing it)."""

    def __init__(self) -> None:
        self._head: bytes | None = b""

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._head is None:
            yield chunk
            return
        head = self._head + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head  # maybe a BOM arriving a byte at a time
            return
        self._head = None
        body = head[len(_BOM) :] if head.startswith(_BOM) else head
        if body:
            yield body

    def end(self) -> Iterator[bytes]:
        if self._head:
            yield self._head


class _FrameLimit:
    """Refuses a frame longer than `max_bytes`, wherever reads cut the stream.

    A frame's length is that of its lines with their line ends; the blank line
    that ends it is not counted. Every frame is measured, however many one read
    holds, and the current one as soon as it grows; the frames before one found
    too long are passed on first. Only about the first `max_bytes` of the current
    frame are held, for the error. It only finds where frames end: parsing them
    stays httpx-sse's job.
    """

    def __init__(self, max_bytes: int, where: str) -> None:
        self._max_bytes = max_bytes
        self._where = where
        self._length = 0  # bytes of the current frame so far
        self._start: list[bytes] = []  # its first bytes (about `max_bytes`), for the error
        self._held = 0
        self._last = b""  # the previous read's last byte: it may pair with the next
        self._skip_lf = False  # a blank line's CR ended the previous read; its LF may follow

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._length + len(chunk) <= self._max_bytes:
            # No frame ending in this read, nor the one going on, can be too long:
            # only where the current frame starts is needed. Nearly every read.
            self._follow(chunk)
            yield chunk
        else:
            yield from self._measure(chunk)
        self._last = chunk[-1:]

    def _follow(self, chunk: bytes) -> None:
        window = self._last + chunk
        end = max(window.rfind(b"\n\n"), window.rfind(b"\r\r"), window.rfind(b"\n\r"))
        if end < 0:
            lf = self._skip_lf and chunk[:1] == b"\n"
            self._skip_lf = False
            self._length += len(chunk) - lf
            self._hold(chunk[lf:])
            return
        start = self._after(window, end)
        self._length = len(window) - start
        self._start, self._held = [], 0
        self._hold(window[start:])

    def _after(self, window: bytes, end: int) -> int:
        """Where the frame after the frame end at `end` starts."""
        start = end + 2
        self._skip_lf = False
        # A blank line ended by CR may be a CRLF: its LF is not the next frame's.
        if window[end + 1] == _CR:
            if start == len(window):
                self._skip_lf = True
            elif window[start] == _LF:
                start += 1
        return start

    def _measure(self, chunk: bytes) -> Iterator[bytes]:
        window = self._last + chunk
        offset = len(self._last)  # where `chunk` starts in `window`
        counted = offset  # window bytes already counted
        frame = offset  # where the current frame starts in `window` (or before it)
        if self._skip_lf and chunk[:1] == b"\n":
            counted = frame = offset + 1
        self._skip_lf = False
        for match in _FRAME_END.finditer(window):
            content_end = match.start() + 1
            if content_end > counted and self._grow(window[counted:content_end]):
                break
            counted = max(counted, self._after(window, match.start()))
            frame = counted
            self._length, self._start, self._held = 0, [], 0
        else:
            if counted >= len(window) or not self._grow(window[counted:]):
                yield chunk
                return
        # The frames before the one too long; after a CR, with the next byte,
        # which tells the parser it is no CRLF.
        upto = frame - offset + (frame > 0 and window[frame - 1] == _CR)
        if upto > 0:
            yield chunk[:upto]
        raise HotFrameTooLargeError(
            f"event stream {self._where} sent a frame longer than "
            f"{self._max_bytes} bytes (max_sse_frame_bytes); the stream was closed",
            raw=b"".join(self._start)[: self._max_bytes].decode("utf-8", "replace"),
            max_bytes=self._max_bytes,
        )

    def _grow(self, piece: bytes) -> bool:
        """Count `piece` into the current frame; True when that makes it too long."""
        self._length += len(piece)
        self._hold(piece)
        return self._length > self._max_bytes

    def _hold(self, piece: bytes) -> None:
        if self._held < self._max_bytes and piece:
            self._start.append(piece)
            self._held += len(piece)

    def end(self) -> Iterator[bytes]:
        return iter(())


def limit_frames(response: httpx.Response, max_bytes: int) -> None:
    """Make reading `response` raise `HotFrameTooLargeError` on a frame over `max_bytes`.

    Call it before anything is read. A response that is not an event stream is
    left alone (`iter_events` refuses it). The bytes counted are the decoded
    ones: a gzip or deflate body (which a proxy may send although the request
    asked for none) is decoded here in bounded pieces; any other encoding cannot
    be bounded, and raises `HotResponseValidationError`. A UTF-8 byte order mark
    starting the stream is dropped.
    """
    if not _is_event_stream(response):
        return
    where = f"{response.request.method} {response.request.url.path}"
    decoders = take_encoding(response)
    if decoders is None:
        raise HotResponseValidationError(
            f"event stream {where} came with Content-Encoding "
            f"{response.headers.get('content-encoding')!r}, which was not asked for and "
            "cannot be decoded within max_sse_frame_bytes",
            raw=None,
        )
    response.stream = FilteredStream(
        response.stream, [*decoders, _SkipBom(), _FrameLimit(max_bytes, where)]
    )


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


@cache
def _known_event_names() -> frozenset[str]:
    # Loaded on the first bad frame only: a stream of good frames never needs it.
    from ._models.stream_events import EnvEvent, KnownTypes, RunUpdate, StreamEvent, TaskUpdate

    known = KnownTypes()
    known.learn(Union[StreamEvent, EnvEvent, RunUpdate, TaskUpdate])  # noqa: UP007
    return known.tags


def _undecodable(sse: ServerSentEvent, error: HotJsonDecodeError) -> None:
    """Skip, or raise for, a frame whose data is not JSON Python can read.

    (A frame with no data, only `id:` or `retry:` fields say, dispatches no event,
    per the SSE specification: the loops below never decode it.) A bad frame is
    skipped with a warning only when its name shows it cannot matter: `keepalive`,
    or a name the API does not send (crates/hot_api/src/handlers/streams.rs, runs.rs
    and env.rs name every event after its `type`). Any other bad frame may be the
    one that ends the stream (`run:stop`, a terminal `run:update`): it raises
    `HotJsonDecodeError` rather than leave the caller waiting for it.
    """
    if sse.event == "keepalive" or sse.event not in _known_event_names():
        logger.warning(
            "skipping an SSE %r frame that is not valid JSON: %.200r", sse.event, sse.data
        )
        return
    raise HotJsonDecodeError(
        f"an SSE {sse.event!r} frame is not JSON Python can read ({error}); it may be "
        "the event that ends the stream, so the stream stops here",
        raw=sse.data,
        validation_error=error.validation_error,
    ) from error


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
            if not sse.data:
                continue
            try:
                event = decode(sse.data)
            except HotJsonDecodeError as error:
                _undecodable(sse, error)
                continue
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
            if not sse.data:
                continue
            try:
                event = decode(sse.data)
            except HotJsonDecodeError as error:
                _undecodable(sse, error)
                continue
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
    """Async twin of `EventStream`: `async for` it, `aclose()` or `async with` it.

    Leaving an `async for` early (`break`, `return`) closes the connection too, on
    any running loop: when the stream is dropped unfinished, its closing is started
    on that loop at once, rather than left to the loop's async generator hooks,
    which run it only after the current step (too late for a loop driven by
    `run_until_complete` and then closed, where it used to end in "Task was
    destroyed but it is pending!"). A loop stopped before that closing is done
    drops it without a warning; `async with` or `aclose()` close it before going on.
    """

    __slots__ = ("_events", "_open")

    def __init__(self, events: AsyncGenerator[E, None]) -> None:
        self._events = events
        self._open = False  # started and not finished: there may be a connection to close

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> E:
        self._open = True
        try:
            return await self._events.__anext__()
        except BaseException:
            # The generator raised (StopAsyncIteration at its end): it is finished.
            self._open = False
            raise

    async def aclose(self) -> None:
        self._open = False
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

    def __del__(self) -> None:
        if not self._open:
            return
        # Only a program running asyncio can have started this stream.
        asyncio = sys.modules.get("asyncio")
        try:
            loop = asyncio.get_running_loop() if asyncio is not None else None
        except RuntimeError:
            loop = None
        if loop is None:
            return  # collected outside its loop: the loop's async generator hooks finalize it
        closing = loop.create_task(_close_abandoned(self._events))
        # As `run_until_complete` does for its own task: a loop closed before this
        # task ends has nothing to report about it (see `_close_abandoned`). A
        # loop whose tasks lack the flag reports as it always did.
        with contextlib.suppress(AttributeError):
            closing._log_destroy_pending = False


async def _close_abandoned(events: AsyncGenerator[Any, None]) -> None:
    """Close the generator of a stream dropped unfinished, one loop step later.

    The step that dropped the stream finishes first. A loop stopped right after it
    (`run_until_complete`, then `close()`) runs this no further: the connection
    and every generator reading it are then released with the closed loop, and
    none of them schedules work that would never run (each such piece of work was
    a "never awaited" or "destroyed but pending" warning). A loop that goes on
    closes the connection in full.
    """
    import asyncio

    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        # `asyncio.run` cancels what is left when its main coroutine returns.
        await events.aclose()
        raise
    await events.aclose()
