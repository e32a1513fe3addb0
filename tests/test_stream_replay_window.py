"""A run's result arrives exactly once even when the stream replays it no more.

crates/hot_api/src/handlers/streams.rs replays, on every connection, only the
stream's newest 100 runs (`get_runs_by_stream(.., Some(100), Some(0))`, by
start time: crates/hot/src/db/run.rs); an older run's end reaches a connection
only as a push, while it is open. So on a busy stream an hour-long run that
ends between two connections would never be told. Each connection of a
follower therefore first reads the run (`GET /v1/runs/{id}`), or the runs of
its event while none is known (`GET /v1/events/{id}/runs`).

Against the emulator, whose subscriptions replay as the server does, over a
real loopback socket, with both clients.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest

from hot_typed import (
    AsyncEventStream,
    EventCreateParams,
    EventPublished,
    EventStream,
    FinishedRun,
    HotClient,
    HotTimeoutError,
    Run,
    RunCancel,
    RunFail,
    RunStart,
    RunStatus,
    RunStop,
    StreamEvent,
    TaskUpdate,
)
from hot_typed._streaming import STREAM_RUNS_READ, as_replayed, run_record, runs_of_event
from hot_typed.testing import HandlerEvent, HotEmulator, HttpResponse, RunContext

from . import payloads
from .polling import wait_until
from .sse_script import (
    Client,
    SseScript,
    close,
    collect,
    event,
    make_client,
    on_emulator,
    paths,
    resolve,
    run,
    run_event,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

LONG = "job:long"


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator(stream_time_limit=0.3, keepalive_interval=0.05) as emu:
        yield emu


def publish_on(hot: HotClient, stream_id: str, event_type: str, count: int = 1) -> list[str]:
    return [
        hot.events.publish({"event_type": event_type, "stream_id": stream_id}).event_id
        for _ in range(count)
    ]


def runs_on(hot: HotClient, stream_id: str) -> list[Run]:
    return [run for run in hot.runs.list(limit=500) if run.stream_id == stream_id]


def stopped(hot: HotClient, stream_id: str, count: int) -> Callable[[], bool]:
    """Whether `count` runs on the stream have ended."""
    return lambda: sum(run.stop_time is not None for run in runs_on(hot, stream_id)) == count


def the_run_of(hot: HotClient, event_id: str) -> str:
    (run,) = hot.events.get_runs(event_id)
    return run.run_id


def ended_before(emulator: HotEmulator, newer: int) -> tuple[str, str]:
    """A new stream and the event of its first run, ended, after which `newer`
    runs started and ended on the stream."""
    stream_id = str(uuid4())
    hot = emulator.client()
    (ours,) = publish_on(hot, stream_id, "job:first")
    publish_on(hot, stream_id, "job:later", newer)
    wait_until(stopped(hot, stream_id, newer + 1), timeout=10)
    return stream_id, ours


async def collect_within(
    seconds: float, stream: EventStream[StreamEvent] | AsyncEventStream[StreamEvent]
) -> list[StreamEvent]:
    """Every event of a follow, failing if it has not ended after `seconds` (a
    follow has no overall bound; the emulator's short windows send events often)."""
    deadline = time.monotonic() + seconds
    events: list[StreamEvent] = []

    def keep(item: StreamEvent) -> None:
        events.append(item)
        if time.monotonic() > deadline:
            raise AssertionError(f"the follow did not end within {seconds} s")

    if isinstance(stream, AsyncEventStream):
        async for item in stream:
            keep(item)
    else:
        for item in stream:
            keep(item)
    return events


def paths_of(emulator: HotEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests]


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize(
    ("newer", "replayed"),
    [(STREAM_RUNS_READ - 1, True), (STREAM_RUNS_READ, False)],
    ids=["among-the-newest-100", "one-past-them"],
)
def test_a_subscription_replays_a_run_only_among_the_streams_newest_runs(
    mode: str, emulator: HotEmulator, newer: int, replayed: bool
) -> None:
    stream_id, ours = ended_before(emulator, newer)

    def subscribe(client: Client) -> Any:
        return collect(client.streams.subscribe(stream_id))

    events: list[StreamEvent] = on_emulator(mode, emulator, subscribe)
    started = [e.run.event_id for e in events if isinstance(e, RunStart)]
    assert len(started) == STREAM_RUNS_READ
    assert (ours in started) is replayed


@pytest.mark.parametrize("newer", [STREAM_RUNS_READ - 1, STREAM_RUNS_READ])
def test_waiting_for_a_run_older_than_the_replay_returns_it(
    mode: str, emulator: HotEmulator, newer: int
) -> None:
    stream_id, ours = ended_before(emulator, newer)

    finished: FinishedRun = on_emulator(
        mode,
        emulator,
        lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=5),
    )
    assert finished.event_id == ours
    assert finished.status is RunStatus.SUCCEEDED
    assert f"GET /v1/events/{ours}/runs" in paths_of(emulator)


