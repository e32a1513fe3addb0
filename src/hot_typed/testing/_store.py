"""The emulator's state: every resource in memory, behind one lock.

Records are kept as the wire dicts the server would answer with, so endpoints
return them as they are. Run streams and the environment keep append-only logs
of the events they emitted; subscribers follow a log from the position they
joined at and wait on `changed`, which every mutation notifies.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .._models._json import is_json_object
from .._models.files import UPLOAD_PENDING
from .._models.runs import RunStatus, RunType, TaskStatus
from .._models.stream_events import (
    EnvTaskComplete,
    EnvTaskStarted,
    RunCancel,
    RunFail,
    RunStart,
    StreamData,
    TaskUpdate,
    run_end,
    tag,
)
from .._path_ids import canonical_id, uuid_problem
from .._task_retries import FAILURE_TYPE
from ._val_display import displayed
from ._values import (
    JSON,
    ROW_NOT_FOUND,
    ApiError,
    check_storable,
    new_id,
    new_ordered_id,
    timestamp,
    timestamp_nanos,
)

__all__ = [
    "RUN_TERMINAL",
    "TASK_TERMINAL",
    "Store",
    "StreamLog",
    "Upload",
    "message_of",
    "run_cancellation",
    "run_failure",
    "sse_event",
    "stop_event",
    "tag",
    "task_cancellation",
    "task_failure",
]


RUN_TERMINAL: dict[str, str] = {
    status.value: tag(run_end(status))
    for status in RunStatus
    if status.is_terminal
}
"""Terminal run statuses and the stream event each one emits."""


def stop_event(status: str) -> str:
    """The stream event for a run that has a `stop_time` (`run_end`)."""
    return tag(run_end(RunStatus(status)))


TASK_TERMINAL = frozenset(status.value for status in TaskStatus if status.is_terminal)

# The results Hot stores for a run or task that failed or was cancelled:
# `::hot::<kind>/Failure` or `Cancellation`, whose `$val` holds `msg` and the
# `err` or `data` given (crates/hot/src/lang/hot/exec.rs `fail`, `cancel`, the
# kind the run's or task's own; crates/hot_task_worker/src/lib.rs
# `task_failure_json`, `task_cancellation_json`; the `$origin` exec.rs adds,
# where in the code, is left out). A task's failure `$type` is the client's own
# definition (`_task_retries.FAILURE_TYPE`), which its waiter reads.


def run_failure(message: str) -> JSON:
    return _outcome("::hot::run/Failure", "err", message)


def run_cancellation(message: str) -> JSON:
    return _outcome("::hot::run/Cancellation", "data", message)


def task_failure(message: str, **detail: Any) -> JSON:
    """With `detail`, the marks shutdown.rs adds to an interrupted task's failure."""
    return _outcome(FAILURE_TYPE, "err", message, **detail)


def task_cancellation(message: str) -> JSON:
    return _outcome("::hot::task/Cancellation", "data", message)


def _outcome(type_: str, given: str, message: str, **detail: Any) -> JSON:
    return {"$type": type_, "$val": {"msg": message, given: None, **detail}}


def message_of(result: Any) -> str | None:
    """The `msg` of a failure or cancellation as the functions above make them."""
    detail = result.get("$val") if is_json_object(result) else None
    message = detail.get("msg") if is_json_object(detail) else None
    return message if isinstance(message, str) else None


# How the emulator ends a task's run: a timed-out task's run ends `failed`.
_TASK_RUN_STATUS = {
    TaskStatus.COMPLETED.value: RunStatus.SUCCEEDED.value,
    TaskStatus.CANCELLED.value: RunStatus.CANCELLED.value,
}

SseEvent = tuple[str, JSON]
"""An SSE event as (name, data); `data` carries `"type": name`."""


def sse_event(name: str, payload: JSON) -> SseEvent:
    """The event `name` carrying `payload`, its data tagged `"type": name` as the
    server tags every event it streams."""
    return name, {"type": name, **payload}


