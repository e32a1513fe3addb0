"""Runs and tasks: the records of work Hot executes."""

from __future__ import annotations

from typing import Any, Generic
from uuid import UUID

from pydantic import AwareDatetime
from typing_extensions import TypeVar

from ._base import OpenEnum, WireModel

__all__ = ["Run", "RunStats", "RunStatus", "RunType", "Task", "TaskStatus"]

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
        return self in _TERMINAL_TASK


_TERMINAL_RUN = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
_TERMINAL_TASK = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TIMED_OUT}
)


class Run(WireModel, Generic[R]):
    """One execution. `result` is user JSON, None until the run has one.

    `Run[Order]` (or `runs.get(id, result_type=Order)`) validates a result that
    is present as an `Order`; plain `Run` keeps it as decoded JSON.
    """

    run_id: UUID
    env_id: UUID
    stream_id: UUID
    build_id: UUID | None
    run_type: RunType
    status: RunStatus
    start_time: AwareDatetime
    stop_time: AwareDatetime | None
    origin_run_id: UUID | None
    event_id: UUID | None
    # Typed `R` (Any unless parametrized), not `R | None`: untyped readers keep
    # a plain Any, and an absent result still reads None.
    result: R = None  # type: ignore[assignment]
    project_id: UUID | None = None
    project_name: str | None = None
    retry_attempt: int
    next_retry_at: AwareDatetime | None = None


class RunStats(WireModel):
    total_runs: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class Task(WireModel, Generic[R]):
    """A background task started by a run. `result` is user JSON, None until set;
    `Task[X]` validates a result that is present as an `X`."""

    task_id: UUID
    env_id: UUID
    stream_id: UUID
    build_id: UUID
    run_id: UUID | None
    origin_run_id: UUID | None
    function_name: str
    task_type: str
    status: TaskStatus
    start_time: AwareDatetime | None
    stop_time: AwareDatetime | None
    duration_ms: int | None
    result: R = None  # type: ignore[assignment]
    timeout_ms: int
    retry_attempt: int
    next_retry_at: AwareDatetime | None = None
    created_at: AwareDatetime