# ---------------------------------------------------------------- an end between connections


class World:
    """What happens on the server while a follower of `stream_id` waits: once
    the follower's first window ended and its reconnects are refused (a 429
    storm), `STREAM_RUNS_READ` newer runs start and end on the stream, then
    the long run ends, then the storm stops."""

    def __init__(self, emulator: HotEmulator, stream_id: str) -> None:
        self.emulator = emulator
        self.stream_id = stream_id
        self.release = threading.Event()
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

        @emulator.on_event(LONG)
        def long_run(event: HandlerEvent, ctx: RunContext) -> Any:
            self.release.wait(20)
            return {"answer": 42}

    def __enter__(self) -> World:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._thread.join(20)
        if self.failure is not None:
            raise self.failure

    def _subscribes(self) -> int:
        where = f"/v1/streams/{self.stream_id}/subscribe"
        return sum(r.path == where for r in self.emulator.requests)

    def _following(self) -> bool:
        """Whether the follower's first connection is open: the publishing
        POST, or the check a waiter sends once its first GET is answered."""
        return any(
            r.path == "/v1/streams/subscribe-with-event"
            or (r.path.startswith("/v1/events/") and r.path.endswith("/runs"))
            for r in self.emulator.requests
        )

    def _run(self) -> None:
        emulator = self.emulator
        hot = emulator.client()
        try:
            wait_until(lambda: self._following() and runs_on(hot, self.stream_id), timeout=10)
            emulator.faults.rate_limit(
                1, times=1_000_000, path=f"/streams/{self.stream_id}", method="GET"
            )
            before = self._subscribes()
            wait_until(lambda: self._subscribes() > before, timeout=10)  # refused: in the gap
            publish_on(hot, self.stream_id, "job:later", STREAM_RUNS_READ)
            wait_until(stopped(hot, self.stream_id, STREAM_RUNS_READ), timeout=10)
            self.release.set()
            wait_until(stopped(hot, self.stream_id, STREAM_RUNS_READ + 1), timeout=10)
            emulator.faults.clear()
        except BaseException as error:  # reported by __exit__, in the test's thread
            self.failure = error
            emulator.faults.clear()


def test_a_run_that_ended_between_connections_past_the_replay_is_returned_once(
    mode: str, emulator: HotEmulator
) -> None:
    stream_id = str(uuid4())
    hot = emulator.client()
    with World(emulator, stream_id):
        (ours,) = publish_on(hot, stream_id, LONG)
        finished: FinishedRun = on_emulator(
            mode,
            emulator,
            lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=10),
        )

    assert finished.event_id == ours
    assert finished.result == {"answer": 42}
    # The reconnect after the gap read the run: the replay had only newer runs.
    assert f"GET /v1/runs/{the_run_of(hot, ours)}" in paths_of(emulator)


def test_a_followed_publish_whose_run_ended_past_the_replay_yields_its_end_once(
    mode: str, emulator: HotEmulator
) -> None:
    stream_id = str(uuid4())
    body: EventCreateParams = {"event_type": LONG, "stream_id": stream_id}

    def follow(client: Client) -> Any:
        return collect_within(10, client.streams.subscribe_with_event(body))

    with World(emulator, stream_id):
        events: list[StreamEvent] = on_emulator(mode, emulator, follow)

    published = events[0]
    assert isinstance(published, EventPublished)
    ours = [
        e
        for e in events
        if isinstance(e, RunStart | RunStop) and e.run.event_id == published.event_id
    ]
    assert [e.type for e in ours] == ["run:start", "run:stop"]
    assert isinstance(ours[-1], RunStop)
    assert ours[-1].run.result == {"answer": 42}
    assert events[-1] is ours[-1]  # the follow ended on it


# ---------------------------------------------------------------- a check that fails


