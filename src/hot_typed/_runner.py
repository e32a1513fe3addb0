"""Performing operation descriptions: the blocking runner and the async runner.

These are the only places, with the transports, where the two clients differ.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, TypeVar

from ._pagination import AsyncPage, Page
from ._sse import AsyncEventStream, EventStream, aiter_events, iter_events

if TYPE_CHECKING:
    from ._job import Job
    from ._request import Call, ListCall, StreamCall
    from ._transport import AsyncTransport, SyncTransport

__all__ = ["AsyncRunner", "Runner", "SyncRunner"]

T = TypeVar("T")


class SyncRunner:
    __slots__ = ("transport",)

    def __init__(self, transport: SyncTransport) -> None:
        self.transport = transport

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


class AsyncRunner:
    __slots__ = ("transport",)

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport = transport

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


Runner = SyncRunner | AsyncRunner
