"""`tasks.wait(..., retries=N)` across the retries a task's `retry` option makes.

Server facts (crates/hot_task_worker/src/lib.rs `maybe_retry_task`, crates/hot/
src/db/task.rs `insert_retry`, crates/hot_api/src/handlers/streams.rs): once a
failed or timed out attempt is stored, and while its `retry_attempt` is below the
option's attempts, the worker inserts a copy `queued` with `retry_attempt` one more
and `next_retry_at` set. Neither the option nor the link to the failed attempt is on
the wire, and the stream's poll (every second) sends the tasks that changed newest
first, so the retry comes in a later poll than the failure, or before it in one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

import hot_typed._streaming as streaming
from hot_typed import HotTaskError, PermissionDeniedError, TaskStatus
from hot_typed._task_retries import (
    OPTION_RETRY_CREATED_AFTER,
    RETRY_CREATED_BEFORE,
    option_retries_of,
    option_rivals,
    owes_retry,
)
from hot_typed.testing import HotEmulator, HttpResponse
from tests.sse_script import (
    HOLD,
    TASK_ID,
    Pause,
    SseScript,
    close,
    make_client,
    on_emulator,
    paths,
    resolve,
    wait_task,
)
from tests.test_task_retries import (
    EDGE,
    EXHAUSTED,
    INTERRUPTED,
    RETRY,
    SECOND_RETRY,
    STOP,
    STREAM,
    as_task,
    modes,
    record,
    started_task,
    update,
)

SIBLING = "00000000-0000-4000-8000-0000000074c5"
FAILURE: dict[str, Any] = {
    "$type": "::hot::task/Failure",
    "$val": {"msg": "upstream said no", "err": None},
}
LATER = STOP + timedelta(seconds=3)

FAILED = record(status="failed", result=FAILURE, stop=STOP)


def option_retry(
    task_id: str = RETRY, status: str = "queued", attempt: int = 1, **fields: Any
) -> dict[str, Any]:
    """The retry the option queued when FAILED stopped (unless `fields` say otherwise)."""
    moment = STOP + timedelta(milliseconds=40)
    options: dict[str, Any] = {"created": moment, "retry_at": moment, **fields}
    return record(task_id, status, retry_attempt=attempt, **options)


@pytest.fixture(autouse=True)
def quick_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    # The waiter's pauses, shortened: how long a retry's poll may take to
    # arrive whole, and how long a retry may take to come at all.
    monkeypatch.setattr(streaming, "RETRY_SETTLE", 0.2)
    monkeypatch.setattr(streaming, "OPTION_RETRY_WAIT", 1.5)


@modes
async def test_a_failure_its_retries_allow_is_followed_to_the_retry_of_a_later_poll(
    mode: str,
) -> None:
    finished, server = await wait_task(
        mode,
        [update(record()), update(FAILED)],
        # The first poll shows the failure; the retry, stored after it, comes later.
        [update(FAILED), Pause(0.1), update(option_retry()), HOLD],
        [
            update(option_retry(status="running")),
            update(option_retry(status="completed", result=7, stop=LATER)),
        ],
        retries=2,
    )

    assert (finished.task_id, finished.retry_attempt, finished.result) == (RETRY, 1, 7)
    assert paths(server.requests) == [
        f"GET /v1/tasks/{TASK_ID}/subscribe",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/tasks/{RETRY}/subscribe",
    ]
    assert server.wait_all_closed()


@modes
async def test_a_retry_sent_before_the_failure_in_one_poll_is_followed(mode: str) -> None:
    finished, _ = await wait_task(
        mode,
        [update(FAILED)],
        [update(option_retry()), update(FAILED), HOLD],
        [update(option_retry(status="completed", result=1, stop=LATER))],
        retries=1,
    )

    assert finished.task_id == RETRY


@modes
@pytest.mark.parametrize(
    ("status", "retried"),
    [("failed", True), ("timed_out", True), ("cancelled", False)],
)
async def test_failed_and_timed_out_attempts_are_retried_and_cancelled_ones_are_not(
    mode: str, status: str, retried: bool
) -> None:
    ended = record(status=status, result=FAILURE, stop=STOP)
    scripts: list[Any] = [[update(ended)]]
    if retried:
        scripts += [
            [update(ended), update(option_retry()), HOLD],
            [update(option_retry(status="completed", result=3, stop=LATER))],
        ]
        finished, _ = await wait_task(mode, *scripts, retries=1)
        assert finished.task_id == RETRY
        return
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, *scripts, retries=1)
    assert error.value.task.task_id == TASK_ID


@modes
async def test_a_failure_at_its_last_allowed_attempt_is_final_at_once(mode: str) -> None:
    last = record(status="failed", result=FAILURE, stop=STOP, retry_attempt=2)

    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(last)], retries=2)

    assert error.value.task.retry_attempt == 2
    assert str(error.value) == f"task {TASK_ID} failed: upstream said no"


@modes
async def test_without_retries_a_failure_is_final_and_the_stream_is_not_read(mode: str) -> None:
    # The default: the API does not show the option, so nothing is assumed.
    with pytest.raises(HotTaskError):
        await wait_task(mode, [update(FAILED)])


@modes
async def test_a_retry_that_fails_in_turn_is_followed_to_the_next(mode: str) -> None:
    first_failed = option_retry(status="failed", result=FAILURE, stop=LATER)
    second = option_retry(
        SECOND_RETRY,
        attempt=2,
        created=LATER + timedelta(milliseconds=30),
        retry_at=LATER + timedelta(seconds=1),
    )
    finished, server = await wait_task(
        mode,
        [update(FAILED)],
        [update(option_retry()), update(FAILED), HOLD],
        [update(first_failed)],
        [update(second), update(first_failed), HOLD],
        [update({**second, "status": "completed", "result": 9})],
        retries=2,
    )

    assert (finished.task_id, finished.retry_attempt, finished.result) == (SECOND_RETRY, 2, 9)
    assert [request.path.split("/")[3] for request in server.subscriptions] == [
        str(TASK_ID),
        str(STREAM),
        str(RETRY),
        str(STREAM),
        str(SECOND_RETRY),
    ]


@modes
async def test_a_chain_the_stream_shows_whole_is_followed_on_one_connection(mode: str) -> None:
    first_failed = option_retry(status="failed", result=FAILURE, stop=LATER)
    second = option_retry(
        SECOND_RETRY, "completed", attempt=2, result=4, created=LATER, retry_at=LATER, stop=LATER
    )
    finished, server = await wait_task(
        mode,
        [update(FAILED)],
        # Newest first, as a first poll sends them.
        [update(second), update(first_failed), update(FAILED), HOLD],
        retries=2,
    )

    assert (finished.task_id, finished.result) == (SECOND_RETRY, 4)
    assert len(server.subscriptions) == 2


@modes
async def test_a_retry_found_failed_is_waited_on_for_its_own_retry_on_the_same_connection(
    mode: str,
) -> None:
    first_failed = option_retry(status="failed", result=FAILURE, stop=LATER)
    second = option_retry(SECOND_RETRY, attempt=2, created=LATER, retry_at=LATER)
    finished, server = await wait_task(
        mode,
        [update(FAILED)],
        [update(first_failed), update(FAILED), Pause(0.5), update(second), HOLD],
        [update({**second, "status": "completed", "result": 2})],
        retries=2,
    )

    assert (finished.task_id, finished.result) == (SECOND_RETRY, 2)
    assert paths(server.requests) == [
        f"GET /v1/tasks/{TASK_ID}/subscribe",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/tasks/{SECOND_RETRY}/subscribe",
    ]


@modes
async def test_an_option_retry_interrupted_in_turn_is_followed_to_the_worker_s_retry(
    mode: str,
) -> None:
    interrupted_retry = option_retry(status="failed", result=INTERRUPTED, stop=LATER)
    # The worker's copy keeps the attempt number.
    requeued = option_retry(SECOND_RETRY, created=LATER, retry_at=LATER)
    finished, _ = await wait_task(
        mode,
        [update(FAILED)],
        [update(option_retry()), update(FAILED), HOLD],
        [update(interrupted_retry)],
        [update(requeued), update(interrupted_retry), HOLD],
        [update({**requeued, "status": "completed", "result": 8})],
        retries=1,
    )

    assert (finished.task_id, finished.retry_attempt, finished.result) == (SECOND_RETRY, 1, 8)


@modes
async def test_the_worker_s_retry_of_an_interrupted_task_is_retried_by_the_option_too(
    mode: str,
) -> None:
    interrupted_task = record(status="failed", result=INTERRUPTED, stop=STOP)
    requeued = record(RETRY, "queued", created=STOP, retry_at=STOP)
    requeued_failed = record(
        RETRY, "failed", FAILURE, created=STOP, retry_at=STOP, stop=LATER
    )
    option = option_retry(SECOND_RETRY, created=LATER, retry_at=LATER)
    finished, _ = await wait_task(
        mode,
        [update(interrupted_task)],
        [update(requeued), update(interrupted_task)],
        [update(requeued_failed)],
        [update(option), update(requeued_failed), HOLD],
        [update({**option, "status": "completed", "result": 6})],
        retries=1,
    )

    assert (finished.task_id, finished.retry_attempt, finished.result) == (SECOND_RETRY, 1, 6)


@modes
async def test_a_retry_that_never_comes_leaves_the_failure_final_after_the_wait(
    mode: str,
) -> None:
    started = time.monotonic()
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(FAILED)], [update(FAILED), HOLD], retries=3)

    assert 1.5 <= time.monotonic() - started < 5
    assert error.value.task.task_id == TASK_ID
    assert str(error.value) == (
        f"task {TASK_ID} failed: upstream said no; its retries (3) allow another attempt, "
        "and no retry of it reached its stream within 1.5 s"
    )


@modes
async def test_a_failure_made_final_mid_stream_lets_the_stream_go_at_once(mode: str) -> None:
    # The decision is made between two keep-alives of the open connection: the
    # error raised there must still close it, before the client is closed.
    with SseScript([update(FAILED)], [update(FAILED), HOLD], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotTaskError):
                await resolve(client.tasks.wait(TASK_ID, retries=1))
            assert server.wait_all_closed()
        finally:
            await close(client)


async def test_a_wait_cancelled_while_it_looks_for_the_retry_lets_the_stream_go() -> None:
    with SseScript([update(FAILED)], [update(FAILED), HOLD], records={}) as server:
        client = make_client(server, "async")
        try:
            waiting = resolve(client.tasks.wait(TASK_ID, retries=1))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(waiting, 0.5)
            assert server.wait_all_closed()
            assert len(server.subscriptions) == 2
        finally:
            await close(client)


@modes
@pytest.mark.parametrize(
    "burst",
    [
        # The sibling's failure is older than the retry, so it follows it in
        # the poll: the retry is held until the burst is in.
        pytest.param([update(option_retry()), update(FAILED)], id="sibling-last-in-the-burst"),
        pytest.param(
            [update(option_retry()), Pause(0.05), update(FAILED)], id="sibling-after-a-pause"
        ),
    ],
)
async def test_a_sibling_that_failed_as_the_retry_was_queued_makes_it_ambiguous(
    mode: str, burst: list[Any]
) -> None:
    sibling = record(SIBLING, status="failed", result=FAILURE, stop=STOP + timedelta(seconds=1))
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(FAILED)], [*burst, update(sibling), HOLD], retries=1)

    assert error.value.task.task_id == TASK_ID
    assert str(error.value) == (
        f"task {TASK_ID} failed: upstream said no; its retries (1) allow another attempt, "
        f"and 1 task on its stream may be that retry ({RETRY}), which {SIBLING} may have "
        "queued as well: wait on the right one"
    )


@modes
async def test_two_possible_retries_are_named_even_when_their_other_owner_is_not_shown(
    mode: str,
) -> None:
    # The sibling that queued the other retry may be older than the stream's
    # 100 newest tasks, which are all a poll reads.
    other = option_retry(SIBLING, created=STOP + timedelta(milliseconds=900))
    with pytest.raises(HotTaskError) as error:
        await wait_task(
            mode, [update(FAILED)], [update(other), update(option_retry()), HOLD], retries=1
        )

    assert str(error.value) == (
        f"task {TASK_ID} failed: upstream said no; its retries (1) allow another attempt, "
        f"and 2 tasks on its stream may be that retry ({RETRY}, {SIBLING}): "
        "wait on the right one"
    )


@modes
async def test_a_sibling_still_running_cannot_own_the_retry(mode: str) -> None:
    sibling = record(SIBLING, status="running")
    finished, _ = await wait_task(
        mode,
        [update(FAILED)],
        [update(option_retry()), update(sibling), update(FAILED), HOLD],
        [update(option_retry(status="completed", result=5, stop=LATER))],
        retries=1,
    )

    assert finished.task_id == RETRY


@modes
async def test_a_stream_the_credential_may_not_read_ends_the_wait_with_the_failure(
    mode: str,
) -> None:
    denied = HttpResponse.json({"error": {"code": "forbidden", "message": "no stream"}}, 403)
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [update(FAILED)], denied, retries=1)

    assert isinstance(error.value.__cause__, PermissionDeniedError)
    assert str(error.value) == (
        f"task {TASK_ID} failed: upstream said no; its retries (1) allow another attempt, "
        f"and its stream, where that retry is found, could not be read: {error.value.__cause__}"
    )


@modes
@pytest.mark.parametrize("retries", [-1, True, 1.5, "2"], ids=["negative", "bool", "float", "str"])
async def test_retries_that_are_not_a_count_are_refused_before_anything_is_sent(
    mode: str, retries: Any
) -> None:
    with pytest.raises(ValueError, match=r"retries must be an int >= 0"):
        await wait_task(mode, retries=retries)


# ------------------------------------------------------------ the rules, each edge


@pytest.mark.parametrize(
    ("payload", "attempts", "owed"),
    [
        (FAILED, 1, True),
        (FAILED, 0, False),
        (record(status="timed_out", result=FAILURE, stop=STOP), 1, True),
        (record(status="failed", result=FAILURE, stop=STOP, retry_attempt=1), 2, True),
        (record(status="failed", result=FAILURE, stop=STOP, retry_attempt=2), 2, False),
        (record(status="cancelled", result=FAILURE, stop=STOP), 1, False),
        (record(status="completed", result=1, stop=STOP), 1, False),
        (record(status="running"), 1, False),
        (record(status="failed", result=INTERRUPTED, stop=STOP), 1, False),
        (record(status="failed", result=EXHAUSTED, stop=STOP), 1, False),
        (record(status="failed", stop=STOP), 1, True),
    ],
    ids=[
        "failed",
        "no-retries",
        "timed-out",
        "below-the-attempts",
        "at-the-attempts",
        "cancelled",
        "completed",
        "running",
        "interrupted",
        "shutdown-exhausted",
        "no-result",
    ],
)
def test_a_retry_is_owed_for_a_failure_below_the_attempts_not_ended_by_shutdown(
    payload: dict[str, Any], attempts: int, owed: bool
) -> None:
    assert owes_retry(as_task(payload), attempts) is owed


@pytest.mark.parametrize(
    ("fields", "is_retry"),
    [
        ({}, True),
        ({"created": STOP - RETRY_CREATED_BEFORE}, True),
        ({"created": STOP - RETRY_CREATED_BEFORE - EDGE}, False),
        ({"created": STOP + OPTION_RETRY_CREATED_AFTER}, True),
        ({"created": STOP + OPTION_RETRY_CREATED_AFTER + EDGE}, False),
        ({"retry_at": None}, False),
        ({"attempt": 0}, False),
        ({"attempt": 2}, False),
        ({"task_id": TASK_ID}, False),
        ({"origin_run_id": None}, False),
        ({"function_name": "::app/other"}, False),
        ({"timeout_ms": 60001}, False),
    ],
    ids=[
        "a-copy",
        "earliest",
        "too-early",
        "latest",
        "too-late",
        "no-next-retry-at",
        "same-attempt",
        "two-attempts-on",
        "itself",
        "other-origin",
        "other-function",
        "other-timeout",
    ],
)
def test_an_option_retry_copies_the_task_one_attempt_on_queued_when_it_failed(
    fields: dict[str, Any], is_retry: bool
) -> None:
    task_id = fields.pop("task_id", RETRY)
    candidate = as_task(option_retry(task_id, **fields))

    found = option_retries_of(as_task(FAILED), [candidate])

    assert found == ([candidate] if is_retry else [])


def test_option_retries_are_listed_oldest_first() -> None:
    older = as_task(option_retry())
    newer = as_task(option_retry(SIBLING, created=STOP + timedelta(seconds=1)))

    assert option_retries_of(as_task(FAILED), [newer, older]) == [older, newer]


@pytest.mark.parametrize(
    ("fields", "rival"),
    [
        ({}, True),
        ({"status": "timed_out"}, True),
        ({"status": "running", "stop": None}, False),
        ({"status": "completed", "result": 1}, False),
        ({"status": "cancelled"}, False),
        ({"result": INTERRUPTED}, False),
        ({"retry_attempt": 1}, False),
        ({"function_name": "::app/other"}, False),
        ({"stop": STOP + timedelta(milliseconds=40) + RETRY_CREATED_BEFORE}, True),
        ({"stop": STOP + timedelta(milliseconds=40) + RETRY_CREATED_BEFORE + EDGE}, False),
        ({"stop": STOP + timedelta(milliseconds=40) - OPTION_RETRY_CREATED_AFTER}, True),
        ({"stop": STOP + timedelta(milliseconds=40) - OPTION_RETRY_CREATED_AFTER - EDGE}, False),
    ],
    ids=[
        "failed",
        "timed-out",
        "running",
        "completed",
        "cancelled",
        "interrupted",
        "other-attempt",
        "other-function",
        "stopped-latest",
        "stopped-after-the-retry",
        "stopped-earliest",
        "stopped-too-early",
    ],
)
def test_a_rival_is_a_sibling_that_ended_owing_a_retry_when_the_retry_was_queued(
    fields: dict[str, Any], rival: bool
) -> None:
    options: dict[str, Any] = {"status": "failed", "result": FAILURE, "stop": STOP, **fields}
    sibling = as_task(record(SIBLING, **options))
    retry = as_task(option_retry())

    assert option_rivals(as_task(FAILED), retry, [sibling, retry]) == ([sibling] if rival else [])


# ------------------------------------------------------------ on the emulator


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_wait_follows_a_task_the_emulator_retries_by_its_option(kind: str) -> None:
    with HotEmulator() as emulator:
        control, _ = started_task(emulator, retries=2)
        retry = control.fail("flaky")
        assert retry is not None
        # Ended while the wait follows the stream, as a worker would.
        threading.Timer(0.5, retry.complete, args=({"done": True},)).start()

        finished = on_emulator(
            kind, emulator, lambda client: client.tasks.wait(control.task_id, retries=2, timeout=10)
        )

    assert finished.task_id == retry.task_id
    assert (finished.status, finished.retry_attempt) == (TaskStatus.COMPLETED, 1)
    assert finished.result == {"done": True}


def test_the_emulator_queues_option_retries_until_the_attempts_are_spent() -> None:
    with HotEmulator() as emulator:
        control, _ = started_task(emulator, retries=1)
        with emulator.client() as hot:
            retry = control.time_out()
            assert retry is not None
            again = retry.fail("still flaky")
            first, queued = hot.tasks.get(control.task_id), hot.tasks.get(retry.task_id)

    assert again is None
    assert (first.status, first.retry_attempt) == (TaskStatus.TIMED_OUT, 0)
    assert (queued.status, queued.retry_attempt) == (TaskStatus.FAILED, 1)
    assert queued.next_retry_at is not None
    assert (queued.function_name, queued.origin_run_id) == (
        first.function_name,
        first.origin_run_id,
    )


def test_the_emulator_s_requeued_task_keeps_its_retry_option() -> None:
    # crates/hot/src/db/task.rs `insert_retry_with_infra_count` copies the
    # options: the worker's copy of an interrupted task is retried as it was.
    with HotEmulator() as emulator:
        control, _ = started_task(emulator, retries=1)
        with emulator.client() as hot:
            requeued = control.interrupt()
            retry = requeued.fail("flaky")
            assert retry is not None
            queued = hot.tasks.get(retry.task_id)

    assert (queued.status, queued.retry_attempt) == (TaskStatus.QUEUED, 1)
