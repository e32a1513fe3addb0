"""What each subscription endpoint sends, as pollable state over the store.

Construct them while holding the store's lock: the replay and the log position
are taken at the same instant, so no event is missed or sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from .._models.stream_events import RunStart, RunUpdate, TaskUpdate
from .._streaming import STREAM_RUNS_READ
from ._store import RUN_TERMINAL, TASK_TERMINAL, SseEvent, Store, sse_event, stop_event, tag
from ._values import JSON

__all__ = ["EnvSubscription", "SnapshotSubscription", "StreamSubscription"]

_STOP_NAMES = frozenset(RUN_TERMINAL.values())

# How many tasks a stream subscription replays (StreamSubscription).
_TASKS_READ = 100

# How long a stream's database poll sleeps, from its last pushed message, while
# the connection has pub/sub (crates/hot_api/src/handlers/streams.rs: 1 s).
POLL_INTERVAL = 1.0


class StreamSubscription:
    """A run stream: first `first` (the `event:published` of subscribe-with-event),
    then a replay of the newest `STREAM_RUNS_READ` runs already on the stream,
    newest first, each as `run:start` and, once stopped, its stop event
    (`pending_retry` as `run:stop`, as the poll sends it), as records of now; then one `task:update`
    for each of the newest `_TASKS_READ` tasks, newest first (never
    `stream:data`); then live events, as pushed (crates/hot_api/src/handlers/
    streams.rs: the poll loop reads `get_runs_by_stream(.., Some(100), ..)`,
    ordered by start_time DESC, and `Task::get_by_stream(.., Some(100))`,
    ordered by created_at DESC, crates/hot/src/db/task.rs).

    With `late_run_start`, a run that starts live has its `run:start` sent
    by the poll: the server sends `stream:data` and terminal events the moment
    the worker publishes them, but `run:start` only from its database poll,
    whose sleep restarts at every pushed message (streams.rs, the
    `tokio::select!` loop). So a run's `run:start` comes once the stream has
    been quiet for `POLL_INTERVAL`, carrying the run as it is then, ended or
    not (a busy stream: its chunks and end come first), the runs a poll finds
    newest first (`get_runs_by_stream`, `start_time DESC`).
    """

    def __init__(
        self,
        store: Store,
        stream_id: str,
        *,
        first: SseEvent | None = None,
        late_run_start: bool = False,
    ) -> None:
        log = store.streams[stream_id]
        self._log = log
        self._position = len(log.events)
        pending: list[SseEvent] = [] if first is None else [first]
        for run_id in log.run_ids[::-1][:STREAM_RUNS_READ]:
            run = dict(store.runs[run_id])
            pending.append(sse_event(tag(RunStart), {"run": run}))
            if run["stop_time"] is not None:
                pending.append(sse_event(stop_event(run["status"]), {"run": run}))
        for task_id in log.task_ids[::-1][:_TASKS_READ]:
            pending.append(
                sse_event(tag(TaskUpdate), {"task": dict(store.tasks[task_id])})
            )
        self._pending = pending
        self._store = store
        self._open = True
        #: Set from `?project=`: only that project's run events are sent.
        self.project_id: str | None = None
        # Runs started live whose `run:start` waits for the poll (`late_run_start`).
        self._unstarted: set[str] | None = set() if late_run_start else None
        self._quiet_since = time.monotonic()
        log.subscribers += 1

    def poll(self) -> tuple[list[SseEvent], bool]:
        fresh = self._log.events[self._position :]
        self._position = len(self._log.events)
        if self._unstarted is not None:
            fresh = self._start_late(fresh, self._unstarted)
            if fresh:
                self._quiet_since = time.monotonic()
            elif self._unstarted and time.monotonic() >= self._quiet_since + POLL_INTERVAL:
                runs = [dict(self._store.runs[run_id]) for run_id in self._unstarted]
                runs.sort(key=lambda run: run["start_time"], reverse=True)
                fresh = [sse_event(tag(RunStart), {"run": run}) for run in runs]
                self._unstarted.clear()
        events = self._pending + fresh
        self._pending = []
        if self.project_id is not None:
            events = [event for event in events if self._of_project(event, self.project_id)]
        return events, False

    @staticmethod
    def _of_project(event: SseEvent, project_id: str) -> bool:
        # streams.rs applies `?project=` to run events only, replayed or live
        # (`run.project_id != Some(filter_project_id)`: a run of no project is
        # left out too); tasks, stream data and the published event pass.
        name, data = event
        if name != tag(RunStart) and name not in _STOP_NAMES:
            return True
        run_project: str | None = data["run"].get("project_id")
        return run_project == project_id

    def wake_at(self) -> float | None:
        """When the poll is due to send the `run:start` of runs held for it."""
        return self._quiet_since + POLL_INTERVAL if self._unstarted else None

    @staticmethod
    def _start_late(fresh: list[SseEvent], unstarted: set[str]) -> list[SseEvent]:
        events: list[SseEvent] = []
        for name, data in fresh:
            if name == tag(RunStart):
                unstarted.add(data["run"]["run_id"])
            else:
                events.append((name, data))
        return events

    def close(self) -> None:
        """The response ended: this connection no longer counts as a subscriber."""
        with self._store.lock:
            if self._open:
                self._open = False
                self._log.subscribers -= 1


class SnapshotSubscription:
    """`run:update` or `task:update` snapshots of one record: the latest stored
    first, then each change, finishing after a terminal status."""

    def __init__(
        self, read: Callable[[], JSON], name: str, key: str, terminal: Collection[str]
    ) -> None:
        self._read = read
        self._name = name
        self._key = key
        self._terminal = terminal
        self._last: JSON | None = None

    @classmethod
    def run(cls, store: Store, run_id: str) -> SnapshotSubscription:
        return cls(lambda: store.runs[run_id], tag(RunUpdate), "run", RUN_TERMINAL)

    @classmethod
    def task(cls, store: Store, task_id: str) -> SnapshotSubscription:
        return cls(lambda: store.tasks[task_id], tag(TaskUpdate), "task", TASK_TERMINAL)

    def poll(self) -> tuple[list[SseEvent], bool]:
        record = self._read()
        if record == self._last:
            return [], False
        self._last = dict(record)
        event = sse_event(self._name, {self._key: dict(record)})
        return [event], record["status"] in self._terminal

    def close(self) -> None:
        """Nothing to release."""

    def wake_at(self) -> float | None:
        """Nothing is due without a change."""
        return None


class EnvSubscription:
    """The environment's flat events from the moment of subscribing."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._position = len(store.env_log)

    def poll(self) -> tuple[list[SseEvent], bool]:
        events = self._store.env_log[self._position :]
        self._position = len(self._store.env_log)
        return list(events), False

    def close(self) -> None:
        """Nothing to release."""

    def wake_at(self) -> float | None:
        """Nothing is due without a change."""
        return None
