"""Checked by mypy, never run: the static types of the streaming API on both clients."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from typing_extensions import assert_type

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    EnvEvent,
    EventStream,
    FinishedRun,
    FinishedTask,
    HotClient,
    HotRunError,
    HotTaskError,
    Run,
    RunCancel,
    RunFail,
    RunStart,
    RunStop,
    RunUpdate,
    StreamEvent,
    Task,
)


def sync_types(hot: HotClient) -> None:
    assert_type(hot.streams.subscribe_with_event({"event_type": "x"}), EventStream[StreamEvent])
    assert_type(hot.env.subscribe(), EventStream[EnvEvent])
    assert_type(hot.runs.subscribe("r"), EventStream[RunUpdate])
    # Where the library knows the run or task ended, `result` is `R`, not `R | None`.
    assert_type(hot.runs.wait("r", timeout=5), FinishedRun)
    assert_type(hot.runs.wait("r").result, Any)
    assert_type(hot.tasks.wait("t"), FinishedTask)
    assert_type(hot.tasks.wait("t", retries=3).result, Any)
    assert_type(hot.streams.wait_for_run_result("s", "e", timeout=1), FinishedRun)
    assert_type(hot.streams.wait_for_run_result("s", "e").result["total"], Any)

    def read_as_records(run: Run, task: Task) -> None:
        assert_type(run.result, Any | None)
        assert_type(task.result, Any | None)

    read_as_records(hot.runs.wait("r"), hot.tasks.wait("t"))  # a finished run is a run
    for event in hot.streams.subscribe("s"):
        if isinstance(event, RunStart):
            assert_type(event.run, Run)
            assert_type(event.run.result, Any | None)
        elif isinstance(event, RunStop | RunFail | RunCancel):
            assert_type(event.run, FinishedRun)
            assert_type(event.run.result, Any)
    for update in hot.runs.subscribe("r"):
        assert_type(update.run.result, Any | None)
    try:
        hot.runs.wait("r")
    except HotRunError as error:
        assert_type(error.run, FinishedRun)
    except HotTaskError as error:
        assert_type(error.task.result, Any)
    assert_type(hot.events.call_hot("::f", [1]), Any)
    assert_type(hot.events.call_hot("::f", [1], result_type=int), int)
    assert_type(hot.events.call_hot("::f", result_type=list[str]), list[str])


async def async_types(hot: AsyncHotClient) -> None:
    assert_type(
        hot.streams.subscribe_with_event({"event_type": "x"}), AsyncEventStream[StreamEvent]
    )
    assert_type(hot.env.subscribe(), AsyncEventStream[EnvEvent])
    waiting = hot.runs.wait("r")
    _ = assert_type(waiting, Coroutine[Any, Any, FinishedRun])
    assert_type((await waiting).result, Any)
    assert_type(await hot.tasks.wait("t", retries=3), FinishedTask)
    assert_type(await hot.streams.wait_for_run_result("s", "e"), FinishedRun)
    async for event in hot.streams.subscribe("s"):
        if isinstance(event, RunStop):
            assert_type(event.run.result, Any)
    assert_type(await hot.events.call_hot("::f", [1]), Any)
    assert_type(await hot.events.call_hot("::f", [1], result_type=int), int)
