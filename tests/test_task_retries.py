"""`tasks.wait` across a task its worker interrupted: the retry queued with the
failure is found on the task's stream and followed; what is not a retry is not.

Server facts (crates/hot_task_worker/src/shutdown.rs `finalize_interrupted_task`,
crates/hot/src/db/task.rs `finalize_with_infra_retry`, `Task::get_by_stream`):
the interrupted task ends `failed` with `$val.infra_interrupted: true`, its copy
is inserted `queued` in the same transaction with `next_retry_at` set, and a
stream's poll sends tasks newest first, so the retry comes before the end.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import hot_typed._streaming as streaming
from hot_typed import (
    FinishedRun,
    HotStreamError,
    HotTaskError,
    HotTimeoutError,
    PermissionDeniedError,
    RunStatus,
    RunType,
    Task,
    TaskStatus,
)
from hot_typed._task_retries import (
    FAILURE_TYPE,
    RETRY_CREATED_AFTER,
    RETRY_CREATED_BEFORE,
    interrupted,
    retries_of,
)
from hot_typed.testing import HandlerEvent, HotEmulator, HttpResponse, RunContext, TaskControl
from tests.sse_script import (
    DROP,
    ENV_ID,
    HOLD,
    TASK_ID,
    Pause,
    event,
    on_emulator,
    paths,
    wait_task,
)

STREAM = "00000000-0000-4000-8000-00000000517e"
BUILD = "00000000-0000-4000-8000-00000000b111"
ORIGIN = "00000000-0000-4000-8000-0000000000a1"
RETRY = "00000000-0000-4000-8000-0000000074a6"
SECOND_RETRY = "00000000-0000-4000-8000-0000000074a7"
SIBLING_RETRY = "00000000-0000-4000-8000-0000000074b6"
STOP = datetime(2026, 1, 2, 3, 5, 0, tzinfo=timezone.utc)

INTERRUPTED: dict[str, Any] = {
    "$type": FAILURE_TYPE,
    "$val": {
        "msg": "Task interrupted by worker shutdown — re-enqueued for retry",
        "err": None,
        "infra_interrupted": True,
    },
}
EXHAUSTED: dict[str, Any] = {
    "$type": FAILURE_TYPE,
    "$val": {
        "msg": "Task interrupted by worker shutdown — infrastructure retry budget exhausted",
        "err": None,
        "infra_interrupted": False,
        "infra_retry_exhausted": True,
    },
}


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def record(
    task_id: str = TASK_ID,
    status: str = "running",
    result: Any = ...,
    *,
    created: datetime = STOP - timedelta(minutes=1),
    stop: datetime | None = None,
    retry_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A task of ORIGIN's `::app/work` on STREAM, as `TaskResponse` serializes it."""
    payload: dict[str, Any] = {
        "task_id": str(task_id),
        "env_id": str(ENV_ID),
        "stream_id": str(STREAM),
        "build_id": str(BUILD),
        "run_id": None,
        "origin_run_id": str(ORIGIN),
        "function_name": "::app/work",
        "task_type": "background",
        "status": status,
        "start_time": None if status == "queued" else _time(created),
        "stop_time": None if stop is None else _time(stop),
        "duration_ms": None,
        "timeout_ms": 60000,
        "retry_attempt": 0,
        "created_at": _time(created),
    }
    if result is not ...:
        payload["result"] = result
    if retry_at is not None:
        payload["next_retry_at"] = _time(retry_at)
    return {**payload, **fields}


def retry_record(task_id: str = RETRY, status: str = "queued", **fields: Any) -> dict[str, Any]:
    """The retry the interruption at STOP queued (unless `fields` say otherwise)."""
    options: dict[str, Any] = {"created": STOP, "retry_at": STOP, **fields}
    return record(task_id, status, **options)


modes = pytest.mark.parametrize("mode", ["sync", "async"])


def update(payload: dict[str, Any]) -> bytes:
    return event({"type": "task:update", "task": payload})


INTERRUPTED_TASK = record(status="failed", result=INTERRUPTED, stop=STOP)


