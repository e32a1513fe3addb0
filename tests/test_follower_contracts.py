"""The arguments a follower refuses, what it answers when asked for a result it does
not have, when its deadline and attempt budget end a follow, and which run it follows:
the state machines' own contracts, without I/O."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pydantic import TypeAdapter

from hot_typed import (
    AsyncHotClient,
    HotClient,
    HotConnectionError,
    HotStreamError,
    HotTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    StreamEvent,
)
from hot_typed._streaming import RunStreamFollower, identity
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import run


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_attempts": -1}, "max_attempts must be >= 0"),
        ({"timeout": 0}, "timeout must be > 0"),
        ({"timeout": -1.5}, "timeout must be > 0"),
        ({"stream_id": "s"}, "without an event to publish, stream_id and event_id are needed"),
        ({"event_id": "e"}, "without an event to publish, stream_id and event_id are needed"),
    ],
)
def test_a_follower_refuses_arguments_it_cannot_follow_with(
    arguments: dict[str, object], message: str
) -> None:
    # The whole message: `match` would also pass a message merely containing it.
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        RunStreamFollower(finish=identity, **arguments)  # type: ignore[arg-type]


def test_a_follower_asked_for_its_result_before_the_run_finished_says_so() -> None:
    follower = RunStreamFollower(publish=b"{}", finish=identity)
    with pytest.raises(HotStreamError, match="the stream ended before the run finished"):
        follower.result()


def _busy(request: HttpRequest) -> HttpResponse:
    error = {"code": "rate_limit_exceeded", "message": "too many streams", "retry_after": 0}
    return HttpResponse.json({"error": error}, status=429)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_publishing_refused_with_429_past_the_retry_budget_raises_the_refusal(
    kind: str,
) -> None:
    with LoopbackServer(_busy) as server:
        if kind == "sync":
            with (
                HotClient("t", base_url=server.base_url, max_retries=2) as hot,
                pytest.raises(RateLimitError, match="too many streams"),
            ):
                hot.events.call_hot("::demo::math/add", [1, 2])
        else:
            async with AsyncHotClient("t", base_url=server.base_url, max_retries=2) as ahot:
                with pytest.raises(RateLimitError, match="too many streams"):
                    await ahot.events.call_hot("::demo::math/add", [1, 2])
        posts = [r for r in server.requests if r.method == "POST"]
        assert [r.path for r in posts] == ["/v1/streams/subscribe-with-event"] * 3


def _forbidden(request: HttpRequest) -> HttpResponse:
    error = {"code": "forbidden", "message": "no events for this key"}
    return HttpResponse.json({"error": error}, status=403)


def test_publishing_refused_with_another_4xx_raises_it_at_once() -> None:
    with (
        LoopbackServer(_forbidden) as server,
        HotClient("t", base_url=server.base_url, max_retries=3) as hot,
        pytest.raises(PermissionDeniedError, match="no events for this key"),
    ):
        hot.events.call_hot("::demo::math/add", [1, 2])
    assert [r.method for r in server.requests] == ["POST"]


STREAM, EVENT = str(uuid4()), str(uuid4())


def _run_event(kind: str, run_id: str | None = None, **fields: Any) -> StreamEvent:
    record = run(run_id or str(uuid4()), **fields)
    event: StreamEvent = TypeAdapter(StreamEvent).validate_python({"type": kind, "run": record})
    return event


def _start_of_another_run() -> StreamEvent:
    return _run_event("run:start")


def test_an_event_received_at_the_deadline_ends_the_follow_with_a_timeout() -> None:
    follower = RunStreamFollower(stream_id=STREAM, event_id=EVENT, timeout=2.0, finish=identity)
    follower.connect(10.0)
    assert follower.receive(_start_of_another_run(), 11.0) is True

    with pytest.raises(HotTimeoutError) as error:
        follower.receive(_start_of_another_run(), 12.0)
    assert str(error.value) == f"run of event {EVENT}: not finished within the timeout of 2.0 s"


def test_a_reconnect_due_past_the_deadline_ends_the_follow_with_a_timeout() -> None:
    # The backoff is drawn from 0 to 0.5 s: below 1e-12 s is a chance of about 1 in 10**11.
    follower = RunStreamFollower(stream_id=STREAM, event_id=EVENT, timeout=1e-12, finish=identity)
    follower.connect(0.0)

    with pytest.raises(HotTimeoutError) as error:
        follower.ended(None, 0.0)
    message = str(error.value)
    assert message.startswith(
        f"run of event {EVENT}: not finished within the timeout of 1e-12 s (the next attempt"
    )
    assert message.endswith(" (the server closed the stream)")

    cut = RunStreamFollower(stream_id=STREAM, event_id=EVENT, timeout=1e-12, finish=identity)
    cut.connect(0.0)
    with pytest.raises(HotTimeoutError) as error:
        cut.ended(HotConnectionError("connection reset"), 0.0)
    assert str(error.value).endswith(" (last: connection reset)")


def test_a_follower_gives_up_after_five_unanswered_reconnects_by_default() -> None:
    follower = RunStreamFollower(stream_id=STREAM, event_id=EVENT, finish=identity)
    refused = HotConnectionError("connection refused", request_sent=False)
    for attempt in range(5):
        follower.connect(float(attempt))
        assert follower.ended(refused, float(attempt)) is not None

    follower.connect(5.0)
    with pytest.raises(HotStreamError, match="gave up after 6 connection attempt"):
        follower.ended(refused, 5.0)


def test_a_run_of_another_event_on_the_stream_does_not_end_the_follow() -> None:
    follower = RunStreamFollower(stream_id=STREAM, event_id=EVENT, finish=identity)
    ours, other = str(uuid4()), str(uuid4())
    follower.connect(0.0)
    follower.receive(_run_event("run:start", ours, event_id=EVENT), 0.0)
    follower.receive(_run_event("run:start", other, event_id=str(uuid4())), 0.0)
    follower.receive(_run_event("run:stop", other, status="succeeded"), 0.0)
    assert not follower.done

    follower.receive(_run_event("run:stop", ours, status="succeeded", event_id=EVENT), 0.0)
    assert follower.done
    assert follower.result().run_id == ours


def test_a_reconnect_due_exactly_at_the_deadline_ends_the_follow_with_a_timeout() -> None:
    # A 429's retry_after is waited in full, with no jitter: due when the time runs out.
    follower = RunStreamFollower(stream_id=STREAM, event_id=EVENT, timeout=3.0, finish=identity)
    follower.connect(0.0)
    busy = RateLimitError(
        "too many streams",
        response=httpx.Response(429, request=httpx.Request("GET", "http://hot.test/")),
        retry_after=3.0,
    )

    with pytest.raises(HotTimeoutError, match=r"the next attempt was due in 3\.0 s"):
        follower.ended(busy, 0.0)
