"""Retry-After in all its forms, over loopback: `retry-after-ms`, seconds (whole or
decimal), an HTTP date, the envelope's `retry_after`; honoured on 429 and on 503,
capped by `max_retry_after`, ignored when unreadable."""

from __future__ import annotations

import email.utils
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import hot_typed as ht
from hot_typed._retry_after import retry_after_seconds
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from . import payloads as p
from .sse_script import SseScript, close, event, make_client, resolve, run

ENV = p.item(p.environment())
DAY = 86_400.0
"""The longest wait an answer is read as asking for."""
FAR_DATE = "Fri, 31 Dec 9999 23:59:59 GMT"
"""A date after 2262: counted in seconds from now, past what `time.sleep` takes."""


@dataclass
class Case:
    status: int
    headers: Callable[[], dict[str, str]] = dict
    body_retry_after: Any = None
    method: str = "GET"
    #: The wait expected before the one retry, (low, high); None: not retried.
    wait: tuple[float, float] | None = None


def _in(seconds: float) -> dict[str, str]:
    return {"Retry-After": email.utils.formatdate(time.time() + seconds, usegmt=True)}


CASES = {
    "429 retry-after-ms": Case(429, lambda: {"retry-after-ms": "1500"}, wait=(1.5, 1.5)),
    "429 seconds": Case(429, lambda: {"Retry-After": "2"}, wait=(2.0, 2.0)),
    "429 decimal seconds": Case(429, lambda: {"Retry-After": "0.25"}, wait=(0.25, 0.25)),
    "429 http date": Case(429, lambda: _in(7), wait=(6.0, 8.0)),
    "429 http date passed": Case(429, lambda: _in(-60), wait=(0.0, 0.0)),
    "429 body retry_after": Case(429, body_retry_after=3, wait=(3.0, 3.0)),
    "429 ms before body": Case(
        429, lambda: {"retry-after-ms": "100"}, body_retry_after=5, wait=(0.1, 0.1)
    ),
    "429 body before header": Case(
        429, lambda: {"Retry-After": "9"}, body_retry_after=1, wait=(1.0, 1.0)
    ),
    "429 capped": Case(429, lambda: {"Retry-After": "3600"}, wait=(30.0, 30.0)),
    "429 unreadable": Case(429, lambda: {"Retry-After": "soon"}),
    "429 negative": Case(429, lambda: {"Retry-After": "-1"}),
    "429 nan ms": Case(429, lambda: {"retry-after-ms": "nan"}),
    "503 seconds": Case(503, lambda: {"Retry-After": "4"}, wait=(4.0, 4.0)),
    "503 ms": Case(503, lambda: {"retry-after-ms": "20"}, wait=(0.02, 0.02)),
    "503 body": Case(503, body_retry_after=1, wait=(1.0, 1.0)),
    "503 capped": Case(503, lambda: {"Retry-After": "100"}, wait=(30.0, 30.0)),
    "503 without": Case(503, wait=(0.0, 0.25)),
    "503 on a POST": Case(503, lambda: {"Retry-After": "1"}, method="POST"),
}


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's waits instead of sleeping through them."""
    recorded: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("hot_typed._transport.time.sleep", recorded.append)
    monkeypatch.setattr("asyncio.sleep", fake_async_sleep)
    return recorded


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(CASES))
async def test_retry_after_forms(name: str, mode: str, waits: list[float]) -> None:
    case = CASES[name]

    def answer(request: HttpRequest) -> HttpResponse:
        if len(server.requests) > 1:
            return HttpResponse.json(ENV if request.method == "GET" else p.item(p.event()), 200)
        error: dict[str, Any] = {"code": "busy", "message": "later"}
        if case.body_retry_after is not None:
            error["retry_after"] = case.body_retry_after
        return HttpResponse.json({"error": error}, case.status, headers=case.headers())

    with LoopbackServer(answer) as server:
        kind = ht.HotClient if mode == "sync" else ht.AsyncHotClient
        hot = kind("test-token", base_url=server.base_url, max_retries=1)
        try:
            def operation() -> Any:
                if case.method == "GET":
                    return hot.env.get()
                return hot.events.publish({"event_type": "a:b", "event_data": {}})

            if case.wait is None:
                with pytest.raises(ht.HotApiError) as caught:
                    await resolve(operation())
                assert caught.value.status_code == case.status
            else:
                await resolve(operation())
        finally:
            await close(hot)
    if case.wait is None:
        assert len(server.requests) == 1
        assert waits == []
    else:
        low, high = case.wait
        assert len(server.requests) == 2
        assert len(waits) == 1
        assert low <= waits[0] <= high


