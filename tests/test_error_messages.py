"""What a failure says, on paths no other test pins: Retry-After as an HTTP date,
the request id of a non-JSON error, `request()` answered with no body, and the
location of an invalid event without pydantic's own schema labels."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import hot_typed as ht
from hot_typed._wire import event_decoder
from tests.exchange import exchange
from tests.operations import RUN_ID

KINDS = ["sync", "async"]


def _get_project(client: Any) -> Any:
    return client.projects.get("billing")


def _sse(event: dict[str, Any]) -> httpx.Response:
    body = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_as_an_http_date_is_read_as_the_seconds_until_it(kind: str) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    busy = httpx.Response(429, text="busy", headers={"Retry-After": format_datetime(when, True)})
    with pytest.raises(ht.RateLimitError) as caught:
        exchange(kind, _get_project, busy, max_retries=0)
    # Whole seconds on the wire, read against the clock a moment later.
    assert caught.value.retry_after is not None
    assert 118.0 < caught.value.retry_after <= 120.0


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_as_an_http_date_already_past_is_no_wait(kind: str) -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    busy = httpx.Response(503, text="down", headers={"Retry-After": past})
    with pytest.raises(ht.InternalServerError) as caught:
        exchange(kind, _get_project, busy, max_retries=0)
    assert caught.value.retry_after == 0


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_that_is_neither_seconds_nor_a_date_is_none(kind: str) -> None:
    busy = httpx.Response(429, text="busy", headers={"Retry-After": "soon"})
    with pytest.raises(ht.RateLimitError) as caught:
        exchange(kind, _get_project, busy, max_retries=0)
    assert caught.value.retry_after is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_non_json_error_takes_its_request_id_from_the_x_request_id_header(kind: str) -> None:
    page = httpx.Response(
        502,
        text="<html><body>Bad   gateway</body></html>",
        headers={"content-type": "text/html", "x-request-id": "req-from-proxy-1"},
    )
    with pytest.raises(ht.InternalServerError) as caught:
        exchange(kind, _get_project, page, max_retries=0)
    error = caught.value
    assert error.request_id == "req-from-proxy-1"
    assert error.code is None
    assert str(error) == "502: HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [200, 204])
def test_request_answered_with_an_empty_body_returns_none(kind: str, status: int) -> None:
    result, sent = exchange(
        kind, lambda c: c.request("POST", "/things", json={"a": 1}), httpx.Response(status)
    )
    assert result is None
    assert sent[0].method == "POST"
    assert sent[0].url.path == "/v1/things"


@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_event_of_a_tagged_union_is_located_by_its_tag(kind: str) -> None:
    broken = _sse({"type": "run:start", "run": {"run_id": 5}})
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, lambda c: c.env.subscribe(), broken)
    assert str(caught.value) == (
        "an SSE event does not match its model: run:start.run_id: Field required"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_run_event_is_located_by_its_fields_only(kind: str) -> None:
    broken = _sse({"type": "run:update", "run": {"run_id": 5}})
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, lambda c: c.runs.subscribe(RUN_ID), broken)
    assert str(caught.value) == (
        "an SSE event does not match its model: run.run_id: Input should be a valid string"
    )


def test_frames_decoded_into_a_type_that_is_not_a_model_are_the_plain_value() -> None:
    decode_int = event_decoder(int)
    assert decode_int("5") == 5
    assert event_decoder(dict[str, list[int]])('{"a": [1, 2]}') == {"a": [1, 2]}
    with pytest.raises(ht.HotResponseValidationError, match="does not match its model: "):
        decode_int('"five"')
