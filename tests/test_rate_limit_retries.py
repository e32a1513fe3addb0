"""429 answers: retried after the server's retry_after, up to max_retries, never for
streams or raw requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import hot_typed as ht
from tests import payloads as p
from tests.exchange import exchange

KINDS = ["sync", "async"]


def _limited(retry_after: int | None = None, header: str | None = None) -> httpx.Response:
    error: dict[str, Any] = {
        "code": "rate_limit_exceeded",
        "message": "slow",
        "request_id": p.uid(),
    }
    if retry_after is not None:
        error["retry_after"] = retry_after
    headers = {"Retry-After": header} if header is not None else {}
    return httpx.Response(429, json={"error": error}, headers=headers)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's waits instead of sleeping through them."""
    recorded: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("hot_typed._transport.time.sleep", recorded.append)
    monkeypatch.setattr("asyncio.sleep", fake_async_sleep)
    return recorded


def _ok() -> httpx.Response:
    return httpx.Response(200, json=p.item(p.environment()))


@pytest.mark.parametrize("kind", KINDS)
def test_429_with_retry_after_in_the_body_is_retried_after_that_wait(
    kind: str, waits: list[float]
) -> None:
    env, sent = exchange(kind, lambda c: c.env.get(), _limited(retry_after=3), _ok())
    assert isinstance(env, ht.Environment)
    assert len(sent) == 2
    assert waits == [3.0]


@pytest.mark.parametrize("kind", KINDS)
def test_429_with_a_retry_after_header_is_retried(kind: str, waits: list[float]) -> None:
    _, sent = exchange(kind, lambda c: c.env.get(), _limited(header="2"), _ok())
    assert len(sent) == 2
    assert waits == [2.0]


@pytest.mark.parametrize("kind", KINDS)
def test_the_servers_wait_is_capped(kind: str, waits: list[float]) -> None:
    exchange(kind, lambda c: c.env.get(), _limited(retry_after=3600), _ok())
    assert waits == [30.0]


@pytest.mark.parametrize("kind", KINDS)
def test_retries_stop_after_max_retries(kind: str, waits: list[float]) -> None:
    answers = [_limited(retry_after=1) for _ in range(4)]
    with pytest.raises(ht.RateLimitError):
        exchange(kind, lambda c: c.env.get(), *answers, max_retries=2)
    assert waits == [1.0, 1.0]


@pytest.mark.parametrize("kind", KINDS)
def test_429_without_retry_after_is_not_retried(kind: str, waits: list[float]) -> None:
    with pytest.raises(ht.RateLimitError):
        exchange(kind, lambda c: c.env.get(), _limited(), _ok())
    assert waits == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_publish_refused_with_429_is_retried_because_it_was_not_processed(
    kind: str, waits: list[float]
) -> None:
    _, sent = exchange(
        kind,
        lambda c: c.events.publish({"event_type": "a:b", "event_data": 1}),
        _limited(retry_after=1),
        httpx.Response(201, json=p.item(p.event())),
    )
    assert len(sent) == 2
    assert sent[0].content == sent[1].content


@pytest.mark.parametrize("kind", KINDS)
def test_raw_requests_are_never_retried(kind: str, waits: list[float]) -> None:
    with pytest.raises(ht.RateLimitError):
        exchange(kind, lambda c: c.request_raw("GET", "/env"), _limited(retry_after=1), _ok())
    assert waits == []


@pytest.mark.parametrize("kind", KINDS)
def test_stream_subscriptions_are_never_retried(kind: str, waits: list[float]) -> None:
    with pytest.raises(ht.RateLimitError):
        exchange(kind, lambda c: c.streams.subscribe(p.uid()), _limited(retry_after=1), _ok())
    assert waits == []


@pytest.fixture
def jitter_at_its_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter draws each backoff from [0, bound]: pin the draw to the bound so the
    bound itself shows in the waits."""

    def ceiling(low: float, high: float) -> float:
        return high

    monkeypatch.setattr("hot_typed._retry.random.uniform", ceiling)


def _unavailable(headers: dict[str, str] | None = None) -> httpx.Response:
    error = {"code": "service_unavailable", "message": "busy", "request_id": p.uid()}
    return httpx.Response(503, json={"error": error}, headers=headers or {})


@pytest.mark.parametrize("kind", KINDS)
def test_the_backoff_bound_doubles_with_each_retry_up_to_its_cap(
    kind: str, waits: list[float], jitter_at_its_ceiling: None
) -> None:
    answers = [_unavailable() for _ in range(7)]
    _, sent = exchange(kind, lambda c: c.env.get(), *answers, _ok(), max_retries=7)
    assert len(sent) == 8
    assert waits == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_503_with_retry_after_is_retried_after_that_wait_not_a_backoff(
    kind: str, waits: list[float], jitter_at_its_ceiling: None
) -> None:
    _, sent = exchange(
        kind, lambda c: c.env.get(), _unavailable({"Retry-After": "3"}), _ok()
    )
    assert len(sent) == 2
    assert waits == [3.0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.usefixtures("small_parts")
def test_an_upload_part_answered_429_is_sent_again_after_its_retry_after(
    kind: str, waits: list[float], jitter_at_its_ceiling: None
) -> None:
    stored, sent = exchange(
        kind,
        lambda c: c.files.upload_file("big.bin", b"abcdefgh", part_size=4, concurrency=1),
        httpx.Response(201, json=p.item(p.initiate_upload())),
        _limited(retry_after=3),
        httpx.Response(200, json=p.item(p.upload_part(1))),
        httpx.Response(200, json=p.item(p.upload_part(2))),
        httpx.Response(200, json=p.item(p.file("big.bin"))),
    )
    assert isinstance(stored, ht.File)
    parts = [r.content for r in sent if r.method == "PUT"]
    assert parts == [b"abcd", b"abcd", b"efgh"]
    # The transport does not retry a part itself: the one wait is the part's.
    assert waits == [3.0]
