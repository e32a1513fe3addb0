"""Retries and sharing, over real sockets for both clients: transient failures of
idempotent requests are retried with bounded, jittered backoff; a POST that may
have reached the server is sent once unless the caller opts in; 429 storms end;
one client serves many threads or tasks, each its own answer."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import httpx
import pytest

from hot_typed import (
    AsyncHotClient,
    Event,
    HotApiError,
    HotClient,
    HotConnectionError,
    HotTimeoutError,
    InternalServerError,
    RateLimitError,
)
from hot_typed._retry import RetryPolicy
from hot_typed.testing import DropConnection, HttpRequest, HttpResponse, LoopbackServer

from ._reliability import (
    KINDS,
    TOKEN,
    collect,
    event_payload,
    sse_frame,
    stream_data,
    unconnectable_server,
    with_client,
)

EVENT_ID = "00000000-0000-4000-8000-0000000000cc"
PUBLISH = {"event_type": "order:placed", "event_data": {"n": 1}}
RATE_LIMITED = {"error": {"code": "rate_limit_exceeded", "message": "slow down", "retry_after": 0}}
# Two retries back off at most 0.25 s + 0.5 s; the rest is scheduling noise.
TWO_BACKOFFS = 0.75 + 1.0


def _failing(
    failures: list[HttpResponse | None], then: HttpResponse
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer each request with the next failure (None: drop the connection), then `then`."""
    answers = iter(failures)

    def handler(request: HttpRequest) -> HttpResponse:
        answer = next(answers, then)
        if answer is None:
            raise DropConnection
        return answer

    return handler


def _status(status: int) -> HttpResponse:
    return HttpResponse.json({"error": {"code": "unavailable", "message": "try later"}}, status)


def _ok_event() -> HttpResponse:
    return HttpResponse.json({"data": event_payload(EVENT_ID)})


# ---------------------------------------------------------------- idempotent requests


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_after_a_transient_status(kind: str, status: int) -> None:
    with LoopbackServer(_failing([_status(status)], _ok_event())) as server:
        event = with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
        assert isinstance(event, Event)
        assert [r.method for r in server.requests] == ["GET", "GET"]


def test_each_retry_is_logged_at_debug_with_its_cause_and_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="hot_typed")
    with LoopbackServer(_failing([_status(503), None], _ok_event())) as server:
        with_client("sync", server.base_url, lambda hot: hot.events.get(EVENT_ID))
    where = f"GET /events/{EVENT_ID}"
    lines = [r.getMessage() for r in caplog.records if r.name == "hot_typed"]
    assert len(lines) == 4
    assert re.fullmatch(rf"{where} -> 503 \(request -, [\d.]+ ms\)", lines[0])
    assert re.fullmatch(rf"{where}: 503, retry 1 of 2 in [\d.]+ s", lines[1])
    assert re.fullmatch(rf"{where}: RemoteProtocolError, retry 2 of 2 in [\d.]+ s", lines[2])
    assert re.fullmatch(rf"{where} -> 200 \(request -, [\d.]+ ms\)", lines[3])


