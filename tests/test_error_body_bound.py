"""A non-2xx answer is read only up to a bound, on calls and on streams: a proxy's
50 MB page costs kilobytes, compressed or not, and its start still makes the message."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
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


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_gzip_error_page_decoding_past_the_bound_is_cut_at_it(kind: str, operation: str) -> None:
    page = HEAD + b"<p>upstream failed</p>\n" * 10_000  # about 230 KB, packed to 1 KB
    packed = HttpResponse(
        502, gzip.compress(page), {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )
    with (
        LoopbackServer(lambda request: packed) as server,
        pytest.raises(InternalServerError) as error,
    ):
        with_client(kind, server.base_url, OPERATIONS[operation], max_retries=0)

    assert error.value.body == page[:MAX_ERROR_BODY_BYTES].decode()


class _Reads(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body given in exactly these reads, counting the reads taken."""

    def __init__(self, reads: list[bytes]) -> None:
        self.reads = reads
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for read in self.reads:
            self.taken += 1
            yield read

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for read in self:
            yield read


@pytest.mark.parametrize(
    ("reads", "kept", "taken"),
    [
        # The bound reached one byte into a read: the read after it is the last taken.
        ([b"a" * (MAX_ERROR_BODY_BYTES - 1), b"b", b"c" * 10, b"d" * 10], 2, 3),
        # Many short reads: the bound falls inside the 66th.
        ([b"x" * 1000] * 70, 66, 67),
    ],
    ids=["one-byte-short", "short-reads"],
)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_error_body_is_cut_at_the_bound_however_the_reads_fall(
    kind: str, operation: str, reads: list[bytes], kept: int, taken: int
) -> None:
    body = _Reads(reads)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(502, headers={"Content-Type": "text/plain"}, stream=body)
    )
    http = httpx.Client(transport=transport) if kind == "sync" else httpx.AsyncClient(
        transport=transport
    )
    with pytest.raises(InternalServerError) as error:
        with_client(kind, "http://127.0.0.1", OPERATIONS[operation], client=http, max_retries=0)

    assert error.value.body == b"".join(reads[:kept])[:MAX_ERROR_BODY_BYTES].decode()
    assert len(error.value.body) == MAX_ERROR_BODY_BYTES
    assert body.taken == taken
