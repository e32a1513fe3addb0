"""The request id the API sends in `meta` of every success is reachable from what a
call returns (`request_id_of`), without being a field of the model."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from hot_typed import AsyncHotClient, HotClient, NotFoundError, Run, request_id_of
from hot_typed.testing import HotEmulator, HttpRequest, HttpResponse, LoopbackServer

from . import payloads as p
from .sse_script import close, resolve

RUN = p.run()
MISSING = p.uid()
ANSWERS: dict[str, Any] = {
    f"/v1/runs/{RUN['run_id']}": p.item(RUN),
    "/v1/runs": p.page([p.run(), p.run()], total=2),
    # A proxy in front of the API answering a page of its own, without `meta`.
    "/v1/events": {key: value for key, value in p.page([p.event()]).items() if key != "meta"},
}
# crates/hot_api/src/models.rs, ApiError: an error answer carries its id in
# `error.request_id`.
NOT_FOUND = {"error": {"code": "not_found", "message": "Run not found", "request_id": p.uid()}}


def _answer(request: HttpRequest) -> HttpResponse:
    if request.path == f"/v1/runs/{MISSING}":
        return HttpResponse.json(NOT_FOUND, status=404)
    return HttpResponse.json(ANSWERS[request.path])


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_answer) as loopback:
        yield loopback


@pytest.fixture(params=["sync", "async"])
def hot(request: pytest.FixtureRequest, server: LoopbackServer) -> Any:
    kind = HotClient if request.param == "sync" else AsyncHotClient
    return kind("test-token", base_url=server.base_url, max_retries=0)


async def test_a_returned_model_knows_the_request_id_of_its_answer(hot: Any) -> None:
    try:
        run = await resolve(hot.runs.get(RUN["run_id"]))
    finally:
        await close(hot)
    sent = ANSWERS[f"/v1/runs/{RUN['run_id']}"]["meta"]["request_id"]
    assert request_id_of(run) == sent
    assert "request_id" not in run.raw
    assert "request_id" not in run.model_dump()
    assert run == Run.model_validate(RUN)


async def test_a_page_and_each_of_its_items_know_the_request_id(hot: Any) -> None:
    try:
        page = await resolve(hot.runs.list())
    finally:
        await close(hot)
    sent = ANSWERS["/v1/runs"]["meta"]["request_id"]
    assert request_id_of(page) == sent
    assert [request_id_of(run) for run in page] == [sent, sent]
    first, second = page
    assert first.raw == ANSWERS["/v1/runs"]["data"][0]
    assert [request_id_of(first), request_id_of(second)] == [sent, sent]
    assert request_id_of(copy.copy(second)) is None
    assert request_id_of(copy.copy(first)) is None
    assert request_id_of(page.pagination) is None


async def test_a_page_without_meta_and_its_items_have_no_request_id(hot: Any) -> None:
    try:
        page = await resolve(hot.events.list())
    finally:
        await close(hot)
    assert page.meta is None
    assert [request_id_of(page), *(request_id_of(event) for event in page)] == [None, None]


async def test_raw_and_streamed_responses_and_api_errors_give_the_id_they_carry(
    hot: Any,
) -> None:
    sent = ANSWERS[f"/v1/runs/{RUN['run_id']}"]["meta"]["request_id"]
    try:
        raw = await resolve(hot.with_raw_response.runs.get(RUN["run_id"]))
        with pytest.raises(NotFoundError) as missing:
            await resolve(hot.runs.get(MISSING))
    finally:
        await close(hot)
    assert request_id_of(raw) == sent
    assert request_id_of(missing.value) == NOT_FOUND["error"]["request_id"]


def test_a_streamed_response_gives_the_id_once_its_body_was_read(server: LoopbackServer) -> None:
    sent = ANSWERS[f"/v1/runs/{RUN['run_id']}"]["meta"]["request_id"]
    with (
        HotClient("test-token", base_url=server.base_url, max_retries=0) as hot,
        hot.with_streaming_response.runs.get(RUN["run_id"]) as streamed,
    ):
        streamed.read()
        assert request_id_of(streamed) == sent


def test_models_not_received_have_no_request_id() -> None:
    built = Run.model_validate(RUN)
    assert request_id_of(built) is None
    assert request_id_of(object()) is None


async def test_a_copy_is_not_the_answer_and_has_no_request_id(hot: Any) -> None:
    try:
        run = await resolve(hot.runs.get(RUN["run_id"]))
    finally:
        await close(hot)
    assert request_id_of(run) is not None
    assert request_id_of(copy.copy(run)) is None


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_publishing_on_the_emulator_gives_the_id_it_answered_with(mode: str) -> None:
    with HotEmulator() as emulator:
        kind = HotClient if mode == "sync" else AsyncHotClient
        hot = kind(emulator.api_key, base_url=emulator.base_url)
        try:
            event = await resolve(hot.events.publish({"event_type": "t:x", "event_data": {}}))
            raw = await resolve(hot.request_raw("GET", f"/events/{event.event_id}"))
            again = await resolve(hot.events.get(event.event_id))
        finally:
            await close(hot)
    assert request_id_of(event) is not None
    assert request_id_of(again) not in {None, request_id_of(event)}
    assert raw.json()["meta"]["request_id"] != request_id_of(again)  # one id per request
