"""`runs.wait` and `tasks.wait`: durable across interruptions, bounded by their timeout."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import pytest

from hot_typed import (
    HotRunError,
    HotStreamError,
    HotTaskError,
    HotTimeoutError,
    NotFoundError,
    RunStatus,
    TaskStatus,
)
from hot_typed.testing import HttpResponse

from .sse_script import (
    DROP,
    HOLD,
    TASK_ID,
    Pause,
    Script,
    comment,
    paths,
    run,
    run_event,
    task_update,
    wait_run,
    wait_task,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

RUN_ID = str(uuid4())


def run_update(status: str, result: Any = ...) -> bytes:
    return run_event("run:update", run(RUN_ID, status=status, result=result))


async def test_run_wait_returns_the_succeeded_run_and_waits_through_pending_retry(
    mode: str,
) -> None:
    finished, server = await wait_run(
        mode,
        RUN_ID,
        [
            run_update("running"),
            comment(),
            run_update("pending_retry"),
            run_update("running"),
            run_update("succeeded", {"total": 3}),
        ],
    )

    assert finished.status is RunStatus.SUCCEEDED
    assert finished.result == {"total": 3}
    assert paths(server.requests) == [f"GET /v1/runs/{RUN_ID}/subscribe"]


async def test_run_wait_resumes_after_a_drop_and_after_the_server_closes(mode: str) -> None:
    finished, server = await wait_run(
        mode,
        RUN_ID,
        [run_update("running"), DROP],
        [run_update("running")],  # closed cleanly, not terminal: nothing new, so backed off
        [run_update("succeeded", 1)],
    )

    assert finished.status is RunStatus.SUCCEEDED
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "result", "message"),
    [
        ("failed", {"$err": "division by zero"}, "division by zero"),
        ("failed", {"$err": {"$val": {"message": "deep down"}}}, "deep down"),
        ("failed", {"error": {"msg": "bad input"}}, "bad input"),
        ("failed", {"$err": {"reason": "quota"}}, "quota"),
        ("failed", {"err": "short"}, "short"),
        ("failed", "plain text", "plain text"),
        ("failed", {"$err": {"code": 7}}, '{"$err":{"code":7}}'),
        # A fixed id: the run id in a test's name would change it on every collection.
        pytest.param("cancelled", ..., f"run {RUN_ID} cancelled", id="cancelled-no-result"),
    ],
)
async def test_run_wait_raises_with_the_message_found_in_the_result(
    mode: str, status: str, result: Any, message: str
) -> None:
    with pytest.raises(HotRunError) as error:
        await wait_run(mode, RUN_ID, [run_update("running"), run_update(status, result)])

    assert message in str(error.value)
    assert str(error.value).startswith(f"run {RUN_ID} {status}")
    assert error.value.run.status == status
    assert error.value.run.run_id == RUN_ID


async def test_run_wait_times_out_on_a_stalled_stream_within_its_bound(mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_run(mode, RUN_ID, [run_update("running"), Pause(5)], timeout=0.3)

    assert time.monotonic() - started < 1.5


async def test_run_wait_times_out_while_only_keep_alive_comments_arrive(mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_run(mode, RUN_ID, [run_update("running"), HOLD], timeout=0.3)

    assert time.monotonic() - started < 1.5


async def test_run_wait_timeout_spans_reconnects(mode: str) -> None:
    # Every connection shows news (a new status) and closes: only the overall
    # timeout can end this wait.
    flapping: list[Script] = [
        [run_update("running" if i % 2 else "pending_retry"), Pause(0.05)] for i in range(60)
    ]
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_run(mode, RUN_ID, *flapping, timeout=0.5)

    assert 0.5 <= time.monotonic() - started < 1.5


async def test_run_wait_gives_up_after_max_attempts_connections_without_an_answer(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError, match="gave up after 3 connection attempt"):
        await wait_run(
            mode, RUN_ID, [run_update("running")], [run_update("running")], DROP, DROP, DROP,
            max_attempts=2,
        )


async def test_run_wait_propagates_an_unknown_run(mode: str) -> None:
    not_found = HttpResponse.json({"error": {"code": "not_found", "message": "Run"}}, 404)
    with pytest.raises(NotFoundError):
        await wait_run(mode, RUN_ID, not_found)


async def test_task_wait_returns_the_completed_task(mode: str) -> None:
    finished, server = await wait_task(
        mode, [task_update("queued"), DROP], [task_update("running"), task_update("completed", 5)]
    )

    assert finished.status is TaskStatus.COMPLETED
    assert finished.result == 5
    assert paths(server.requests) == [f"GET /v1/tasks/{TASK_ID}/subscribe"] * 2


@pytest.mark.parametrize("status", ["failed", "cancelled", "timed_out"])
async def test_task_wait_raises_for_every_unsuccessful_end(mode: str, status: str) -> None:
    with pytest.raises(HotTaskError) as error:
        await wait_task(mode, [task_update("running"), task_update(status, {"error": "nope"})])

    assert str(error.value) == f"task {TASK_ID} {status}: nope"
    assert error.value.task.status == status


async def test_task_wait_times_out(mode: str) -> None:
    with pytest.raises(HotTimeoutError):
        await wait_task(mode, [task_update("running"), Pause(5)], timeout=0.2)