@modes
async def test_an_interrupted_task_is_followed_to_its_retry_found_on_its_stream(
    mode: str,
) -> None:
    finished, server = await wait_task(
        mode,
        [update(record()), update(INTERRUPTED_TASK)],
        # The stream's first poll: the retry (newer) before the interrupted task.
        [update(retry_record()), update(INTERRUPTED_TASK), HOLD],
        [
            update(retry_record(status="running")),
            update(retry_record(status="completed", result=7, stop=STOP)),
        ],
    )

    assert finished.task_id == RETRY
    assert finished.status is TaskStatus.COMPLETED
    assert finished.result == 7
    # Once found, the retry is followed by its own snapshots: the stream is let go.
    assert paths(server.requests) == [
        f"GET /v1/tasks/{TASK_ID}/subscribe",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/tasks/{RETRY}/subscribe",
    ]
    assert server.wait_all_closed()


@modes
async def test_an_interrupted_task_older_than_the_stream_s_100_newest_is_followed_to_its_retry(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "RETRY_SETTLE", 0.2)
    finished, _ = await wait_task(
        mode,
        [update(INTERRUPTED_TASK)],
        # A poll reads the stream's 100 newest tasks: the retry, not the task.
        [update(retry_record()), HOLD],
        [update(retry_record(status="completed", result=7, stop=STOP))],
        timeout=10,
    )

    assert (finished.task_id, finished.result) == (RETRY, 7)


@modes
async def test_a_retry_interrupted_in_turn_is_followed_to_the_next(mode: str) -> None:
    again = STOP + timedelta(seconds=2)
    first_retry_ended = retry_record(status="failed", result=INTERRUPTED, stop=again)
    second_retry_ended = retry_record(
        SECOND_RETRY, "completed", result=1, created=again, stop=again
    )
    finished, server = await wait_task(
        mode,
        [update(INTERRUPTED_TASK)],
        # Newest first: the second retry, the first (interrupted too), the task.
        [
            update(retry_record(SECOND_RETRY, created=again)),
            update(first_retry_ended),
            update(INTERRUPTED_TASK),
        ],
        [update(second_retry_ended)],
    )

    assert finished.task_id == SECOND_RETRY
    assert paths(server.requests)[-1] == f"GET /v1/tasks/{SECOND_RETRY}/subscribe"


@modes
async def test_a_retry_that_fails_raises_with_the_retry(mode: str) -> None:
    with pytest.raises(HotTaskError) as error:
        await wait_task(
            mode,
            [update(INTERRUPTED_TASK)],
            [update(retry_record()), update(INTERRUPTED_TASK)],
            [update(retry_record(status="failed", result={"$err": "boom"}, stop=STOP))],
        )

    assert error.value.task.task_id == RETRY
    assert str(error.value) == f"task {RETRY} failed: boom"


@modes
@pytest.mark.parametrize(
    ("result", "message"),
    [
        (EXHAUSTED, EXHAUSTED["$val"]["msg"]),
        ({"$type": FAILURE_TYPE, "$val": {"msg": "bug", "err": None}}, "bug"),
        ({"$err": "bug"}, "bug"),
    ],
    ids=["retry-budget-exhausted", "ordinary-failure", "plain-error"],
)
async def test_a_failure_with_no_retry_queued_raises_without_reading_the_stream(
    mode: str, result: Any, message: str
) -> None:
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(record(status="failed", result=result, stop=STOP))])

    assert str(error.value) == f"task {TASK_ID} failed: {message}"


@modes
async def test_siblings_interrupted_at_once_are_named_not_guessed(mode: str) -> None:
    with pytest.raises(HotTaskError) as error:
        await wait_task(
            mode,
            [update(INTERRUPTED_TASK)],
            [
                update(retry_record(SIBLING_RETRY, created=STOP + timedelta(milliseconds=3))),
                update(retry_record()),
                update(INTERRUPTED_TASK),
            ],
        )

    assert error.value.task.task_id == TASK_ID
    assert str(error.value) == (
        f"task {TASK_ID} failed: {INTERRUPTED['$val']['msg']}; its worker queued it again, "
        f"and 2 tasks on its stream may be that retry ({RETRY}, {SIBLING_RETRY}): "
        "wait on the right one"
    )


