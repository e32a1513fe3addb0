"""Following event streams across connections: the state machines, free of any I/O.

A `Follower` says which request opens the next connection, what each event
received means (emit it, skip a replay, finish), and whether to reconnect when
a connection ends. `_runner.py` drives followers with blocking or async I/O, so
the reconnect, dedupe and correlation rules exist once for both clients.

Driving protocol, for one follower::

    while True:
        call = follower.connect(now)          # raises when it must give up
        for event in <events of call>:
            if follower.receive(event, now):  # may raise (run failed, deadline)
                <emit event>
            if follower.done:
                return follower.result()
        delay = follower.ended(error_or_None, now)  # None: over; raises: give up
        <sleep delay>
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Generic, cast
from uuid import UUID

import httpx
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError
from typing_extensions import TypeVar

from ._errors import (
    HotConnectionError,
    HotError,
    HotResponseValidationError,
    HotRunError,
    HotStreamError,
    HotTaskError,
    HotTimeoutError,
    InternalServerError,
    RateLimitError,
)
from ._models.events import EventCreate
from ._models.runs import (
    FinishedRun,
    FinishedTask,
    Run,
    RunStatus,
    TaskStatus,
    finished_run,
    finished_task,
)
from ._models.stream_events import (
    EventPublished,
    KnownTypes,
    RunCancel,
    RunFail,
    RunStart,
    RunStop,
    RunUpdate,
    StreamData,
    StreamEvent,
    TaskUpdate,
    UnknownStreamEvent,
)
from ._request import Request, StreamCall, path
from ._wire import decode_json_event, event_decoder, request_body

__all__ = [
    "RECONNECTABLE",
    "Follower",
    "RunStreamFollower",
    "RunWaiter",
    "TaskWaiter",
    "call_body",
    "call_result",
    "failure_message",
    "identity",
    "snapshot_decoder",
    "stream_subscription",
    "unwrap_result",
]


E = TypeVar("E")
R = TypeVar("R")
S = TypeVar("S", RunUpdate, TaskUpdate)

#: Failures of one connection after which following the stream again may succeed.
#: Anything else (404, a body that is not an event stream, ...) ends the follow.
RECONNECTABLE = (HotConnectionError, HotTimeoutError, InternalServerError, RateLimitError)

_BACKOFF_FIRST = 0.05
_BACKOFF_CAP = 1.0


def _backoff(attempt: int) -> float:
    """Seconds before reconnect number `attempt` (1-based): small, doubling, capped."""
    return float(min(_BACKOFF_FIRST * 2 ** (attempt - 1), _BACKOFF_CAP))


# ---------------------------------------------------------------- requests


def stream_subscription(
    method: str, stream_id: str | UUID, project: str | None, timeout: float | None = None
) -> StreamCall[StreamEvent]:
    """`GET|POST /v1/streams/{stream_id}/subscribe`, decoding every `StreamEvent`."""
    request = Request(
        method,
        path("/streams/{}/subscribe", stream_id),
        params=None if project is None else {"project": project},
        accept="text/event-stream",
        timeout=timeout,
    )
    return StreamCall(request, event_decoder(StreamEvent))


def _subscribe_with_event(
    body: bytes, project: str | None, timeout: float | None
) -> StreamCall[StreamEvent]:
    # Never resent after a failure: a second POST would publish the event twice.
    request = Request(
        "POST",
        "/streams/subscribe-with-event",
        params=None if project is None else {"project": project},
        json=body,
        accept="text/event-stream",
        retryable=False,
        retry=False,
        timeout=timeout,
    )
    return StreamCall(request, event_decoder(StreamEvent))


def call_body(fn: str, args: Sequence[Any] | None) -> bytes:
    """The `hot:call` event that calls `fn` with `args`."""
    event = EventCreate(event_type="hot:call", event_data={"fn": fn, "args": list(args or [])})
    return request_body(EventCreate, event)


@cache
def snapshot_decoder(model: type[S]) -> Callable[[str], S | None]:
    """Decode frames of a run or task subscription into `model`, skipping other types.

    A `keepalive` event or a type this version does not know is skipped rather
    than failing the subscription; a frame of `model`'s type is fully validated.
    """
    known = KnownTypes()
    known.learn(model)
    union: Any = Annotated[
        model | Annotated[UnknownStreamEvent, BeforeValidator(known.refuse)],
        Field(union_mode="left_to_right"),
    ]
    decode = decode_json_event(TypeAdapter[Any](union))

    def decode_snapshot(data: str) -> S | None:
        event = decode(data)
        return event if isinstance(event, model) else None

    return decode_snapshot


# ---------------------------------------------------------------- results


_MESSAGE_KEYS = ("$err", "$val", "error", "message", "msg", "reason", "err")


def _message_in(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in _MESSAGE_KEYS:
            message = _message_in(value.get(key))
            if message:
                return message
    return None


def failure_message(kind: str, record_id: UUID, status: str, result: Any) -> str:
    """`"<kind> <id> <status>: <message>"`, the message found in the user's `result`.

    Hot wraps failures as `{"$err": ...}`; the message may sit under any of
    `$err`, `$val`, `error`, `message`, `msg`, `reason`, `err`, nested. A result
    with none of them is shown as compact JSON, truncated.
    """
    head = f"{kind} {record_id} {status}"
    message = _message_in(result)
    if message is None and result is not None:
        message = json.dumps(result, separators=(",", ":"), default=str)[:300]
    return f"{head}: {message}" if message else head


def _run_failed(run: Run) -> HotRunError:
    message = failure_message("run", run.run_id, str(run.status), run.result)
    return HotRunError(message, run=finished_run(run))


def unwrap_result(result: Any) -> Any:
    """A called function's return value: Hot wraps it as `{"$ok": value}`."""
    if isinstance(result, dict) and len(result) == 1 and "$ok" in result:
        return result["$ok"]
    return result


