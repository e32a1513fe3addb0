"""Following event streams across connections: the state machines, free of any I/O.

A `Follower` says which request opens the next connection, what each event
received means (emit it, skip a replay, finish), and whether to reconnect when
a connection ends. `_runner.py` drives followers with blocking or async I/O, so
the reconnect, dedupe and correlation rules exist once for both clients.

Driving protocol, for one follower::

    while True:
        call = follower.connect(now)          # raises when it must give up
        <open call>
        check = follower.check(now)           # a request to send now, or None
        for event in follower.checked(<its answer>, now):
            <emit event>                      # then return if follower.done
        # or, if it failed with one of CHECK_FAILURES: follower.check_failed(error)
        for event in <events of call>:
            if follower.receive(event, now):  # may raise (run failed, deadline)
                <emit event>
            if follower.done:
                return follower.result()
            if follower.stale:
                <close the connection: it is taken as a clean close>
        # a RECONNECTABLE failure, or None for a clean close:
        delay = follower.ended(error_or_None, now)  # None: over; raises: give up
        <sleep delay>
        # any other API error (a refusal): follower.refused(error), then raise it
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Generic, NoReturn, cast
from uuid import UUID

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError
from typing_extensions import Self, TypeVar

from ._contracts import StreamDataType, typed_data
from ._errors import (
    HotApiError,
    HotConnectionError,
    HotError,
    HotResponseValidationError,
    HotRunError,
    HotStreamError,
    HotTaskError,
    HotTimeoutError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from ._models._base import WIRE_CONTEXT
from ._models._json import is_json_object, is_mapping
from ._models.events import HOT_CALL, EventCreate
from ._models.runs import (
    FinishedRun,
    FinishedTask,
    Run,
    RunStatus,
    RunType,
    Task,
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
    StreamComplete,
    StreamData,
    StreamEvent,
    TaskUpdate,
    UnknownStreamEvent,
    run_end,
    tag,
)
from ._path_ids import canonical_id
from ._request import Call, Request, StreamCall, path
from ._retry import RetryPolicy
from ._task_retries import (
    OPTION_RETRY_CREATED_AFTER,
    interrupted,
    option_retries_of,
    option_rivals,
    owes_retry,
    retries_of,
    retry_attempts,
)
from ._wire import decode_json_event, event_decoder, item_parser, list_parser, request_body

if TYPE_CHECKING:
    from ._options import Options

__all__ = [
    "CHECK_FAILURES",
    "OPTION_RETRY_WAIT",
    "RECONNECTABLE",
    "RETRY_SETTLE",
    "STREAM_RUNS_READ",
    "Follower",
    "RetryChain",
    "RunAttribution",
    "RunStreamFollower",
    "RunWaiter",
    "TaskWaiter",
    "call_body",
    "call_result",
    "failure_message",
    "identity",
    "snapshot_decoder",
    "stream_subscription",
]


E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S", RunUpdate, TaskUpdate)

#: Failures of one connection after which following the stream again may succeed.
#: Anything else (404, a body that is not an event stream, ...) ends the follow.
RECONNECTABLE = (HotConnectionError, HotTimeoutError, InternalServerError, RateLimitError)

#: Failures of a follower's `check` request: the follow goes on without its answer.
CHECK_FAILURES = (HotApiError, HotConnectionError, HotTimeoutError)

#: How many runs of a stream a subscription replays, and each of its polls
#: reads: the newest by start time (crates/hot_api/src/handlers/streams.rs
#: polls `Run::get_runs_by_stream(.., Some(100), Some(0))`, which
#: crates/hot/src/db/run.rs orders `start_time DESC`). An older run's end
#: reaches a connection only as a push, while it is open.
STREAM_RUNS_READ = 100

#: How long (seconds) `tasks.wait` looks for the retry a failed attempt's `retry`
#: option owes once it has seen the failure: the longest the worker may take to
#: insert it (`OPTION_RETRY_CREATED_AFTER`), and a second for the stream's poll
#: (crates/hot_api/src/handlers/streams.rs polls the database every second).
OPTION_RETRY_WAIT = OPTION_RETRY_CREATED_AFTER.total_seconds() + 1.0

#: How long (seconds) after a possible retry arrives `tasks.wait` takes it, unless
#: the burst of its poll ends sooner (see `TaskWaiter`): past that one-second
#: poll, whose burst sends every task that changed with it.
RETRY_SETTLE = 1.5

logger = logging.getLogger("hot_typed")

# ---------------------------------------------------------------- requests


def stream_subscription(
    method: str, stream_id: str | UUID, project: str | None, timeout: float | None = None
) -> StreamCall[StreamEvent]:
    """`GET|POST /v1/streams/{stream_id}/subscribe`, decoding every `StreamEvent`."""
    request = Request(
        method,
        path("/streams/{stream_id}/subscribe", stream_id),
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
    event = EventCreate(event_type=HOT_CALL, event_data={"fn": fn, "args": list(args or [])})
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


def run_record(run_id: str, timeout: float | None) -> Call[list[Run]]:
    """`GET /v1/runs/{run_id}`: the run as stored now."""
    parse = item_parser(Run)
    request = Request("GET", path("/runs/{run_id}", run_id), timeout=timeout)
    return Call(request, lambda response: [parse(response)])


def runs_of_event(
    event_id: str, timeout: float | None, project: str | None = None
) -> Call[list[Run]]:
    """`GET /v1/events/{event_id}/runs`: the runs the event started, newest
    first (crates/hot/src/db/event.rs `get_runs_by_event`, `start_time DESC`),
    as a stream replays them; only those of `project` (a name or id) when
    given, as a stream subscribed with `?project=` sends only those."""
    parse = list_parser(Run)
    request = Request("GET", path("/events/{event_id}/runs", event_id), timeout=timeout)
    if project is None:
        return Call(request, lambda response: parse(response)[0])
    belongs = _of_project(project)
    return Call(request, lambda response: [run for run in parse(response)[0] if belongs(run)])


def _of_project(project: str) -> Callable[[Run], bool]:
    """Whether a run is of `project`, as the server's `?project=` filter decides:
    a UUID names the project by id, anything else by name (crates/hot_api/src/
    handlers/mod.rs `get_and_verify_project`); a run is kept when its
    `project_id` is that project's (crates/hot_api/src/handlers/streams.rs)."""
    try:
        project_id = canonical_id(project)
    except ValueError:
        return lambda run: run.project_name == project
    return lambda run: run.project_id == project_id


