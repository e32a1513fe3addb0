"""The fast decoding paths keep the wire contract: `.raw` is the exact wire object.

Event frames and list pages are validated straight from their JSON text and
decode `.raw` only when it is read; these tests prove, over a real loopback
socket and for both clients, that what `.raw` then returns is exactly what was
sent, that nested models keep their own raw, and that event routing still
tells unknown events from broken known ones; and that they read JSON caching keys
only, not the values one answer shares with the next.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hot_typed import (
    AsyncHotClient,
    AsyncPage,
    HotClient,
    HotResponseValidationError,
    Page,
    Run,
    RunStart,
    StreamData,
    UnknownStreamEvent,
)
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

KINDS = ["sync", "async"]
TOKEN = "test-token"
RUN_ID = "7a000000-0000-0000-0000-000000000001"


def run_wire(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "run_id": f"12000000-0000-0000-0000-{i:012d}",
        "env_id": "0b8f4a52-46a4-4a77-9d3e-0c8b5f1a2e01",
        "stream_id": "34000000-0000-0000-0000-000000000001",
        "build_id": None,
        "run_type": "call",
        "status": "succeeded",
        "start_time": "2026-11-29T10:00:00.123456789Z",
        "stop_time": "2026-11-29T10:00:01Z",
        "origin_run_id": None,
        "event_id": None,
        "retry_attempt": 0,
        **extra,
    }


def sse_body(*payloads: dict[str, Any]) -> Iterator[bytes]:
    for payload in payloads:
        yield f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


@pytest.fixture
def serve() -> Iterator[Callable[[HttpResponse], str]]:
    servers: list[LoopbackServer] = []

    def start(response: HttpResponse) -> str:
        def handler(request: HttpRequest) -> HttpResponse:
            return response

        server = LoopbackServer(handler).start()
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        server.stop()


STREAM_ID = "00000000-0000-4000-8000-00000000005e"

def subscribe(kind: str, base_url: str) -> list[Any]:
    if kind == "sync":
        with HotClient(TOKEN, base_url=base_url) as client:
            return list(client.streams.subscribe(STREAM_ID))

    async def drain() -> list[Any]:
        async with AsyncHotClient(TOKEN, base_url=base_url) as client:
            return [event async for event in client.streams.subscribe(STREAM_ID)]

    return asyncio.run(drain())


def list_runs(kind: str, base_url: str) -> Page[Run] | AsyncPage[Run]:
    if kind == "sync":
        with HotClient(TOKEN, base_url=base_url) as client:
            return client.runs.list()

    async def fetch() -> AsyncPage[Run]:
        async with AsyncHotClient(TOKEN, base_url=base_url) as client:
            return await client.runs.list()

    return asyncio.run(fetch())


def event_stream(*payloads: dict[str, Any]) -> HttpResponse:
    return HttpResponse(200, sse_body(*payloads), {"Content-Type": "text/event-stream"})


@pytest.mark.parametrize("kind", KINDS)
def test_event_raw_is_the_exact_frame_object_with_unknown_keys_and_absent_keys(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    data = {
        "type": "stream:data",
        "run_id": RUN_ID,
        "data_type": "ai:delta",
        "payload": {"text": "hi", "n": [1, 1.0, 123456789012345678901234567890]},
        "shiny": {"new": True},
    }
    unknown = {"type": "brand:new", "anything": [1, {"a": None}]}
    (first, second) = subscribe(kind, serve(event_stream(data, unknown)))

    assert isinstance(first, StreamData)
    assert first.raw == data
    assert "stream_data_id" not in first.raw
    assert first.payload == data["payload"]
    assert [type(v) for v in first.raw["payload"]["n"]] == [int, float, int]
    assert first.model_extra == {"shiny": {"new": True}}
    assert isinstance(second, UnknownStreamEvent)
    assert second.raw == unknown


@pytest.mark.parametrize("kind", KINDS)
def test_a_nested_model_in_an_event_keeps_its_own_raw(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    start = {"type": "run:start", "run": run_wire(1, project_name="p")}
    (event,) = subscribe(kind, serve(event_stream(start)))

    assert isinstance(event, RunStart)
    assert event.run.raw == start["run"]
    assert "result" not in event.run.raw
    assert event.raw == start


@pytest.mark.parametrize("kind", KINDS)
def test_a_known_event_type_with_wrong_fields_is_an_error_not_an_unknown_event(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    broken = {"type": "stream:data", "run_id": 7, "data_type": "x"}
    with pytest.raises(HotResponseValidationError) as caught:
        subscribe(kind, serve(event_stream(broken)))
    assert "stream:data.run_id: Input should be a valid string" in str(caught.value)
    assert caught.value.raw == broken


@pytest.mark.parametrize("kind", KINDS)
def test_page_and_item_raws_are_the_exact_wire_objects_even_after_reordering(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    envelope = {
        "data": [
            run_wire(i, result={"i": i, "f": 1.0}) if i % 2 else run_wire(i) for i in range(5)
        ],
        "pagination": {"total": 5, "limit": 20, "offset": 0, "has_more": False},
        "extra_envelope_key": 1,
    }
    page = list_runs(kind, serve(HttpResponse.json(envelope)))

    runs = list(page.data)
    page.data.reverse()
    assert [run.raw for run in runs] == envelope["data"]
    assert "result" not in runs[0].raw
    assert runs[1].raw["result"] == {"i": 1, "f": 1.0}
    assert page.raw == envelope
    assert page.pagination.raw == envelope["pagination"]
    # One decoding of the body serves the page and every item.
    assert all(page.raw["data"][i] is run.raw for i, run in enumerate(runs))


@pytest.mark.parametrize("kind", KINDS)
def test_a_pages_pagination_and_meta_raws_are_their_wire_objects_from_the_same_decoding(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    envelope = {
        "data": [run_wire(0)],
        "pagination": {"total": 1, "limit": 20, "offset": 0, "has_more": False, "pages": 1},
        "meta": {
            "request_id": "00000000-0000-4000-8000-000000000001",
            "timestamp": "2026-01-02T03:04:05.678Z",
            "region": "eu",
        },
    }
    page = list_runs(kind, serve(HttpResponse.json(envelope)))

    assert page.meta is not None
    assert page.meta.raw == envelope["meta"]
    assert page.meta.timestamp.tzinfo is not None
    assert page.pagination.raw == envelope["pagination"]
    assert page.pagination.model_extra == {"pages": 1}
    assert page.pagination.raw is page.raw["pagination"]
    assert page.meta.raw is page.raw["meta"]


# pydantic-core keeps one process-wide table of the short strings it reads; the
# decoders cache keys only (`_wire._READING`): an answer's values are nearly all
# distinct, and caching them would displace entries at every read. A value read
# twice is then two strings, where the table would hand back the one it kept.


@pytest.mark.parametrize("kind", KINDS)
def test_a_page_read_twice_gets_its_own_strings_not_the_cached_ones(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    envelope = {
        "data": [run_wire(1, result={"note": "done"})],
        "pagination": {"total": 1, "limit": 20, "offset": 0, "has_more": False},
    }
    base_url = serve(HttpResponse.json(envelope))
    first, second = (list_runs(kind, base_url).data[0] for _ in range(2))
    assert (first.run_id, first.result) == (second.run_id, second.result)
    assert first.run_id is not second.run_id
    assert first.result is not None
    assert second.result is not None
    assert first.result["note"] is not second.result["note"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_event_read_twice_gets_its_own_strings_not_the_cached_ones(
    kind: str, serve: Callable[[HttpResponse], str]
) -> None:
    data: dict[str, Any] = {"type": "stream:data", "run_id": RUN_ID, "data_type": "ai:delta"}
    data["payload"] = {"text": "hi"}
    (first,) = subscribe(kind, serve(event_stream(data)))
    (second,) = subscribe(kind, serve(event_stream(data)))
    assert (first.run_id, first.payload) == (second.run_id, second.payload)
    assert first.run_id is not second.run_id
    assert first.payload["text"] is not second.payload["text"]