@modes
async def test_the_wait_timeout_bounds_a_silent_connection_to_the_stream(mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_task(mode, [update(INTERRUPTED_TASK)], [Pause(5)], timeout=0.5)

    assert time.monotonic() - started < 2.5


@modes
async def test_each_step_to_the_retry_is_news_and_reconnected_at_once(
    mode: str, backoff_bounds: list[float]
) -> None:
    # Each connection closes cleanly. News: the interruption (a new snapshot),
    # the retry found, the retry's own change. Only the fourth brings nothing.
    running = [update(retry_record(status="running"))]
    finished, _ = await wait_task(
        mode,
        [update(INTERRUPTED_TASK)],
        [update(retry_record()), update(INTERRUPTED_TASK)],
        running,
        running,
        [update(retry_record(status="completed", result=2, stop=STOP))],
    )

    assert finished.task_id == RETRY
    assert backoff_bounds == [0.25]


@modes
async def test_a_stream_that_cannot_be_reached_ends_the_wait_naming_its_request(mode: str) -> None:
    with pytest.raises(HotStreamError) as error:
        await wait_task(mode, [update(INTERRUPTED_TASK)], DROP, max_attempts=0)

    assert str(error.value).startswith(f"wait for task {TASK_ID}: gave up after 1 connection")
    assert "GET http://127.0.0.1:" in str(error.value)
    assert f"/v1/streams/{STREAM}/subscribe failed" in str(error.value)
    assert "whether it took effect is unknown" not in str(error.value)


@modes
async def test_a_stream_the_credential_may_not_read_ends_the_wait_with_the_interrupted_task(
    mode: str,
) -> None:
    denied = HttpResponse.json({"error": {"code": "forbidden", "message": "no stream"}}, 403)
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(INTERRUPTED_TASK)], denied)

    assert error.value.task.task_id == TASK_ID
    assert isinstance(error.value.__cause__, PermissionDeniedError)
    assert str(error.value) == (
        f"task {TASK_ID} failed: {INTERRUPTED['$val']['msg']}; its worker queued it again, "
        f"and its stream, where that retry is found, could not be read: {error.value.__cause__}"
    )


# ------------------------------------------------------------ the rules, each edge


def as_task(payload: dict[str, Any]) -> Task[Any]:
    return Task.model_validate(payload)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (INTERRUPTED_TASK, True),
        (record(status="timed_out", result=INTERRUPTED, stop=STOP), False),
        (record(status="running", result=INTERRUPTED), False),
        (record(status="failed", result=EXHAUSTED, stop=STOP), False),
        (record(status="failed", result={**INTERRUPTED, "$type": "::x/Failure"}, stop=STOP), False),
        (record(status="failed", result={"$val": INTERRUPTED["$val"]}, stop=STOP), False),
        (record(status="failed", result={"$type": FAILURE_TYPE, "$val": "x"}, stop=STOP), False),
        (
            record(
                status="failed",
                result={"$type": FAILURE_TYPE, "$val": {"infra_interrupted": "true"}},
                stop=STOP,
            ),
            False,
        ),
        (record(status="failed", stop=STOP), False),
    ],
    ids=[
        "marked",
        "timed-out",
        "not-ended",
        "exhausted",
        "other-type",
        "no-type",
        "detail-not-object",
        "flag-not-true",
        "no-result",
    ],
)
def test_only_a_failure_marked_interrupted_has_a_retry_queued(
    payload: dict[str, Any], expected: bool
) -> None:
    assert interrupted(as_task(payload)) is expected


EDGE = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("fields", "is_retry"),
    [
        ({}, True),
        ({"created": STOP - RETRY_CREATED_BEFORE}, True),
        ({"created": STOP - RETRY_CREATED_BEFORE - EDGE}, False),
        ({"created": STOP + RETRY_CREATED_AFTER}, True),
        ({"created": STOP + RETRY_CREATED_AFTER + EDGE}, False),
        ({"retry_at": None}, False),
        ({"task_id": TASK_ID}, False),
        ({"stream_id": str(BUILD)}, False),
        ({"origin_run_id": None}, False),
        ({"build_id": str(STREAM)}, False),
        ({"function_name": "::app/other"}, False),
        ({"task_type": "container"}, False),
        ({"timeout_ms": 60001}, False),
        ({"retry_attempt": 1}, False),
    ],
    ids=[
        "a-copy",
        "earliest",
        "too-early",
        "latest",
        "too-late",
        "no-next-retry-at",
        "itself",
        "other-stream",
        "other-origin",
        "other-build",
        "other-function",
        "other-type",
        "other-timeout",
        "other-attempt",
    ],
)
def test_a_retry_copies_the_task_and_was_made_when_it_was_interrupted(
    fields: dict[str, Any], is_retry: bool
) -> None:
    task_id = fields.pop("task_id", RETRY)
    candidate = as_task(retry_record(task_id, **fields))

    found = retries_of(as_task(INTERRUPTED_TASK), [candidate])

    assert found == ([candidate] if is_retry else [])


