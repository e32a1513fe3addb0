"""Failures become specific `HotError`s, on both clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import hot_typed as ht
from tests import payloads as p
from tests.exchange import exchange

KINDS = ["sync", "async"]


def _error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "request_id": p.uid(), **extra}}
    return httpx.Response(status, json=body)


def _get_project(client: Any) -> Any:
    return client.projects.get("billing")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "bad_request", ht.BadRequestError),
        (401, "unauthorized", ht.AuthenticationError),
        (403, "forbidden", ht.PermissionDeniedError),
        (404, "not_found", ht.NotFoundError),
        (409, "conflict", ht.ConflictError),
        (422, "unprocessable_entity", ht.UnprocessableEntityError),
        (429, "rate_limit_exceeded", ht.RateLimitError),
        (500, "internal_server_error", ht.InternalServerError),
        (503, "unavailable", ht.InternalServerError),
        (418, "teapot", ht.HotApiError),
    ],
)
def test_each_status_raises_its_error_class_with_the_envelope_fields(
    kind: str, status: int, code: str, cls: type[ht.HotApiError]
) -> None:
    answer = _error(status, code, "it went wrong")
    with pytest.raises(cls) as caught:
        exchange(kind, _get_project, answer, max_retries=0)

    error = caught.value
    assert type(error) is cls
    assert isinstance(error, ht.HotError)
    assert error.status_code == status
    assert error.code == code
    assert error.message == "it went wrong"
    assert error.request_id == answer.json()["error"]["request_id"]
    assert error.body == answer.json()
    assert "content-type" in error.headers


@pytest.mark.parametrize("kind", KINDS)
def test_a_proxy_html_page_still_becomes_the_right_error_without_a_code(kind: str) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    answer = httpx.Response(502, text=html, headers={"content-type": "text/html"})
    with pytest.raises(ht.InternalServerError) as caught:
        exchange(kind, _get_project, answer, max_retries=0)
    assert caught.value.code is None
    assert caught.value.body == html
    assert "502 Bad Gateway" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limit_error_reads_retry_after_from_body_or_header(kind: str) -> None:
    from_body = _error(429, "rate_limit_exceeded", "slow down", retry_after=7)
    with pytest.raises(ht.RateLimitError) as caught:
        exchange(kind, _get_project, from_body, max_retries=0)
    assert caught.value.retry_after == 7

    from_header = httpx.Response(429, text="busy", headers={"Retry-After": "11"})
    with pytest.raises(ht.RateLimitError) as caught:
        exchange(kind, _get_project, from_header, max_retries=0)
    assert caught.value.retry_after == 11


@pytest.mark.parametrize("kind", KINDS)
def test_a_success_body_that_does_not_validate_keeps_the_raw_payload(kind: str) -> None:
    broken = p.project()
    del broken["name"]
    broken["active"] = "sometimes"
    payload = p.item(broken)
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, _get_project, httpx.Response(200, json=payload))
    error = caught.value
    assert error.raw == json.loads(json.dumps(payload))
    assert error.validation_error is not None
    assert error.validation_error.error_count() == 2
    assert "data.name" in str(error) or "data.active" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_a_success_body_that_is_not_json_raises_validation_error_with_the_text(kind: str) -> None:
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, _get_project, httpx.Response(200, text='{"data": {"proj'))
    assert caught.value.raw == '{"data": {"proj'


def _raise(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def side_effect(request: httpx.Request) -> httpx.Response:
        raise error

    return side_effect


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (httpx.ConnectError("refused"), ht.HotConnectionError),
        (httpx.ReadError("reset"), ht.HotConnectionError),
        (httpx.ReadTimeout("slow"), ht.HotTimeoutError),
        (httpx.ConnectTimeout("slow"), ht.HotTimeoutError),
    ],
)
def test_transport_failures_become_hot_errors_caused_by_the_httpx_error(
    kind: str, failure: httpx.HTTPError, cls: type[ht.HotError]
) -> None:
    import respx

    from tests.exchange import make_client, perform

    with respx.mock() as router:
        router.route(host="hot.test").mock(side_effect=_raise(failure))
        with pytest.raises(cls) as caught:
            perform(make_client(kind, max_retries=0), _get_project)
    assert caught.value.__cause__ is failure
