"""Performing operation descriptions: the blocking runner and the async runner.

These are the only places, with the transports, where the two clients differ.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from ._pagination import AsyncPage, Page
from ._sse import AsyncEventStream, EventStream, aiter_events, iter_events
from ._streaming import RECONNECTABLE

if TYPE_CHECKING:
    from ._request import Call, ListCall, StreamCall
    from ._streaming import Follower
    from ._transport import AsyncTransport, SyncTransport

__all__ = ["AsyncRunner", "Runner", "SyncRunner"]

T = TypeVar("T")
R = TypeVar("R")


class SyncRunner:
    __slots__ = ("transport",)

    def __init__(self, transport: SyncTransport) -> None:
        self.transport = transport

    def call(self, call: Call[T]) -> T:
        return call.parse(self.transport.send(call.request))

    def page(self, call: ListCall[T]) -> Page[T]:
        data, pagination, meta, raw = call.parse(self.transport.send(call.request))
        return Page(data, pagination, meta, raw, lambda offset: self.page(call.at_offset(offset)))

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
        while not follower.done:
            call = follower.connect(time.monotonic())
            try:
                with self.transport.stream(call.request) as response:
                    for event in iter_events(response, call.decode):
                        if follower.receive(event, time.monotonic()):
                            yield event
                        if follower.done:
                            return
            except RECONNECTABLE as error:
                delay = follower.ended(error, time.monotonic())
            else:
                delay = follower.ended(None, time.monotonic())
            if delay is None:
                return
            time.sleep(delay)


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
        while not follower.done:
            call = follower.connect(time.monotonic())
            try:
                async with self.transport.stream(call.request) as response:
                    async for event in aiter_events(response, call.decode):
                        if follower.receive(event, time.monotonic()):
                            yield event
                        if follower.done:
                            return
            except RECONNECTABLE as error:
                delay = follower.ended(error, time.monotonic())
            else:
                delay = follower.ended(None, time.monotonic())
            if delay is None:
                return
            await asyncio.sleep(delay)


Runner = SyncRunner | AsyncRunner
