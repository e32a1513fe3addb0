"""`with_raw_response` and `with_streaming_response`: every operation of both clients,
answering the HTTP response around what the plain call returns, over the emulator."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hot_typed import (
    AsyncHotClient,
    AsyncRawResponse,
    AsyncStreamedResponse,
    Event,
    EventCreateParams,
    HotClient,
    NotFoundError,
    Page,
    RawResponse,
    StreamedResponse,
    request_id_of,
)
from hot_typed._demo import install_handlers
from hot_typed.testing import HotEmulator

CONTENT = bytes(range(256)) * 512  # 128 KiB: several reads


@pytest.fixture(scope="module")
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:
        install_handlers(emu)
        yield emu


def test_sync_raw_call_shows_the_exchange_and_parses_to_the_plain_answer(
    emulator: HotEmulator,
) -> None:
    with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        event = hot.events.publish({"event_type": "raw:get", "event_data": {"n": 1}})
        raw = hot.with_raw_response.events.get(event.event_id, extra_headers={"X-T": "1"})
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id == raw.json()["meta"]["request_id"]
    assert isinstance(raw.elapsed, timedelta)
    assert raw.http_request.method == "GET"
    assert str(raw.http_request.url) == f"{emulator.base_url}/v1/events/{event.event_id}"
    assert raw.http_request.headers["x-t"] == "1"
    assert raw.json()["data"]["event_id"] == str(event.event_id)
    assert raw.text == raw.content.decode()
    parsed = raw.parse()
    assert isinstance(parsed, Event)
    assert parsed == event
    assert raw.parse() is parsed
    assert request_id_of(parsed) == raw.request_id


async def test_async_raw_call_is_awaited_and_parses_to_the_plain_answer(
    emulator: HotEmulator,
) -> None:
    async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        event = await hot.events.publish({"event_type": "raw:get", "event_data": {"n": 2}})
        raw = await hot.with_raw_response.events.get(event.event_id)
    assert isinstance(raw, AsyncRawResponse)
    assert raw.status_code == 200
    assert raw.request_id == raw.json()["meta"]["request_id"]
    assert await raw.parse() == event


def test_sync_raw_page_parses_to_a_page_that_walks_on(emulator: HotEmulator) -> None:
    with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        for n in range(3):
            hot.events.publish({"event_type": "raw:page", "event_data": {"n": n}})
        raw = hot.with_raw_response.events.list(limit=2)
        page = raw.parse()
        assert isinstance(page, Page)
        assert len(page) == 2
        assert raw.json()["pagination"]["limit"] == 2
        following = page.next_page()
        assert isinstance(following, Page)  # a value, not a response
        assert following.data


async def test_async_raw_page_parses_to_an_async_page(emulator: HotEmulator) -> None:
    async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        await hot.events.publish({"event_type": "raw:page", "event_data": {}})
        raw = await hot.with_raw_response.events.list(limit=1)
        page = await raw.parse()
        assert len(page) == 1
        assert page.meta is not None
        assert raw.request_id == str(page.meta.request_id)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_raw_call_answered_non_2xx_raises_as_the_plain_call(
    emulator: HotEmulator, mode: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000009"
    if mode == "sync":
        with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
            with pytest.raises(NotFoundError):
                hot.with_raw_response.runs.get(missing)
            with pytest.raises(NotFoundError), hot.with_streaming_response.runs.get(missing):
                pass
    else:
        async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
            with pytest.raises(NotFoundError):
                await hot.with_raw_response.runs.get(missing)
            with pytest.raises(NotFoundError):
                async with hot.with_streaming_response.runs.get(missing):
                    pass


def test_sync_streaming_download_is_read_in_chunks_inside_the_block_then_released(
    emulator: HotEmulator,
) -> None:
    with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        stored = hot.files.upload("raw/stream.bin", CONTENT)
        with hot.with_streaming_response.files.download(stored.file_id) as response:
            assert isinstance(response, StreamedResponse)
            assert response.status_code == 200
            chunks = list(response.iter_bytes())
        assert b"".join(chunks) == CONTENT
        assert len(chunks) > 1
        assert response.http_response.is_closed
        with hot.with_streaming_response.files.download(stored.file_id) as response:
            parsed = response.parse()
        assert isinstance(parsed, httpx.Response)
        assert parsed.content == CONTENT
        # A block left half read releases its connection too.
        with hot.with_streaming_response.files.download(stored.file_id) as response:
            assert next(response.iter_bytes(1)) == CONTENT[:1]
            assert not response.http_response.is_closed
        assert response.http_response.is_closed


async def test_async_streaming_download_is_an_async_context_manager_released_on_exit(
    emulator: HotEmulator,
) -> None:
    async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        stored = await hot.files.upload("raw/astream.bin", CONTENT)
        async with hot.with_streaming_response.files.download(stored.file_id) as response:
            assert isinstance(response, AsyncStreamedResponse)
            received = b"".join([chunk async for chunk in response.iter_bytes()])
        assert received == CONTENT
        assert response.http_response.is_closed
        async with hot.with_streaming_response.files.download(stored.file_id) as response:
            assert await response.iter_bytes(1).__anext__() == CONTENT[:1]
            assert not response.http_response.is_closed
        assert response.http_response.is_closed
        async with hot.with_streaming_response.events.list(limit=1) as listed:
            page = await listed.parse()
            assert page.meta is not None
            assert listed.request_id == str(page.meta.request_id)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_streams_and_waiters_answer_as_on_the_plain_client(
    emulator: HotEmulator, mode: str
) -> None:
    ask: EventCreateParams = {"event_type": "assistant:ask", "event_data": {"question": "?"}}
    events: list[Any]
    if mode == "sync":
        with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
            events = list(hot.with_raw_response.streams.subscribe_with_event(ask))
            total = hot.with_streaming_response.events.call_hot("::demo::math/add", [2, 3])
    else:
        async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as ahot:
            stream = ahot.with_raw_response.streams.subscribe_with_event(ask)
            events = [event async for event in stream]
            total = await ahot.with_streaming_response.events.call_hot("::demo::math/add", [2, 3])
    assert events[0].type == "event:published"
    assert total == 5


def test_with_raw_response_keeps_the_with_options_defaults(emulator: HotEmulator) -> None:
    with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        raw = hot.with_options(extra_headers={"X-Default": "d"}).with_raw_response.status()
    assert raw.http_request.headers["x-default"] == "d"
    assert raw.status_code == 200
    assert raw.parse().raw == raw.json()


@pytest.mark.parametrize(
    "how", [pickle.dumps, copy.copy, copy.deepcopy], ids=["pickle", "copy", "deepcopy"]
)
def test_a_raw_response_refuses_to_be_pickled_or_copied_saying_what_travels(
    emulator: HotEmulator, how: Any
) -> None:
    with HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        raw = hot.with_raw_response.runs.list()
        with pytest.raises(TypeError, match=r"^a RawResponse cannot be pickled or copied: it "):
            how(raw)
        page = pickle.loads(pickle.dumps(raw.parse()))  # what it parses to travels
        assert page.data == raw.parse().data
        assert pickle.loads(pickle.dumps(raw.http_response)).content == raw.content
        refused = pytest.raises(TypeError, match=r"^a StreamedResponse cannot be pickled")
        with hot.with_streaming_response.env.get() as streamed, refused:
            how(streamed)
