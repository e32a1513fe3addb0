"""`result` is typed as what it can be: `R | None` on a record read at any time, `R`
on the `FinishedRun` / `FinishedTask` the library hands out once it knows the run
or task ended (waiters, terminal stream events, `HotRunError` / `HotTaskError`)."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from hot_typed import (
    FinishedRun,
    FinishedTask,
    HotRunError,
    HotTaskError,
    Run,
    RunStart,
    RunStop,
    Task,
)
from hot_typed.testing import HttpResponse

from .sse_script import SseScript, close, collect, event, make_client, resolve, run, task

both_clients = pytest.mark.parametrize("mode", ["sync", "async"])

RUN_ID = str(uuid4())
TASK_ID = str(uuid4())
EVENT_ID = str(uuid4())
STREAM_ID = str(uuid4())


async def _wait(mode: str, operation: str, *frames: bytes, **options: Any) -> Any:
    with SseScript([*frames]) as server:
        client = make_client(server, mode)
        resource, method = operation.split(".")
        try:
            return await resolve(getattr(getattr(client, resource), method)(**options))
        finally:
            await close(client)


@both_clients
async def test_run_wait_returns_a_finished_run_keeping_the_wire_object(mode: str) -> None:
    succeeded = run(RUN_ID, status="succeeded", result=12345678901234567890)
    finished = await _wait(
        mode,
        "runs.wait",
        event({"type": "run:update", "run": run(RUN_ID)}),
        event({"type": "run:update", "run": succeeded}),
        run_id=RUN_ID,
    )

    assert type(finished) is FinishedRun
    assert finished.result == 12345678901234567890
    assert finished.raw == succeeded
    assert finished.raw["start_time"] == "2026-01-02T03:04:05.123456789Z"


@both_clients
async def test_a_failed_run_raises_carrying_a_finished_run(mode: str) -> None:
    with pytest.raises(HotRunError) as error:
        await _wait(
            mode,
            "runs.wait",
            event({"type": "run:update", "run": run(RUN_ID, status="failed", result={"$err": 1})}),
            run_id=RUN_ID,
        )

    assert isinstance(error.value.run, FinishedRun)
    assert error.value.run.result == {"$err": 1}


@both_clients
async def test_a_cancelled_run_without_result_is_finished_with_a_none_result(mode: str) -> None:
    with pytest.raises(HotRunError) as error:
        await _wait(
            mode,
            "runs.wait",
            event({"type": "run:update", "run": run(RUN_ID, status="cancelled")}),
            run_id=RUN_ID,
        )

    assert isinstance(error.value.run, FinishedRun)
    assert error.value.run.result is None
    assert "result" not in error.value.run.raw


@both_clients
async def test_task_wait_returns_a_finished_task_and_failures_carry_one(mode: str) -> None:
    completed = task(TASK_ID, status="completed", result=[1, 2])
    finished = await _wait(
        mode, "tasks.wait", event({"type": "task:update", "task": completed}), task_id=TASK_ID
    )
    assert type(finished) is FinishedTask
    assert finished.result == [1, 2]
    assert finished.raw == completed

    failed = task(TASK_ID, status="timed_out")
    with pytest.raises(HotTaskError) as error:
        await _wait(
            mode, "tasks.wait", event({"type": "task:update", "task": failed}), task_id=TASK_ID
        )
    assert isinstance(error.value.task, FinishedTask)
    assert error.value.task.result is None


@both_clients
async def test_wait_for_run_result_returns_a_finished_run(mode: str) -> None:
    stopped = run(RUN_ID, status="succeeded", event_id=EVENT_ID, result=None)
    finished = await _wait(
        mode,
        "streams.wait_for_run_result",
        event({"type": "run:stop", "run": stopped}),
        stream_id=STREAM_ID,
        event_id=EVENT_ID,
    )

    assert type(finished) is FinishedRun
    assert finished.result is None
    assert finished.raw["result"] is None  # a stored JSON null, not an absent result


@both_clients
async def test_only_terminal_stream_events_carry_finished_runs(mode: str) -> None:
    started = run(RUN_ID, event_id=EVENT_ID)
    stopped = run(RUN_ID, status="succeeded", event_id=EVENT_ID, result="done")
    with SseScript(
        [event({"type": "run:start", "run": started}), event({"type": "run:stop", "run": stopped})]
    ) as server:
        client = make_client(server, mode)
        try:
            start, stop = await collect(client.streams.subscribe(STREAM_ID))
        finally:
            await close(client)

    assert isinstance(start, RunStart)
    assert type(start.run) is Run
    assert start.run.result is None
    assert "result" not in start.run.raw
    assert isinstance(stop, RunStop)
    assert type(stop.run) is FinishedRun
    assert stop.run.result == "done"


@both_clients
async def test_a_record_read_while_going_has_no_result(mode: str) -> None:
    with SseScript(
        HttpResponse.json({"data": run(RUN_ID)}),
        HttpResponse.json({"data": task(TASK_ID)}),
    ) as server:
        client = make_client(server, mode)
        try:
            going = await resolve(client.runs.get(RUN_ID, result_type=int))
            queued = await resolve(client.tasks.get(TASK_ID, result_type=int))
        finally:
            await close(client)

    assert isinstance(going, Run)
    assert not isinstance(going, FinishedRun)
    assert going.result is None
    assert "result" not in going.raw
    assert "result" not in going.model_fields_set
    assert isinstance(queued, Task)
    assert not isinstance(queued, FinishedTask)
    assert queued.result is None


def test_a_finished_run_of_a_result_type_refuses_a_missing_result() -> None:
    wire = run(RUN_ID, status="succeeded")
    no_result = json.dumps(wire)

    with pytest.raises(ValidationError, match="result"):
        FinishedRun[int].model_validate_json(no_result)
    assert FinishedRun[int | None].model_validate_json(no_result).result is None
    assert FinishedRun[int].model_validate_json(json.dumps({**wire, "result": 5})).result == 5
    with pytest.raises(ValidationError, match="result"):
        FinishedTask[str].model_validate_json(json.dumps(task(TASK_ID, status="completed")))