def test_a_refused_check_leaves_the_follow_to_the_streams_replay_and_is_logged(
    mode: str, emulator: HotEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    stream_id, ours = ended_before(emulator, 0)
    emulator.faults.fail_next(403, path="/events/")

    with caplog.at_level(logging.INFO, logger="hot_typed"):
        finished: FinishedRun = on_emulator(
            mode,
            emulator,
            lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=5),
        )
    assert finished.event_id == ours
    checks = [r.path for r in emulator.requests if r.path.startswith("/v1/events/")]
    assert checks == [f"/v1/events/{ours}/runs"]  # refused once, not asked again
    (logged,) = [r.getMessage() for r in caplog.records if "check" in r.getMessage()]
    assert logged.startswith(f"run of event {ours}: following the stream without its check: 403")


def test_the_checks_are_reads_the_transport_may_send_again(mode: str) -> None:
    for check in (run_record(str(uuid4()), None), runs_of_event(str(uuid4()), None)):
        assert check.request.method == "GET"
        assert check.request.idempotent


def test_a_check_that_hangs_on_a_reconnect_ends_at_the_waits_own_timeout(
    mode: str, emulator: HotEmulator
) -> None:
    release = threading.Event()
    emulator.on_event(LONG, lambda event, ctx: release.wait(10))
    stream_id = str(uuid4())
    hot = emulator.client()
    (ours,) = publish_on(hot, stream_id, LONG)
    wait_until(lambda: runs_on(hot, stream_id))
    emulator.faults.delay(10, path=f"/runs/{the_run_of(hot, ours)}")
    started = time.monotonic()

    try:
        with pytest.raises(HotTimeoutError):
            on_emulator(
                mode,
                emulator,
                lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=1),
            )
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert f"GET /v1/runs/{the_run_of(hot, ours)}" in paths_of(emulator)


def test_the_checks_go_out_with_the_calls_options(mode: str, emulator: HotEmulator) -> None:
    stream_id, ours = ended_before(emulator, 0)

    def wait(client: Client) -> Any:
        return client.streams.wait_for_run_result(
            stream_id, ours, timeout=5, extra_headers={"X-Trace": "t1"}
        )

    on_emulator(mode, emulator, wait)
    (check,) = [r for r in emulator.requests if r.path == f"/v1/events/{ours}/runs"]
    assert check.headers["x-trace"] == "t1"


# ---------------------------------------------------------------- runs.wait


def attempt(
    run_id: str, stream_id: str, *, status: str, origin: str | None, retry_attempt: int
) -> dict[str, Any]:
    record = run(run_id, status=status, stream_id=stream_id, result=1)
    record.update(origin_run_id=None if origin is None else str(origin))
    record.update(retry_attempt=retry_attempt)
    return record


async def test_waiting_on_a_run_whose_retry_ended_past_the_replay_returns_the_retry(
    mode: str,
) -> None:
    stream_id, first, second = str(uuid4()), str(uuid4()), str(uuid4())
    failed = attempt(first, stream_id, status="failed", origin=None, retry_attempt=1)
    retry = attempt(second, stream_id, status="running", origin=first, retry_attempt=1)
    done = attempt(second, stream_id, status="succeeded", origin=first, retry_attempt=1)
    complete = event({"type": "stream:complete", "stream_id": str(stream_id)})
    with SseScript(
        [run_event("run:update", failed)],
        # The stream: the retry is going, then the window ends.
        [
            run_event("run:start", failed),
            run_event("run:fail", failed),
            run_event("run:start", retry),
            complete,
        ],
        # The retry ended between connections, past the newest runs replayed.
        [complete],
        records={f"/v1/runs/{second}": HttpResponse.json(payloads.item(done))},
    ) as server:
        hot = make_client(server, mode)
        try:
            waited = await resolve(hot.runs.wait(first, timeout=5))
        finally:
            await close(hot)

    assert waited.run_id == second
    assert waited.status is RunStatus.SUCCEEDED
    assert paths(server.requests)[-2:] == [
        f"GET /v1/streams/{stream_id}/subscribe",
        f"GET /v1/runs/{second}",
    ]


# ---------------------------------------------------------------- a record as replayed