@pytest.mark.parametrize("kind", KINDS)
def test_the_debug_line_gives_the_exchange_duration_in_milliseconds(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    def slow(request: HttpRequest) -> HttpResponse:
        time.sleep(0.05)
        return _ok_event()

    caplog.set_level(logging.DEBUG, logger="hot_typed")
    with LoopbackServer(slow) as server:
        with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
    [line] = [r.getMessage() for r in caplog.records if r.name == "hot_typed"]
    took = re.fullmatch(rf"GET /events/{EVENT_ID} -> 200 \(request -, ([\d.]+) ms\)", line)

    assert took is not None
    # At least the answer's delay; the upper bound only rules out another unit or origin.
    assert 50 <= float(took[1]) < 60_000


@pytest.mark.parametrize("kind", KINDS)
def test_get_is_retried_after_a_dropped_connection(kind: str) -> None:
    with LoopbackServer(_failing([None], _ok_event())) as server:
        event = with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
        assert str(event.event_id) == EVENT_ID
        assert len(server.requests) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_delete_whose_answer_was_lost_is_not_reported_not_found(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    # crates/hot_api/src/handlers/files.rs delete_file: 404 once the file is inactive.
    file_id = "00000000-0000-4000-8000-0000000000f1"
    stored = {file_id}

    def handler(request: HttpRequest) -> HttpResponse:
        if file_id not in stored:
            return HttpResponse.json({"error": {"code": "not_found", "message": "gone"}}, 404)
        stored.discard(file_id)
        raise DropConnection  # deleted; the 204 never reaches the client

    caplog.set_level(logging.INFO, logger="hot_typed")
    with LoopbackServer(handler) as server:
        assert with_client(kind, server.base_url, lambda hot: hot.files.delete(file_id)) is None
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]
    assert stored == set()
    [noted] = [r for r in caplog.records if "taken as deleted" in r.getMessage()]
    assert noted.levelno == logging.INFO
    assert noted.getMessage() == (
        f"DELETE /files/{file_id}: 404 after an attempt that may have reached the server "
        "(RemoteProtocolError): taken as deleted by that attempt"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_get_is_retried_after_a_read_timeout(kind: str) -> None:
    released = threading.Event()
    first = threading.Event()

    def slow_once(request: HttpRequest) -> HttpResponse:
        if not first.is_set():
            first.set()
            released.wait(5)
            raise DropConnection  # the client gave up long ago
        return _ok_event()

    try:
        with LoopbackServer(slow_once) as server:
            event = with_client(
                kind, server.base_url, lambda hot: hot.events.get(EVENT_ID), timeout=0.3
            )
            assert str(event.event_id) == EVENT_ID
            assert len(server.requests) == 2
    finally:
        released.set()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_idempotent_writes_are_retried(kind: str, method: str) -> None:
    with LoopbackServer(_failing([_status(503)], HttpResponse(204))) as server:
        with_client(kind, server.base_url, lambda hot: hot.request(method, "/things/1"))
        assert [r.method for r in server.requests] == [method, method]


@pytest.mark.parametrize("kind", KINDS)
def test_retries_stop_at_max_retries_and_raise_the_last_failure(kind: str) -> None:
    with LoopbackServer(lambda request: _status(503)) as server:
        started = time.perf_counter()
        with pytest.raises(InternalServerError) as caught:
            with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID), max_retries=2)
        assert time.perf_counter() - started < TWO_BACKOFFS
        assert len(server.requests) == 3
    assert caught.value.status_code == 503


@pytest.mark.parametrize("kind", KINDS)
def test_max_retries_zero_sends_once(kind: str) -> None:
    with LoopbackServer(lambda request: _status(502)) as server:
        with pytest.raises(InternalServerError):
            with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID), max_retries=0)
        assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_client_errors_and_500_are_not_retried(kind: str) -> None:
    answers = iter([_status(500), _status(404)])
    with LoopbackServer(lambda request: next(answers)) as server:
        for _ in range(2):
            with pytest.raises(HotApiError):
                with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
        assert len(server.requests) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_connection_never_established_is_retried_even_for_a_post(kind: str) -> None:
    with unconnectable_server() as base_url:
        started = time.perf_counter()
        with pytest.raises(HotTimeoutError, match="ConnectTimeout") as caught:
            with_client(
                kind,
                base_url,
                lambda hot: hot.events.publish(PUBLISH),
                timeout=httpx.Timeout(5.0, connect=0.2),
                max_retries=2,
            )
        elapsed = time.perf_counter() - started
    # Three connect attempts of 0.2 s each, and two backoffs between them.
    assert 3 * 0.2 <= elapsed < 3 * 0.2 + TWO_BACKOFFS
    assert "may have reached" not in str(caught.value)


# ---------------------------------------------------------------- POSTs


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_publish_is_not_repeated_after_a_transient_status(kind: str, status: int) -> None:
    with LoopbackServer(_failing([_status(status)], _ok_event())) as server:
        with pytest.raises(InternalServerError):
            with_client(kind, server.base_url, lambda hot: hot.events.publish(PUBLISH))
        assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_publish_cut_after_sending_is_not_repeated_and_says_so(kind: str) -> None:
    with LoopbackServer(_failing([None], _ok_event())) as server:
        with pytest.raises(HotConnectionError, match="may have reached the server"):
            with_client(kind, server.base_url, lambda hot: hot.events.publish(PUBLISH))
        assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_publish_read_timeout_is_not_repeated_and_says_the_outcome_is_unknown(kind: str) -> None:
    released = threading.Event()

    def never(request: HttpRequest) -> HttpResponse:
        released.wait(5)
        raise DropConnection

    try:
        with LoopbackServer(never) as server:
            with pytest.raises(HotTimeoutError, match="whether it took effect is unknown"):
                with_client(
                    kind, server.base_url, lambda hot: hot.events.publish(PUBLISH), timeout=0.2
                )
            assert len(server.requests) == 1
    finally:
        released.set()


