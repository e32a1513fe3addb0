"""Runs and tasks: the records of work Hot executes."""

from __future__ import annotations

from typing import Any, Generic

from pydantic import AwareDatetime, Field
from typing_extensions import TypeVar

from ._base import WIRE_CONTEXT, OpenEnum, WireModel
from ._common import Id

__all__ = [
    "FinishedRun",
    "FinishedTask",
    "Run",
    "RunStats",
    "RunStatus",
    "RunType",
    "Task",
    "TaskStatus",
    "finished_run",
    "finished_task",
]

R = TypeVar("R", default=Any)


class RunStatus(OpenEnum):
    """A run's status. `pending_retry` is not terminal; unknown values are kept."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PENDING_RETRY = "pending_retry"

    @property
    def is_terminal(self) -> bool:
        """True for `succeeded`, `failed` and `cancelled`: the run will not change again.

        False for `running`, `pending_retry` and values this version does not know.
        """
        return self in _TERMINAL_RUN


class RunType(OpenEnum):
    """What started a run; unknown values are kept."""

    CALL = "call"
    EVENT = "event"
    SCHEDULE = "schedule"
    RUN = "run"
    EVAL = "eval"
    REPL = "repl"
    TASK = "task"


class TaskStatus(OpenEnum):
    """A task's status; unknown values are kept."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        """True for `completed`, `failed`, `cancelled` and `timed_out`: the task will
        not change again. False for `queued`, `running` and unknown values."""
        return self in _TERMINAL_TASK


_TERMINAL_RUN = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
_TERMINAL_TASK = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TIMED_OUT}
)


class Run(WireModel, Generic[R]):
    """One execution, in any state. `result` is user JSON, or None while there is none.

    The server leaves `result` out until the run stops (see `FinishedRun`), so a
    record read while the run may still be going types it `R | None`; `.raw`
    (and `model_fields_set`) tell an absent result from a JSON `null`.
    `Run[Order]` (or `runs.get(id, result_type=Order)`) validates a result that
    is present as an `Order`; plain `Run` keeps it as decoded JSON.
    """

    run_id: Id
    env_id: Id
    stream_id: Id
    build_id: Id | None
    run_type: RunType
    status: RunStatus
    start_time: AwareDatetime
    stop_time: AwareDatetime | None
    origin_run_id: Id | None
    event_id: Id | None
    # crates/hot_api/src/models.rs: `result` is skipped while None (absent, not null).
    result: R | None = None
    project_id: Id | None = None
    project_name: str | None = None
    retry_attempt: int
    next_retry_at: AwareDatetime | None = None


class RunStats(WireModel):
    """How many runs the environment has, in all and by status."""

    total_runs: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class Task(WireModel, Generic[R]):
    """A background task started by a run, in any state. `result` is user JSON, or
    None while there is none (absent on the wire; see `FinishedTask`).
    `Task[X]` validates a result that is present as an `X`."""

    task_id: Id
    env_id: Id
    stream_id: Id
    build_id: Id
    run_id: Id | None
    origin_run_id: Id | None
    function_name: str
    task_type: str
    status: TaskStatus
    start_time: AwareDatetime | None
    stop_time: AwareDatetime | None
    duration_ms: int | None
    result: R | None = None
    timeout_ms: int
    retry_attempt: int
    next_retry_at: AwareDatetime | None = None
    created_at: AwareDatetime


# Every way a run stops (stop, fail, fail with a retry pending, cancel) stores
# its result: crates/hot/src/lang/emitter/database_writer.rs. A stored JSON null
# comes back as `null`, so a finished run's result is `R` itself. An absent one
# is taken as null and validated as `R` like any other value (`validate_default`):
# `FinishedRun[int]` refuses it, `FinishedRun` (R = Any) reads None.


class FinishedRun(Run[R], Generic[R]):
    """A run that has stopped: what `runs.wait`, `streams.wait_for_run_result`,
    `run:stop`/`run:fail`/`run:cancel` events and `HotRunError.run` carry.

    Its `result` is `R`, no longer optional: the function's return value as
    stored, its failure or its cancellation. A
    `pending_retry` run has stopped too; its retry is a new run.
    """

    # Narrower than the base's `R | None` on purpose: a finished record always has one.
    result: R = Field(default=None, validate_default=True)  # pyright: ignore[reportIncompatibleVariableOverride]


class FinishedTask(Task[R], Generic[R]):
    """A task in a terminal status, as `tasks.wait` and `HotTaskError.task` carry it.

    Its `result` is `R`, no longer optional (an absent one reads None, validated
    as `R`).
    """

    # Narrower than the base's `R | None` on purpose: a finished record always has one.
    result: R = Field(default=None, validate_default=True)  # pyright: ignore[reportIncompatibleVariableOverride]


def finished_run(run: Run[R]) -> FinishedRun[R]:
    """`run`, known to have stopped, as a `FinishedRun` keeping its wire object as `.raw`."""
    if isinstance(run, FinishedRun):
        return run
    refined: FinishedRun[R] = _refine(FinishedRun, run)
    return refined


def finished_task(task: Task[R]) -> FinishedTask[R]:
    """`task`, known to be terminal, as a `FinishedTask` keeping its wire object as `.raw`."""
    if isinstance(task, FinishedTask):
        return task
    refined: FinishedTask[R] = _refine(FinishedTask, task)
    return refined


def _refine(finished: Any, record: Run[Any] | Task[Any]) -> Any:
    # `Run[Order]` becomes `FinishedRun[Order]` (pydantic caches the class), validated
    # again from the wire object, which stays `.raw` (the very same dict): once
    # per wait, so the result is checked against `R` on the finished type.
    args = type(record).__pydantic_generic_metadata__["args"]
    model = finished[args] if args else finished
    return model.model_validate(record.raw, context=WIRE_CONTEXT)
