"""Faults real networks and servers produce, over real sockets, for both clients:
timeouts fire within their bound, and every bad answer becomes a specific
`HotError` carrying the text received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hot_typed import (
    HotConnectionError,
    HotFrameTooLargeError,
    HotResponseValidationError,
    HotTimeoutError,
    InternalServerError,
    RateLimitError,
    StreamData,
)
from hot_typed.testing import DropConnection, HttpRequest, HttpResponse, LoopbackServer

from ._reliability import (
    KINDS,
    collect,
    event_payload,
    exchange,
    silent_server,
    sse_frame,
    stream_data,
    unconnectable_server,
    with_client,
)

pytestmark = pytest.mark.parametrize("kind", KINDS)

STREAM_ID = "00000000-0000-4000-8000-0000000000aa"
EVENT_ID = "00000000-0000-4000-8000-0000000000bb"
# Scheduling noise on a loaded machine; every bound below is the timeout plus this.
SLACK = 1.0


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Holds a stalled server thread until the test ends."""
    event = threading.Event()
    yield event
    event.set()


def _sse_headers() -> dict[str, str]:
    return {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


# ---------------------------------------------------------------- timeouts


def test_connect_timeout_raises_hot_timeout_error_within_its_bound(kind: str) -> None:
    with unconnectable_server() as base_url:
        started = time.perf_counter()
        with pytest.raises(HotTimeoutError, match="ConnectTimeout"):
            with_client(
                kind,
                base_url,
                lambda hot: hot.events.get(EVENT_ID),
                timeout=httpx.Timeout(10.0, connect=0.3),
                max_retries=0,
            )
        assert time.perf_counter() - started < 0.3 + SLACK


def test_server_that_accepts_and_never_answers_raises_read_timeout(kind: str) -> None:
    with silent_server() as base_url:
        started = time.perf_counter()
        with pytest.raises(HotTimeoutError, match="ReadTimeout"):
            with_client(
                kind,
                base_url,
                lambda hot: hot.events.get(EVENT_ID),
                timeout=httpx.Timeout(0.3),
                max_retries=0,
            )
        assert time.perf_counter() - started < 0.3 + SLACK


def test_answer_slower_than_read_timeout_raises_hot_timeout_error(
    kind: str, gate: threading.Event
) -> None:
    def slow(request: HttpRequest) -> HttpResponse:
        gate.wait(5)
        raise DropConnection  # the client gave up long ago

    with LoopbackServer(slow) as server:
        started = time.perf_counter()
        with pytest.raises(HotTimeoutError):
            with_client(
                kind,
                server.base_url,
                lambda hot: hot.events.get(EVENT_ID),
                timeout=0.3,
                max_retries=0,
            )
        assert time.perf_counter() - started < 0.3 + SLACK


def test_stream_stalled_mid_way_raises_hot_timeout_error_after_the_events_received(
    kind: str, gate: threading.Event
) -> None:
    def stalls(request: HttpRequest) -> HttpResponse:
        def body() -> Iterator[bytes]:
            yield sse_frame(stream_data(1))
            gate.wait(5)
            yield sse_frame(stream_data(2))

        return HttpResponse(200, body(), _sse_headers())

    received: list[Any] = []
    with LoopbackServer(stalls) as server:
        started = time.perf_counter()
        with pytest.raises(HotTimeoutError, match="timed out while reading"):
            with_client(
                kind,
                server.base_url,
                lambda hot: collect(hot.streams.subscribe(STREAM_ID), received),
                timeout=0.3,
            )
        assert time.perf_counter() - started < 0.3 + SLACK
    assert [event.raw for event in received] == [stream_data(1)]


@pytest.mark.parametrize(
    ("ending", "error_type", "outcome"),
    [
        ("cut", HotConnectionError, "was cut: RemoteProtocolError: "),
        ("stall", HotTimeoutError, "timed out while reading"),
    ],
)
def test_an_answer_no_event_stream_that_fails_while_read_names_the_stream_and_request(
    kind: str,
    gate: threading.Event,
    ending: str,
    error_type: type[HotConnectionError | HotTimeoutError],
    outcome: str,
) -> None:
    def fails(request: HttpRequest) -> HttpResponse:
        def body() -> Iterator[bytes]:
            yield b'{"data": '
            if ending == "stall":
                gate.wait(5)
            raise DropConnection

        return HttpResponse(200, body(), {"Content-Type": "application/json"})

    with LoopbackServer(fails) as server:
        with pytest.raises(error_type) as caught:
            with_client(
                kind,
                server.base_url,
                lambda hot: collect(hot.streams.subscribe(STREAM_ID)),
                timeout=0.3,
                max_retries=0,
            )
        url = f"{server.base_url}/v1/streams/{STREAM_ID}/subscribe"

    assert str(caught.value).startswith(f"event stream GET {url} {outcome}")
    assert caught.value.request is not None
    assert str(caught.value.request.url) == url


# ---------------------------------------------------------------- bad answers


def test_server_error_envelope_becomes_internal_server_error(kind: str) -> None:
    envelope = {"error": {"code": "internal_server_error", "message": "down", "request_id": "r1"}}
    with pytest.raises(InternalServerError) as caught:
        exchange(
            kind,
            lambda request: HttpResponse.json(envelope, 500),
            lambda hot: hot.events.get(EVENT_ID),
        )
    assert (caught.value.status_code, caught.value.code) == (500, "internal_server_error")
    assert caught.value.request_id == "r1"
    assert caught.value.body == envelope


def test_proxy_502_html_page_becomes_internal_server_error_with_the_page(kind: str) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>"
    headers = {"Content-Type": "text/html"}
    with pytest.raises(InternalServerError) as caught:
        exchange(
            kind,
            lambda request: HttpResponse(502, page, headers),
            lambda hot: hot.events.get(EVENT_ID),
            max_retries=0,
        )
    error = caught.value
    assert (error.status_code, error.code) == (502, None)
    assert error.body == page.decode()
    assert "502 Bad Gateway" in str(error)


def test_truncated_json_body_becomes_validation_error_with_the_text(kind: str) -> None:
    whole = HttpResponse.json({"data": event_payload(EVENT_ID)}).body
    assert isinstance(whole, bytes)
    cut = whole[: len(whole) // 2]
    headers = {"Content-Type": "application/json"}
    with pytest.raises(HotResponseValidationError) as caught:
        exchange(
            kind,
            lambda request: HttpResponse(200, cut, headers),
            lambda hot: hot.events.get(EVENT_ID),
        )
    assert caught.value.raw == cut.decode()
    assert caught.value.validation_error is not None


def test_body_cut_by_a_dropped_connection_becomes_connection_error(kind: str) -> None:
    def cut(request: HttpRequest) -> HttpResponse:
        def body() -> Iterator[bytes]:
            yield b'{"data": {"event_id": "'
            raise DropConnection

        return HttpResponse(200, body(), {"Content-Type": "application/json"})

    with pytest.raises(HotConnectionError, match=r"GET http://127\.0\.0\.1:\d+/v1/events/"):
        exchange(kind, cut, lambda hot: hot.events.get(EVENT_ID), max_retries=0)


def test_html_answer_to_a_json_endpoint_becomes_validation_error_naming_the_type(
    kind: str,
) -> None:
    page = b"<!doctype html><title>Sign in</title>"
    headers = {"Content-Type": "text/html; charset=utf-8"}
    with pytest.raises(HotResponseValidationError, match="text/html") as caught:
        exchange(
            kind,
            lambda request: HttpResponse(200, page, headers),
            lambda hot: hot.events.get(EVENT_ID),
        )
    assert caught.value.raw == page.decode()


def test_non_json_answer_to_the_request_escape_hatch_becomes_validation_error(
    kind: str,
) -> None:
    with pytest.raises(HotResponseValidationError, match="not JSON") as caught:
        exchange(
            kind,
            lambda request: HttpResponse(200, b"OK", {"Content-Type": "text/plain"}),
            lambda hot: hot.request("GET", "/org"),
        )
    assert caught.value.raw == "OK"


@pytest.mark.parametrize(
    ("answer", "shown_type", "raw"),
    [
        (
            HttpResponse.json({"data": {"stream_id": STREAM_ID}}),
            "'application/json'",
            '{"data":{"stream_id":"' + STREAM_ID + '"}}',
        ),
        # No content type, and a body that is not UTF-8: its bad byte replaced.
        (HttpResponse(200, b"\xffok", {}), "'(none)'", "\ufffdok"),
    ],
    ids=["json", "untyped and not utf-8"],
)
def test_event_stream_endpoint_answering_another_type_becomes_validation_error(
    kind: str, answer: HttpResponse, shown_type: str, raw: str
) -> None:
    with pytest.raises(HotResponseValidationError) as caught:
        exchange(
            kind,
            lambda request: answer,
            lambda hot: collect(hot.streams.subscribe(STREAM_ID)),
        )
    assert str(caught.value) == (
        f"GET /v1/streams/{STREAM_ID}/subscribe answered 200 with content type "
        f"{shown_type}, not an event stream"
    )
    assert caught.value.raw == raw


def test_event_stream_refused_with_429_raises_rate_limit_error_once(kind: str) -> None:
    envelope = {"error": {"code": "rate_limit_exceeded", "message": "too many", "retry_after": 0}}
    with LoopbackServer(lambda request: HttpResponse.json(envelope, 429)) as server:
        with pytest.raises(RateLimitError):
            with_client(
                kind, server.base_url, lambda hot: collect(hot.streams.subscribe(STREAM_ID))
            )
        assert len(server.requests) == 1


# ---------------------------------------------------------------- oversized SSE frames


def test_frame_over_the_limit_ends_the_stream_with_the_frame_attached(kind: str) -> None:
    big = stream_data(2, {"blob": "x" * 5000})

    def frames(request: HttpRequest) -> HttpResponse:
        frame = sse_frame(big)
        chunks = [frame[i : i + 512] for i in range(0, len(frame), 512)]
        return HttpResponse(200, [sse_frame(stream_data(1)), *chunks], _sse_headers())

    received: list[Any] = []
    with pytest.raises(HotFrameTooLargeError, match="1024 bytes") as caught:
        exchange(
            kind,
            frames,
            lambda hot: collect(hot.streams.subscribe(STREAM_ID), received),
            max_sse_frame_bytes=1024,
        )
    assert [event.raw for event in received] == [stream_data(1)]
    assert caught.value.max_bytes == 1024
    assert sse_frame(big).decode().startswith(caught.value.raw)
    assert 512 < len(caught.value.raw) <= 1024


def test_frames_under_the_limit_pass_however_many_there_are(kind: str) -> None:
    events = [stream_data(n, {"blob": "y" * 700}) for n in range(20)]
    body = b"".join(sse_frame(event, "\r\n") for event in events)
    received = exchange(
        kind,
        lambda request: HttpResponse(200, [body], _sse_headers()),
        lambda hot: collect(hot.streams.subscribe(STREAM_ID)),
        max_sse_frame_bytes=1024,
    )
    assert [event.raw for event in received] == events
    assert all(isinstance(event, StreamData) for event in received)


def test_event_streams_ask_for_no_content_encoding_so_frames_are_counted_as_sent(
    kind: str,
) -> None:
    with LoopbackServer(
        lambda request: HttpResponse(200, [sse_frame(stream_data(1))], _sse_headers())
    ) as server:
        with_client(kind, server.base_url, lambda hot: collect(hot.streams.subscribe(STREAM_ID)))
        assert server.requests[0].headers["accept-encoding"] == "identity"


def test_line_that_never_ends_is_refused_instead_of_buffered(
    kind: str, gate: threading.Event
) -> None:
    def endless(request: HttpRequest) -> HttpResponse:
        def body() -> Iterator[bytes]:
            yield b"data: "
            for _ in range(64):
                yield b"z" * 1024
            gate.wait(5)

        return HttpResponse(200, body(), _sse_headers())

    with LoopbackServer(endless) as server:
        started = time.perf_counter()
        with pytest.raises(HotFrameTooLargeError) as caught:
            with_client(
                kind,
                server.base_url,
                lambda hot: collect(hot.streams.subscribe(STREAM_ID)),
                max_sse_frame_bytes=16 * 1024,
                timeout=3.0,
            )
        # Refused as the bytes arrive, not when the read times out.
        assert time.perf_counter() - started < 2.0
    assert caught.value.raw.startswith("data: zzz")
