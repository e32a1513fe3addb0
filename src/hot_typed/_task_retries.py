"""Which task carries on a task that Hot interrupted and queued again.

A task worker shutting down while a task runs (crates/hot_task_worker/src/
shutdown.rs `finalize_interrupted_task`) ends the task `failed` with the result
`{"$type": "::hot::task/Failure", "$val": {"msg": ..., "err": null,
"infra_interrupted": true}}` and, in the same database transaction, inserts its
retry (crates/hot/src/db/task.rs `finalize_with_infra_retry`): a new task on the
same stream, `queued`, with the interrupted one's `origin_run_id`, `build_id`,
`function_name`, `task_type`, `timeout_ms` and `retry_attempt`, `next_retry_at`
set (a first task has none: `Task::insert`), and `created_at` the time of that
transaction. Past the retry budget (`MAX_INFRA_RETRY_GENERATIONS`) the task ends
`failed` with `infra_interrupted: false` and `infra_retry_exhausted: true`, and
nothing follows it.

The retry's link to the task it replaces (`parent_task_id`) is not on the wire
(crates/hot_api/src/models.rs `TaskResponse`): a retry is recognised by what it
copies and by being created when the task was interrupted. Retries a task's own
retry options make after an ordinary failure (crates/hot_task_worker/src/lib.rs
`maybe_retry_task`) carry no such mark, and whether the options ask for them is
not on the wire either: those are not followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ._models._json import is_json_object
from ._models.runs import Task, TaskStatus

__all__ = [
    "FAILURE_TYPE",
    "RETRY_CREATED_AFTER",
    "RETRY_CREATED_BEFORE",
    "interrupted",
    "retries_of",
]

#: The `$type` of a failed task's result (crates/hot_task_worker/src/lib.rs
#: `task_failure_json`, shutdown.rs).
FAILURE_TYPE = "::hot::task/Failure"

#: How long after the interrupted task's `stop_time` its retry may be created:
#: `stop_time` is the worker's clock read before the transaction begins (which
#: may first wait for a pooled connection), `created_at` the database's `now()`
#: at its start. Earlier than the stop by at most the clocks' difference.
RETRY_CREATED_AFTER = timedelta(seconds=60)
RETRY_CREATED_BEFORE = timedelta(seconds=5)


def interrupted(task: Task[Any]) -> bool:
    """Whether `task` ended interrupted by its worker with a retry queued."""
    if task.status is not TaskStatus.FAILED:
        return False
    result = task.result
    if not is_json_object(result) or result.get("$type") != FAILURE_TYPE:
        return False
    detail = result.get("$val")
    return is_json_object(detail) and detail.get("infra_interrupted") is True


def retries_of(task: Task[Any], seen: Iterable[Task[Any]]) -> list[Task[Any]]:
    """The tasks among `seen` that may be the retry of the interrupted `task`, oldest
    first: one when it can be told, several when siblings interrupted at the same
    time (the same function started by the same run) were queued again too.

    A candidate that is itself the retry of another interrupted candidate (a
    retry interrupted in turn, seen later) is a later attempt, not a rival.
    """
    candidates = [other for other in seen if _copies(task, other) and _made_at_stop(task, other)]
    later = {
        other.task_id
        for other in candidates
        for earlier in candidates
        if other.created_at > earlier.created_at
        and interrupted(earlier)
        and _made_at_stop(earlier, other)
    }
    return sorted(
        (other for other in candidates if other.task_id not in later),
        key=lambda other: other.created_at,
    )


def _copies(task: Task[Any], other: Task[Any]) -> bool:
    return (
        other.task_id != task.task_id
        and other.next_retry_at is not None
        and other.stream_id == task.stream_id
        and other.origin_run_id == task.origin_run_id
        and other.build_id == task.build_id
        and other.function_name == task.function_name
        and other.task_type == task.task_type
        and other.timeout_ms == task.timeout_ms
        and other.retry_attempt == task.retry_attempt
    )


def _made_at_stop(task: Task[Any], other: Task[Any]) -> bool:
    stop = task.stop_time
    if stop is None:
        return False
    return stop - RETRY_CREATED_BEFORE <= other.created_at <= stop + RETRY_CREATED_AFTER
