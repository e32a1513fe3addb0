"""A client's connections belong to the process that opened them and, for an
`AsyncHotClient`, to the event loop they were opened in. Used from a forked
child, or from another loop (a client kept across two `asyncio.run`), a client
raises `HotClientClosedError` saying so, before sending anything: the child
would have shared its parent's sockets, and httpcore used to fail mid-request
with "Event loop is closed"."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import uuid4

import httpx
import pytest

from hot_typed import AsyncHotClient, HotClient, HotClientClosedError
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import collect, run

RUN_ID = str(uuid4())


def _answer(request: HttpRequest) -> HttpResponse:
    item = run(RUN_ID, status="succeeded")
    if request.path.endswith(str(RUN_ID)):
        return HttpResponse.json({"data": item})
    pagination = {"total": 5, "limit": 1, "offset": 0, "has_more": True}
    return HttpResponse.json({"data": [item], "pagination": pagination})


USES: dict[str, Callable[[AsyncHotClient], Coroutine[Any, Any, Any]]] = {
    "call": lambda hot: hot.runs.get(RUN_ID),
    "page": lambda hot: hot.runs.list(limit=1),
    "escape hatch": lambda hot: hot.request("GET", "/runs"),
    "stream": lambda hot: collect(hot.streams.subscribe(str(uuid4()))),
    "wait": lambda hot: hot.runs.wait(RUN_ID, timeout=1),
    "call_hot": lambda hot: hot.events.call_hot("::app/fn", []),
    "copy": lambda hot: hot.with_options(max_retries=1).runs.get(RUN_ID),
}

MESSAGE = re.escape(
    "this AsyncHotClient was first used in another event loop, and its connections "
    "belong to that loop: create the client inside the loop that uses it "
    "(`async with`, once per `asyncio.run`)"
)



@pytest.mark.parametrize("given", [False, True], ids=["own httpx client", "given httpx client"])
@pytest.mark.parametrize("use", list(USES))
def test_a_client_used_from_a_new_loop_after_its_first_closed_is_refused_before_sending(
    use: str, given: bool
) -> None:
    with LoopbackServer(_answer) as server:
        http = httpx.AsyncClient() if given else None
        hot = AsyncHotClient("t", base_url=server.base_url, client=http)
        asyncio.run(hot.runs.get(RUN_ID))  # the first loop, closed by `run`
        with pytest.raises(HotClientClosedError, match=MESSAGE):
            asyncio.run(USES[use](hot))
    assert len(server.requests) == 1


def test_a_client_used_from_another_loop_still_running_is_refused_before_sending() -> None:
    # Two loops alive at once (a thread each, or one run by hand): a connection
    # of the first cannot be read from the second.
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
        try:
            first.run_until_complete(hot.runs.get(RUN_ID))
            with pytest.raises(HotClientClosedError, match=MESSAGE):
                second.run_until_complete(hot.runs.get(RUN_ID))
            assert first.run_until_complete(hot.runs.get(RUN_ID)).run_id == RUN_ID
            first.run_until_complete(hot.aclose())
        finally:
            first.close()
            second.close()
    assert len(server.requests) == 2


CLOSING = re.escape(
    "this AsyncHotClient was first used in another event loop, and its connections "
    "belong to that loop: close the client in the loop that used it"
)


def test_closing_a_client_from_a_new_loop_after_its_first_closed_says_where_to_close_it() -> None:
    # httpcore failed with a bare "Event loop is closed": each connection's
    # transport belongs to the first loop, gone with it.
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        asyncio.run(hot.runs.get(RUN_ID))
        with pytest.raises(HotClientClosedError, match=CLOSING):
            asyncio.run(hot.aclose())
        with pytest.raises(HotClientClosedError, match="was closed"):
            asyncio.run(hot.runs.get(RUN_ID))
    assert len(server.requests) == 1


def test_closing_a_client_from_another_loop_still_running_leaves_its_connections_to_it() -> None:
    # Closing them from the second loop would touch transports the first one runs.
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
        try:
            first.run_until_complete(hot.runs.get(RUN_ID))
            with pytest.raises(HotClientClosedError, match=CLOSING):
                second.run_until_complete(hot.aclose())
            first.run_until_complete(hot.aclose())
            http = hot._http_client()  # pyright: ignore[reportPrivateUsage]
            assert http.is_closed
        finally:
            first.close()
            second.close()


def test_a_blocking_client_called_from_one_loop_then_another_goes_on_working() -> None:
    # Its connections are the process's, whatever coroutine makes the call.
    with LoopbackServer(_answer) as server, HotClient("t", base_url=server.base_url) as hot:

        async def blocking_call() -> Any:
            return hot.runs.get(RUN_ID).run_id

        assert [asyncio.run(blocking_call()) for _ in range(2)] == [RUN_ID, RUN_ID]


def test_without_asyncio_there_is_no_loop_to_keep_to() -> None:
    # Under another async library asyncio may never be imported: nothing to
    # check, and nothing imported for it.
    code = (
        "import sys\n"
        "from hot_typed._affinity import _running_loop\n"
        "assert 'asyncio' not in sys.modules\n"
        "assert _running_loop() is None\n"
        "assert 'asyncio' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_next_page_from_a_new_loop_is_refused_before_sending() -> None:
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        page = asyncio.run(hot.runs.list(limit=1))
        with pytest.raises(HotClientClosedError, match=MESSAGE):
            asyncio.run(page.next_page())
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


def _in_child(action: Callable[[], object]) -> str:
    """Run `action` in a forked child: "ok", or what it raised ("Type: message")."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (the loopback
        # server's) may deadlock the child; this child only runs `action`.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's coverage is not collected)
        try:
            try:
                action()
                outcome = "ok"
            except BaseException as error:
                outcome = f"{type(error).__name__}: {error}"
            os.write(write, outcome.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


FORKED = (
    "HotClientClosedError: this {} was first used in process {}, and its connections "
    "belong to that process, which this one was forked from: create a new client in "
    "this process"
)


def _sync_use(hot: HotClient) -> Callable[[], object]:
    return lambda: hot.runs.get(RUN_ID)


def _async_use(hot: AsyncHotClient) -> Callable[[], object]:
    return lambda: asyncio.run(hot.runs.get(RUN_ID))


@pytest.mark.parametrize("copy", [False, True], ids=["client", "with_options copy"])
def test_a_client_used_before_a_fork_is_refused_in_the_child_before_sending(copy: bool) -> None:
    with LoopbackServer(_answer) as server, HotClient("t", base_url=server.base_url) as hot:
        hot.runs.get(RUN_ID)  # a kept-alive connection now in the pool
        used = hot.with_options(max_retries=1) if copy else hot
        outcome = _in_child(_sync_use(used))
        assert outcome == FORKED.format("HotClient", os.getpid())
        assert len(server.requests) == 1
        # The parent's connection is untouched: it goes on over it.
        assert hot.runs.get(RUN_ID).run_id == RUN_ID


def test_an_async_client_used_before_a_fork_is_refused_in_the_child_before_sending() -> None:
    with LoopbackServer(_answer) as server:
        hot = AsyncHotClient("t", base_url=server.base_url)
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(hot.runs.get(RUN_ID))
            outcome = _in_child(_async_use(hot))
            assert outcome == FORKED.format("AsyncHotClient", os.getpid())
            assert len(server.requests) == 1
            assert loop.run_until_complete(hot.runs.get(RUN_ID)).run_id == RUN_ID
            loop.run_until_complete(hot.aclose())
        finally:
            loop.close()


def test_a_client_first_used_in_the_child_works_there() -> None:
    with LoopbackServer(_answer) as server:
        hot = HotClient("t", base_url=server.base_url)
        ahot = AsyncHotClient("t", base_url=server.base_url)
        assert (_in_child(_sync_use(hot)), _in_child(_async_use(ahot))) == ("ok", "ok")
        assert len(server.requests) == 2
        hot.close()
