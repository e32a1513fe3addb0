"""Which task carries on a task that Hot queued again: interrupted, or retried by its options.

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

A task started with a `retry` option (crates/hot/src/env.rs `RetryConfig::from_meta`:
`"retry": 3` or `{"attempts": 3, ...}`) that ends `failed` or `timed_out` otherwise
is retried once its failure is stored (crates/hot_task_worker/src/lib.rs
`maybe_retry_task`, and `maybe_retry_zombie_task` for a task the reaper ended):
while its `retry_attempt` is below the attempts, a new task is inserted `queued`
(crates/hot/src/db/task.rs `insert_retry`) copying the same fields, with
`retry_attempt` one more and `next_retry_at` set. The options are not on the wire,
so a waiter follows such retries only when told the attempts (`owes_retry`).

The retry's link to the task it replaces (`parent_task_id`) is not on the wire
(crates/hot_api/src/models.rs `TaskResponse`) either: a retry is recognised by
what it copies and by being created when the task ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ._models._json import is_json_object
from ._models.runs import Task, TaskStatus

__all__ = [
    "FAILURE_TYPE",
    "OPTION_RETRY_CREATED_AFTER",
    "RETRY_CREATED_AFTER",
    "RETRY_CREATED_BEFORE",
    "interrupted",
    "option_retries_of",
    "option_rivals",
    "owes_retry",
    "retries_of",
    "retry_attempts",
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

#: How long after a failed attempt's `stop_time` the retry its options owe may be
#: created: `maybe_retry_task` reads the task up to three times and then inserts
#: the retry, each call bounded by the worker's `DB_CALL_TIMEOUT` (15 s), with
#: 0.3 s of pauses between the reads: at most 60.3 s, and the clocks' difference.
OPTION_RETRY_CREATED_AFTER = timedelta(seconds=65)


def interrupted(task: Task[Any]) -> bool:
    """Whether `task` ended interrupted by its worker with a retry queued."""
    if task.status is not TaskStatus.FAILED:
        return False
    return _failure_detail(task).get("infra_interrupted") is True


def retry_attempts(value: object) -> int:
    """`value` as the attempts of a `retry` option; ValueError unless it is an
    int >= 0 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"retries must be an int >= 0, got {value!r}")
    return value


def owes_retry(task: Task[Any], attempts: int) -> bool:
    """Whether Hot retries `task` when its `retry` option allows `attempts` retries:
    it ended `failed` or `timed_out` with `retry_attempt` below them, and not by
    its worker's shutdown (which queues its own retry, or none once exhausted:
    crates/hot_task_worker/src/shutdown.rs never calls `maybe_retry_task`)."""
    if task.status not in (TaskStatus.FAILED, TaskStatus.TIMED_OUT):
        return False
    return task.retry_attempt < attempts and not _shut_down(task)


def option_retries_of(task: Task[Any], seen: Iterable[Task[Any]]) -> list[Task[Any]]:
    """The tasks among `seen` that may be the retry the options of the failed
    `task` queued, oldest first."""
    return sorted(
        (
            other
            for other in seen
            if _same_work(task, other)
            and other.retry_attempt == task.retry_attempt + 1
            and other.next_retry_at is not None
            and _queued_after(task, other, OPTION_RETRY_CREATED_AFTER)
        ),
        key=lambda other: other.created_at,
    )


def option_rivals(task: Task[Any], retry: Task[Any], seen: Iterable[Task[Any]]) -> list[Task[Any]]:
    """The tasks among `seen` other than `task` that may own `retry` just as well:
    the same work at the same attempt, ended owing a retry (for all the wire
    says, their options may differ) when `retry` was created."""
    return [
        other
        for other in seen
        if other.task_id != task.task_id
        and _same_work(task, other)
        and other.retry_attempt == task.retry_attempt
        and other.status in (TaskStatus.FAILED, TaskStatus.TIMED_OUT)
        and not _shut_down(other)
        and _queued_after(other, retry, OPTION_RETRY_CREATED_AFTER)
    ]


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


def _shut_down(task: Task[Any]) -> bool:
    """Ended by its worker's shutdown: interrupted, or past the retries that allows."""
    return interrupted(task) or _failure_detail(task).get("infra_retry_exhausted") is True


def _failure_detail(task: Task[Any]) -> dict[str, Any]:
    """The `$val` of the task's `::hot::task/Failure` result; empty for any other."""
    result = task.result
    if not is_json_object(result) or result.get("$type") != FAILURE_TYPE:
        return {}
    detail = result.get("$val")
    return detail if is_json_object(detail) else {}


def _same_work(task: Task[Any], other: Task[Any]) -> bool:
    """`other` is another task of what `task` does: what a retry copies, but its attempt."""
    return (
        other.task_id != task.task_id
        and other.stream_id == task.stream_id
        and other.origin_run_id == task.origin_run_id
        and other.build_id == task.build_id
        and other.function_name == task.function_name
        and other.task_type == task.task_type
        and other.timeout_ms == task.timeout_ms
    )


def _copies(task: Task[Any], other: Task[Any]) -> bool:
    return (
        _same_work(task, other)
        and other.next_retry_at is not None
        and other.retry_attempt == task.retry_attempt
    )


def _made_at_stop(task: Task[Any], other: Task[Any]) -> bool:
    return _queued_after(task, other, RETRY_CREATED_AFTER)


def _queued_after(task: Task[Any], other: Task[Any], within: timedelta) -> bool:
    """`other` was created when `task` stopped, or at most `within` later."""
    stop = task.stop_time
    if stop is None:
        return False
    return stop - RETRY_CREATED_BEFORE <= other.created_at <= stop + within
