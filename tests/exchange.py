"""Run one client call against a scripted answer, for both clients alike.

`exchange(client, call, response)` mounts `response` on the client's httpx
transport (through respx), performs `call(client)` — awaiting it, or draining
it when it is an event stream — and returns the result and every request sent.
`played(client, call, *answers)` plays answers and failures in order and returns
what the call returned or the `HotError` it raised, and how many requests went out.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import httpx
import respx

from hot_typed import AsyncEventStream, AsyncHotClient, EventStream, HotClient, HotError

BASE_URL = "https://hot.test"
TOKEN = "test-token-0123456789"

Client = HotClient | AsyncHotClient


def make_client(kind: str, **options: Any) -> Client:
    if kind == "sync":
        return HotClient(TOKEN, base_url=BASE_URL, **options)
    return AsyncHotClient(TOKEN, base_url=BASE_URL, **options)


async def _finish(result: Any) -> Any:
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, AsyncEventStream):
        return [event async for event in result]
    if isinstance(result, EventStream):
        return list(result)
    return result


def perform(client: Client, call: Callable[[Client], Any]) -> Any:
    """Perform `call(client)` to completion, whichever client it is, then close it."""
    if isinstance(client, HotClient):
        with client:
            result = call(client)
            return list(result) if isinstance(result, EventStream) else result

    async def run() -> Any:
        try:
            return await _finish(call(client))
        finally:
            await client.aclose()

    return asyncio.run(run())


def exchange(
    kind: str,
    call: Callable[[Client], Any],
    *responses: httpx.Response,
    **options: Any,
) -> tuple[Any, list[httpx.Request]]:
    """Answer the requests `call` makes with `responses`, in order."""
    answers = iter(responses)
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="hot.test").mock(side_effect=lambda request: next(answers))
        client = make_client(kind, **options)
        result = perform(client, call)
        return result, [c.request for c in route.calls]


def played(
    kind: str, call: Callable[[Client], Any], *answers: httpx.Response | Exception, **options: Any
) -> tuple[Any, int]:
    """`call` on a client whose transport plays `answers` in order, exceptions raised:
    what it returned, or the `HotError` it raised, and how many requests were sent."""
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="hot.test").mock(side_effect=list(answers))
        try:
            return perform(make_client(kind, **options), call), route.call_count
        except HotError as error:
            return error, route.call_count
