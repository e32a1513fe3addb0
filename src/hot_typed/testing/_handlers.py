"""User handlers: Python functions that play the part of Hot code.

A published event starts one run. Its handler is the one registered for the
event's type, or for `hot:call` the one registered for the called function
name. Without one, a plain event runs `echo` (its result is the event data)
and a call to an unknown function fails its run, as Hot fails it.

The handler runs in a background thread, so subscribers see `run:start`, then
whatever it streams, then `run:stop` (its return value stored as it is, as
crates/hot/src/lang/emitter/database_writer.rs `write_run_stop` stores a
function's value) or `run:fail` (what it raised, its message stored as Hot's `fail`
stores one: `run_failure`).

An event handler registered with `retry=N` is retried as Hot retries handlers
with `retry` metadata (resources/docs/retries.md): a failed attempt becomes
`pending_retry` (pushed as `run:fail`, replayed as `run:stop`), and after
`retry_delay` seconds a copy of the event starts a new run with
`origin_run_id` and the next `retry_attempt`, up to N retries. Hot never retries calls (`hot:call`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._models._json import is_json_array, is_json_object
from .._models.events import HOT_CALL, RESERVED_PREFIX
from .._models.runs import RunStatus, TaskStatus
from .._task_retries import retry_attempts
from ._store import Store, run_failure, task_cancellation, task_failure
from ._values import JSON, timestamp

__all__ = ["Handler", "HandlerEvent", "Handlers", "RunContext", "TaskControl"]

@dataclass(frozen=True)
class HandlerEvent:
    """The event a handler runs for."""

    event_id: str
    event_type: str
    data: Any
    stream_id: str

    @property
    def fn(self) -> str | None:
        """For `hot:call`, the called function's name."""
        data: Any = self.data
        fn = data.get("fn") if is_json_object(data) else None
        return fn if isinstance(fn, str) else None

    @property
    def args(self) -> list[Any]:
        """For `hot:call`, the call's arguments (empty otherwise)."""
        data: Any = self.data
        args = data.get("args") if is_json_object(data) else None
        return list(args) if is_json_array(args) else []


class TaskControl:
    """A background task a handler started; the test (or handler) decides how it ends.

    Each ending method may be called once; the task's subscribers then receive
    the final `task:update` and close.
    """

    def __init__(self, store: Store, task_id: str) -> None:
        self._store = store
        self.task_id = task_id

    def complete(self, result: Any = None) -> None:
        """End `completed` with `result` as the task's value: the worker stores a
        completed task's value as it is, in its Hot data form
        (crates/hot_task_worker/src/lib.rs)."""
        self._store.finish_task(self.task_id, TaskStatus.COMPLETED.value, result)

    def fail(self, message: str) -> TaskControl | None:
        """End `failed` with the result the worker stores for a failure:
        `{"$type": "::hot::task/Failure", "$val": {"msg": message, "err": null}}`.
        Returns the control of the retry the task's `retries` then queue, if any."""
        self._store.finish_task(self.task_id, TaskStatus.FAILED.value, task_failure(message))
        return self._retry()

    def cancel(self) -> None:
        """End the task `cancelled`; emits its final `task:update`."""
        self._store.finish_task(
            self.task_id,
            TaskStatus.CANCELLED.value,
            task_cancellation("Task cancelled"),
        )

    def time_out(self) -> TaskControl | None:
        """End the task `timed_out`; emits its final `task:update`. Returns the
        control of the retry the task's `retries` then queue, if any."""
        self._store.finish_task(
            self.task_id, TaskStatus.TIMED_OUT.value, task_failure("Task timed out")
        )
        return self._retry()

    def _retry(self) -> TaskControl | None:
        retry = self._store.retry_task(self.task_id)
        return None if retry is None else TaskControl(self._store, retry["task_id"])

    def interrupt(self) -> TaskControl:
        """End the task as its worker's shutdown does: `failed`, marked interrupted,
        with a retry queued at once; returns the control of that retry."""
        retry = self._store.interrupt_task(self.task_id)
        return TaskControl(self._store, retry["task_id"])


class RunContext:
    """What a handler can do while its run is running."""

    def __init__(self, store: Store, run_id: str, event: HandlerEvent) -> None:
        self._store = store
        self.run_id = run_id
        self.event = event

    @property
    def retry_attempt(self) -> int:
        """Which attempt this run is: 0 first, then 1, 2, ... for retries."""
        with self._store.lock:
            attempt: int = self._store.runs[self.run_id]["retry_attempt"]
            return attempt

    def emit(self, payload: Any, *, data_type: str = "data") -> None:
        """Send `payload` (any JSON) to the stream's subscribers as `stream:data`."""
        self._store.emit_data(self.run_id, data_type, payload)

    def emit_text(self, text: str) -> None:
        """Stream a piece of text as Hot streams AI output: `ai:delta` `{"text": text}`."""
        self.emit({"text": text}, data_type="ai:delta")

    def start_task(
        self,
        function_name: str,
        *,
        task_type: str = "task",
        timeout_ms: int = 300_000,
        retries: int = 0,
    ) -> TaskControl:
        """Start a running background task on this run's stream; end it through the
        returned control, now or later (after the run ended, as real tasks do).

        As on Hot, the task executes as a run of type `task` on the same
        stream, whose `origin_run_id` is this run, started and ended with it.
        `retries` is its `retry` option: a failure or time-out below it queues
        a retry, whose control `fail` and `time_out` return."""
        attempts = retry_attempts(retries)
        task = self._store.start_task(self.run_id, function_name, task_type, timeout_ms, attempts)
        return TaskControl(self._store, task["task_id"])


