"""`runs` and `tasks`: the records of executions and background work."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from typing_extensions import TypeVar, Unpack

from .._models.runs import Run, RunStats, RunStatus, RunType, Task
from .._models.stream_events import RunUpdate, TaskUpdate
from .._options import CallOptions, StreamOptions, WaitOptions
from .._request import Call, ListCall, Request, StreamCall, path
from .._resource import ModeT, Resource, endpoint, list_endpoint, stream_endpoint, wait_endpoint
from .._streaming import RunWaiter, TaskWaiter, snapshot_decoder
from .._wire import item_parser, list_parser, parametrized, query
from ._params import RunListQuery

__all__ = ["Runs", "Tasks"]

R = TypeVar("R", default=Any)


class Runs(Resource[ModeT]):
    @list_endpoint
    def list(
        self,
        *,
        status: RunStatus
        | Literal["running", "succeeded", "failed", "cancelled", "pending_retry"]
        | None = None,
        type: RunType | Literal["call", "event", "schedule", "run", "eval", "repl"] | None = None,
        time_range: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Run]:
        """Runs, newest first. `type` is the run type, `time_range` an ISO 8601
        duration such as `P7D`.

        A `status` or `type` given as text must be one the server has: it lists
        nothing for any other, so a misspelt one is refused before sending. One
        this version does not know yet is sent as `RunStatus("...")` or
        `RunType("...")`."""
        params = query(
            RunListQuery,
            status=status,
            type=type,
            time_range=time_range,
            limit=limit,
            offset=offset,
        )
        return ListCall(Request("GET", "/runs", params=params), list_parser(Run))

    @endpoint
    def stats(self, **options: Unpack[CallOptions]) -> Call[RunStats]:
        """How many runs the environment has, in all and by status."""
        return Call(Request("GET", "/runs/stats"), item_parser(RunStats))

    @endpoint
    def get(
        self,
        run_id: str | UUID,
        *,
        result_type: type[R] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[Run[R]]:
        """One run. With `result_type`, a result that is present is validated as
        that type; `.raw` is the wire object either way."""
        parse = item_parser(parametrized(Run, result_type))
        return Call(Request("GET", path("/runs/{run_id}", run_id)), parse)

    @stream_endpoint
    def subscribe(
        self, run_id: str | UUID, **options: Unpack[StreamOptions]
    ) -> StreamCall[RunUpdate]:
        """Run snapshots, the latest stored first, until the run is terminal."""
        request = Request(
            "GET", path("/runs/{run_id}/subscribe", run_id), accept="text/event-stream"
        )
        return StreamCall(request, snapshot_decoder(RunUpdate))

    @wait_endpoint
    def wait(
        self,
        run_id: str | UUID,
        *,
        timeout: float | None = 60.0,
        max_attempts: int = 5,
        **options: Unpack[WaitOptions],
    ) -> RunWaiter:
        """Wait until the run is over for good; return its last attempt when it `succeeded`.

        A run Hot retries (`pending_retry`, then a new run whose `origin_run_id`
        is it) is followed to its last attempt; `retry_attempt` on the run
        returned or raised says which attempt that was. Raises `HotRunError`
        (carrying that run) when it failed or was cancelled, with the message
        found in its result. Interrupted subscriptions are resumed (each starts
        with the latest stored run, so nothing is missed; 429 and 5xx answers
        are waited out); `HotTimeoutError` after `timeout` seconds in all (None:
        no limit), `HotStreamError` after `max_attempts` + 1 connection
        attempts in a row that got no answer.
        """
        return RunWaiter(run_id, timeout=timeout, max_attempts=max_attempts)


class Tasks(Resource[ModeT]):
    @endpoint
    def get(
        self,
        task_id: str | UUID,
        *,
        result_type: type[R] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[Task[R]]:
        """The latest stored snapshot of a task; `result_type` as in `Runs.get`."""
        parse = item_parser(parametrized(Task, result_type))
        return Call(Request("GET", path("/tasks/{task_id}", task_id)), parse)

    @stream_endpoint
    def subscribe(
        self, task_id: str | UUID, **options: Unpack[StreamOptions]
    ) -> StreamCall[TaskUpdate]:
        """Task snapshots, the latest stored first, until the task is terminal."""
        request = Request(
            "GET", path("/tasks/{task_id}/subscribe", task_id), accept="text/event-stream"
        )
        return StreamCall(request, snapshot_decoder(TaskUpdate))

    @wait_endpoint
    def wait(
        self,
        task_id: str | UUID,
        *,
        retries: int = 0,
        timeout: float | None = 60.0,
        max_attempts: int = 5,
        **options: Unpack[WaitOptions],
    ) -> TaskWaiter:
        """Wait until the task is over for good; return its last attempt when `completed`.

        Raises `HotTaskError` (carrying that attempt) when it failed, was
        cancelled or timed out. A task its worker interrupted and queued again
        is followed to that retry, whose record is returned (its `task_id` says
        which attempt it is). `retries` is the attempts of the task's `retry`
        option (`"retry": 3` or `{"attempts": 3}`), which the API does not show:
        with it, an attempt that failed or timed out below them is followed to
        the retry Hot queues, found on the task's stream; a failure is final
        once none came within 66 seconds of it (so state no more than the
        server allows). Siblings that ended at once, whose retries the
        stream cannot tell apart, raise `HotTaskError` naming the candidates.
        Reconnects, timeout and attempts as `runs.wait`.
        """
        return TaskWaiter(task_id, retries=retries, timeout=timeout, max_attempts=max_attempts)