@dataclass
class StreamLog:
    """A run stream: the runs and tasks seen on it and the events it emitted, in order."""

    stream_id: str
    run_ids: list[str] = field(default_factory=list[str])
    task_ids: list[str] = field(default_factory=list[str])
    events: list[SseEvent] = field(default_factory=list[SseEvent])
    #: Connections subscribed to the stream right now.
    subscribers: int = 0


@dataclass
class Upload:
    """A multipart upload: `pending` until it is completed or aborted (the record stays)."""

    upload_id: str
    path: str
    part_size: int
    parts_expected: int | None
    content_type: str | None
    expires_at: str
    expected_size: int | None = None
    # The bytes it holds back while pending: `expected_size`, or what an upload
    # announced without one reserves.
    reserved: int = 0
    parts: dict[int, bytes] = field(default_factory=dict[int, bytes])
    status: str = UPLOAD_PENDING

    def end(self, status: str) -> None:
        """Completed or aborted: the record stays, its parts' bytes go."""
        self.parts.clear()
        self.status = status


def _duration_ms(start: str | None, stop: str) -> int | None:
    if start is None:
        return None
    return int((timestamp_nanos(stop) - timestamp_nanos(start)) // 1_000_000)


class Store:
    """All emulated state. Hold `lock` (or `changed`) while reading or mutating."""

    def __init__(self) -> None:
        self.lock: threading.RLock = threading.RLock()
        self.changed: threading.Condition = threading.Condition(self.lock)
        self.closed: bool = False
        self.env_id: str = new_id()
        self.org_id: str = new_id()
        self.env_name = "emulator"
        # Tasks always name a build; runs of handlers not tied to a deployed
        # build use this one.
        self.runtime_build_id: str = new_id()
        self.projects: dict[str, JSON] = {}
        self.builds: dict[str, JSON] = {}
        self.build_archives: dict[str, bytes] = {}
        self.context: dict[str, dict[str, JSON]] = {}
        self.context_values: dict[tuple[str, str], Any] = {}
        self.events: dict[str, JSON] = {}
        self.runs: dict[str, JSON] = {}
        self.run_functions: dict[str, str | None] = {}
        self.tasks: dict[str, JSON] = {}
        # Task id -> the run the task executes as.
        self.task_runs: dict[str, str] = {}
        # Task id -> the attempts of its `retry` option (kept on the task row,
        # not on the wire: crates/hot_api/src/models.rs `TaskResponse`).
        self.task_retries: dict[str, int] = {}
        self.streams: dict[str, StreamLog] = {}
        self.env_log: list[SseEvent] = []
        self.files: dict[str, JSON] = {}
        self.file_content: dict[str, bytes] = {}
        self.uploads: dict[str, Upload] = {}
        self.sessions: dict[str, JSON] = {}
        # Revoked sessions are kept, as their rows are (`revoked_at` set), so
        # revoking one again is no error.
        self.revoked_sessions: dict[str, JSON] = {}
        self.service_keys: dict[str, JSON] = {}
        self.tokens: dict[str, str] = {}
        self.domains: dict[str, JSON] = {}
        # Blob reference id -> (content, content type).
        self.blobs: dict[str, tuple[bytes, str | None]] = {}

    def close(self) -> None:
        """Wake every subscriber so it ends its response."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def project(self, ref: str, *, inactive: bool = False) -> JSON:
        """The project whose id or name is `ref`, as crates/hot_api/src/handlers/
        mod.rs `get_and_verify_project` finds it: a `ref` the server's UUID
        parser takes (any spelling) is an id and only an id, any other text a
        name. A name finds an inactive project too (`get_project_by_env_and_name`);
        none is the API's 404. An id finds only an active one (crates/hot/src/db/
        project.rs `get_project`: `active = true`, `fetch_one`), and none is a
        database error, the API's 500; with `inactive`, as
        `get_project_including_inactive` (write paths that reactivate), any.
        """
        check_storable(ref)
        with self.lock:
            if uuid_problem(ref) is None:
                project = self.projects.get(canonical_id(ref))
                if project is None or not (inactive or project["active"]):
                    raise ApiError.internal(f"Database error: {ROW_NOT_FOUND}")
                return project
            project = next((p for p in self.projects.values() if p["name"] == ref), None)
            if project is None:
                raise ApiError.not_found("Project")
            return project

    def project_named(self, name: str) -> JSON:
        """The project named `name`, created when there is none and made active
        again when inactive (crates/hot/src/db/project.rs `insert_or_get_project`)."""
        with self.lock:
            existing = next((p for p in self.projects.values() if p["name"] == name), None)
            if existing is not None:
                if not existing["active"]:
                    existing.update(active=True, updated_at=timestamp())
                return existing
            now = timestamp()
            project: JSON = {
                "project_id": new_id(),
                "env_id": self.env_id,
                "name": name,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            self.projects[project["project_id"]] = project
            return project

    # Logs -------------------------------------------------------------------

    def _emit(self, stream: StreamLog | None, name: str, payload: JSON) -> None:
        if stream is not None:
            stream.events.append(sse_event(name, payload))
        self.changed.notify_all()

    def _emit_env(self, name: str, payload: JSON) -> None:
        self.env_log.append(sse_event(name, payload))
        self.changed.notify_all()

    # Events and runs ----------------------------------------------------------

    def stream(self, stream_id: str) -> StreamLog:
        """The stream `stream_id`, created if new."""
        with self.lock:
            log = self.streams.get(stream_id)
            if log is None:
                log = self.streams[stream_id] = StreamLog(stream_id)
            return log

    def add_event(self, event_type: str, event_data: Any, stream_id: str | None) -> JSON:
        """Store a published event on `stream_id` (a new stream when None)."""
        # crates/hot/src/db/event.rs, insert_event: a text and a jsonb column.
        check_storable(event_type, event_data)
        with self.lock:
            now = timestamp()
            event = {
                "event_id": new_id(),
                "env_id": self.env_id,
                "stream_id": self.stream(stream_id or new_id()).stream_id,
                "event_type": event_type,
                "event_data": event_data,
                "event_time": now,
                "created_at": now,
            }
            self.events[event["event_id"]] = event
            return event

    def start_run(
        self,
        event: JSON,
        run_type: str,
        fn_name: str | None,
        *,
        origin_run_id: str | None = None,
        retry_attempt: int = 0,
        project: JSON | None = None,
    ) -> JSON:
        """Record a running run for `event` (a retry of `origin_run_id`, when
        given) of the build of `project`, if any; emits `run:start` on its stream."""
        with self.lock:
            run: JSON = {
                "run_id": new_id(),
                "env_id": self.env_id,
                "stream_id": event["stream_id"],
                "build_id": None,
                "run_type": run_type,
                "status": RunStatus.RUNNING.value,
                "start_time": timestamp(),
                "stop_time": None,
                "origin_run_id": origin_run_id,
                "event_id": event["event_id"],
                "retry_attempt": retry_attempt,
            }
            if project is not None:
                # Absent for a run of no project (crates/hot_api/src/models.rs
                # `RunResponse`: skip_serializing_if None).
                run.update(project_id=project["project_id"], project_name=project["name"])
            self.runs[run["run_id"]] = run
            stream = self.streams[run["stream_id"]]
            stream.run_ids.append(run["run_id"])
            self._emit(stream, tag(RunStart), {"run": dict(run)})
            self.run_functions[run["run_id"]] = fn_name
            return dict(run)

    def _env_run_fields(self, run: JSON) -> JSON:
        return {
            "run_id": run["run_id"],
            "env_id": self.env_id,
            "stream_id": run["stream_id"],
            "event_id": run["event_id"],
            "project_id": run.get("project_id"),
            "fn_name": self.run_functions.get(run["run_id"]),
            "run_type": run["run_type"],
        }

    def finish_run(self, run_id: str, status: str, result: Any) -> JSON | None:
        """End a running run with `status` (a key of `RUN_TERMINAL`) and `result`;
        None (and no change) when it already ended, e.g. it was cancelled."""
        with self.lock:
            run = self.runs[run_id]
            if run["status"] != RunStatus.RUNNING:
                return None
            run.update(status=status, stop_time=timestamp(), result=result)
            name = RUN_TERMINAL[status]
            self._emit(self.streams[run["stream_id"]], name, {"run": dict(run)})
            self._announce_end(run, name, result)
            return dict(run)

    def _announce_end(self, run: JSON, name: str, result: Any) -> None:
        """Tell the environment a run ended, as crates/hot_worker/src/server.rs does
        once an event handler's run returns, and only then: a task's run is
        announced by `task:started` and `task:complete` alone (hot_task_worker),
        and nothing announces a run's start, an event or a stream, though
        crates/hot/src/stream/mod.rs declares those `EnvEvent`s too."""
        if run["run_type"] == RunType.TASK:
            return
        # `duration_ms: None // Duration is tracked by the run record`; the error
        # and reason are texts, never the result (`Option<String>`): the failure
        # as Hot writes the value, `result.unwrap_err().map(|v| v.to_string())`,
        # and the cancellation's `msg`.
        flat = {**self._env_run_fields(run), "duration_ms": None}
        if name == tag(RunFail):
            flat["error"] = displayed(result)
        elif name == tag(RunCancel):
            flat["reason"] = message_of(result)
        self._emit_env(name, flat)

    def await_retry(self, run_id: str, result: Any, next_retry_at: str) -> JSON | None:
        """A running run failed and will be retried: `pending_retry`, stopped,
        `retry_attempt` incremented (the retry's attempt number: crates/hot/src/
        lang/emitter/database_writer.rs `write_run_fail`). Pushed live as
        `run:fail`: the worker publishes a failed result as `RunFail` whatever
        the retry policy then made of the run (crates/hot_worker/src/server.rs
        `is_error_result`), and the stream sends what is pushed as it is
        (crates/hot_api/src/handlers/streams.rs); a later replay reads the
        status and sends `run:stop`. None when it had already ended."""
        with self.lock:
            run = self.runs[run_id]
            if run["status"] != RunStatus.RUNNING:
                return None
            run.update(
                status=RunStatus.PENDING_RETRY.value,
                stop_time=timestamp(),
                result=result,
                retry_attempt=run["retry_attempt"] + 1,
                next_retry_at=next_retry_at,
            )
            self._emit(self.streams[run["stream_id"]], tag(RunFail), {"run": dict(run)})
            # The worker announces the failed attempt as any failure: the retry
            # is the scheduler's, later (crates/hot_worker/src/server.rs).
            self._announce_end(run, tag(RunFail), result)
            return dict(run)

    def start_retry(self, run_id: str) -> tuple[JSON, JSON] | None:
        """Retry a `pending_retry` run as the scheduler does: a copy of its event
        (same stream, new id) and a run of it linked by `origin_run_id`; the
        retried run becomes `failed` (crates/hot_scheduler/src/server.rs
        `process_pending_retries`). The new event and run; None when the run
        is no longer pending (it was cancelled meanwhile)."""
        with self.lock:
            run = self.runs[run_id]
            if run["status"] != RunStatus.PENDING_RETRY:
                return None
            original = self.events[run["event_id"]]
            event = self.add_event(
                original["event_type"], original["event_data"], run["stream_id"]
            )
            retry = self.start_run(
                event,
                run["run_type"],
                self.run_functions.get(run_id),
                origin_run_id=run_id,
                retry_attempt=run["retry_attempt"],
                # The retry's context copies the project (process_pending_retries).
                project=self.projects.get(run.get("project_id", "")),
            )
            # Open connections reported this run's stop already and report it
            # no more; new ones replay it as `run:fail`.
            run.update(status=RunStatus.FAILED.value, next_retry_at=None)
            self.changed.notify_all()
            return event, retry

    def emit_data(self, run_id: str, data_type: str, payload: Any) -> None:
        """Send `stream:data` from a run (live only: it is never replayed)."""
        with self.lock:
            run = self.runs[run_id]
            self._emit(
                self.streams[run["stream_id"]],
                tag(StreamData),
                {
                    "stream_data_id": new_ordered_id(),
                    "run_id": run_id,
                    "data_type": data_type,
                    "payload": payload,
                },
            )

    # Tasks --------------------------------------------------------------------

    def start_task(
        self, run_id: str, function_name: str, task_type: str, timeout_ms: int, retries: int = 0
    ) -> JSON:
        """Record a task started by run `run_id`, whose `retry` option allows
        `retries` retries, and start it: inserted `queued` (crates/hot/src/db/
        task.rs `Task::insert`), then picked up by a worker at once; emits a
        `task:update` for each."""
        with self.lock:
            run = self.runs[run_id]
            now = timestamp()
            task: JSON = {
                "task_id": new_id(),
                "env_id": self.env_id,
                "stream_id": run["stream_id"],
                "build_id": run["build_id"] or self.runtime_build_id,
                # Linked to the run it executes as once that run is over
                # (crates/hot_task_worker/src/lib.rs, `Task::set_run_id`).
                "run_id": None,
                "origin_run_id": run_id,
                "function_name": function_name,
                "task_type": task_type,
                "status": TaskStatus.QUEUED.value,
                "start_time": None,
                "stop_time": None,
                "duration_ms": None,
                "timeout_ms": timeout_ms,
                "retry_attempt": 0,
                "created_at": now,
            }
            self.tasks[task["task_id"]] = task
            self.task_retries[task["task_id"]] = retries
            stream = self.streams[task["stream_id"]]
            stream.task_ids.append(task["task_id"])
            self._emit(stream, tag(TaskUpdate), {"task": dict(task)})
            self._pick_up(task)
            return dict(task)

    def retry_task(self, task_id: str) -> JSON | None:
        """Queue the retry a failed or timed out task's `retry` option owes, as the
        worker does once the failure is stored (crates/hot_task_worker/src/lib.rs
        `maybe_retry_task`, crates/hot/src/db/task.rs `insert_retry`): a copy,
        `queued`, `retry_attempt` one more, `next_retry_at` set. None when the
        attempts are spent."""
        with self.lock:
            task = self.tasks[task_id]
            if task["status"] not in (TaskStatus.FAILED.value, TaskStatus.TIMED_OUT.value):
                raise RuntimeError(f"task {task_id} did not fail ({task['status']})")
            if task["retry_attempt"] >= self.task_retries.get(task_id, 0):
                return None
            return dict(self._queue_again(task, task["retry_attempt"] + 1))

    def _queue_again(self, task: JSON, attempt: int) -> JSON:
        """Insert a copy of `task`, `queued` as attempt `attempt`, with its
        options (crates/hot/src/db/task.rs `insert_retry_with_infra_count`
        copies them), and emit it."""
        now = timestamp()
        retry: JSON = {
            **{key: value for key, value in task.items() if key != "result"},
            "task_id": new_id(),
            "run_id": None,
            "status": TaskStatus.QUEUED.value,
            "start_time": None,
            "stop_time": None,
            "duration_ms": None,
            "retry_attempt": attempt,
            "next_retry_at": now,
            "created_at": now,
        }
        self.tasks[retry["task_id"]] = retry
        self.task_retries[retry["task_id"]] = self.task_retries.get(task["task_id"], 0)
        stream = self.streams[task["stream_id"]]
        stream.task_ids.append(retry["task_id"])
        self._emit(stream, tag(TaskUpdate), {"task": dict(retry)})
        return retry

    def _pick_up(self, task: JSON) -> None:
        """A worker takes the queued `task`: `running`, and its run starts."""
        task.update(status=TaskStatus.RUNNING.value, start_time=timestamp())
        self._emit(self.streams[task["stream_id"]], tag(TaskUpdate), {"task": dict(task)})
        self._task_run(task)

    def _task_run(self, task: JSON) -> None:
        """Start the run a task executes as, and announce the task started."""
        self._emit_env(
            tag(EnvTaskStarted),
            {
                "task_id": task["task_id"],
                "env_id": self.env_id,
                "stream_id": task["stream_id"],
                "function_name": task["function_name"],
                "task_type": task["task_type"],
            },
        )
        # crates/hot_task_worker/src/lib.rs executes the task as a new run
        # (`Uuid::now_v7()`) of type `task` on the same stream, of the task's
        # build, with no event and retry_attempt 0, whose origin is the
        # starting run and whose project is that run's (crates/hot/src/lang/
        # hot/task.rs `::hot::task/start`): followers must not take it for a
        # retry. Nothing else of the starting run carries over: a retry queued
        # after that run ended starts `running` all the same.
        origin = self.runs[task["origin_run_id"]]
        task_run: JSON = {
            "run_id": new_id(),
            "env_id": self.env_id,
            "stream_id": task["stream_id"],
            "build_id": task["build_id"],
            "run_type": RunType.TASK.value,
            "status": RunStatus.RUNNING.value,
            "start_time": task["start_time"],
            "stop_time": None,
            "origin_run_id": origin["run_id"],
            "event_id": None,
            "retry_attempt": 0,
        }
        if "project_id" in origin:
            task_run.update(project_id=origin["project_id"], project_name=origin["project_name"])
        self.runs[task_run["run_id"]] = task_run
        self.task_runs[task["task_id"]] = task_run["run_id"]
        stream = self.streams[task["stream_id"]]
        stream.run_ids.append(task_run["run_id"])
        self._emit(stream, tag(RunStart), {"run": dict(task_run)})
        self.run_functions[task_run["run_id"]] = task["function_name"]

    def interrupt_task(self, task_id: str) -> JSON:
        """End a task as its worker's shutdown does, and return the retry queued
        with it: the task ends `failed`, marked `infra_interrupted`, and its copy
        is inserted `queued` in the same transaction (crates/hot_task_worker/src/
        shutdown.rs `finalize_interrupted_task`, crates/hot/src/db/task.rs
        `finalize_with_infra_retry`). A stream's poll sends the newer record
        first (`Task::get_by_stream`, `created_at DESC`): the retry, then the end."""
        with self.lock:
            task = self.tasks[task_id]
            if task["status"] in TASK_TERMINAL:
                raise RuntimeError(f"task {task_id} already ended ({task['status']})")
            # The worker's copy keeps the attempt number (`insert_infra_retry`).
            retry = self._queue_again(task, task["retry_attempt"])
            self.finish_task(
                task_id,
                TaskStatus.FAILED.value,
                task_failure(
                    "Task interrupted by worker shutdown — re-enqueued for retry",
                    infra_interrupted=True,
                ),
            )
            return dict(retry)

    def finish_task(self, task_id: str, status: str, result: Any) -> JSON:
        """End a task with a terminal `status` and `result`; emits `task:update`."""
        if status not in TASK_TERMINAL:
            raise ValueError(f"not a terminal task status: {status!r}")
        with self.lock:
            task = self.tasks[task_id]
            if task["status"] in TASK_TERMINAL:
                raise RuntimeError(f"task {task_id} already ended ({task['status']})")
            if task_id not in self.task_runs:
                # A retry still queued: its worker picks it up first.
                self._pick_up(task)
            # The task's run ends first, pushed live; the task's end is stored
            # after it (crates/hot_task_worker/src/lib.rs
            # `complete_task_with_event`), which a stream sends from its next poll.
            run_status = _TASK_RUN_STATUS.get(status, RunStatus.FAILED.value)
            self.finish_run(self.task_runs[task_id], run_status, result)
            stop = timestamp()
            task.update(
                run_id=self.task_runs[task_id],
                status=status,
                stop_time=stop,
                duration_ms=_duration_ms(task["start_time"], stop),
                result=result,
            )
            self._emit(self.streams[task["stream_id"]], tag(TaskUpdate), {"task": dict(task)})
            self._emit_env(
                tag(EnvTaskComplete),
                {
                    "task_id": task_id,
                    "env_id": self.env_id,
                    "stream_id": task["stream_id"],
                    "function_name": task["function_name"],
                    "status": status,
                    "duration_ms": task["duration_ms"],
                    "error": None if status == TaskStatus.COMPLETED else result,
                },
            )
            return dict(task)
