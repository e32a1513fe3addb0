"""A run's result arrives exactly once, whatever happens between the client and Hot.

Each case runs over a real loopback socket (the emulator, or a scripted server
where the exact bytes and their order matter) with both clients: runs Hot
retries, 429/503 storms on reconnect, quiet runs spanning many stream windows,
and refusals of the publishing POST.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from hot_typed import (
    AsyncHotClient,
    EventCreateParams,
    EventPublished,
    HotClient,
    HotRunError,
    HotStreamError,
    HotTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunFail,
    RunStart,
    RunStatus,
    RunStop,
    StreamEvent,
)
from hot_typed.testing import HandlerEvent, HotEmulator, HttpResponse, RunContext

from .sse_script import (
    DROP,
    SseScript,
    close,
    collect,
    comment,
    event,
    make_client,
    paths,
    resolve,
    run,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

Client = HotClient | AsyncHotClient
JOB: EventCreateParams = {"event_type": "job:go", "event_data": {"n": 1}}


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator(stream_time_limit=0.1, keepalive_interval=0.02) as emu:
        yield emu


def client(emu: HotEmulator, mode: str) -> Client:
    return emu.client() if mode == "sync" else emu.async_client()


def posts(emu: HotEmulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "POST"]


def stream_gets(emu: HotEmulator) -> int:
    return sum(1 for r in emu.requests if r.method == "GET" and "/streams/" in r.path)


def fails_until(attempt: int, *, work: float = 0.0) -> Any:
    """A handler whose attempts before `attempt` fail; that one returns its number."""

    def handler(event: HandlerEvent, ctx: RunContext) -> Any:
        time.sleep(work)
        if ctx.retry_attempt < attempt:
            raise RuntimeError(f"attempt {ctx.retry_attempt} failed")
        return {"attempt": ctx.retry_attempt}

    return handler


async def published_events(hot: Client) -> list[Any]:
    pending: Any = hot.events.list()  # a Page, or a coroutine of an AsyncPage
    return list((await resolve(pending)).data)


def ends(events: list[StreamEvent]) -> list[tuple[str, str, int]]:
    return [
        (e.type, str(e.run.status), e.run.retry_attempt)
        for e in events
        if isinstance(e, RunStart | RunStop | RunFail)
    ]


async def first_run_of(hot: Client, event_id: str) -> str:
    for _ in range(200):
        pending: Any = hot.events.get_runs(event_id)  # a Page, or a coroutine of an AsyncPage
        page = await resolve(pending)
        if page.data:
            run_id: str = page.data[0].run_id
            return run_id
        time.sleep(0.005)
    raise AssertionError("the event started no run")


# ---------------------------------------------------------------- runs Hot retries


async def test_a_run_retried_twice_is_followed_to_the_attempt_that_succeeded(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(2), retry=2)
    hot = client(emulator, mode)
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
    finally:
        await close(hot)

    assert isinstance(events[0], EventPublished)
    # A failed attempt is pushed as `run:fail` though a retry is pending: only
    # its status tells (crates/hot_worker/src/server.rs `is_error_result`).
    assert ends(events) == [
        ("run:start", "running", 0),
        ("run:fail", "pending_retry", 1),
        ("run:start", "running", 1),
        ("run:fail", "pending_retry", 2),
        ("run:start", "running", 2),
        ("run:stop", "succeeded", 2),
    ]
    last = events[-1]
    assert isinstance(last, RunStop)
    assert last.run.result == {"attempt": 2}
    starts = [e.run for e in events if isinstance(e, RunStart)]
    assert [r.origin_run_id for r in starts] == [None, starts[0].run_id, starts[1].run_id]
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"]


async def test_waiting_on_the_first_attempt_returns_the_attempt_that_succeeded(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(2, work=0.05), retry=2)
    hot = client(emulator, mode)
    try:
        published = await resolve(hot.events.publish(JOB))
        first = await first_run_of(hot, published.event_id)
        waited = await resolve(hot.runs.wait(first, timeout=10))
        result = await resolve(
            hot.streams.wait_for_run_result(published.stream_id, published.event_id, timeout=10)
        )
    finally:
        await close(hot)

    for final in (waited, result):
        assert final.status is RunStatus.SUCCEEDED
        assert final.retry_attempt == 2
        assert final.run_id != first
        assert final.result == {"attempt": 2}
    assert posts(emulator) == ["/v1/events"]


async def test_waiting_on_a_middle_attempt_reads_its_origin_then_returns_the_last(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(2), retry=2)
    hot = client(emulator, mode)
    try:
        starts = [
            e.run
            for e in await collect(hot.streams.subscribe_with_event(JOB))
            if isinstance(e, RunStart)
        ]
        waited = await resolve(hot.runs.wait(starts[1].run_id, timeout=10))
    finally:
        await close(hot)

    assert (waited.run_id, waited.status) == (starts[2].run_id, RunStatus.SUCCEEDED)
    # The middle attempt's attempt number is its origin's retry_attempt.
    assert paths(emulator.requests)[-3:] == [
        f"GET /v1/runs/{starts[1].run_id}/subscribe",
        f"GET /v1/runs/{starts[0].run_id}/subscribe",
        f"GET /v1/streams/{starts[0].stream_id}/subscribe",
    ]


async def test_a_run_failing_every_attempt_raises_for_the_last_attempt(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(99), retry=2)
    hot = client(emulator, mode)
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
        published = events[0]
        assert isinstance(published, EventPublished)
        first = await first_run_of(hot, published.event_id)
        with pytest.raises(HotRunError) as waited:
            await resolve(hot.runs.wait(first, timeout=10))
        with pytest.raises(HotRunError) as result:
            await resolve(
                hot.streams.wait_for_run_result(
                    published.stream_id, published.event_id, timeout=10
                )
            )
    finally:
        await close(hot)

    assert ends(events)[-1] == ("run:fail", "failed", 2)
    assert sum(isinstance(e, RunStart) for e in events) == 3
    for error in (waited.value, result.value):
        assert error.run.retry_attempt == 2
        assert error.run.status is RunStatus.FAILED
        assert "attempt 2 failed" in str(error)
    assert not RunStatus.PENDING_RETRY.is_terminal


async def test_calls_are_never_retried(mode: str, emulator: HotEmulator) -> None:
    calls: list[int] = []

    @emulator.on_call("::app/flaky")
    def flaky(event: HandlerEvent, ctx: RunContext) -> Any:
        calls.append(ctx.retry_attempt)
        raise RuntimeError("no")

    hot = client(emulator, mode)
    try:
        with pytest.raises(HotRunError) as error:
            await resolve(hot.events.call_hot("::app/flaky", timeout=10))
    finally:
        await close(hot)

    assert calls == [0]
    assert error.value.run.retry_attempt == 0


async def test_a_call_that_starts_a_background_task_returns_its_own_result(
    mode: str, emulator: HotEmulator
) -> None:
    # The task's run names the call's run as origin, on the same stream.
    @emulator.on_call("::app/order")
    def order(event: HandlerEvent, ctx: RunContext) -> str:
        ctx.start_task("::app/email-report")  # still running when the call returns
        return "order accepted"

    hot = client(emulator, mode)
    try:
        value = await resolve(hot.events.call_hot("::app/order", timeout=5))
    finally:
        await close(hot)

    assert value == "order accepted"


# Scripted: the exact order a server replays a retry chain in after a reconnect.

STREAM = "0190b2f4-0000-7000-8000-000000000001"
EVENT = "0190b2f4-0000-7000-8000-0000000000e1"
RETRY_EVENT = "0190b2f4-0000-7000-8000-0000000000e2"
FIRST = "0190b2f4-0000-7000-8000-0000000000a1"
SECOND = "0190b2f4-0000-7000-8000-0000000000a2"
PUBLISHED = event(
    {
        "type": "event:published",
        "event_id": str(EVENT),
        "stream_id": str(STREAM),
        "event_type": "hot:call",
    }
)


def attempt(kind: str, run_id: str, status: str, retry_attempt: int, **fields: Any) -> bytes:
    origin = FIRST if run_id == SECOND else None
    record = run(
        run_id,
        status=status,
        event_id=RETRY_EVENT if origin else EVENT,
        stream_id=STREAM,
        **fields,
    )
    record.update(origin_run_id=None if origin is None else str(origin))
    record.update(retry_attempt=retry_attempt)
    return event({"type": kind, "run": record})


async def test_call_hot_follows_a_retry_replayed_newest_first_after_a_drop(mode: str) -> None:
    with SseScript(
        [
            PUBLISHED,
            attempt("run:start", FIRST, "running", 0),
            attempt("run:stop", FIRST, "pending_retry", 1, result={"$err": "boom"}),
            DROP,
        ],
        [
            # The retry is newer: replayed first; the first attempt is `failed` by now.
            attempt("run:start", SECOND, "running", 1),
            attempt("run:start", FIRST, "failed", 1, result={"$err": "boom"}),
            attempt("run:fail", FIRST, "failed", 1, result={"$err": "boom"}),
            attempt("run:stop", SECOND, "succeeded", 1, result=5),
        ],
        records={},
    ) as server:
        hot = make_client(server, mode)
        try:
            assert await resolve(hot.events.call_hot("::app/add", [2, 3])) == 5
        finally:
            await close(hot)

    assert paths(server.requests) == [
        "POST /v1/streams/subscribe-with-event",
        f"GET /v1/streams/{STREAM}/subscribe",
    ]


async def test_a_failed_attempt_whose_retry_is_queued_is_not_taken_as_the_result(
    mode: str,
) -> None:
    with SseScript(
        [PUBLISHED, attempt("run:start", FIRST, "running", 0), DROP],
        [
            # Reconnected after the scheduler queued the retry and marked the
            # attempt failed, before the retry's run exists: its retry_attempt
            # (1) is past its own attempt number (0), so a retry is coming.
            attempt("run:start", FIRST, "failed", 1, result={"$err": "boom"}),
            attempt("run:fail", FIRST, "failed", 1, result={"$err": "boom"}),
            attempt("run:start", SECOND, "running", 1),
            attempt("run:stop", SECOND, "succeeded", 1, result=7),
        ],
        records={},
    ) as server:
        hot = make_client(server, mode)
        try:
            assert await resolve(hot.events.call_hot("::app/add", [3, 4])) == 7
        finally:
            await close(hot)


# ---------------------------------------------------------------- 429 and 5xx on reconnect


async def test_a_429_storm_on_reconnect_is_waited_out_and_the_result_arrives_once(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(0, work=0.4))
    emulator.faults.rate_limit(0, times=12, method="GET", path="/streams/")
    hot = client(emulator, mode)
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
    finally:
        await close(hot)

    assert ends(events) == [("run:start", "running", 0), ("run:stop", "succeeded", 0)]
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"]
    assert stream_gets(emulator) > 12


async def test_retry_after_of_a_429_on_reconnect_is_honoured(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(0, work=0.15))
    emulator.faults.rate_limit(1, times=1, method="GET", path="/streams/")
    hot = client(emulator, mode)
    started = time.monotonic()
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
    finally:
        await close(hot)

    assert time.monotonic() - started >= 1.0
    assert ends(events)[-1] == ("run:stop", "succeeded", 0)


async def test_retry_after_as_an_http_date_on_reconnect_is_honoured(mode: str) -> None:
    ours = run(FIRST, event_id=EVENT, stream_id=STREAM)
    done = run(FIRST, status="succeeded", event_id=EVENT, stream_id=STREAM, result=1)
    refused = HttpResponse.json(
        {"error": {"code": "rate_limit_exceeded", "message": "slow down"}},
        429,
        # Whole seconds only, and written before the client even connects: 1.5 to 2.5 s
        # from now, so at least half a second is left when the 429 is read under load.
        headers={"Retry-After": formatdate(time.time() + 2.5, usegmt=True)},
    )
    with SseScript(
        [PUBLISHED, event({"type": "run:start", "run": ours})],
        refused,
        [event({"type": "run:start", "run": ours}), event({"type": "run:stop", "run": done})],
        records={},
    ) as server:
        hot = make_client(server, mode)
        started = time.monotonic()
        try:
            assert await resolve(hot.events.call_hot("::app/one")) == 1
        finally:
            await close(hot)

    # Longer than any first backoff (at most 0.25 s): the date was honoured.
    assert time.monotonic() - started >= 0.4
    assert [r.method for r in server.subscriptions] == ["POST", "GET", "GET"]


async def test_a_503_storm_on_reconnect_is_waited_out(mode: str, emulator: HotEmulator) -> None:
    emulator.on_event("job:go", fails_until(0, work=0.3))
    # Two with no retry_after (backoff), then a storm that says to come back at once.
    emulator.faults.fail_next(503, times=2, method="GET", path="/streams/")
    emulator.faults.fail_next(503, times=8, method="GET", path="/streams/", retry_after=0)
    hot = client(emulator, mode)
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
    finally:
        await close(hot)

    assert ends(events)[-1] == ("run:stop", "succeeded", 0)
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"]


async def test_a_retry_after_past_the_timeout_times_out_at_once(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_event("job:go", fails_until(0, work=5))
    hot = client(emulator, mode)
    try:
        published = await resolve(hot.events.publish(JOB))
        first = await first_run_of(hot, published.event_id)
        emulator.faults.rate_limit(30, times=1, method="GET")
        started = time.monotonic()
        with pytest.raises(HotTimeoutError, match=r"due in 30\.0 s") as error:
            await resolve(hot.runs.wait(first, timeout=2))
    finally:
        await close(hot)

    assert time.monotonic() - started < 1.0
    assert isinstance(error.value.__cause__, RateLimitError)


# ---------------------------------------------------------------- quiet runs


async def test_an_hour_long_quiet_run_across_many_windows_delivers_its_result_once(
    mode: str,
) -> None:
    # 0.05 s windows standing for the server's 5 minutes: 12+ windows = an hour.
    with HotEmulator(stream_time_limit=0.05, keepalive_interval=0.01) as emu:
        emu.on_event("job:go", fails_until(0, work=0.9))
        hot = client(emu, mode)
        try:
            events = await collect(hot.streams.subscribe_with_event(JOB))
        finally:
            await close(hot)

    assert ends(events) == [("run:start", "running", 0), ("run:stop", "succeeded", 0)]
    assert posts(emu) == ["/v1/streams/subscribe-with-event"]
    assert stream_gets(emu) >= 12
    assert [e.type for e in events].count("stream:complete") >= 12


async def test_a_quiet_run_waited_on_holds_one_subscription_to_its_end(mode: str) -> None:
    # crates/hot_api/src/handlers/runs.rs `subscribe_to_run` has no time limit,
    # unlike a stream's: the emulator's short windows end stream subscriptions,
    # never this one.
    with HotEmulator(stream_time_limit=0.05, keepalive_interval=0.01) as emu:
        emu.on_event("job:go", fails_until(0, work=0.8))
        hot = client(emu, mode)
        try:
            published = await resolve(hot.events.publish(JOB))
            first = await first_run_of(hot, published.event_id)
            waited = await resolve(hot.runs.wait(first, timeout=None))
        finally:
            await close(hot)

    assert waited.status is RunStatus.SUCCEEDED
    subscribes = [r for r in emu.requests if r.path.endswith(f"/runs/{first}/subscribe")]
    assert len(subscribes) == 1


async def test_a_clean_close_before_event_published_is_not_posted_again(mode: str) -> None:
    with SseScript([comment("keepalive"), comment("keepalive")], records={}) as server:
        hot = make_client(server, mode)
        try:
            with pytest.raises(HotStreamError, match="unknown whether the event was published"):
                await collect(hot.streams.subscribe_with_event(JOB))
        finally:
            await close(hot)

    assert paths(server.requests) == ["POST /v1/streams/subscribe-with-event"]


# ---------------------------------------------------------------- refusals of the publishing POST


async def test_a_429_on_the_publishing_post_is_sent_again_and_publishes_once(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.faults.rate_limit(0, times=1, method="POST")
    hot = client(emulator, mode)
    try:
        events = await collect(hot.streams.subscribe_with_event(JOB))
        published = await published_events(hot)
    finally:
        await close(hot)

    assert isinstance(events[0], EventPublished)
    assert ends(events)[-1] == ("run:stop", "succeeded", 0)
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"] * 2
    assert len(published) == 1


async def test_a_429_storm_on_the_publishing_post_raises_rate_limit_error_unpublished(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.faults.rate_limit(0, times=5, method="POST")
    hot = client(emulator, mode)
    try:
        with pytest.raises(RateLimitError):
            await collect(hot.streams.subscribe_with_event(JOB))
        published = await published_events(hot)
    finally:
        await close(hot)

    # Sent once, then again as often as the client's retry policy allows (max_retries=2).
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"] * 3
    assert published == []


async def test_a_4xx_on_the_publishing_post_is_raised_as_itself(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.faults.fail_next(403, method="POST")
    hot = client(emulator, mode)
    try:
        with pytest.raises(PermissionDeniedError):
            await resolve(hot.events.call_hot("::app/anything"))
    finally:
        await close(hot)

    assert len(posts(emulator)) == 1


async def test_a_404_for_an_unknown_project_comes_after_the_event_was_published(
    mode: str, emulator: HotEmulator
) -> None:
    # crates/hot_api/src/handlers/streams.rs `subscribe_with_event` publishes
    # (step 5) before it resolves `?project=`: the event is taken, its run goes.
    emulator.on_event("job:go", fails_until(0))
    hot = client(emulator, mode)
    try:
        with pytest.raises(
            HotStreamError, match="unknown whether the event was published"
        ) as error:
            await collect(hot.streams.subscribe_with_event(JOB, project="no-such-project"))
        [published] = await published_events(hot)
        await first_run_of(hot, published.event_id)
    finally:
        await close(hot)

    assert isinstance(error.value.__cause__, NotFoundError)
    assert posts(emulator) == ["/v1/streams/subscribe-with-event"]
    assert emulator.subscribers(published.stream_id) == 0


async def test_a_5xx_on_the_publishing_post_is_an_unknown_publish_never_resent(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.faults.fail_next(503, method="POST", retry_after=0)
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotStreamError, match="unknown whether the event was published"):
            await collect(hot.streams.subscribe_with_event(JOB))
    finally:
        await close(hot)

    assert len(posts(emulator)) == 1
