"""How answers that are not the happy path read: error bodies that are not the API's
envelope, `Retry-After` in both its forms, empty and non-JSON bodies of `request()`,
and where a validation problem is located."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pydantic
import pytest

import hot_typed as ht
from tests.exchange import Client, exchange

KINDS = ["sync", "async"]


def _get_project(client: Client) -> Any:
    return client.projects.get("billing")


def _raised(kind: str, *answers: httpx.Response, **options: Any) -> ht.HotApiError:
    with pytest.raises(ht.HotApiError) as caught:
        exchange(kind, _get_project, *answers, max_retries=0, **options)
    return caught.value


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_without_the_envelope_keeps_its_text_and_the_request_id_header(
    kind: str,
) -> None:
    answer = httpx.Response(
        502, text="<html>\n  upstream   down\n</html>", headers={"X-Request-Id": "req-9"}
    )
    error = _raised(kind, answer)

    assert type(error) is ht.InternalServerError
    assert error.message == "HTTP 502 Bad Gateway: <html> upstream down </html>"
    assert error.request_id == "req-9"
    assert error.code is None
    assert error.retry_after is None
    assert error.body == "<html>\n  upstream   down\n</html>"


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_error_answer_is_named_by_status_and_reason(kind: str) -> None:
    error = _raised(kind, httpx.Response(404))

    assert error.message == "HTTP 404 Not Found"
    assert error.request_id is None
    assert error.body == ""


@pytest.mark.parametrize("kind", KINDS)
def test_a_long_error_text_is_cut_to_200_characters(kind: str) -> None:
    error = _raised(kind, httpx.Response(500, text="x" * 500))

    assert error.message == "HTTP 500 Internal Server Error: " + "x" * 200


@pytest.mark.parametrize("kind", KINDS)
def test_an_envelope_without_message_or_code_is_named_by_status(kind: str) -> None:
    answer = httpx.Response(409, json={"error": {"detail": "?"}}, headers={"X-Request-Id": "r"})
    error = _raised(kind, answer)

    assert type(error) is ht.ConflictError
    assert error.message == "HTTP 409"
    assert (error.code, error.request_id) == (None, None)
    assert error.body == {"error": {"detail": "?"}}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("header", "expected"),
    [(" 7 ", 7), ("0", 0), ("soon", None), ("-3", None), ("", None)],
)
def test_retry_after_in_seconds_is_read_and_anything_else_ignored(
    kind: str, header: str, expected: int | None
) -> None:
    error = _raised(kind, httpx.Response(429, text="slow down", headers={"Retry-After": header}))

    assert error.retry_after == expected


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_as_an_http_date_is_the_seconds_until_then(kind: str) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    error = _raised(kind, httpx.Response(429, text="slow down", headers={"Retry-After": when}))

    assert error.retry_after is not None
    assert 115 <= error.retry_after <= 121


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_as_a_past_http_date_is_now(kind: str) -> None:
    when = email.utils.formatdate(time.time() - 600, usegmt=True)
    error = _raised(kind, httpx.Response(503, text="busy", headers={"Retry-After": when}))

    assert error.retry_after == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [True, -1, "5"])
def test_a_body_retry_after_that_is_not_a_count_of_seconds_falls_back_to_the_header(
    kind: str, value: Any
) -> None:
    body = {"error": {"code": "rate_limit_exceeded", "message": "slow", "retry_after": value}}
    answer = httpx.Response(429, json=body, headers={"Retry-After": "4"})

    assert _raised(kind, answer).retry_after == 4


@pytest.mark.parametrize("kind", KINDS)
def test_request_returns_none_for_an_empty_answer(kind: str) -> None:
    result, _ = exchange(
        kind, lambda c: c.request("DELETE", "/things/1"), httpx.Response(204), max_retries=0
    )

    assert result is None


@pytest.mark.parametrize("kind", KINDS)
def test_request_refuses_a_body_that_is_not_json_with_its_text(kind: str) -> None:
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(
            kind,
            lambda c: c.request("GET", "/things"),
            httpx.Response(200, text="<p>hé</p>", headers={"Content-Type": "text/html"}),
            max_retries=0,
        )

    assert str(caught.value) == (
        "GET /v1/things answered 200 (text/html) with a body that is not JSON Python can "
        "read: Expecting value: line 1 column 1 (char 0)"
    )
    assert caught.value.raw == "<p>hé</p>"


@pytest.mark.parametrize("kind", KINDS)
def test_a_problem_inside_a_tagged_union_is_located_without_the_unions_label(
    kind: str,
) -> None:
    frame = (
        b'event: event:published\ndata: {"type":"event:published","event_id":7,'
        b'"stream_id":"00000000-0000-4000-8000-00000000005e"}\n\n'
    )
    answer = httpx.Response(200, content=frame, headers={"Content-Type": "text/event-stream"})
    stream_id = "00000000-0000-4000-8000-00000000005e"
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, lambda c: c.streams.subscribe(stream_id), answer, max_retries=0)

    # The location is exact; the message after it is pydantic's own, worded by its version.
    expected = pydantic.TypeAdapter(str).validate_python
    with pytest.raises(pydantic.ValidationError) as str_error:
        expected(7)
    assert str(caught.value) == (
        "an SSE event does not match its model: event:published.event_id: "
        + str_error.value.errors()[0]["msg"]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_of_the_wrong_shape_is_located_at_the_body(kind: str) -> None:
    answer = httpx.Response(200, json=[1, 2], headers={"Content-Type": "application/json"})
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(kind, lambda c: c.status(), answer, max_retries=0)

    assert str(caught.value).startswith(
        "GET /status answered 200 (application/json) with a body that does not match the "
        "expected shape: 1 problem(s), first: (body): "
    )
    assert caught.value.raw == [1, 2]


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_text_that_is_not_utf8_is_read_with_replacement_characters(kind: str) -> None:
    error = _raised(kind, httpx.Response(502, content=b"bad \xff gateway"))

    assert error.message == "HTTP 502 Bad Gateway: bad \ufffd gateway"


@pytest.mark.parametrize("kind", KINDS)
def test_a_status_without_a_reason_phrase_is_called_an_error(kind: str) -> None:
    error = _raised(kind, httpx.Response(599, text="odd"))

    assert error.message == "HTTP 599 error: odd"


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_retry_after_of_zero_is_kept_over_the_header(kind: str) -> None:
    body = {"error": {"code": "rate_limit_exceeded", "message": "now", "retry_after": 0}}
    answer = httpx.Response(429, json=body, headers={"Retry-After": "9"})

    assert _raised(kind, answer).retry_after == 0


@pytest.mark.parametrize("kind", KINDS)
def test_request_refuses_a_body_without_a_content_type_naming_none_and_its_text(
    kind: str,
) -> None:
    with pytest.raises(ht.HotResponseValidationError) as caught:
        exchange(
            kind,
            lambda c: c.request("GET", "/things"),
            httpx.Response(200, content=b"ok \xff"),
            max_retries=0,
        )

    assert str(caught.value) == (
        "GET /v1/things answered 200 ((none)) with a body that is not JSON Python can read: "
        "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte"
    )
    assert caught.value.raw == "ok \ufffd"


@pytest.mark.parametrize("kind", KINDS)
def test_a_typed_answer_neither_json_nor_utf8_is_refused_with_its_text_replaced(
    kind: str,
) -> None:
    answer = httpx.Response(200, content=b"ok \xff", headers={"Content-Type": "application/json"})
    with pytest.raises(ht.HotJsonDecodeError) as caught:
        exchange(kind, _get_project, answer, max_retries=0)

    assert str(caught.value) == (
        "GET /v1/projects/billing answered 200 (application/json) with a body that is not "
        "JSON Python can read: 'utf-8' codec can't decode byte 0xff in position 3: "
        "invalid start byte"
    )
    assert caught.value.raw == "ok \ufffd"
