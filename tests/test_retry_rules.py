"""The retry policy as requests show it: which answers are sent again, for which
methods, how often, and after how long."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest

import hot_typed as ht
from tests.exchange import Client, exchange, played

KINDS = ["sync", "async"]


def _get(client: Client) -> Any:
    return client.request("GET", "/things/1")


def _post(client: Client) -> Any:
    return client.request("POST", "/things", json={"a": 1})


def _error(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": "e", "message": "m"}}, headers=headers)


OK = httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_each_transient_status_is_retried_for_a_get(kind: str, status: int) -> None:
    result, sent = exchange(kind, _get, _error(status), OK, max_retries=1)

    assert result == {"ok": True}
    assert len(sent) == 2


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [500, 501, 505, 400, 409])
def test_other_error_statuses_are_not_retried(kind: str, status: int) -> None:
    with pytest.raises(ht.HotApiError) as caught:
        exchange(kind, _get, _error(status), OK, max_retries=2)

    assert caught.value.status_code == status


@pytest.mark.parametrize("kind", KINDS)
def test_a_transient_status_on_a_post_is_sent_once_unless_opted_in(kind: str) -> None:
    with pytest.raises(ht.InternalServerError):
        exchange(kind, _post, _error(503), OK, max_retries=2)

    result, sent = exchange(
        kind, _post, _error(503), OK, max_retries=2, retry_non_idempotent=True
    )
    assert result == {"ok": True}
    assert len(sent) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_429_with_retry_after_is_retried_even_for_a_post(kind: str) -> None:
    result, sent = exchange(kind, _post, _error(429, **{"Retry-After": "0"}), OK, max_retries=1)

    assert result == {"ok": True}
    assert len(sent) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_429_without_retry_after_is_not_retried(kind: str) -> None:
    with pytest.raises(ht.RateLimitError):
        exchange(kind, _get, _error(429), OK, max_retries=2)


@pytest.mark.parametrize("kind", KINDS)
def test_never_more_than_max_retries(kind: str) -> None:
    with pytest.raises(ht.InternalServerError):
        exchange(kind, _get, _error(503), _error(503), _error(503), OK, max_retries=2)

    result, sent = exchange(kind, _get, _error(503), _error(503), OK, max_retries=2)
    assert result == {"ok": True}
    assert len(sent) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_max_retries_zero_sends_once(kind: str) -> None:
    with pytest.raises(ht.RateLimitError):
        exchange(kind, _get, _error(429, **{"Retry-After": "0"}), OK, max_retries=0)


@pytest.mark.parametrize("client", [ht.HotClient, ht.AsyncHotClient])
def test_a_negative_max_retries_is_refused(client: type[ht.HotClient]) -> None:
    with pytest.raises(ValueError, match=r"^max_retries must be >= 0$"):
        client("token", base_url="http://127.0.0.1:9", max_retries=-1)


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_never_made_is_retried_even_for_a_post(kind: str) -> None:
    result, sent = played(kind, _post, httpx.ConnectError("refused"), OK, max_retries=1)

    assert (result, sent) == ({"ok": True}, 2)


@pytest.mark.parametrize("kind", KINDS)
def test_a_dropped_connection_is_retried_for_a_get_and_not_for_a_post(kind: str) -> None:
    result, sent = played(kind, _get, httpx.ReadError("cut"), OK, max_retries=1)
    assert (result, sent) == ({"ok": True}, 2)

    error, sent = played(kind, _post, httpx.ReadError("cut"), OK, max_retries=1)
    assert isinstance(error, ht.HotConnectionError)
    assert error.request_sent is True
    assert sent == 1


@pytest.mark.parametrize("kind", KINDS)
def test_connection_failures_are_retried_max_retries_times(kind: str) -> None:
    refused = [httpx.ConnectError("refused") for _ in range(3)]
    error, sent = played(kind, _get, *refused, OK, max_retries=2)
    assert isinstance(error, ht.HotConnectionError)
    assert error.request_sent is False
    assert sent == 3

    result, sent = played(kind, _get, *refused[:2], OK, max_retries=2)
    assert (result, sent) == ({"ok": True}, 3)


FILE_ID = "00000000-0000-4000-8000-0000000000f1"
GONE = httpx.Response(404, json={"error": {"code": "not_found", "message": "File: not found"}})


def _delete(client: Client) -> Any:
    return client.files.delete(FILE_ID)


def _read(client: Client) -> Any:
    return client.files.get(FILE_ID)


# crates/hot_api/src/handlers/files.rs delete_file answers 404 to a file a delete
# already marked inactive: the answer a repeat gets when only the first answer was lost.
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("call", "before", "done"),
    [
        pytest.param(_delete, [httpx.ReadError("cut")], True, id="delete-after-a-cut"),
        pytest.param(_delete, [httpx.ReadTimeout("slow")], True, id="delete-after-a-timeout"),
        pytest.param(_delete, [_error(502)], True, id="delete-after-a-502"),
        pytest.param(_delete, [_error(503)], True, id="delete-after-a-503"),
        pytest.param(_delete, [_error(504)], True, id="delete-after-a-504"),
        pytest.param(
            _delete, [_error(503), _error(429, **{"Retry-After": "0"})], True, id="delete-503-429"
        ),
        pytest.param(_delete, [], False, id="delete-at-once"),
        pytest.param(_delete, [httpx.ConnectError("refused")], False, id="delete-never-sent"),
        pytest.param(_delete, [httpx.ConnectTimeout("slow")], False, id="delete-never-connected"),
        pytest.param(_delete, [_error(429, **{"Retry-After": "0"})], False, id="delete-after-429"),
        pytest.param(_read, [httpx.ReadError("cut")], False, id="get-after-a-cut"),
    ],
)
def test_a_delete_repeated_after_an_attempt_that_may_have_acted_takes_404_as_done(
    kind: str, call: Any, before: list[httpx.Response | Exception], done: bool
) -> None:
    outcome, sent = played(kind, call, *before, GONE, max_retries=2)

    assert sent == len(before) + 1
    if done:
        assert outcome is None
    else:
        assert isinstance(outcome, ht.NotFoundError)


@pytest.mark.parametrize("kind", KINDS)
def test_a_delete_taken_as_done_answers_a_raw_204_of_the_repeat(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    def delete_raw(client: Client) -> Any:
        return client.with_raw_response.files.delete(FILE_ID)

    caplog.set_level("INFO", logger="hot_typed")
    raw, sent = played(kind, delete_raw, _error(503), GONE, max_retries=2)

    assert sent == 2
    assert raw.status_code == 204
    assert (raw.http_request.method, raw.url.path) == ("DELETE", f"/v1/files/{FILE_ID}")
    assert raw.elapsed >= datetime.timedelta(0)
    [noted] = [r.getMessage() for r in caplog.records if "taken as deleted" in r.getMessage()]
    assert "(503)" in noted