# ---------------------------------------------------------------- followers


class Follower(Generic[E, R]):
    """Base of the reconnecting state machines.

    `max_attempts` bounds consecutive reconnects that bring nothing new (the
    count restarts when a connection makes progress); `timeout`, when set,
    bounds the whole follow, across reconnects, and caps each connection's
    connect and read timeouts by the time left.
    """

    what = "stream"

    def __init__(self, *, max_attempts: int, timeout: float | None) -> None:
        if max_attempts < 0:
            raise ValueError("max_attempts must be >= 0")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.done = False
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._deadline: float | None = None
        self._attempts = 0
        self._progress = False

    # -- what drivers call

    @property
    def deadline(self) -> float | None:
        """When (monotonic seconds) the whole follow times out, once started."""
        return self._deadline

    def connect(self, now: float) -> StreamCall[E]:
        """The call opening the next connection."""
        if self._deadline is None and self._timeout is not None:
            self._deadline = now + self._timeout
        self._progress = False
        return self._call(self._remaining(now, None))

    def receive(self, event: E, now: float) -> bool:
        """Take one event; True when it is to be emitted. Sets `done` at the end."""
        emit = self._receive(event)
        if not self.done:
            self._remaining(now, None)
        return emit

    def ended(self, error: HotError | None, now: float) -> float | None:
        """A connection ended, cut by `error` or closed by the server (None).

        Returns the delay before the next `connect`, or None when following is
        over; raises when it must give up.
        """
        remaining = self._remaining(now, error)
        if not self._should_reconnect(error):
            return None
        self._attempts = 1 if self._progress else self._attempts + 1
        if self._attempts > self._max_attempts:
            raise HotStreamError(
                f"{self.what}: gave up after {self._max_attempts} reconnect(s) in a row "
                f"that brought nothing new{_cause(error)}"
            ) from error
        delay = _backoff(self._attempts)
        return delay if remaining is None else min(delay, remaining)

    def result(self) -> R:
        raise NotImplementedError

    # -- what followers define

    def _call(self, timeout: float | None) -> StreamCall[E]:
        raise NotImplementedError

    def _receive(self, event: E) -> bool:
        raise NotImplementedError

    def _should_reconnect(self, error: HotError | None) -> bool:
        return True

    # -- shared

    def _remaining(self, now: float, error: HotError | None) -> float | None:
        if self._deadline is None:
            return None
        remaining = self._deadline - now
        if remaining <= 0:
            raise HotTimeoutError(
                f"{self.what}: not finished within the timeout of {self._timeout} s"
            ) from error
        return remaining