@pytest.mark.parametrize("kind", KINDS)
def test_escape_hatch_post_and_patch_are_not_repeated(kind: str) -> None:
    def call(method: str) -> Callable[[Any], Any]:
        return lambda hot: hot.request(method, "/things")

    with LoopbackServer(lambda request: _status(503)) as server:
        for method in ("POST", "PATCH"):
            with pytest.raises(InternalServerError):
                with_client(kind, server.base_url, call(method))
        assert [r.method for r in server.requests] == ["POST", "PATCH"]


@pytest.mark.parametrize("kind", KINDS)
def test_retry_non_idempotent_opts_posts_in(kind: str) -> None:
    with LoopbackServer(_failing([_status(503), None], _ok_event())) as server:
        event = with_client(
            kind,
            server.base_url,
            lambda hot: hot.events.publish(PUBLISH),
            retry_non_idempotent=True,
        )
        assert isinstance(event, Event)
        assert [r.json() for r in server.requests] == [PUBLISH] * 3


@pytest.mark.parametrize("kind", KINDS)
def test_raw_requests_are_never_retried(kind: str) -> None:
    with LoopbackServer(lambda request: _status(503)) as server:
        with pytest.raises(InternalServerError):
            with_client(kind, server.base_url, lambda hot: hot.request_raw("GET", "/org"))
        assert len(server.requests) == 1


# ---------------------------------------------------------------- 429


@pytest.mark.parametrize("kind", KINDS)
def test_429_is_retried_after_retry_after_even_for_a_post(kind: str) -> None:
    limited = HttpResponse.json(RATE_LIMITED, 429)
    with LoopbackServer(_failing([limited, limited], _ok_event())) as server:
        event = with_client(kind, server.base_url, lambda hot: hot.events.publish(PUBLISH))
        assert isinstance(event, Event)
        assert len(server.requests) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_429_storm_stays_bounded_by_max_retries(kind: str) -> None:
    storm = HttpResponse.json(RATE_LIMITED, 429, {"Retry-After": "0"})
    with LoopbackServer(lambda request: storm) as server:
        started = time.perf_counter()
        with pytest.raises(RateLimitError) as caught:
            with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID), max_retries=3)
        assert time.perf_counter() - started < 1.0
        assert len(server.requests) == 4
    assert caught.value.retry_after == 0


@pytest.mark.parametrize("kind", KINDS)
def test_429_without_retry_after_is_not_retried(kind: str) -> None:
    bare = HttpResponse(429, b"Too Many Requests", {"Content-Type": "text/plain"})
    with LoopbackServer(lambda request: bare) as server:
        with pytest.raises(RateLimitError):
            with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
        assert len(server.requests) == 1