Handler = Callable[[HandlerEvent, RunContext], Any]
"""`handler(event, ctx)`: its return value (JSON-serialisable) is the run's result."""


@dataclass(frozen=True)
class Retry:
    """How a handler's failed runs are retried: up to `attempts` more runs,
    each `delay` seconds after the failure."""

    attempts: int = 0
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.delay < 0:
            raise ValueError("retry and retry_delay must be >= 0")


_NO_RETRY = Retry()


def echo(event: HandlerEvent, ctx: RunContext) -> Any:
    """The default handler: the run's result is the event's data."""
    return event.data


class Handlers:
    """The registered handlers, by event type and by `hot:call` function name, and
    the project each belongs to (None: none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, Handler] = {}
        self._retries: dict[str, Retry] = {}
        self._functions: dict[str, Handler] = {}
        self._projects: dict[tuple[bool, str], str] = {}

    def on_event(
        self,
        event_type: str,
        handler: Handler,
        retry: Retry = _NO_RETRY,
        project: str | None = None,
    ) -> None:
        if event_type.startswith(RESERVED_PREFIX):
            raise ValueError(f"{event_type!r} is reserved; register functions with on_call")
        with self._lock:
            self._events[event_type] = handler
            self._retries[event_type] = retry
            self._belongs((False, event_type), project)

    def on_call(self, fn: str, handler: Handler, project: str | None = None) -> None:
        with self._lock:
            self._functions[fn] = handler
            self._belongs((True, fn), project)

    def _belongs(self, key: tuple[bool, str], project: str | None) -> None:
        if project is None:
            self._projects.pop(key, None)
        else:
            self._projects[key] = project

    def project_of(self, event: HandlerEvent) -> str | None:
        """The name of the project whose handler runs `event`, if any."""
        is_call = event.event_type == HOT_CALL
        name = (event.fn or "") if is_call else event.event_type
        with self._lock:
            return self._projects.get((is_call, name))

    def _resolve(self, event: HandlerEvent) -> tuple[Handler | str, Retry]:
        """The handler for `event` (or why its run fails) and its retries."""
        with self._lock:
            if event.event_type != HOT_CALL:
                handler: Handler = self._events.get(event.event_type, echo)
                return handler, self._retries.get(event.event_type, _NO_RETRY)
            function = self._functions.get(event.fn or "")
        # crates/hot/src/lang/emitter/database_writer.rs `write_run_fail`:
        # call runs are never retried.
        if event.fn is None:
            # crates/hot_worker/src/server.rs routes a call by its string `fn`.
            return "Cannot extract target function from hot:call event data", _NO_RETRY
        if function is None:
            return f"Function not found: {event.fn}", _NO_RETRY
        if not isinstance(event.data.get("args"), list):
            # hot-std's call-event-handler calls `fn` with `event.data.args`.
            return "hot:call data has no 'args' array to call the function with", _NO_RETRY
        return function, _NO_RETRY

    def dispatch(self, store: Store, event: JSON) -> str:
        """Start the run of stored `event` now and execute it in a thread; its id."""
        is_call = event["event_type"] == HOT_CALL
        view = _view(event)
        project = self.project_of(view)
        run = store.start_run(
            event,
            "call" if is_call else "event",
            view.fn if is_call else None,
            project=None if project is None else store.project_named(project),
        )
        self._start(store, event, run)
        return str(run["run_id"])

    def _start(self, store: Store, event: JSON, run: JSON) -> None:
        context = RunContext(store, run["run_id"], _view(event))
        thread = threading.Thread(
            target=self._execute,
            args=(store, context, *self._resolve(context.event)),
            name=f"hot-emulator-run-{run['run_id']}",
            daemon=True,
        )
        thread.start()

    def _execute(
        self, store: Store, context: RunContext, handler: Handler | str, retry: Retry
    ) -> None:
        if isinstance(handler, str):
            store.finish_run(context.run_id, RunStatus.FAILED.value, run_failure(handler))
            return
        try:
            result = handler(context.event, context)
            json.dumps(result, allow_nan=False)
        except Exception as error:
            failure = run_failure(str(error) or repr(error))
            if context.retry_attempt >= retry.attempts:
                store.finish_run(context.run_id, RunStatus.FAILED.value, failure)
            elif store.await_retry(context.run_id, failure, _after(retry.delay)):
                time.sleep(retry.delay)
                with store.lock:
                    retried = store.start_retry(context.run_id)
                    if retried is not None:
                        self._start(store, *retried)
            return
        store.finish_run(context.run_id, RunStatus.SUCCEEDED.value, result)


def _after(seconds: float) -> str:
    return timestamp(time.time_ns() + int(seconds * 1_000_000_000))


def _view(event: JSON) -> HandlerEvent:
    return HandlerEvent(
        event["event_id"], event["event_type"], event["event_data"], event["stream_id"]
    )
