"""Server-sent events of run streams, run and task subscriptions, and the environment.

Every event carries its name in `type`, so the union is discriminated on it.
An event type this version does not know validates as `UnknownStreamEvent`,
which keeps the whole payload: a new server never breaks a subscriber.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any, Generic, Literal, get_args

from pydantic import BeforeValidator, Field
from typing_extensions import TypeVar

from ._base import WireModel
from ._common import Id
from ._json import is_json_object
from .runs import FinishedRun, Run, RunStatus, RunType, Task, TaskStatus

__all__ = [
    "EnvEvent",
    "EnvEventCreated",
    "EnvEventHandled",
    "EnvRunCancel",
    "EnvRunFail",
    "EnvRunStart",
    "EnvRunStop",
    "EnvStreamCreated",
    "EnvTaskComplete",
    "EnvTaskStarted",
    "EventPublished",
    "Keepalive",
    "RunCancel",
    "RunFail",
    "RunStart",
    "RunStop",
    "RunUpdate",
    "StreamComplete",
    "StreamData",
    "StreamEvent",
    "TaskUpdate",
    "UnknownStreamEvent",
    "run_end",
    "tag",
]


class EventPublished(WireModel):
    """First event of subscribe-with-event: the event is stored and its stream known."""

    type: Literal["event:published"] = "event:published"
    event_id: Id
    stream_id: Id
    event_type: str


class RunStart(WireModel):
    """A run began on the stream; its `result` is not there yet."""

    type: Literal["run:start"] = "run:start"
    run: Run


class RunStop(WireModel):
    """The run stopped: succeeded, or (read back from the run's record) failed
    with a retry pending: `run.status` says which; `run.result` holds its result."""

    type: Literal["run:stop"] = "run:stop"
    run: FinishedRun


class RunFail(WireModel):
    """The run failed; `run.result` holds the failure (`{"$err": ...}`). Pushed
    live the moment it fails, so `run.status` may still be `pending_retry`: a
    retry of it is coming (crates/hot_worker/src/server.rs publishes a failed
    result as `RunFail`; crates/hot_api/src/handlers/streams.rs sends it so)."""

    type: Literal["run:fail"] = "run:fail"
    run: FinishedRun


class RunCancel(WireModel):
    """The run was cancelled; `run.result` holds the cancellation."""

    type: Literal["run:cancel"] = "run:cancel"
    run: FinishedRun


def run_end(status: RunStatus) -> type[RunStop | RunFail | RunCancel]:
    """The event a stream's poll sends for a run that has a `stop_time`: `run:fail`
    when it failed, `run:cancel` when it was cancelled, `run:stop` for anything
    else, `pending_retry` included (crates/hot_api/src/handlers/streams.rs, the
    poll loop's `match run.status`). Pushed live, a `pending_retry` run's end is
    `run:fail`."""
    if status is RunStatus.FAILED:
        return RunFail
    if status is RunStatus.CANCELLED:
        return RunCancel
    return RunStop


@cache
def tag(model: type[WireModel]) -> str:
    """The `type` an event of `model` goes out with."""
    name: str = model.model_fields["type"].default
    return name


class RunUpdate(WireModel):
    """A run snapshot from `GET /v1/runs/{id}/subscribe`; the first is the latest stored."""

    type: Literal["run:update"] = "run:update"
    run: Run


class TaskUpdate(WireModel):
    """A task snapshot, on run streams and on `GET /v1/tasks/{id}/subscribe`."""

    type: Literal["task:update"] = "task:update"
    task: Task


P = TypeVar("P", default=Any)


class StreamData(WireModel, Generic[P]):
    """Data a run streamed. `payload` is user JSON, untouched (`ai:delta` carries
    `{"text"}`); `StreamData[X]` validates it as an `X`."""

    type: Literal["stream:data"] = "stream:data"
    stream_data_id: Id | None = None
    run_id: Id
    data_type: str
    # The server always sends `payload` (crates/hot/src/stream/mod.rs
    # `StreamEvent::StreamData`); a frame without one reads None, validated as
    # `P` like a sent null, so a declared `StreamData[X]` is never None.
    payload: P = Field(default=None, validate_default=True)


class StreamComplete(WireModel):
    """The server ended the subscription (its time limit, or the stream ended)."""

    type: Literal["stream:complete"] = "stream:complete"
    stream_id: Id | None = None


class Keepalive(WireModel):
    """Sent by the server to keep an idle subscription open; carries nothing."""

    type: Literal["keepalive"] = "keepalive"


class UnknownStreamEvent(WireModel):
    """An event type this version does not know; `.raw` holds the whole payload."""

    type: str


class KnownTypes:
    """The `type` tags of the models of an open event union, learnt from the union.

    An open union tries its tagged models first, then `UnknownStreamEvent`;
    `refuse` guards that fallback: a payload whose tag is known failed its own
    model, which is an error, not an event type this version does not know.
    """

    __slots__ = ("tags",)

    def __init__(self) -> None:
        self.tags: frozenset[str] = frozenset()

    def learn(self, union: Any) -> None:
        """Take the tags of every event model in `union` (through unions and `Annotated`)."""
        self.tags = frozenset(_tags(union))

    def refuse(self, value: Any) -> Any:
        kind = value.get("type") if is_json_object(value) else getattr(value, "type", None)
        if kind in self.tags:
            raise ValueError(f"a {kind!r} event that does not match its model")
        return value


def _tags(annotation: Any) -> Iterator[str]:
    if isinstance(annotation, type) and issubclass(annotation, WireModel):
        field = annotation.model_fields.get("type")
        if field is not None and isinstance(field.default, str):
            yield field.default
        return
    for argument in get_args(annotation):
        yield from _tags(argument)


_STREAM_EVENT_TYPES = KnownTypes()


# A string discriminator lets pydantic-core pick the model from the JSON text
# itself (a callable one needs the whole payload as Python objects first);
# anything it cannot place is then tried as an unknown event.
StreamEvent = Annotated[
    Annotated[
        EventPublished
        | RunStart
        | RunStop
        | RunFail
        | RunCancel
        | TaskUpdate
        | StreamData
        | StreamComplete
        | Keepalive,
        Field(discriminator="type"),
    ]
    | Annotated[UnknownStreamEvent, BeforeValidator(_STREAM_EVENT_TYPES.refuse)],
    Field(union_mode="left_to_right"),
]
"""Any event of a run stream (`/v1/streams/...`), discriminated on `type`."""
_STREAM_EVENT_TYPES.learn(StreamEvent)


# ---------------------------------------------------------------- environment events
# `GET /v1/env/subscribe` sends flat payloads: ids and a few facts, never whole records.
# Every event crates/hot/src/stream/mod.rs declares (`EnvEvent`) is modelled, but
# the server publishes only some: an event handler's run end (`run:stop`,
# `run:fail`, `run:cancel`: crates/hot_worker/src/server.rs) and a task's start
# and end (`task:started`, `task:complete`: crates/hot_task_worker/src/lib.rs).
# Nothing publishes `run:start`, `event:created`, `event:handled` or
# `stream:created`; they are read when a server sends them.


class _EnvRun(WireModel):
    run_id: Id
    env_id: Id
    stream_id: Id
    event_id: Id | None
    project_id: Id | None
    fn_name: str | None
    run_type: RunType


class EnvRunStart(_EnvRun):
    """`run:start` on the environment stream: a run began (declared by the
    server, not published by it)."""

    type: Literal["run:start"] = "run:start"


class EnvRunStop(_EnvRun):
    """`run:stop` on the environment stream: an event handler's run stopped.
    `duration_ms` is None from the server (the run record has the times)."""

    type: Literal["run:stop"] = "run:stop"
    duration_ms: int | None


class EnvRunFail(_EnvRun):
    """`run:fail` on the environment stream: an event handler's run failed, a
    failed attempt that will be retried included. `error` is the failure as
    Hot writes the value, such as `Failure({"msg": "boom", "err": null})`,
    not JSON; the run's `result` has it as JSON."""

    type: Literal["run:fail"] = "run:fail"
    duration_ms: int | None
    error: str | None


class EnvRunCancel(_EnvRun):
    """`run:cancel` on the environment stream: an event handler's run was
    cancelled; `reason` is the cancellation's message."""

    type: Literal["run:cancel"] = "run:cancel"
    duration_ms: int | None
    reason: str | None


class _EnvEvent(WireModel):
    event_id: Id
    env_id: Id
    stream_id: Id
    event_type: str
    project_id: Id | None


class EnvEventCreated(_EnvEvent):
    """`event:created` on the environment stream: an event was published
    (declared by the server, not published by it)."""

    type: Literal["event:created"] = "event:created"


class EnvEventHandled(_EnvEvent):
    """`event:handled` on the environment stream: handlers for the event were
    started (declared by the server, not published by it)."""

    type: Literal["event:handled"] = "event:handled"


class EnvStreamCreated(WireModel):
    """`stream:created` on the environment stream: a new run stream exists
    (declared by the server, not published by it)."""

    type: Literal["stream:created"] = "stream:created"
    stream_id: Id
    env_id: Id
    project_id: Id | None


class EnvTaskStarted(WireModel):
    """`task:started` on the environment stream: a background task began."""

    type: Literal["task:started"] = "task:started"
    task_id: Id
    env_id: Id
    stream_id: Id
    function_name: str
    task_type: str


class EnvTaskComplete(WireModel):
    """A task ended; `status` is its final status, `error` user JSON (None on success)."""

    type: Literal["task:complete"] = "task:complete"
    task_id: Id
    env_id: Id
    stream_id: Id
    function_name: str
    status: TaskStatus
    duration_ms: int | None
    error: Any = None


_ENV_EVENT_TYPES = KnownTypes()

EnvEvent = Annotated[
    Annotated[
        EnvRunStart
        | EnvRunStop
        | EnvRunFail
        | EnvRunCancel
        | EnvEventCreated
        | EnvEventHandled
        | EnvStreamCreated
        | EnvTaskStarted
        | EnvTaskComplete
        | Keepalive,
        Field(discriminator="type"),
    ]
    | Annotated[UnknownStreamEvent, BeforeValidator(_ENV_EVENT_TYPES.refuse)],
    Field(union_mode="left_to_right"),
]
"""Any event of `GET /v1/env/subscribe` (flat payloads), discriminated on `type`."""
_ENV_EVENT_TYPES.learn(EnvEvent)