def as_replayed(run: Run) -> list[RunStart | RunStop | RunFail | RunCancel]:
    """`run` as a stream's replay sends it: `run:start`, then, once it has a
    `stop_time`, its end (`run_end`), both carrying the record as read
    (crates/hot_api/src/handlers/streams.rs, the poll loop)."""
    record = run.raw
    events: list[RunStart | RunStop | RunFail | RunCancel] = [
        RunStart.model_validate({"type": tag(RunStart), "run": record}, context=WIRE_CONTEXT)
    ]
    if run.stop_time is not None:
        end = run_end(run.status)
        events.append(end.model_validate({"type": tag(end), "run": record}, context=WIRE_CONTEXT))
    return events


# ---------------------------------------------------------------- results


_MESSAGE_KEYS = ("$err", "$val", "error", "message", "msg", "reason", "err")


def _message_in(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if is_mapping(value):
        for key in _MESSAGE_KEYS:
            message = _message_in(value.get(key))
            if message:
                return message
    return None


def failure_message(kind: str, record_id: str, status: str, result: Any) -> str:
    """`"<kind> <id> <status>: <message>"`, the message found in the user's `result`.

    Hot stores a function's `Err` as `{"msg": ..., "err": ...}`
    (crates/hot/src/lang/engine/cache.rs) and a task's failure as a
    `::hot::task/Failure` whose `$val` holds `msg`; other failures may carry
    their message under `$err`, `$val`, `error`, `message`, `reason` or `err`,
    nested. A result with none of them is shown as compact JSON, truncated.
    """
    head = f"{kind} {record_id} {status}"
    message = _message_in(result)
    if message is None and result is not None:
        message = json.dumps(result, separators=(",", ":"), default=str)[:300]
    return f"{head}: {message}" if message else head


def _run_failed(run: Run) -> HotRunError:
    message = failure_message("run", run.run_id, str(run.status), run.result)
    return HotRunError(message, run=finished_run(run))


def _task_failed(task: Task[Any], note: str = "") -> HotTaskError:
    message = failure_message("task", task.task_id, str(task.status), task.result)
    return HotTaskError(message + note, task=finished_task(task))


# ---------------------------------------------------------------- followers


class Follower(Generic[E, R]):
    """Base of the reconnecting state machines.

    What ends a follow: the record it waits for reaching its end (`done`), the
    overall `timeout` (None: as long as it takes; it also caps each
    connection's timeouts by the time left), a definite refusal from the API
    (an error the runner does not reconnect after, such as a 404), and
    `max_attempts` + 1 connection attempts in a row that got no answer at all
    (refused, cut or timed out before any event arrived).

    A connection the server ends with `stream:complete` (its time limit), or
    that brought something new, is reconnected at once. Any other end waits
    before reconnecting: a clean close that brought nothing new backs off as
    an error does (the server closes a snapshot subscription of a record not
    yet terminal only when it failed to read it), and 429 and 5xx answers are
    waited out (`retry_after`, or backoff) for as long as the timeout allows.
    Delays come from `policy`, which the runner sets to its client's
    `RetryPolicy`.

    Per-request options (`with_options`) are applied to the request of every
    connection it opens; they change no decision of the state machine.
    """

    what = "stream"
    #: Whether it may set `decide_at`: only then do its connections watch it.
    decides = False

    def __init__(self, *, max_attempts: int, timeout: float | None) -> None:
        if max_attempts < 0:
            raise ValueError("max_attempts must be >= 0")
        if timeout is not None and not timeout > 0:  # NaN too: no deadline would pass
            raise ValueError("timeout must be > 0")
        self.done = False
        # Set when the open connection can no longer tell what the follow
        # waits for: the runner closes it and goes on as after a clean close.
        self.stale: bool = False
        self.policy: RetryPolicy = RetryPolicy()
        self.options: Options | None = None
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._deadline: float | None = None
        # Connections in a row that brought nothing new (the backoff exponent),
        # and, among them, attempts that got no answer at all (the bound).
        self._quiet = 0
        self._unanswered = 0
        self._unanswered_since = 0.0
        self._answered = False
        self._progress = False
        self._completed = False
        # The clock reading the drivers gave last, and when the follower must
        # decide without news (see `decide_at`).
        self._now = 0.0
        self._decide_at: float | None = None

    def with_options(self, options: Options) -> Self:
        """This follower, its connections' requests carrying `options`."""
        self.options = options
        return self

    # -- what drivers call

    @property
    def deadline(self) -> float | None:
        """When (monotonic seconds) the whole follow times out, once started."""
        return self._deadline

    @property
    def decide_at(self) -> float | None:
        """When (monotonic seconds) the follower must decide without waiting for
        more events, if it must: the runner then calls `decide`."""
        return self._decide_at

    def decide(self, now: float) -> None:
        """`decide_at` has passed while a connection is open: decide on what was
        seen. Sets `done` or `stale` when the connection is no longer needed;
        raises what the follow ends with."""
        self._remaining(now, None)

    def connect(self, now: float) -> StreamCall[E]:
        """The call opening the next connection."""
        if self._deadline is None and self._timeout is not None:
            self._deadline = now + self._timeout
        self._answered = self._progress = self._completed = self.stale = False
        call = self._call(self._remaining(now, None))
        return call if self.options is None else call.with_options(self.options)

    def check(self, now: float) -> Call[list[Run]] | None:
        """A request to send once the connection `connect` opened is answered,
        before its events are read: the runs its replay may leave out. None
        when there is nothing to ask."""
        call = self._check(self._remaining(now, None))
        if call is None or self.options is None:
            return call
        return call.with_options(self.options)

    def checked(self, runs: list[Run], now: float) -> list[E]:
        """The runs `check` read, taken as the connection's replay would give
        them (`as_replayed`). Returns the events to emit; sets `done` at the end."""
        emitted: list[E] = []
        for run in runs:
            # Only followers of run streams check, and their events include these.
            replayed: list[Any] = as_replayed(run)
            for event in replayed:
                if self.receive(event, now):
                    emitted.append(event)
                if self.done:
                    return emitted
        return emitted

    def check_failed(self, error: HotError) -> None:
        """`check` failed with `error` (one of `CHECK_FAILURES`): the follow goes
        on without its answer."""
        logger.info("%s: following the stream without its check: %s", self.what, error)

    def receive(self, event: E, now: float) -> bool:
        """Take one event; True when it is to be emitted. Sets `done` at the end."""
        self._answered = True
        self._now = now
        if isinstance(event, StreamComplete):
            self._completed = True
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
        # A clean close or an error status is an answer, and so is any event.
        if error is None or self._answered or isinstance(error, HotApiError):
            self._unanswered = 0
        else:
            if self._unanswered == 0:
                self._unanswered_since = now
            self._unanswered += 1
            if self._unanswered > self._max_attempts:
                raise HotStreamError(
                    f"{self.what}: gave up after {self._unanswered} connection attempt(s) "
                    f"in a row that got no answer, over {now - self._unanswered_since:.1f} s"
                    f"{self._unanswered_note()}{_cause(error)}"
                ) from error
        if error is None and (self._completed or self._progress):
            # A healthy stream the server ended (its time limit), or one that
            # brought news: carry on at once. A bare clean close with nothing
            # new is no sign of health: crates/hot_api/src/handlers/runs.rs
            # `subscribe_to_run` (and tasks.rs) have no time limit and end a
            # subscription early only when polling the record fails.
            self._quiet, delay = 0, 0.0
        else:
            self._quiet = 0 if self._progress else self._quiet + 1
            delay = self.policy.reconnect_delay(max(self._quiet - 1, 0), error)
        if remaining is not None and delay >= remaining:
            raise HotTimeoutError(
                f"{self.what}: not finished within the timeout of {self._timeout} s "
                f"(the next attempt was due in {delay:.1f} s){_cause(error)}"
            ) from error
        return delay

    def result(self) -> R:
        raise NotImplementedError

    def refused(self, error: HotApiError) -> None:
        """A connection got a definite refusal (a 4xx the runner does not
        reconnect after), which ends the follow: the runner raises `error`
        unless this raises what the follow ends with instead."""

    # -- what followers define

    def _call(self, timeout: float | None) -> StreamCall[E]:
        raise NotImplementedError

    def _receive(self, event: E) -> bool:
        raise NotImplementedError

    def _check(self, timeout: float | None) -> Call[list[Run]] | None:
        return None

    def _should_reconnect(self, error: HotError | None) -> bool:
        return True

    def _unanswered_note(self) -> str:
        return ""

    def _decide(self) -> None:
        """`decide_at` has passed: decide on what was seen (raise, or change what
        is followed and mark it as progress)."""

    # -- shared

    def _remaining(self, now: float, error: HotError | None) -> float | None:
        self._now = now
        if self._decide_at is not None and now >= self._decide_at:
            self._decide_at = None
            self._decide()
        if self._deadline is None:
            return None
        remaining = self._deadline - now
        if remaining <= 0:
            raise HotTimeoutError(
                f"{self.what}: not finished within the timeout of {self._timeout} s"
            ) from error
        return remaining


def _cause(error: HotError | None) -> str:
    return f" (last: {error})" if error is not None else " (the server closed the stream)"


class RetryChain:
    """The attempts of one run: the run, and the retries Hot made of it.

    A handler with `retry` that fails is set `pending_retry` (with `stop_time`:
    pushed live as `run:fail`, replayed as `run:stop`, so only the status tells)
    and its `retry_attempt` incremented; the
    scheduler then publishes a copy of the event (same stream, new `event_id`),
    whose run has `origin_run_id` = the failed run, its `run_type` and that
    `retry_attempt`, and marks the failed run `failed` (crates/hot/src/lang/
    emitter/database_writer.rs `write_run_fail`; crates/hot_scheduler/src/
    server.rs `process_pending_retries`). So an attempt is over for good only
    when it succeeded or was cancelled, or failed with no retry scheduled: its
    `retry_attempt` is still its own attempt number (the origin's incremented
    `retry_attempt`, or 0 for the first). Such an end is final whatever runs
    name it as origin.

    Other runs name an attempt as origin too: a background task it started
    (`run_type` `task`, `retry_attempt` 0: crates/hot/src/lang/hot/task.rs
    `::hot::task/start`, crates/hot_task_worker/src/lib.rs), and, from inside
    a retry, every event its code sends, whose run gets the sender's
    `origin_run_id` and `retry_attempt` (crates/hot/src/lang/hot/event.rs
    `send_event` publishes with the sender's context; crates/hot_worker/src/
    server.rs). So a run is taken for the retry of its origin only when
    the scheduler could have made it (`retry_attempt` >= 1, not a task, the
    origin's `run_type` once the origin is seen), and among such runs the one
    that started first: a retry starts before anything it sends. The wire
    cannot tell one case apart: an event sent from inside a retry, handled by
    a run of the retry's type, whose end reaches the connection before any
    event of the retry itself, is taken for the retry and ends the chain.

    `runs` holds the latest record seen of every run; `stopped` the record of
    each run's latest terminal event (a replayed `run:start` of a finished run
    does not count: its terminal event follows it).
    """

    def __init__(self, root: str | None = None) -> None:
        self.root = root
        self.runs: dict[str, Run] = {}
        self.stopped: dict[str, Run] = {}
        # Every run naming each origin, in the order seen: which of them is
        # the retry is decided on lookup, as the origin's record may come later.
        self._naming: dict[str, dict[str, None]] = {}

    def started(self, run: Run) -> None:
        self.runs[run.run_id] = run
        if run.origin_run_id is not None:
            self._naming.setdefault(run.origin_run_id, {})[run.run_id] = None

    def stopped_with(self, run: Run) -> None:
        self.started(run)
        self.stopped[run.run_id] = run

    def attempts(self) -> list[str]:
        """The root and its retries seen so far, in the order Hot ran them."""
        chain: list[str] = []
        current = self.root
        while current is not None and current not in chain:
            chain.append(current)
            current = self._next(current)
        return chain

    def members(self) -> set[str]:
        """The root and its retries seen so far."""
        return set(self.attempts())

    def final(self) -> Run | None:
        """The attempt that ended the chain for good, once known."""
        attempts = self.attempts()
        run = self.stopped.get(attempts[-1]) if attempts else None
        # A retry scheduled (True): wait for it. Attempt number unknown (None:
        # the origin is not on this stream): take the failure as final rather
        # than wait for a retry that may never come.
        if run is None or self._retry_scheduled(run):
            return None
        return run

    def _next(self, run_id: str) -> str | None:
        """The attempt after `run_id`: none once it ended with no retry scheduled."""
        stopped = self.stopped.get(run_id)
        if stopped is not None and self._retry_scheduled(stopped) is False:
            return None
        origin = self.runs.get(run_id)
        retries = [
            run
            for run in (self.runs[named] for named in self._naming.get(run_id, ()))
            # process_pending_retries: `retry_attempt` is the origin's,
            # incremented, and `run_type_id` is copied from it.
            if run.retry_attempt >= 1
            and run.run_type is not RunType.TASK
            and (origin is None or run.run_type == origin.run_type)
        ]
        # min() keeps the first seen of runs started at the same time.
        return min(retries, key=lambda run: run.start_time).run_id if retries else None

    def _retry_scheduled(self, run: Run) -> bool | None:
        """Whether a stopped attempt has a retry coming; None when it cannot be told."""
        if run.status is RunStatus.PENDING_RETRY:
            return True
        if run.status is not RunStatus.FAILED:
            return False
        attempt = self._attempt(run)
        return None if attempt is None else run.retry_attempt > attempt

    def _attempt(self, run: Run) -> int | None:
        if run.origin_run_id is None:
            return 0
        origin = self.runs.get(run.origin_run_id)
        return None if origin is None else origin.retry_attempt


_RunEnd = RunStop | RunFail | RunCancel

#: How many characters a follow holds of the items (text chunks, reply events)
#: of runs not yet known to be one of its attempts or not (`RunAttribution`).
UNATTRIBUTED_TEXT_LIMIT = 4 * 1024 * 1024


class _Held(Generic[T]):
    """Items of runs not yet attributed, in arrival order, at most `limit` in
    all as `size` measures them: past it, the oldest are dropped."""

    def __init__(self, limit: int, size: Callable[[T], int]) -> None:
        self._limit = limit
        self._size_of = size
        self._items: deque[tuple[str, T, int]] = deque()
        self._size = 0

    def runs(self) -> set[str]:
        """The runs whose items are held."""
        return {run_id for run_id, _, _ in self._items}

    def hold(self, run_id: str, item: T) -> None:
        size = self._size_of(item)
        self._items.append((run_id, item, size))
        self._size += size
        while self._size > self._limit:
            self._size -= self._items.popleft()[2]

    def take(self, runs: Collection[str]) -> list[T]:
        """The items of `runs`, in arrival order, no longer held."""
        if not runs:
            return []
        taken: list[T] = []
        kept: deque[tuple[str, T, int]] = deque()
        for held in self._items:
            if held[0] in runs:
                taken.append(held[1])
                self._size -= held[2]
            else:
                kept.append(held)
        self._items = kept
        return taken

    def clear(self) -> None:
        self._items.clear()
        self._size = 0


class RunAttribution(Generic[T]):
    """Which runs of a stream are the attempts of one run, and the items
    (text chunks, reply events) of runs not yet known to be or not.

    The run is `root`: given, or else the first run seen whose `event_id` is
    `event_id`; its attempts are the root and its retries (`RetryChain`).

    A run's items can come before its `run:start`, even after its end:
    crates/hot_api/src/handlers/streams.rs pushes `stream:data` and terminal
    events as the worker publishes them, but sends `run:start` only from its
    database poll, whose sleep restarts at every pushed message (the
    `tokio::select!` loop). So `offer` holds the items of a run not yet known,
    in arrival order, until a run event (`started`, `stopped`) tells whether
    it is an attempt (they are returned then) or not (they are dropped). At
    most `UNATTRIBUTED_TEXT_LIMIT` is held, as `size` measures the items: past
    it, the oldest are dropped.
    """

    def __init__(
        self, size: Callable[[T], int], *, root: str | None = None, event_id: str | None = None
    ) -> None:
        self.chain = RetryChain(root)
        self.event_id = event_id
        self.members: set[str] = self.chain.members()
        self._held = _Held[T](UNATTRIBUTED_TEXT_LIMIT, size)

    @property
    def root(self) -> str | None:
        """The first attempt, once known."""
        return self.chain.root

    @root.setter
    def root(self, run_id: str) -> None:
        self.chain.root = run_id
        self.members = self.chain.members()

    def started(self, run: Run) -> list[T]:
        """A `run:start` of `run`: the held items it shows to be an attempt's."""
        self.chain.started(run)
        return self._learned(run)

    def stopped(self, run: Run) -> list[T]:
        """A terminal event of `run`: the held items it shows to be an attempt's."""
        self.chain.stopped_with(run)
        return self._learned(run)

    def offer(self, run_id: str, item: T) -> bool:
        """An item of run `run_id`: True when the run is an attempt, to be used
        now; else it is held, or dropped when the run is known to be none."""
        if run_id in self.members:
            return True
        if not self._elsewhere(run_id):
            self._held.hold(run_id, item)
        return False

    def clear(self) -> None:
        """Drop every item held."""
        self._held.clear()

    def _learned(self, run: Run) -> list[T]:
        if self.root is None and self.event_id is not None and run.event_id == self.event_id:
            self.chain.root = run.run_id
        self.members = self.chain.members()
        held = self._held.runs()
        self._held.take({run_id for run_id in held if self._elsewhere(run_id)})
        return self._held.take(self.members.intersection(held))

    def _elsewhere(self, run_id: str) -> bool:
        """Whether run `run_id` is known to be no attempt: it, or a run it
        descends from (`origin_run_id`), is another event's first run, or is
        an attempt whose follow-up is another run (or a run that is no retry,
        such as a task it started), or its origins name each other in a loop."""
        seen: set[str] = set()
        current: str | None = run_id
        while current is not None and current not in seen:
            if current in self.members:
                return current != run_id
            run = self.chain.runs.get(current)
            if run is None:
                return False
            seen.add(current)
            current = run.origin_run_id
        # A walk that came back on itself never reaches an attempt; a run
        # without origin that is not the root started for another event, once
        # the root, or the event that tells it, is known.
        return current is not None or self.root is not None or self.event_id is not None


class RunStreamFollower(Follower[StreamEvent, R]):
    """Follows a run stream until the run started by one event is over for good.

    With `publish` (an `EventCreate` body) the first connection is
    `POST /v1/streams/subscribe-with-event`, and every later one is
    `GET /v1/streams/{stream_id}/subscribe`: the event is published exactly
    once. Without it, `stream_id` and `event_id` are known up front.

    Replayed `run:start` and terminal events are dropped by `run_id`, so each
    reaches the caller once. A terminal event whose run is still `running`,
    with no `stop_time` (read before its end was stored), is dropped, and the
    connection replaced: the server sends each run's end once per connection
    (`_stored_late`).
    The follow ends right after the terminal event of the last attempt
    (`RetryChain`) of the run whose `event_id` is the published one; other
    runs' events, and the attempts Hot retried, pass.
    With `raise_failure`, that attempt having failed or been cancelled raises
    `HotRunError`; `finish` turns the successful terminal `Run` into the result.

    `on_chunk` gets the text of every `stream:data` chunk (payload `{"text":
    ...}`) of those attempts, in the order they arrived. A run's chunks can
    come before its `run:start`, even after its end (`RunAttribution`): the
    chunks of a run not yet known are held until its `run:start` or terminal
    event tells whether it is an attempt (they are passed on, before the
    follow ends on that event) or another event's run (they are dropped);
    what is held when the follow ends is dropped. At most
    `UNATTRIBUTED_TEXT_LIMIT` characters are held: past it, the oldest held
    chunks are dropped. `stream:data` of the `data_types` declared (by name)
    is validated as declared.

    A connection replays only the stream's newest `STREAM_RUNS_READ` runs, so
    on a busy stream an attempt that ended while no connection was open would
    never be told. Every connection after the event is published therefore
    checks first, through `check`: the attempt not yet known to have ended
    (`GET /v1/runs/{id}`), or, while no run of the event is known, the runs
    of the event (`GET /v1/events/{id}/runs`; with `project`, only its runs,
    as the stream sends only those). Their records count as replayed events;
    a check that fails is logged and the follow goes on without it.
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
        data_types: Mapping[str, StreamDataType[Any]] | None = None,
        finish: Callable[[FinishedRun], R],
    ) -> None:
        super().__init__(max_attempts=max_attempts, timeout=timeout)
        if publish is None and (stream_id is None or event_id is None):
            raise ValueError("without an event to publish, stream_id and event_id are needed")
        self.what = "subscribe-with-event" if publish is not None else f"run of event {event_id}"
        self._publish = publish
        self._refusals = 0
        self._stream_id = stream_id
        self._project = project
        self._reconnect = reconnect
        self._on_chunk = on_chunk
        self._raise_failure = raise_failure
        self._finish = finish
        self._data_types = data_types or {}
        self._runs = RunAttribution[str](
            len, event_id=None if event_id is None else canonical_id(event_id)
        )
        self._run: FinishedRun | None = None

    @property
    def _published(self) -> bool:
        # The event is known once `event:published` named it, or was given.
        return self._runs.event_id is not None

    def _call(self, timeout: float | None) -> StreamCall[StreamEvent]:
        if not self._published:
            assert self._publish is not None
            call = _subscribe_with_event(self._publish, self._project, timeout)
        else:
            assert self._stream_id is not None
            call = stream_subscription("GET", self._stream_id, self._project, timeout)
        return typed_data(call, self._data_types)

    def _check(self, timeout: float | None) -> Call[list[Run]] | None:
        # Asked once the connection is open, so the server's pub/sub
        # subscription for it exists (streams.rs subscribes before answering):
        # an end after the check's answer comes as a push.
        runs = self._runs
        if runs.event_id is None:  # not published yet: there is nothing to ask
            return None
        if runs.root is None:
            return runs_of_event(runs.event_id, timeout, self._project)
        return _unended_attempt(runs.chain, timeout)

    def _receive(self, event: StreamEvent) -> bool:
        chain = self._runs.chain
        if isinstance(event, EventPublished):
            self._progress = True
            self._stream_id, self._runs.event_id = event.stream_id, event.event_id
        elif isinstance(event, RunStart):
            run = event.run
            if run.run_id in chain.runs:
                return False
            self._progress = True
            self._pass_on(self._runs.started(run))
        elif isinstance(event, RunStop | RunFail | RunCancel):
            run = event.run
            if _stored_late(run):
                self.stale = self._reconnect
                return False
            replayed = run.run_id in chain.stopped
            self._pass_on(self._runs.stopped(run))
            # Decided on every terminal event, replays included: a reconnect
            # may bring a retry's end before the link to it (newest runs are
            # replayed first), and the final attempt's end was emitted already.
            final = chain.final()
            if final is not None:
                self.done = True
                self._runs.clear()
                self._run = finished_run(final)
                if self._raise_failure and final.status is not RunStatus.SUCCEEDED:
                    raise _run_failed(final)
            if replayed:
                return False
            self._progress = True
        elif isinstance(event, StreamData):
            self._progress = True
            self._chunk(event)
        return True

    def _pass_on(self, texts: list[str]) -> None:
        if self._on_chunk is not None:
            for text in texts:
                self._on_chunk(text)

    def _chunk(self, data: StreamData) -> None:
        if self._on_chunk is None:
            return
        payload: Any = data.payload
        text = payload.get("text") if is_json_object(payload) else None
        if isinstance(text, str) and self._runs.offer(data.run_id, text):
            self._on_chunk(text)

    def _should_reconnect(self, error: HotError | None) -> bool:
        if not self._published:
            return self._publish_again(error)
        if not self._reconnect:
            if error is not None:
                raise error
            return False
        return True

    def _unanswered_note(self) -> str:
        return "" if self._published else "; nothing was sent, so the event was not published"

    def refused(self, error: HotApiError) -> None:
        # crates/hot_api/src/handlers/streams.rs `subscribe_with_event` stores
        # the event (step 5, `publish_event_internal`) only after the request
        # passed every check, so a refusal means it was not stored; all but a
        # 404 to `?project=`, resolved after that step (handlers/mod.rs
        # `get_and_verify_project`: 404 "Project not found").
        if not self._published and self._project is not None and isinstance(error, NotFoundError):
            raise HotStreamError(
                _unknown_publish(
                    "the subscribe-with-event POST was answered 404 with `project` given, "
                    "which the server resolves only after publishing",
                    error,
                )
            ) from error

    def _publish_again(self, error: HotError | None) -> bool:
        """Whether the POST that publishes may be sent again; raises when not.

        Only when the server certainly did not take the event: it refused it
        with a 429, sent again after its `retry_after` as far as the client's
        policy allows (other refusals end the follow: `refused`), or no
        connection was ever made. Anything else (a 5xx, a cut or a clean close
        after the request was sent) leaves it unknown, and it is not resent.
        """
        if isinstance(error, RateLimitError):
            # The SSE connection limit (`acquire_sse_connection`) answers it
            # before the event is stored.
            delay = self.policy.after_status(
                self._refusals, 429, error.retry_after, idempotent=False
            )
            if delay is None:
                raise error
            self._refusals += 1
            return True
        if isinstance(error, HotConnectionError | HotTimeoutError) and not error.request_sent:
            return True
        raise HotStreamError(
            _unknown_publish(
                "the subscribe-with-event connection ended before `event:published`", error
            )
        ) from error

    def result(self) -> R:
        if self._run is None:
            raise HotStreamError(f"{self.what}: the stream ended before the run finished")
        return self._finish(self._run)


def _stored_late(run: Run) -> bool:
    """Whether a terminal event carries a record read before the run's end was
    stored (no `stop_time`, and a status that is not final, such as
    `running`): no end at all, and the connection will not send the end again.

    crates/hot_worker/src/server.rs publishes a run's end even when storing it
    failed or timed out (`RUN_RESULT_FLUSH_TIMEOUT`); crates/hot_api/src/
    handlers/streams.rs sends the end with the record it reads then, and each
    run's end once per connection (`completed_run_ids`). A new connection
    tells it: its check reads the run, its poll sends the end once stored.
    """
    return run.stop_time is None and not run.status.is_terminal


def _unended_attempt(chain: RetryChain, timeout: float | None) -> Call[list[Run]] | None:
    """The record of the chain's latest attempt while its end is not known."""
    attempts = chain.attempts()
    if not attempts or attempts[-1] in chain.stopped:
        return None
    return run_record(attempts[-1], timeout)


def _unknown_publish(what: str, error: HotError | None) -> str:
    return (
        f"{what}: it is unknown whether the event was published, so it was not sent "
        f"again{_cause(error)}"
    )


def identity(run: FinishedRun) -> FinishedRun:
    """The `finish` of followers whose value is the terminal run itself."""
    return run


@cache
def _result_adapter(result_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result_type)


def call_result(result_type: type[R] | None) -> Callable[[FinishedRun], R]:
    """The `finish` of `call_hot`: the run's result, validated into `result_type` if given.

    The result is the function's return value as stored, never unwrapped here:
    Hot stores a `::hot::type/Result.Ok`'s payload and any other value as it is
    (crates/hot/src/lang/runtime/vm.rs and lang/engine/cache.rs emit `run:stop`
    with `unwrap_ok()`; lang/emitter/database_writer.rs `write_run_stop` stores
    its Hot data form), so a value such as `{"$ok": 1}` is the user's own.
    """
    adapter = None if result_type is None else _result_adapter(cast(Any, result_type))

    def finish(run: FinishedRun) -> Any:
        value = run.result
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


class _SnapshotWaiter(Follower[E, R]):
    """Waits on `GET /v1/{runs|tasks}/{id}/subscribe` until the record is terminal.

    The server's first snapshot on every connection is the latest stored one,
    so reconnecting never misses the end.
    """

    def __init__(self, *, timeout: float | None, max_attempts: int) -> None:
        super().__init__(max_attempts=max_attempts, timeout=timeout)
        self._last: dict[str, Any] | None = None
        self._record: Any = None

    def _seen(self, raw: dict[str, Any]) -> None:
        if raw != self._last:
            self._last = raw
            self._progress = True

    def result(self) -> R:
        record: R = self._record
        return record


class RunWaiter(_SnapshotWaiter[RunUpdate | StreamEvent, FinishedRun]):
    """`runs.wait`: the last attempt of a run, returned when it `succeeded`;
    `HotRunError` when it failed or was cancelled.

    Snapshots of the run come first. When it failed and a retry may have been
    scheduled (its `retry_attempt` moved on: see `RetryChain`), the waiter
    reads its origin's snapshot (`origin_run_id`, for a retry: its attempt
    number) and then follows the run's stream, whose replay of its newest
    runs shows the retries, to find the attempt that ended the chain. An origin the
    API does not know (404) leaves the attempt number unknown, and the failure
    is taken as final. Each connection to the stream first reads the latest
    attempt whose end is not known (`check`, as `RunStreamFollower` does).
    """

    def __init__(self, run_id: UUID | str, *, timeout: float | None, max_attempts: int) -> None:
        super().__init__(timeout=timeout, max_attempts=max_attempts)
        self.what = f"wait for run {run_id}"
        self._chain: RetryChain | None = None
        # Whose snapshots the next connection reads; None once the stream is followed.
        self._read: UUID | str | None = run_id
        self._stream_id: str | None = None

    def _call(self, timeout: float | None) -> StreamCall[RunUpdate | StreamEvent]:
        if self._read is None:
            assert self._stream_id is not None
            return cast(
                "StreamCall[RunUpdate | StreamEvent]",
                stream_subscription("GET", self._stream_id, None, timeout),
            )
        request = Request(
            "GET",
            path("/runs/{run_id}/subscribe", self._read),
            accept="text/event-stream",
            timeout=timeout,
        )
        return StreamCall(request, snapshot_decoder(RunUpdate))

    def _receive(self, event: RunUpdate | StreamEvent) -> bool:
        if self._read is not None:
            if isinstance(event, RunUpdate):
                if self._chain is None:
                    self._snapshot(event.run)
                else:
                    self._origin(self._chain, event.run)
        elif self._chain is not None and isinstance(event, RunStart | _RunEnd):
            self._attempt(self._chain, event)
        return False

    def _check(self, timeout: float | None) -> Call[list[Run]] | None:
        # Following the stream: a retry that ended while no connection was
        # open is in no replay once the stream has STREAM_RUNS_READ newer runs.
        # (While the origin is read, the chain's one attempt has ended: there
        # is nothing to check.)
        return None if self._chain is None else _unended_attempt(self._chain, timeout)

    def refused(self, error: HotApiError) -> None:
        chain = self._chain
        if chain is not None and self._read is not None and isinstance(error, NotFoundError):
            # No such origin: with its attempt number unknown, the chain takes
            # the failure as final.
            final = chain.final()
            if final is not None:
                self._end(final)

    def _snapshot(self, run: Run) -> None:
        self._seen(run.raw)
        if run.status is RunStatus.FAILED and run.retry_attempt > 0:
            # Hot may have retried it (see `RetryChain`): every attempt is a run
            # on the same stream, and subscribing to it replays them all.
            self._chain, self._stream_id = RetryChain(run.run_id), run.stream_id
            self._chain.stopped_with(run)
            # The stream replays the newest runs first (crates/hot/src/db/run.rs
            # `get_runs_by_stream`), so a retry's own end comes before its
            # origin's record, which tells its attempt number: read that first.
            self._read = run.origin_run_id
        elif run.status.is_terminal:
            self._end(run)

    def _origin(self, chain: RetryChain, origin: Run) -> None:
        # crates/hot_api/src/handlers/runs.rs `subscribe_to_run`: the origin is
        # terminal once the scheduler queued its retry, so its one snapshot
        # comes, then the server closes the stream.
        self._seen(origin.raw)
        chain.started(origin)
        self._read = None
        final = chain.final()
        if final is not None:
            self._end(final)

    def _attempt(self, chain: RetryChain, event: RunStart | RunStop | RunFail | RunCancel) -> None:
        run = event.run
        if not isinstance(event, RunStart) and _stored_late(run):
            self.stale = True
            return
        known = chain.runs.get(run.run_id)
        if known is None or known.raw != run.raw:
            self._progress = True
        if isinstance(event, RunStart):
            chain.started(run)
        else:
            chain.stopped_with(run)
        # Decide only on the chain's own runs: the server replays the newest
        # runs first (crates/hot/src/db/run.rs `get_runs_by_stream`), so by the
        # time an attempt's own events come, any retry of it that started has
        # been seen, and its origin's attempt number was read before.
        if run.run_id in chain.members():
            final = chain.final()
            if final is not None:
                self._end(final)

    def _end(self, run: Run) -> None:
        self.done = True
        if run.status is not RunStatus.SUCCEEDED:
            raise _run_failed(run)
        self._record = finished_run(run)


class TaskWaiter(_SnapshotWaiter[StreamEvent, FinishedTask]):
    """`tasks.wait`: the task's last attempt, returned when `completed`;
    `HotTaskError` when it failed, was cancelled or timed out.

    The task's snapshots are followed. Hot queues a task again in two cases
    (`_task_retries.py`), and the waiter then reads the task's stream, which
    shows every task on it, to find that retry and follow its snapshots in turn:

    - A task its worker interrupted ends `failed` with its retry inserted in the
      same transaction. Every poll of a stream sends the tasks that changed
      among its 100 newest, newest first (crates/hot_api/src/handlers/
      streams.rs, `Task::get_by_stream` ordered `created_at DESC`), so by the
      time the interrupted task's record comes, its retry's has; when it does
      not come (100 newer tasks), the retry is taken `RETRY_SETTLE` seconds
      after it arrived.
    - A task whose `retry` option allows `retries` retries (the waiter is told:
      the options are not on the wire) and that failed or timed out below them
      is retried once its failure is stored, so its retry comes in a later poll,
      or earlier in the same one. The retry found is taken once the burst of its
      poll has had `RETRY_SETTLE` seconds to arrive, which brings the failure
      of any sibling that could own it too; if none comes within
      `OPTION_RETRY_WAIT` seconds of the failure, the failure is final.

    When several tasks could be the retry (siblings that ended at once),
    `HotTaskError` names them rather than guess.
    """

    decides = True

    def __init__(
        self, task_id: UUID | str, *, retries: int, timeout: float | None, max_attempts: int
    ) -> None:
        super().__init__(timeout=timeout, max_attempts=max_attempts)
        self._retries = retry_attempts(retries)
        self.what = f"wait for task {task_id}"
        # Whose snapshots are followed; while the retry of an ended attempt is
        # looked for on its stream, that attempt (interrupted, or failed owing a
        # retry), and the latest record of every task the stream showed.
        self._id = task_id
        self._interrupted: Task[Any] | None = None
        self._failed: Task[Any] | None = None
        self._tasks: dict[str, Task[Any]] = {}

    def _call(self, timeout: float | None) -> StreamCall[StreamEvent]:
        searched = self._interrupted or self._failed
        if searched is not None:
            return stream_subscription("GET", searched.stream_id, None, timeout)
        request = Request(
            "GET",
            path("/tasks/{task_id}/subscribe", self._id),
            accept="text/event-stream",
            timeout=timeout,
        )
        return cast("StreamCall[StreamEvent]", StreamCall(request, snapshot_decoder(TaskUpdate)))

    def _receive(self, event: StreamEvent) -> bool:
        if not isinstance(event, TaskUpdate):
            return False
        task = event.task
        if self._interrupted is None and self._failed is None:
            self._seen(task.raw)
            self._ended(task)
            return False
        self._tasks[task.task_id] = task
        if self._interrupted is not None and task.task_id == self._interrupted.task_id:
            # Older than its retry, it ends the burst that brought the retry.
            self._search(self._interrupted)
        else:
            self._settle()
        return False

    def refused(self, error: HotApiError) -> None:
        if self._interrupted is not None:
            # Its stream could not be read (a credential may read a task and
            # not its stream): the ended attempt is the last one known.
            raise _task_failed(
                self._interrupted,
                "; its worker queued it again, and its stream, where that retry is "
                f"found, could not be read: {error}",
            ) from error
        if self._failed is not None:
            raise _task_failed(
                self._failed,
                f"; its retries ({self._retries}) allow another attempt, and its stream, "
                f"where that retry is found, could not be read: {error}",
            ) from error

    def _ended(self, task: Task[Any]) -> None:
        """Decide on the latest record of the attempt followed, `task`."""
        if task.status is TaskStatus.COMPLETED:
            self.done, self._record = True, finished_task(task)
        elif task.status.is_terminal:
            if interrupted(task):
                self._interrupted = task
            elif owes_retry(task, self._retries):
                self._failed = task
                self._decide_at = self._now + OPTION_RETRY_WAIT
                self._settle()
            else:
                raise _task_failed(task)

    def _follow(self, retry: Task[Any]) -> None:
        """Follow `retry`, found on the stream: by its own snapshots from here,
        unless the record seen already decides."""
        self._id, self._interrupted, self._failed, self._progress = retry.task_id, None, None, True
        self._decide_at = None
        self._ended(retry)
        if self.done or self._failed is not None:
            return
        if self._interrupted is not None:
            # Interrupted in turn: its retry, newer, was sent before it too.
            self._search(self._interrupted)
        else:
            self.stale = True

    def _search(self, task: Task[Any]) -> None:
        """Find the retry of the interrupted `task` among the tasks seen, and follow it."""
        retries = retries_of(task, self._tasks.values())
        if not retries:
            return
        if len(retries) > 1:
            self._ambiguous(task, "its worker queued it again", retries)
        self._follow(retries[0])

    def _settle(self) -> None:
        """A possible retry has come: decide once its poll's burst is in. (An
        interrupted attempt's own record may never come: a poll sends only the
        stream's 100 newest tasks, `Task::get_by_stream(.., Some(100))`.)"""
        seen = self._tasks.values()
        if self._interrupted is not None:
            found = retries_of(self._interrupted, seen)
        elif self._failed is not None:
            found = option_retries_of(self._failed, seen)
        else:
            return
        if not found:
            return
        settle = self._now + RETRY_SETTLE
        if self._decide_at is None or settle < self._decide_at:
            self._decide_at = settle

    def _decide(self) -> None:
        if self._interrupted is not None:
            self._search(self._interrupted)
            return
        failed = self._failed
        if failed is None:
            return
        seen = self._tasks.values()
        retries = option_retries_of(failed, seen)
        if not retries:
            raise _task_failed(
                failed,
                f"; its retries ({self._retries}) allow another attempt, and no retry of it "
                f"reached its stream within {OPTION_RETRY_WAIT:g} s",
            )
        rivals = [rival for retry in retries for rival in option_rivals(failed, retry, seen)]
        if len(retries) > 1 or rivals:
            why = f"its retries ({self._retries}) allow another attempt"
            self._ambiguous(failed, why, retries, rivals)
        self._follow(retries[0])
        if self._failed is not None and option_retries_of(self._failed, seen):
            # That retry failed in turn, and its own retry came in a burst
            # that has had its time to arrive whole as well.
            self._decide()

    def _ambiguous(
        self,
        task: Task[Any],
        why: str,
        retries: Sequence[Task[Any]],
        rivals: Sequence[Task[Any]] = (),
    ) -> NoReturn:
        count = f"{len(retries)} tasks" if len(retries) > 1 else "1 task"
        note = f"; {why}, and {count} on its stream may be that retry ({_ids(retries)})"
        if rivals:
            note += f", which {_ids(rivals)} may have queued as well"
        raise _task_failed(task, note + ": wait on the right one")


def _ids(tasks: Iterable[Task[Any]]) -> str:
    return ", ".join(dict.fromkeys(str(task.task_id) for task in tasks))