def _cause(error: HotError | None) -> str:
    return f" (last: {error})" if error is not None else " (the server kept closing the stream)"


class RunStreamFollower(Follower[StreamEvent, R]):
    """Follows a run stream until the run started by one event is terminal.

    With `publish` (an `EventCreate` body) the first connection is
    `POST /v1/streams/subscribe-with-event`, and every later one is
    `GET /v1/streams/{stream_id}/subscribe`: the event is published exactly
    once. Without it, `stream_id` and `event_id` are known up front.

    Replayed `run:start` and terminal events are dropped by `run_id`, so each
    reaches the caller once. The follow ends right after the terminal event of
    the run whose `event_id` is the published one; other runs' events pass.
    With `raise_failure`, that event being `run:fail`/`run:cancel` raises
    `HotRunError`; `finish` turns the successful terminal `Run` into the result.
    """

    def __init__(
        self,
        *,
        publish: bytes | None = None,
        stream_id: UUID | str | None = None,
        event_id: UUID | str | None = None,
        project: str | None = None,
        reconnect: bool = True,
        max_attempts: int = 5,
        timeout: float | None = None,
        on_chunk: Callable[[str], object] | None = None,
        raise_failure: bool = False,
        finish: Callable[[FinishedRun], R],
    ) -> None:
        super().__init__(max_attempts=max_attempts, timeout=timeout)
        if publish is None and (stream_id is None or event_id is None):
            raise ValueError("without an event to publish, stream_id and event_id are needed")
        self.what = "subscribe-with-event" if publish is not None else f"run of event {event_id}"
        self._publish = publish
        self._published = publish is None
        self._stream_id = stream_id
        self._event_id = None if event_id is None else UUID(str(event_id))
        self._project = project
        self._reconnect = reconnect
        self._on_chunk = on_chunk
        self._raise_failure = raise_failure
        self._finish = finish
        self._run_id: UUID | None = None
        self._started: set[UUID] = set()
        self._terminal: set[UUID] = set()
        self._run: FinishedRun | None = None

    def _call(self, timeout: float | None) -> StreamCall[StreamEvent]:
        if not self._published:
            assert self._publish is not None
            return _subscribe_with_event(self._publish, self._project, timeout)
        assert self._stream_id is not None
        return stream_subscription("GET", self._stream_id, self._project, timeout)

    def _receive(self, event: StreamEvent) -> bool:
        if isinstance(event, EventPublished):
            self._published = self._progress = True
            self._stream_id, self._event_id = event.stream_id, event.event_id
        elif isinstance(event, RunStart):
            run = event.run
            if run.run_id in self._started:
                return False
            self._started.add(run.run_id)
            self._progress = True
            if self._event_id is not None and run.event_id == self._event_id:
                self._run_id = run.run_id
        elif isinstance(event, RunStop | RunFail | RunCancel):
            run = event.run
            if run.run_id in self._terminal:
                return False
            self._terminal.add(run.run_id)
            self._progress = True
            if self._event_id is not None and run.event_id == self._event_id:
                self.done = True
                self._run = run
                if self._raise_failure and not isinstance(event, RunStop):
                    raise _run_failed(run)
        elif isinstance(event, StreamData):
            self._progress = True
            if self._on_chunk is not None and event.run_id == self._run_id:
                text = event.payload.get("text") if isinstance(event.payload, dict) else None
                if isinstance(text, str):
                    self._on_chunk(text)
        return True

    def _should_reconnect(self, error: HotError | None) -> bool:
        if not self._published:
            if isinstance(error, HotConnectionError) and isinstance(
                error.__cause__, httpx.ConnectError
            ):
                raise error  # refused before anything was sent: certainly not published
            if error is not None or self._reconnect:
                raise HotStreamError(
                    "the subscribe-with-event connection ended before `event:published`: "
                    "it is unknown whether the event was published, so it was not sent "
                    f"again{_cause(error)}"
                ) from error
        if not self._reconnect:
            if error is not None:
                raise error
            return False
        return True

    def result(self) -> R:
        if self._run is None:
            raise HotStreamError(f"{self.what}: the stream ended before the run finished")
        return self._finish(self._run)


