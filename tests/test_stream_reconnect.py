"""`streams.subscribe_with_event`: published exactly once, followed across reconnects."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from hot_typed import (
    EventCreate,
    EventCreateParams,
    EventPublished,
    HotConnectionError,
    HotStreamError,
    NotFoundError,
    RunStart,
    RunStop,
    StreamComplete,
    StreamData,
    StreamEvent,
)
from hot_typed.testing import HttpResponse

from .sse_script import (
    DROP,
    Script,
    SseScript,
    close,
    collect,
    event,
    make_client,
    paths,
    refused_url,
    run,
    stream_data,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

STREAM = "0190b2f4-0000-7000-8000-000000000001"
EVENT = "0190b2f4-0000-7000-8000-0000000000e1"
OURS = "0190b2f4-0000-7000-8000-0000000000a1"
OTHER = "0190b2f4-0000-7000-8000-0000000000b2"
BODY: EventCreateParams = {"event_type": "order.created", "event_data": {"id": 7}}

PUBLISHED = event(
    {
        "type": "event:published",
        "event_id": str(EVENT),
        "stream_id": str(STREAM),
        "event_type": "order.created",
    }
)


def start(run_id: str) -> bytes:
    return event({"type": "run:start", "run": run(run_id, event_id=_event_of(run_id))})


def stop(run_id: str, kind: str = "run:stop", status: str = "succeeded") -> bytes:
    finished = run(run_id, status=status, event_id=_event_of(run_id), result=42)
    return event({"type": kind, "run": finished})


def data(run_id: str, text: str) -> bytes:
    return stream_data(run_id, {"text": text})


COMPLETE = event({"type": "stream:complete", "stream_id": str(STREAM)})
RESUBSCRIBE = f"GET /v1/streams/{STREAM}/subscribe"
# What a reconnect checks before reading the replay: our run once it is known,
# else the runs of our event.
CHECK_OURS = f"GET /v1/runs/{OURS}"
CHECK_EVENT = f"GET /v1/events/{EVENT}/runs"


def _event_of(run_id: str) -> str:
    # The unrelated run was started by some other event on the same stream.
    return EVENT if run_id == OURS else "0190b2f4-0000-7000-8000-0000000000e2"


def names(events: list[StreamEvent]) -> list[str]:
    out = []
    for e in events:
        run_id = getattr(getattr(e, "run", None), "run_id", None)
        who = "" if run_id is None else (" ours" if run_id == OURS else " other")
        out.append(e.type + who)
    return out


async def follow(
    mode: str, *scripts: Script, **options: Any
) -> tuple[list[StreamEvent], SseScript]:
    # The checks of each reconnect are answered 404 here, so that only the
    # streams' replays tell what happened (the checks: test_stream_replay_window.py).
    with SseScript(*scripts, records={}) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.streams.subscribe_with_event(BODY, **options))
        finally:
            await close(client)
    return events, server


async def test_publishes_through_one_post_and_ends_after_the_correlated_terminal_event(
    mode: str,
) -> None:
    events, server = await follow(
        mode,
        [PUBLISHED, start(OURS), data(OURS, "hé"), stop(OURS), start(OTHER)],
    )

    assert names(events) == ["event:published", "run:start ours", "stream:data", "run:stop ours"]
    assert isinstance(events[0], EventPublished)
    assert events[0].event_id == EVENT
    assert isinstance(events[-1], RunStop)
    assert events[-1].run.result == 42
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/streams/subscribe-with-event")
    assert request.json() == BODY
    assert request.headers["accept"] == "text/event-stream"


async def test_stream_complete_resubscribes_with_get_and_never_posts_again(mode: str) -> None:
    events, server = await follow(
        mode,
        [PUBLISHED, start(OURS), data(OURS, "a"), COMPLETE],
        # The server replays run:start on reconnect; never stream:data.
        [start(OURS), data(OURS, "b"), stop(OURS)],
        project="shop",
    )

    assert names(events) == [
        "event:published",
        "run:start ours",
        "stream:data",
        "stream:complete",
        "stream:data",
        "run:stop ours",
    ]
    assert [e.payload["text"] for e in events if isinstance(e, StreamData)] == ["a", "b"]
    assert paths(server.requests) == [
        "POST /v1/streams/subscribe-with-event",
        RESUBSCRIBE,
        CHECK_OURS,
    ]
    assert [r.query for r in server.subscriptions] == [{"project": "shop"}, {"project": "shop"}]
    assert sum(r.method == "POST" for r in server.requests) == 1


async def test_other_runs_terminal_events_pass_through_without_ending_the_stream(
    mode: str,
) -> None:
    events, _ = await follow(
        mode,
        [PUBLISHED, start(OTHER), start(OURS), stop(OTHER, "run:fail", "failed"), stop(OURS)],
    )

    assert names(events) == [
        "event:published",
        "run:start other",
        "run:start ours",
        "run:fail other",
        "run:stop ours",
    ]


async def test_replayed_run_start_and_terminal_events_are_yielded_once(mode: str) -> None:
    events, server = await follow(
        mode,
        [PUBLISHED, start(OTHER), start(OURS), stop(OTHER), COMPLETE],
        [start(OTHER), start(OURS), stop(OTHER), COMPLETE],
        [start(OTHER), start(OURS), stop(OTHER), stop(OURS)],
    )

    assert names(events) == [
        "event:published",
        "run:start other",
        "run:start ours",
        "run:stop other",
        "stream:complete",
        "stream:complete",
        "run:stop ours",
    ]
    assert paths(server.requests)[1:] == [RESUBSCRIBE, CHECK_OURS] * 2


# The first connection's full story; the reconnect replays every run:start and
# terminal event, as the server does, and stream:data is never replayed.
FIRST = [PUBLISHED, start(OTHER), start(OURS), data(OURS, "chunk"), stop(OTHER), stop(OURS)]
REPLAY = [start(OTHER), start(OURS), stop(OTHER), stop(OURS)]


def _drop_points() -> list[tuple[int, int]]:
    """(frame index, byte offset) of a drop: before, in the middle of, and after each frame."""
    points = [(0, 0)]
    offset = 0
    for index, frame in enumerate(FIRST):
        points += [(index, offset + len(frame) // 2), (index + 1, offset + len(frame))]
        offset += len(frame)
    return points[:-1]  # a drop after the last frame is no drop: the follow is over


@pytest.mark.parametrize(("delivered", "offset"), _drop_points())
async def test_a_drop_anywhere_loses_and_duplicates_no_terminal_event_and_publishes_once(
    mode: str, delivered: int, offset: int
) -> None:
    first = b"".join(FIRST)[:offset]
    scripts: list[Script] = [[first, DROP] if first else [DROP], REPLAY]

    if delivered == 0:
        with pytest.raises(HotStreamError, match="unknown whether the event was published"):
            await follow(mode, *scripts)
        return

    events, server = await follow(mode, *scripts)

    expected = ["event:published", "run:start other", "run:start ours"]
    if delivered >= 4:
        expected.append("stream:data")
    expected += ["run:stop other", "run:stop ours"]
    assert names(events) == expected
    ours_started = delivered > 2  # FIRST[2] starts our run
    assert paths(server.requests) == [
        "POST /v1/streams/subscribe-with-event",
        RESUBSCRIBE,
        CHECK_OURS if ours_started else CHECK_EVENT,
    ]


async def test_a_connection_cut_before_any_response_is_an_unknown_publish(mode: str) -> None:
    with pytest.raises(HotStreamError, match="unknown whether the event was published") as error:
        await follow(mode, DROP)

    assert isinstance(error.value.__cause__, HotConnectionError)


async def test_a_refused_connection_is_retried_then_reported_as_not_published(
    mode: str,
) -> None:
    client = make_client(refused_url(), mode)
    try:
        with pytest.raises(HotStreamError, match="the event was not published") as error:
            await collect(client.streams.subscribe_with_event(BODY, max_attempts=1))
    finally:
        await close(client)

    assert "2 connection attempt(s) in a row that got no answer" in str(error.value)
    assert isinstance(error.value.__cause__, HotConnectionError)
    assert error.value.__cause__.request_sent is False


async def test_gives_up_after_max_attempts_connections_in_a_row_that_got_no_answer(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError, match="gave up after 3 connection attempt") as error:
        await follow(
            mode,
            [PUBLISHED, start(OURS), DROP],
            [start(OURS), DROP],  # answered: the count starts over
            DROP,
            DROP,
            DROP,
            [start(OURS), stop(OURS)],  # never reached
            max_attempts=2,
        )

    assert "got no answer, over" in str(error.value)
    assert isinstance(error.value.__cause__, HotConnectionError)


async def test_progress_restarts_the_attempt_count(mode: str) -> None:
    events, server = await follow(
        mode,
        [PUBLISHED, DROP],
        [start(OURS), DROP],
        [data(OURS, "x"), DROP],
        [stop(OURS)],
        max_attempts=1,
    )

    assert names(events)[-1] == "run:stop ours"
    assert len(server.subscriptions) == 4


async def test_without_reconnect_yields_one_connections_events(mode: str) -> None:
    events, server = await follow(
        mode, [PUBLISHED, start(OURS), COMPLETE], [stop(OURS)], reconnect=False
    )

    assert names(events) == ["event:published", "run:start ours", "stream:complete"]
    assert isinstance(events[-1], StreamComplete)
    assert len(server.requests) == 1


async def test_without_reconnect_a_drop_raises_the_connection_error(mode: str) -> None:
    with pytest.raises(HotConnectionError):
        await follow(mode, [PUBLISHED, start(OURS), DROP], reconnect=False)


async def test_an_api_error_on_resubscribe_ends_the_follow(mode: str) -> None:
    not_found = HttpResponse.json({"error": {"code": "not_found", "message": "Stream"}}, 404)
    with pytest.raises(NotFoundError):
        await follow(mode, [PUBLISHED, COMPLETE], not_found)


@pytest.mark.parametrize(
    "body",
    [{"event_type": "hot:run"}, {"event_type": "x", "surprise": 1}, {"event_data": {}}],
)
async def test_an_invalid_body_is_refused_before_anything_is_sent(
    mode: str, body: Any
) -> None:
    with SseScript() as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(pydantic.ValidationError):
                client.streams.subscribe_with_event(body)
        finally:
            await close(client)

    assert server.requests == []


async def test_accepts_an_event_create_model(mode: str) -> None:
    with SseScript([PUBLISHED, start(OURS), stop(OURS)]) as server:
        client = make_client(server, mode)
        try:
            body = EventCreate(event_type="order.created", event_data=None, stream_id=STREAM)
            events = await collect(client.streams.subscribe_with_event(body))
        finally:
            await close(client)

    assert isinstance(events[1], RunStart)
    assert server.requests[0].json() == {
        "event_type": "order.created",
        "event_data": None,
        "stream_id": str(STREAM),
    }
