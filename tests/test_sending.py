"""What the transports do on paths between the request and the answer: a copy of
a client with its own retry and frame settings, a request that is never sent
twice, and an error body cut off while it is read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hot_typed import AsyncHotClient, HotClient, HotConnectionError
from hot_typed.testing import DropConnection, HttpRequest, HttpResponse, LoopbackServer
from tests.exchange import TOKEN, Client
from tests.operations import RUN_ID

KINDS = ["sync", "async"]


def _client(kind: str, base_url: str, **options: object) -> Client:
    cls = HotClient if kind == "sync" else AsyncHotClient
    return cls(TOKEN, base_url=base_url, **options)  # type: ignore[arg-type]


async def _close(client: Client) -> None:
    if isinstance(client, HotClient):
        client.close()
    else:
        await client.aclose()


async def _run(client: Client, call: object) -> object:
    result = call(client)  # type: ignore[operator]
    if isinstance(client, AsyncHotClient) and hasattr(result, "__await__"):
        result = await result
    return result


def _cut_error(request: HttpRequest) -> HttpResponse:
    def body() -> Iterator[bytes]:
        yield b'{"error": {"code": "inter'
        raise DropConnection

    return HttpResponse(500, body(), {"Content-Type": "application/json"})


def _cut_answer(request: HttpRequest) -> HttpResponse:
    def body() -> Iterator[bytes]:
        yield b'{"data": '
        raise DropConnection

    return HttpResponse(200, body(), {"Content-Type": "application/json"})


@pytest.mark.parametrize("kind", KINDS)
def test_a_copy_of_a_client_takes_its_own_retry_and_frame_settings(kind: str) -> None:
    original = _client(kind, "http://127.0.0.1:1")
    copy = original.with_options(max_retries=7, retry_non_idempotent=True, max_sse_frame_bytes=9)
    settings = copy._settings
    assert (settings.policy.max_retries, settings.policy.retry_non_idempotent) == (7, True)
    assert settings.max_sse_frame_bytes == 9
    assert original._settings.policy.retry_non_idempotent is False
    assert original._settings.max_sse_frame_bytes != 9
    assert original.with_options(max_sse_frame_bytes=1)._settings.max_sse_frame_bytes == 1
    with pytest.raises(ValueError, match=r"^max_sse_frame_bytes must be >= 1$"):
        original.with_options(max_sse_frame_bytes=0)


@pytest.mark.parametrize("kind", KINDS)
async def test_request_raw_is_sent_once_even_when_the_answer_is_cut(kind: str) -> None:
    with LoopbackServer(_cut_answer) as server:
        client = _client(kind, server.base_url, max_retries=3)
        try:
            with pytest.raises(HotConnectionError) as caught:
                await _run(client, lambda c: c.request_raw("GET", "/things"))
        finally:
            await _close(client)
        assert len(server.requests) == 1
        assert caught.value.request_sent is True
        # The same request through request(), which may be retried, is sent again.
        client = _client(kind, server.base_url, max_retries=2)
        try:
            with pytest.raises(HotConnectionError):
                await _run(client, lambda c: c.request("GET", "/things"))
        finally:
            await _close(client)
        assert len(server.requests) == 1 + 3


async def _first_event(client: Client) -> object:
    if isinstance(client, HotClient):
        return next(iter(client.runs.subscribe(RUN_ID)))
    return await client.runs.subscribe(RUN_ID).__anext__()


@pytest.mark.parametrize("kind", KINDS)
async def test_an_event_stream_refused_with_a_cut_error_body_is_a_connection_error(
    kind: str,
) -> None:
    with LoopbackServer(_cut_error) as server:
        client = _client(kind, server.base_url, max_retries=0)
        try:
            failed = f"GET http://127.0.0.1:[0-9]+/v1/runs/{RUN_ID}/subscribe failed"
            with pytest.raises(HotConnectionError, match=failed):
                await _first_event(client)
        finally:
            await _close(client)