def test_a_task_that_never_stopped_has_no_retry() -> None:
    never_stopped = as_task(record(status="failed", result=INTERRUPTED))
    assert retries_of(never_stopped, [as_task(retry_record())]) == []


def test_a_retry_of_a_retry_is_a_later_attempt_not_a_rival() -> None:
    again = STOP + timedelta(seconds=1)
    first = as_task(retry_record(status="failed", result=INTERRUPTED, stop=again))
    second = as_task(retry_record(SECOND_RETRY, created=again, retry_at=again))
    # Made when the first retry stopped, but the first was not interrupted:
    # then both are rivals (siblings), however close.
    rival = as_task(retry_record(SECOND_RETRY, created=again, retry_at=again))
    completed_first = as_task(retry_record(status="completed", result=1, stop=again))

    assert retries_of(as_task(INTERRUPTED_TASK), [second, first]) == [first]
    assert retries_of(as_task(INTERRUPTED_TASK), [rival, completed_first]) == [
        completed_first,
        rival,
    ]
    # Made before the first retry: a rival of it, not its retry.
    early = as_task(retry_record(SECOND_RETRY, created=STOP - timedelta(seconds=1)))
    assert retries_of(as_task(INTERRUPTED_TASK), [early, first]) == [early, first]


# ------------------------------------------------------------ on the emulator


def started_task(emulator: HotEmulator, retries: int = 0) -> tuple[TaskControl, FinishedRun]:
    """The task `::app/work` (with `retries`) a run started, and that run, ended."""
    controls: list[TaskControl] = []

    def start(event: HandlerEvent, ctx: RunContext) -> None:
        controls.append(ctx.start_task("::app/work", retries=retries))

    emulator.on_event("job:go", start)
    with emulator.client() as hot:
        published = hot.events.publish({"event_type": "job:go", "event_data": {}})
        starting = hot.runs.wait(hot.events.get_runs(published.event_id).data[0].run_id)
    (control,) = controls
    return control, starting


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_wait_follows_a_task_interrupted_on_the_emulator(kind: str) -> None:
    with HotEmulator() as emulator:
        control, _ = started_task(emulator)
        retry = control.interrupt()
        # Ended while the wait follows the stream, as a worker would.
        threading.Timer(0.5, retry.complete, args=({"done": True},)).start()

        finished = on_emulator(
            kind, emulator, lambda client: client.tasks.wait(control.task_id, timeout=10)
        )

    assert finished.task_id == retry.task_id
    assert finished.status is TaskStatus.COMPLETED
    assert finished.result == {"done": True}


def test_the_run_of_a_retry_queued_after_its_starting_run_ended_is_its_own() -> None:
    # crates/hot_task_worker/src/lib.rs runs each task as a new run
    # (`Uuid::now_v7()`) of the task's build: nothing of the starting run's end
    # carries over, so it starts `running` and ends with the task's result.
    with HotEmulator() as emulator:
        control, starting = started_task(emulator)
        with emulator.client() as hot:
            retry = control.interrupt()
            retry.complete({"done": True})
            task = hot.tasks.get(retry.task_id)
            assert task.run_id is not None
            run = hot.runs.get(task.run_id)

    assert starting.status is RunStatus.SUCCEEDED
    assert (run.run_type, run.status, run.result) == (
        RunType.TASK,
        RunStatus.SUCCEEDED,
        {"done": True},
    )
    assert (run.origin_run_id, run.build_id, run.retry_attempt) == (
        starting.run_id,
        task.build_id,
        0,
    )
    assert run.start_time == task.start_time