# ---------------------------------------------------------------- the policy itself


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=0.25, backoff_cap=2.0)
    assert [policy.backoff_bound(n) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    for attempt in range(6):
        delays = [policy.after_status(attempt, 503, None, idempotent=True) for _ in range(300)]
        bound = policy.backoff_bound(attempt)
        assert all(d is not None and 0 <= d <= bound for d in delays)
        # Full jitter spreads over the whole range, not around one value.
        assert min(d for d in delays if d is not None) < bound / 4
        assert max(d for d in delays if d is not None) > bound * 3 / 4


def test_retry_after_is_waited_for_up_to_max_retry_after() -> None:
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.after_status(0, 429, 2, idempotent=False) == 2.0
    assert policy.after_status(0, 429, 30, idempotent=False) == 30.0
    assert policy.after_status(0, 429, 3600, idempotent=False) == 30.0
    assert policy.after_status(0, 429, None, idempotent=True) is None
    assert policy.after_status(policy.max_retries, 429, 0, idempotent=True) is None


def test_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        HotClient(TOKEN, max_retries=-1)


def test_frame_limit_below_one_byte_is_refused() -> None:
    with pytest.raises(ValueError, match="max_sse_frame_bytes"):
        AsyncHotClient(TOKEN, max_sse_frame_bytes=0)


# ---------------------------------------------------------------- one client, many callers


def _echo_event(request: HttpRequest) -> HttpResponse:
    # Scramble the order answers leave in, so a mixed-up pairing would show.
    time.sleep(random.uniform(0, 0.004))
    return HttpResponse.json({"data": event_payload(request.segments[-1])})


# Callers outnumber the connections: they share the pool as well as the client.
def _limited_pool() -> httpx.Limits:
    return httpx.Limits(max_connections=32)


def test_one_sync_client_shared_by_many_threads_answers_each_its_own() -> None:
    ids = [uuid4() for _ in range(200)]
    with (
        LoopbackServer(_echo_event) as server,
        httpx.Client(limits=_limited_pool()) as pool_client,
        HotClient(TOKEN, base_url=server.base_url, client=pool_client) as hot,
        ThreadPoolExecutor(max_workers=32) as threads,
    ):
        events = list(threads.map(hot.events.get, ids))
    assert [event.event_id for event in events] == [str(i) for i in ids]
    assert all(event.raw["event_id"] == event.event_id for event in events)


async def test_one_async_client_shared_by_many_tasks_answers_each_its_own() -> None:
    ids = [uuid4() for _ in range(200)]
    with LoopbackServer(_echo_event) as server:
        async with (
            httpx.AsyncClient(limits=_limited_pool()) as pool_client,
            AsyncHotClient(TOKEN, base_url=server.base_url, client=pool_client) as hot,
        ):
            events = await asyncio.gather(*(hot.events.get(i) for i in ids))
    assert [event.event_id for event in events] == [str(i) for i in ids]


async def test_concurrent_tasks_mixing_failures_and_successes_each_get_their_own() -> None:
    """Retries of one task never hand its answer to another."""
    failed_once: set[str] = set()
    lock = threading.Lock()

    def flaky(request: HttpRequest) -> HttpResponse:
        with lock:
            first = request.segments[-1] not in failed_once
            failed_once.add(request.segments[-1])
        return _status(503) if first else _echo_event(request)

    ids = [uuid4() for _ in range(60)]
    with LoopbackServer(flaky) as server:
        async with (
            httpx.AsyncClient(limits=_limited_pool()) as pool_client,
            AsyncHotClient(TOKEN, base_url=server.base_url, client=pool_client) as hot,
        ):
            events = await asyncio.gather(*(hot.events.get(i) for i in ids))
        assert len(server.requests) == 2 * len(ids)
    assert [event.event_id for event in events] == [str(i) for i in ids]


def _stream_of_its_own(request: HttpRequest) -> HttpResponse:
    stream_id = request.segments[-2]
    frames = [sse_frame(stream_data(n, {"stream": stream_id})) for n in range(5)]
    return HttpResponse(200, frames, {"Content-Type": "text/event-stream"})


def test_concurrent_subscriptions_on_one_sync_client_each_get_their_own_events() -> None:
    ids = [str(uuid4()) for _ in range(24)]
    with (
        LoopbackServer(_stream_of_its_own) as server,
        HotClient(TOKEN, base_url=server.base_url) as hot,
        ThreadPoolExecutor(max_workers=8) as threads,
    ):
        received = list(threads.map(lambda i: collect(hot.streams.subscribe(i)), ids))
    for stream_id, events in zip(ids, received, strict=True):
        assert [e.payload for e in events] == [{"stream": stream_id}] * 5


async def test_concurrent_subscriptions_on_one_async_client_each_get_their_own_events() -> None:
    ids = [str(uuid4()) for _ in range(24)]
    with LoopbackServer(_stream_of_its_own) as server:
        async with AsyncHotClient(TOKEN, base_url=server.base_url) as hot:
            received = await asyncio.gather(*(collect(hot.streams.subscribe(i)) for i in ids))
    for stream_id, events in zip(ids, received, strict=True):
        assert [e.payload for e in events] == [{"stream": stream_id}] * 5
