"""A non-2xx answer is read only up to a bound, on calls and on streams: a proxy's
50 MB page costs kilobytes, compressed or not, and its start still makes the message."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hot_typed import InternalServerError, NotFoundError
from hot_typed._transport import MAX_ERROR_BODY_BYTES
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from ._reliability import KINDS, collect, with_client

pytestmark = pytest.mark.parametrize("kind", KINDS)

PAGE_BYTES = 50 * 1024 * 1024
HEAD = b"<html><head><title>502 Bad Gateway</title></head><body>"


def huge_page() -> Iterator[bytes]:
    yield HEAD
    piece = b"<p>upstream failed</p>\n" * 2800  # about 64 KiB
    for _ in range(PAGE_BYTES // len(piece)):
        yield piece


OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "call": lambda hot: hot.runs.get("00000000-0000-4000-8000-000000000001"),
    "stream": lambda hot: collect(hot.streams.subscribe("00000000-0000-4000-8000-000000000002")),
}


def peak_while(
    kind: str, answer: Callable[[HttpRequest], HttpResponse], op: Callable[[Any], Any]
) -> tuple[int, BaseException]:
    """The peak of memory traced while `op` fails with a 5xx, and that failure."""
    with LoopbackServer(answer) as server:
        tracemalloc.start()
        try:
            with pytest.raises(InternalServerError) as error:
                with_client(kind, server.base_url, op, max_retries=0)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, error.value


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_huge_error_page_is_read_only_up_to_the_bound(kind: str, operation: str) -> None:
    peak, error = peak_while(
        kind,
        lambda request: HttpResponse(502, huge_page(), {"Content-Type": "text/html"}),
        OPERATIONS[operation],
    )

    assert isinstance(error, InternalServerError)
    assert error.status_code == 502
    assert str(error).startswith("502: HTTP 502 Bad Gateway: <html><head><title>502 Bad Gateway")
    assert isinstance(error.body, str)
    assert error.body.startswith(HEAD.decode())
    assert len(error.body) <= MAX_ERROR_BODY_BYTES
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_compressed_error_bomb_is_decoded_only_up_to_the_bound(kind: str, operation: str) -> None:
    bomb = gzip.compress(HEAD + b" " * PAGE_BYTES)
    peak, error = peak_while(
        kind,
        lambda request: HttpResponse(
            502, [bomb], {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        ),
        OPERATIONS[operation],
    )

    assert isinstance(error, InternalServerError)
    assert isinstance(error.body, str)
    assert error.body.startswith(HEAD.decode())
    assert len(error.body) == MAX_ERROR_BODY_BYTES
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_api_error_envelope_is_still_read_whole(kind: str, operation: str) -> None:
    envelope = {"error": {"code": "not_found", "message": "Run not found", "request_id": "r-1"}}
    with (
        LoopbackServer(lambda request: HttpResponse.json(envelope, 404)) as server,
        pytest.raises(NotFoundError) as error,
    ):
        with_client(kind, server.base_url, OPERATIONS[operation])

    assert error.value.code == "not_found"
    assert error.value.message == "Run not found"
    assert error.value.body == envelope


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_gzip_compressed_error_envelope_is_decoded(kind: str, operation: str) -> None:
    envelope = {"error": {"code": "not_found", "message": "Run not found", "request_id": "r-2"}}
    packed = HttpResponse(
        404,
        gzip.compress(json.dumps(envelope).encode()),
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    with (
        LoopbackServer(lambda request: packed) as server,
        pytest.raises(NotFoundError) as error,
    ):
        with_client(kind, server.base_url, OPERATIONS[operation])

    assert error.value.message == "Run not found"
    assert error.value.body == envelope
