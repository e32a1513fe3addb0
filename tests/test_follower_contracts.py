"""The arguments a follower refuses, and what it answers when asked for a result
it does not have: the state machines' own contracts, without I/O."""

from __future__ import annotations

import pytest

from hot_typed import (
    AsyncHotClient,
    HotClient,
    HotStreamError,
    PermissionDeniedError,
    RateLimitError,
)
from hot_typed._streaming import RunStreamFollower, identity
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer


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
    with pytest.raises(ValueError, match=message):
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
