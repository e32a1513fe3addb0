"""API errors carry httpx's response, request and case-insensitive headers; every
error pickles with its attributes; no text of an error, and no pickle of it,
shows the token."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from hot_typed import (
    HotApiError,
    HotClient,
    HotConnectionError,
    HotError,
    HotResponseValidationError,
    HotRunError,
    NotFoundError,
    RateLimitError,
)
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import TOKEN, event, refused_url, run

RUN_ID = str(uuid4())
#: A run the server answers with a body that does not fit the model.
BROKEN_RUN_ID = "00000000-0000-4000-8000-0000000000b0"


def _answer(request: HttpRequest) -> HttpResponse:
    if request.path == "/v1/projects/busy":
        return HttpResponse.json(
            {"error": {"code": "rate_limit_exceeded", "message": "slow down"}},
            429,
            {"Retry-After": "3", "X-Request-Id": "req-7"},
        )
    if request.path == f"/v1/runs/{BROKEN_RUN_ID}":
        return HttpResponse.json({"data": {"run_id": "not a uuid"}})
    if request.path == f"/v1/runs/{RUN_ID}/subscribe":
        failed = run(RUN_ID, status="failed", result={"$err": "boom"})
        frame = event({"type": "run:update", "run": failed})
        return HttpResponse(200, frame, {"Content-Type": "text/event-stream"})
    return HttpResponse.json({"error": {"code": "not_found", "message": "no such thing"}}, 404)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_answer) as running:
        yield running


async def _raised(call: Callable[..., Any], *args: Any) -> Any:
    with pytest.raises(HotError) as caught:
        await call(*args)
    return caught.value


async def test_headers_are_case_insensitive_httpx_headers(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    error = await _raised(call, "projects.get", "busy")

    assert isinstance(error, RateLimitError)
    assert isinstance(error.headers, httpx.Headers)
    assert error.headers["Retry-After"] == "3"
    assert error.headers["retry-after"] == "3"
    assert error.headers["X-REQUEST-ID"] == "req-7"
    assert error.retry_after == 3


async def test_api_errors_carry_the_httpx_response_and_request(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    error = await _raised(call, "projects.get", "missing")

    assert isinstance(error, NotFoundError)
    assert isinstance(error.response, httpx.Response)
    assert error.response.status_code == 404 == error.status_code
    assert error.response.json()["error"]["code"] == "not_found"
    assert error.response.headers is error.headers
    assert isinstance(error.request, httpx.Request)
    assert error.request is error.response.request
    assert error.request.method == "GET"
    assert error.request.url.path == "/v1/projects/missing"


async def test_no_text_of_an_api_error_shows_the_token(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    error = await _raised(call, "projects.get", "missing")

    # The token did travel with the request: the checks below are not vacuous.
    assert error.request.headers["authorization"] == f"Bearer {TOKEN}"
    texts = [str(error), repr(error), repr(error.args), repr(vars(error))]
    texts += [repr(error.request), repr(error.request.headers), repr(error.response)]
    assert all(TOKEN not in text for text in texts)


async def test_an_api_error_pickles_with_its_details_and_without_the_token(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    error = await _raised(call, "projects.get", "busy")

    data = pickle.dumps(error)
    copy = pickle.loads(data)

    assert TOKEN.encode() not in data
    assert type(copy) is RateLimitError
    assert str(copy) == str(error)
    assert (copy.status_code, copy.code, copy.message) == (429, "rate_limit_exceeded", "slow down")
    assert (copy.retry_after, copy.body) == (3, error.body)
    assert copy.headers["Retry-After"] == "3"
    assert copy.response.json() == error.response.json()
    assert copy.request.url == error.request.url
    assert "authorization" not in copy.request.headers


async def test_every_kind_of_failure_pickles(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    failures = [
        await _raised(call, "runs.get", BROKEN_RUN_ID),
        await _raised(call, "runs.wait", RUN_ID),
    ]
    assert isinstance(failures[0], HotResponseValidationError)
    assert isinstance(failures[1], HotRunError)

    for error in failures:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
    broken = pickle.loads(pickle.dumps(failures[0]))
    assert broken.raw == failures[0].raw
    assert broken.validation_error is not None
    assert failures[0].validation_error is not None
    assert broken.validation_error.errors() == failures[0].validation_error.errors()
    failed = pickle.loads(pickle.dumps(failures[1]))
    assert failed.run.raw == failures[1].run.raw
    assert failed.run.result == {"$err": "boom"}


def test_a_connection_failure_pickles() -> None:
    with (
        HotClient(TOKEN, base_url=refused_url(), max_retries=0) as hot,
        pytest.raises(HotConnectionError) as caught,
    ):
        hot.env.get()
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is HotConnectionError
    assert str(copy) == str(caught.value)
    assert isinstance(copy, HotError)
    assert not isinstance(copy, HotApiError)
