"""An `AsyncHotClient`'s connections belong to the event loop they were opened
in. Used again from a new loop once that one is closed (a client kept across
two `asyncio.run`), it raises `HotClientClosedError` saying so, before sending
anything, where httpcore used to fail mid-request with "Event loop is closed"."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest

from hot_typed import AsyncHotClient, HotClientClosedError
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import collect, run

RUN_ID = uuid4()


def _answer(request: HttpRequest) -> HttpResponse:
    item = run(RUN_ID, status="succeeded")
    if request.path.endswith(str(RUN_ID)):
        return HttpResponse.json({"data": item})
    pagination = {"total": 5, "limit": 1, "offset": 0, "has_more": True}
    return HttpResponse.json({"data": [item], "pagination": pagination})


USES: dict[str, Callable[[AsyncHotClient], Awaitable[Any]]] = {
    "call": lambda hot: hot.runs.get(RUN_ID),
    "page": lambda hot: hot.runs.list(limit=1),
    "escape hatch": lambda hot: hot.request("GET", "/runs"),
    "stream": lambda hot: collect(hot.streams.subscribe(uuid4())),
    "wait": lambda hot: hot.runs.wait(RUN_ID, timeout=1),
    "call_hot": lambda hot: hot.events.call_hot("::app/fn", []),
    "copy": lambda hot: hot.with_options(max_retries=1).runs.get(RUN_ID),
}

MESSAGE = (
    r"^this AsyncHotClient was first used in an event loop that is now closed, and its "
    r"connections belong to that loop: create the client inside the loop that uses it"
)


async def _use(value: Awaitable[Any]) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.mark.parametrize("given", [False, True], ids=["own httpx client", "given httpx client"])
@pytest.mark.parametrize("use", list(USES))
def test_a_client_used_from_a_new_loop_after_its_first_closed_is_refused_before_sending(
    use: str, given: bool
) -> None:
    with LoopbackServer(_answer) as server:
        http = httpx.AsyncClient() if given else None
        hot = AsyncHotClient("t", base_url=server.base_url, client=http)
        asyncio.run(_use(hot.runs.get(RUN_ID)))  # the first loop, closed by `run`
        with pytest.raises(HotClientClosedError, match=MESSAGE):
            asyncio.run(_use(USES[use](hot)))
    assert len(server.requests) == 1


def test_the_next_page_from_a_new_loop_is_refused_before_sending() -> None:
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        page = asyncio.run(_use(hot.runs.list(limit=1)))
        with pytest.raises(HotClientClosedError, match=MESSAGE):
            asyncio.run(_use(page.next_page()))
    assert len(server.requests) == 1


def test_a_client_made_outside_any_loop_works_in_the_loop_that_first_uses_it() -> None:
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)

        async def twice() -> list[Any]:
            async with hot:
                return [(await hot.runs.get(RUN_ID)).run_id for _ in range(2)]

        assert asyncio.run(twice()) == [RUN_ID, RUN_ID]


def test_each_client_keeps_to_its_own_loop() -> None:
    # One client per `asyncio.run`, each made inside it, as the message asks.
    with LoopbackServer(_answer) as server:

        async def fresh() -> Any:
            async with AsyncHotClient("t", base_url=server.base_url) as hot:
                return (await hot.runs.get(RUN_ID)).run_id

        assert [asyncio.run(fresh()) for _ in range(3)] == [RUN_ID] * 3