def identity(run: FinishedRun) -> FinishedRun:
    """The `finish` of followers whose value is the terminal run itself."""
    return run


@cache
def _result_adapter(result_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result_type)


def call_result(result_type: type[R] | None) -> Callable[[FinishedRun], R]:
    """The `finish` of `call_hot`: unwrap `$ok`, then validate into `result_type` if given."""
    adapter = None if result_type is None else _result_adapter(cast(Any, result_type))

    def finish(run: FinishedRun) -> Any:
        value = unwrap_result(run.result)
        if adapter is None:
            return value
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            raise HotResponseValidationError(
                f"the result of run {run.run_id} does not fit {result_type!r}: "
                f"{error.error_count()} problem(s)",
                raw=value,
                validation_error=error,
            ) from error

    return finish


class _SnapshotWaiter(Follower[S, R]):
    """Waits on `GET /v1/{runs|tasks}/{id}/subscribe` until the record is terminal.

    The server's first snapshot on every connection is the latest stored one,
    so reconnecting never misses the end. Progress is a snapshot that differs
    from the previous one.
    """

    def __init__(self, record_id: UUID | str, *, timeout: float, max_attempts: int) -> None:
        super().__init__(max_attempts=max_attempts, timeout=timeout)
        self._id = record_id
        self._last: dict[str, Any] | None = None
        self._record: Any = None

    def _seen(self, raw: dict[str, Any]) -> None:
        if raw != self._last:
            self._last = raw
            self._progress = True

    def result(self) -> R:
        record: R = self._record
        return record


class RunWaiter(_SnapshotWaiter[RunUpdate, FinishedRun]):
    """`runs.wait`: the terminal run on `succeeded`; `HotRunError` on failed or cancelled."""

    def __init__(self, run_id: UUID | str, *, timeout: float, max_attempts: int) -> None:
        super().__init__(run_id, timeout=timeout, max_attempts=max_attempts)
        self.what = f"wait for run {run_id}"

    def _call(self, timeout: float | None) -> StreamCall[RunUpdate]:
        request = Request(
            "GET",
            path("/runs/{}/subscribe", self._id),
            accept="text/event-stream",
            timeout=timeout,
        )
        return StreamCall(request, snapshot_decoder(RunUpdate))

    def _receive(self, event: RunUpdate) -> bool:
        run = event.run
        self._seen(event.run.raw)
        if run.status is RunStatus.SUCCEEDED:
            self.done, self._record = True, finished_run(run)
        elif run.status.is_terminal:
            self.done = True
            raise _run_failed(run)
        return False


class TaskWaiter(_SnapshotWaiter[TaskUpdate, FinishedTask]):
    """`tasks.wait`: the terminal task on `completed`; `HotTaskError` on failed,
    cancelled or timed out."""

    def __init__(self, task_id: UUID | str, *, timeout: float, max_attempts: int) -> None:
        super().__init__(task_id, timeout=timeout, max_attempts=max_attempts)
        self.what = f"wait for task {task_id}"

    def _call(self, timeout: float | None) -> StreamCall[TaskUpdate]:
        request = Request(
            "GET",
            path("/tasks/{}/subscribe", self._id),
            accept="text/event-stream",
            timeout=timeout,
        )
        return StreamCall(request, snapshot_decoder(TaskUpdate))

    def _receive(self, event: TaskUpdate) -> bool:
        task = event.task
        self._seen(task.raw)
        if task.status is TaskStatus.COMPLETED:
            self.done, self._record = True, finished_task(task)
        elif task.status.is_terminal:
            self.done = True
            raise HotTaskError(
                failure_message("task", task.task_id, str(task.status), task.result),
                task=finished_task(task),
            )
        return False
