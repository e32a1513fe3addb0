"""Performing operation descriptions: the blocking runner and the async runner.

These are the only places, with the transports, where the two clients differ.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._errors import HotApiError, HotTimeoutError
from ._pagination import AsyncPage, Page
from ._sse import AsyncEventStream, EventStream, aiter_events, iter_events

if TYPE_CHECKING:
    from ._job import Job
    from ._request import Call, ListCall, StreamCall
    from ._streaming import Follower
    from ._transport import AsyncTransport, SyncTransport

__all__ = ["AsyncRunner", "Runner", "SyncRunner"]

T = TypeVar("T")
R = TypeVar("R")


class _Deadline(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A follower's response body that fails once its `deadline` (monotonic) has
    passed, and lets it `decide` once its `decide_at` has, ending when that
    decision leaves nothing to read (`done`, or `stale`) as a clean close would.

    A read timeout alone cannot bound a wait: keep-alive comments reset it
    forever. Checking at every chunk received, comments included, does.
    """

    def __init__(self, stream: Any, follower: Follower[Any, Any]) -> None:
        self._stream = stream
        self._follower = follower

    def _finished(self) -> bool:
        """Whether the follower needs nothing more of this body."""
        now = time.monotonic()
        deadline = self._follower.deadline
        if deadline is not None and now >= deadline:
            raise HotTimeoutError("the overall timeout passed while reading an event stream")
        decide_at = self._follower.decide_at
        if decide_at is None or now < decide_at:
            return False
        self._follower.decide(now)
        return self._follower.done or self._follower.stale

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if self._finished():
                return
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            if self._finished():
                return
            yield chunk

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        await self._stream.aclose()


def _bound(response: httpx.Response, follower: Follower[Any, Any]) -> httpx.Response:
    if follower.deadline is not None or follower.decides:
        response.stream = _Deadline(response.stream, follower)
    return response


class SyncRunner:
    __slots__ = ("transport",)

    def __init__(self, transport: SyncTransport) -> None:
        self.transport: SyncTransport = transport

    def call(self, call: Call[T]) -> T:
        return call.parse(self.transport.send(call.request))

    def page(self, call: ListCall[T]) -> Page[T]:
        data, pagination, meta, raw = call.parse(self.transport.send(call.request))
        return Page(data, pagination, meta, raw, lambda offset: self.page(call.at_offset(offset)))

    def perform(self, job: Job[T]) -> T:
        return job.run(self)

    def stream(self, call: StreamCall[T]) -> EventStream[T]:
        return EventStream(self._events(call))

    def _events(self, call: StreamCall[T]) -> Generator[T, None, None]:
        with self.transport.stream(call.request) as response:
            yield from iter_events(response, call.decode)

    def follow(self, follower: Follower[T, Any]) -> EventStream[T]:
        return EventStream(self._follow(follower))

    def wait(self, follower: Follower[Any, R]) -> R:
        for _ in self._follow(follower):
            pass
        return follower.result()

    def _follow(self, follower: Follower[T, Any]) -> Generator[T, None, None]:
        # Imported here, not at the top: the follower comes from `_streaming`, so
        # it is loaded by now, and clients that never follow a stream skip it.
        from ._streaming import RECONNECTABLE

        follower.policy = self.transport.settings.policy
        while not follower.done:
            call = follower.connect(time.monotonic())
            try:
                with self.transport.stream(call.request) as response:
                    yield from self._checked(follower)
                    if follower.done:
                        return
                    for event in iter_events(_bound(response, follower), call.decode):
                        if follower.receive(event, time.monotonic()):
                            yield event
                        if follower.done:
                            return
                        if follower.stale:
                            break
            except RECONNECTABLE as error:
                delay = follower.ended(error, time.monotonic())
            except HotApiError as error:
                follower.refused(error)
                raise
            else:
                delay = follower.ended(None, time.monotonic())
            if delay is None:
                return
            time.sleep(delay)

    def _checked(self, follower: Follower[T, Any]) -> list[T]:
        from ._streaming import CHECK_FAILURES

        check = follower.check(time.monotonic())
        if check is None:
            return []
        try:
            runs = self.call(check)
        except CHECK_FAILURES as error:
            follower.check_failed(error)
            return []
        return follower.checked(runs, time.monotonic())


class AsyncRunner:
    __slots__ = ("transport",)

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport: AsyncTransport = transport

    async def call(self, call: Call[T]) -> T:
        return call.parse(await self.transport.send(call.request))

    async def page(self, call: ListCall[T]) -> AsyncPage[T]:
        data, pagination, meta, raw = call.parse(await self.transport.send(call.request))
        return AsyncPage(
            data, pagination, meta, raw, lambda offset: self.page(call.at_offset(offset))
        )

    async def perform(self, job: Job[T]) -> T:
        return await job.arun(self)

    def stream(self, call: StreamCall[T]) -> AsyncEventStream[T]:
        return AsyncEventStream(self._events(call))

    async def _events(self, call: StreamCall[T]) -> AsyncGenerator[T, None]:
        async with self.transport.stream(call.request) as response:
            async for event in aiter_events(response, call.decode):
                yield event

    def follow(self, follower: Follower[T, Any]) -> AsyncEventStream[T]:
        return AsyncEventStream(self._follow(follower))

    async def wait(self, follower: Follower[Any, R]) -> R:
        async for _ in self._follow(follower):
            pass
        return follower.result()

    async def _follow(self, follower: Follower[T, Any]) -> AsyncGenerator[T, None]:
        # Imported here, not at the top: the follower comes from `_streaming`, so
        # it is loaded by now, and clients that never follow a stream skip it.
        from ._streaming import RECONNECTABLE

        follower.policy = self.transport.settings.policy
        while not follower.done:
            call = follower.connect(time.monotonic())
            try:
                async with self.transport.stream(call.request) as response:
                    for event in await self._checked(follower):
                        yield event
                    if follower.done:
                        return
                    bounded = _bound(response, follower)
                    async for event in aiter_events(bounded, call.decode):
                        if follower.receive(event, time.monotonic()):
                            yield event
                        if follower.done:
                            return
                        if follower.stale:
                            break
            except RECONNECTABLE as error:
                delay = follower.ended(error, time.monotonic())
            except HotApiError as error:
                follower.refused(error)
                raise
            else:
                delay = follower.ended(None, time.monotonic())
            if delay is None:
                return
            # Loaded already by the running loop; the blocking client never needs it.
            import asyncio

            await asyncio.sleep(delay)

    async def _checked(self, follower: Follower[T, Any]) -> list[T]:
        from ._streaming import CHECK_FAILURES

        check = follower.check(time.monotonic())
        if check is None:
            return []
        try:
            runs = await self.call(check)
        except CHECK_FAILURES as error:
            follower.check_failed(error)
            return []
        return follower.checked(runs, time.monotonic())


Runner = SyncRunner | AsyncRunner