@pytest.mark.parametrize(
    ("headers", "body", "seconds"),
    [
        pytest.param({"retry-after-ms": "250"}, None, 0.25, id="ms"),
        pytest.param({"Retry-After": "3"}, None, 3.0, id="seconds"),
        pytest.param({}, 2, 2.0, id="body"),
        pytest.param({"Retry-After": "later"}, None, None, id="unreadable"),
        # Up to a day, a wait is taken as given; past a day, as a day.
        pytest.param({"Retry-After": "86400"}, None, DAY, id="seconds-a-day"),
        pytest.param({"Retry-After": "86401"}, None, DAY, id="seconds-past-a-day"),
        pytest.param({"Retry-After": "99999999999"}, None, DAY, id="seconds-past-time_t"),
        pytest.param({"retry-after-ms": "86400000"}, None, DAY, id="ms-a-day"),
        pytest.param({"retry-after-ms": "86400001"}, None, DAY, id="ms-past-a-day"),
        pytest.param({}, 86_399, 86_399.0, id="body-under-a-day"),
        pytest.param({}, 10**300, DAY, id="body-past-a-day"),
        pytest.param({"Retry-After": FAR_DATE}, None, DAY, id="date-after-2262"),
        # Past a float's range a number is not finite: ignored, for what follows.
        pytest.param({}, 10**400, None, id="body-past-a-float"),
        pytest.param({"Retry-After": "7"}, 10**400, 7.0, id="body-past-a-float-then-header"),
    ],
)
def test_the_error_carries_the_wait_in_seconds(
    headers: dict[str, str], body: int | None, seconds: float | None
) -> None:
    def answer(request: HttpRequest) -> HttpResponse:
        error: dict[str, Any] = {"code": "rate_limit_exceeded", "message": "slow"}
        if body is not None:
            error["retry_after"] = body
        return HttpResponse.json({"error": error}, 429, headers=headers)

    with LoopbackServer(answer) as server, ht.HotClient(
        "t", base_url=server.base_url, max_retries=0
    ) as hot, pytest.raises(ht.RateLimitError) as caught:
        hot.env.get()
    assert caught.value.retry_after == seconds


NOW = 1_800_000_000.0
"""The local clock in the table below."""


def _http_date(when: float) -> str:
    return email.utils.formatdate(when, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        pytest.param({"Retry-After": _http_date(NOW + 30)}, 30.0, id="no-date-local-clock"),
        # The server's clock an hour behind ours: its Date, not our clock, counts.
        pytest.param(
            {"Retry-After": _http_date(NOW - 3570), "Date": _http_date(NOW - 3600)},
            30.0,
            id="from-the-answers-date",
        ),
        pytest.param(
            {"Retry-After": _http_date(NOW + 30), "Date": "yesterday"},
            30.0,
            id="unreadable-date-local-clock",
        ),
        pytest.param({"Retry-After": _http_date(NOW - 30)}, 0.0, id="date-passed"),
    ],
)
def test_an_http_date_is_counted_from_the_answers_date_else_from_the_local_clock(
    monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], seconds: float
) -> None:
    monkeypatch.setattr("hot_typed._retry_after.time.time", lambda: NOW)
    assert retry_after_seconds(None, httpx.Headers(headers)) == seconds


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        pytest.param({"Retry-After": "86399"}, 86_399.0, id="under-a-day-in-full"),
        pytest.param({"Retry-After": "99999999999"}, DAY, id="seconds-past-a-day"),
        pytest.param({"Retry-After": FAR_DATE}, DAY, id="date-after-2262"),
    ],
)
async def test_a_follow_without_timeout_waits_what_the_server_asks_up_to_a_day(
    mode: str, headers: dict[str, str], wait: float, waits: list[float]
) -> None:
    stream_id, event_id, run_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    ours = run(run_id, event_id=event_id, stream_id=stream_id)
    done = run(run_id, status="succeeded", event_id=event_id, stream_id=stream_id, result=1)
    published = {"type": "event:published", "event_id": str(event_id), "stream_id": str(stream_id)}
    unavailable = HttpResponse.json(
        {"error": {"code": "service_unavailable", "message": "busy"}}, 503, headers=headers
    )
    with SseScript(
        [event({**published, "event_type": "hot:call"}), event({"type": "run:start", "run": ours})],
        unavailable,
        [event({"type": "run:start", "run": ours}), event({"type": "run:stop", "run": done})],
        records={},
    ) as server:
        hot = make_client(server, mode)
        try:
            assert await resolve(hot.events.call_hot("::app/one", timeout=None)) == 1
        finally:
            await close(hot)
    assert [r.method for r in server.subscriptions] == ["POST", "GET", "GET"]
    assert max(waits) == wait  # the one wait asked for (a clean close reconnects at once)
