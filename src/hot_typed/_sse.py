"""Typed event streams over SSE responses. Framing is httpx-sse's job, and the bytes
it reads are bounded by `_frames`; this module only checks the response is an event
stream, decodes each frame's data into a model, decides what a frame that cannot be
decoded means, and turns transport failures into `HotError`s."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from functools import cache
from types import TracebackType
from typing import Any, Generic, TypeVar, Union

import httpx
from httpx_sse import EventSource, ServerSentEvent
from typing_extensions import Self

from ._errors import (
    HotConnectionError,
    HotJsonDecodeError,
    HotResponseValidationError,
    HotTimeoutError,
)
from ._failures import shown_url
from ._frames import is_event_stream

__all__ = ["AsyncEventStream", "EventStream", "aiter_events", "iter_events"]

logger = logging.getLogger("hot_typed")

E = TypeVar("E")


def _not_an_event_stream(response: httpx.Response) -> HotResponseValidationError:
    """The error for a 2xx answer that is not an event stream; its body must have been read."""
    content_type = response.headers.get("content-type") or "(none)"
    return HotResponseValidationError(
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} with content type {content_type!r}, not an event stream",
        raw=response.content.decode("utf-8", "replace"),
    )


def _translate(error: httpx.HTTPError, response: httpx.Response) -> Exception:
    request = response.request
    where = f"{request.method} {shown_url(request)}"
    if isinstance(error, httpx.TimeoutException):
        return HotTimeoutError(f"event stream {where} timed out while reading", request=request)
    return HotConnectionError(
        f"event stream {where} was cut: {type(error).__name__}: {error}", request=request
    )


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
    if not is_event_stream(response):
        try:
            response.read()
        except httpx.HTTPError as error:
            raise _translate(error, response) from error
        raise _not_an_event_stream(response)
    try:
        for sse in EventSource(response).iter_sse():
            data = sse.data
            if not data:
                continue
            try:
                event = decode(data)
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
    if not is_event_stream(response):
        try:
            await response.aread()
        except httpx.HTTPError as error:
            raise _translate(error, response) from error
        raise _not_an_event_stream(response)
    try:
        async for sse in EventSource(response).aiter_sse():
            data = sse.data
            if not data:
                continue
            try:
                event = decode(data)
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
        """Stop reading and close the connection; iterating afterwards yields nothing.

        Idempotent; leaving an `async with` block calls it."""
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