@pytest.mark.parametrize(
    ("status", "stopped", "end"),
    [
        ("running", False, None),
        ("succeeded", True, RunStop),
        ("failed", True, RunFail),
        ("cancelled", True, RunCancel),
        # A run failed into `pending_retry` has a stop time: streams.rs sends it
        # as `run:stop` (the poll loop's `match run.status`: failed, cancelled, else).
        ("pending_retry", True, RunStop),
        ("paused", True, RunStop),  # a status this version does not know
    ],
)
def test_a_checked_record_becomes_the_events_a_replay_of_it_would_send(
    mode: str, status: str, stopped: bool, end: type[RunStop | RunFail | RunCancel] | None
) -> None:
    record = run(str(uuid4()), status=status, result=1)
    if not stopped:
        del record["result"]
    events = as_replayed(Run.model_validate_json(json.dumps(record)))

    expected: list[type[Any]] = [RunStart] if end is None else [RunStart, end]
    assert [type(e) for e in events] == expected
    for replayed in events:
        # `.raw` is the frame the stream would have sent, the record as read.
        assert replayed.raw == {"type": replayed.type, "run": record}
        assert replayed.raw["run"] is replayed.run.raw


def test_a_check_that_hangs_ends_at_the_waits_own_timeout(
    mode: str, emulator: HotEmulator
) -> None:
    stream_id, ours = ended_before(emulator, STREAM_RUNS_READ)
    emulator.faults.delay(10, path=f"/events/{ours}/runs")
    started = time.monotonic()

    with pytest.raises(HotTimeoutError):
        on_emulator(
            mode,
            emulator,
            lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=0.5),
        )
    assert time.monotonic() - started < 3


def test_a_check_answered_503_is_sent_again_as_any_read(mode: str, emulator: HotEmulator) -> None:
    stream_id, ours = ended_before(emulator, STREAM_RUNS_READ)
    emulator.faults.fail_next(503, path=f"/events/{ours}/runs", retry_after=0)

    finished: FinishedRun = on_emulator(
        mode,
        emulator,
        lambda client: client.streams.wait_for_run_result(stream_id, ours, timeout=5),
        max_retries=1,
    )
    assert finished.event_id == ours
    checks = [r.path for r in emulator.requests if r.path.startswith("/v1/events/")]
    assert checks == [f"/v1/events/{ours}/runs"] * 2
    # Sent again at once, not left to the next connection's check.
    assert paths_of(emulator).count(f"GET /v1/streams/{stream_id}/subscribe") == 1


def test_a_waits_check_of_a_retry_that_hangs_ends_at_its_own_timeout(
    mode: str, emulator: HotEmulator
) -> None:
    release = threading.Event()

    @emulator.on_event("job:retried", retry=1)
    def fails_then_waits(event: HandlerEvent, ctx: RunContext) -> Any:
        if ctx.retry_attempt == 0:
            raise RuntimeError("first attempt")
        return release.wait(10)

    stream_id = str(uuid4())
    hot = emulator.client()
    publish_on(hot, stream_id, "job:retried")
    wait_until(lambda: len(runs_on(hot, stream_id)) == 2)
    (first,) = [r.run_id for r in runs_on(hot, stream_id) if r.origin_run_id is None]
    (retry,) = [r.run_id for r in runs_on(hot, stream_id) if r.origin_run_id == first]
    emulator.faults.delay(10, path=f"/runs/{retry}", method="GET")
    started = time.monotonic()

    try:
        with pytest.raises(HotTimeoutError):
            on_emulator(mode, emulator, lambda client: client.runs.wait(first, timeout=1.5))
    finally:
        release.set()
    assert time.monotonic() - started < 3.5
    assert f"GET /v1/runs/{retry}" in paths_of(emulator)


def test_a_subscription_replays_the_streams_tasks_newest_first(
    mode: str, emulator: HotEmulator
) -> None:
    # crates/hot/src/db/task.rs `get_by_stream`: `ORDER BY t.created_at DESC`.
    started: list[str] = []

    @emulator.on_event("job:fan-out")
    def fan_out(event: HandlerEvent, ctx: RunContext) -> Any:
        started.extend(ctx.start_task(f"::bg/step-{n}").task_id for n in range(3))
        return None

    stream_id = str(uuid4())
    hot = emulator.client()
    publish_on(hot, stream_id, "job:fan-out")
    wait_until(lambda: len(started) == 3)

    def subscribe(client: Client) -> Any:
        return collect(client.streams.subscribe(stream_id))

    events: list[StreamEvent] = on_emulator(mode, emulator, subscribe)
    replayed = [e.task.task_id for e in events if isinstance(e, TaskUpdate)]
    assert replayed == started[::-1]
