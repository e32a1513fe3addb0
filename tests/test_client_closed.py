"""A closed client says so: calls, pages, streams, follows and waits raise
`HotClientClosedError` without sending anything; and no repr shows a credential."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest

from hot_typed import AsyncHotClient, HotClient, HotClientClosedError, HotError
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import collect, run

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

RUN_ID = str(uuid4())


def _answer(request: HttpRequest) -> HttpResponse:
    item = run(RUN_ID, status="succeeded")
    pagination = {"total": 5, "limit": 1, "offset": 0, "has_more": True}
    return HttpResponse.json({"data": [item], "pagination": pagination})


USES: dict[str, Callable[[Any], Any]] = {
    "call": lambda hot: hot.runs.get(RUN_ID),
    "escape hatch": lambda hot: hot.request("GET", "/runs"),
    "stream": lambda hot: collect(hot.streams.subscribe(str(uuid4()))),
    "wait": lambda hot: hot.runs.wait(RUN_ID, timeout=1),
    "call_hot": lambda hot: hot.events.call_hot("::app/fn", []),
}


async def _use(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _client(mode: str, server: LoopbackServer, own: bool) -> HotClient | AsyncHotClient:
    if mode == "sync":
        return HotClient("t", base_url=server.base_url, client=None if own else httpx.Client())
    return AsyncHotClient(
        "t", base_url=server.base_url, client=None if own else httpx.AsyncClient()
    )


async def _close(client: HotClient | AsyncHotClient) -> None:
    if isinstance(client, AsyncHotClient):
        await client.aclose()
    else:
        client.close()


@pytest.mark.parametrize("own", [True, False], ids=["own httpx client", "given httpx client"])
@pytest.mark.parametrize("use", list(USES))
async def test_using_a_closed_client_raises_client_closed_without_sending(
    mode: str, use: str, own: bool
) -> None:
    with LoopbackServer(_answer) as server:
        client = _client(mode, server, own)
        await _close(client)
        with pytest.raises(HotClientClosedError) as error:
            await _use(USES[use](client))

    assert server.requests == []
    assert isinstance(error.value, HotError)
    assert type(client).__name__ in str(error.value)
    assert "closed" in str(error.value)


async def test_the_next_page_after_close_raises_client_closed(mode: str) -> None:
    with LoopbackServer(_answer) as server:
        client = _client(mode, server, own=True)
        page = await _use(client.runs.list(limit=1))
        await _close(client)
        with pytest.raises(HotClientClosedError):
            await _use(page.next_page())

    assert len(server.requests) == 1


async def test_closing_twice_is_harmless(mode: str) -> None:
    with LoopbackServer(_answer) as server:
        client = _client(mode, server, own=True)
        await _close(client)
        await _close(client)


@pytest.mark.parametrize(
    "base_url",
    ["https://alice:s3cr3t-pw@api.example.test", "http://alice:s3cr3t-pw@127.0.0.1:9/v1"],
)
async def test_repr_never_shows_a_password_in_the_base_url_nor_the_token(
    mode: str, base_url: str
) -> None:
    kind = HotClient if mode == "sync" else AsyncHotClient
    client = kind("tok-v3ry-s3cret", base_url=base_url)
    try:
        shown = [repr(client), str(client), repr(vars(client)), repr(client.runs)]
    finally:
        await _close(client)

    assert not [text for text in shown if "s3cr3t-pw" in text or "tok-v3ry-s3cret" in text]
    assert "***@" in repr(client)
    assert repr(client).startswith(f"{kind.__name__}(base_url=")


CLOSINGS: dict[str, Callable[[Any], Any]] = {
    "a copy made after close": lambda hot: hot,
    "a copy whose original was closed": lambda hot: hot.with_options(max_retries=0),
}


@pytest.mark.parametrize("when", list(CLOSINGS))
@pytest.mark.parametrize("use", list(USES))
async def test_a_copy_sharing_closed_connections_raises_client_closed_without_sending(
    mode: str, use: str, when: str
) -> None:
    # `with_options` copies send through the original's pool: once the original
    # closed it, the copy must say so as the original does, not fail inside httpx.
    with LoopbackServer(_answer) as server:
        client = _client(mode, server, own=True)
        early = CLOSINGS[when](client)
        await _close(client)
        copy = early.with_options(timeout=5.0)
        with pytest.raises(HotClientClosedError) as error:
            await _use(USES[use](copy))

    assert server.requests == []
    assert type(client).__name__ in str(error.value)
    assert "closed" in str(error.value)


async def test_a_client_whose_given_httpx_client_was_closed_raises_client_closed(
    mode: str,
) -> None:
    with LoopbackServer(_answer) as server:
        client = _client(mode, server, own=False)
        http = client._http_client()  # pyright: ignore[reportPrivateUsage]
        if isinstance(http, httpx.Client):
            http.close()
        else:
            await http.aclose()
        with pytest.raises(HotClientClosedError) as error:
            await _use(client.runs.get(RUN_ID))

    assert server.requests == []
    assert "httpx client" in str(error.value)
