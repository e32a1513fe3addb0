"""Server-sent events of run streams, run and task subscriptions, and the environment.

Every event carries its name in `type`, so the union is discriminated on it.
An event type this version does not know validates as `UnknownStreamEvent`,
which keeps the whole payload: a new server never breaks a subscriber.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal
from uuid import UUID

from pydantic import BeforeValidator, Discriminator, Field, Tag
from typing_extensions import TypeVar

from ._base import WireModel
from .runs import Run, RunType, Task, TaskStatus

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
]


class EventPublished(WireModel):
    """First event of subscribe-with-event: the event is stored and its stream known."""

    type: Literal["event:published"] = "event:published"
    event_id: UUID
    stream_id: UUID
    event_type: str


class RunStart(WireModel):
    type: Literal["run:start"] = "run:start"
    run: Run


class RunStop(WireModel):
    """The run succeeded; `run.result` holds its result."""

    type: Literal["run:stop"] = "run:stop"
    run: Run


class RunFail(WireModel):
    type: Literal["run:fail"] = "run:fail"
    run: Run


class RunCancel(WireModel):
    type: Literal["run:cancel"] = "run:cancel"
    run: Run


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
    stream_data_id: UUID | None = None
    run_id: UUID
    data_type: str
    payload: P = None  # type: ignore[assignment]


class StreamComplete(WireModel):
    """The server ended the subscription (its time limit, or the stream ended)."""

    type: Literal["stream:complete"] = "stream:complete"
    stream_id: UUID | None = None


class Keepalive(WireModel):
    type: Literal["keepalive"] = "keepalive"


class UnknownStreamEvent(WireModel):
    """An event type this version does not know; `.raw` holds the whole payload."""

    type: str


RunTerminal = RunStop | RunFail | RunCancel

_STREAM_EVENT_TYPES = frozenset(
    {
        "event:published",
        "run:start",
        "run:stop",
        "run:fail",
        "run:cancel",
        "task:update",
        "stream:data",
        "stream:complete",
        "keepalive",
    }
)


def _not_a_known_event(value: Any) -> Any:
    # Reached only when the tagged union refused the payload: a known type whose
    # fields are wrong is an error, not an unknown event.
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind in _STREAM_EVENT_TYPES:
        raise ValueError(f"a {kind!r} event that does not match its model")
    return value


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
    | Annotated[UnknownStreamEvent, BeforeValidator(_not_a_known_event)],
    Field(union_mode="left_to_right"),
]
"""Any event of a run stream (`/v1/streams/...`), discriminated on `type`."""


# ---------------------------------------------------------------- environment events
# `GET /v1/env/subscribe` sends flat payloads: ids and a few facts, never whole records.


class _EnvRun(WireModel):
    run_id: UUID
    env_id: UUID
    stream_id: UUID
    event_id: UUID | None
    project_id: UUID | None
    fn_name: str | None
    run_type: RunType


class EnvRunStart(_EnvRun):
    type: Literal["run:start"] = "run:start"


class EnvRunStop(_EnvRun):
    type: Literal["run:stop"] = "run:stop"
    duration_ms: int | None


class EnvRunFail(_EnvRun):
    type: Literal["run:fail"] = "run:fail"
    duration_ms: int | None
    error: str | None


class EnvRunCancel(_EnvRun):
    type: Literal["run:cancel"] = "run:cancel"
    duration_ms: int | None
    reason: str | None


class _EnvEvent(WireModel):
    event_id: UUID
    env_id: UUID
    stream_id: UUID
    event_type: str
    project_id: UUID | None


class EnvEventCreated(_EnvEvent):
    type: Literal["event:created"] = "event:created"


class EnvEventHandled(_EnvEvent):
    """Handlers for the event were started."""

    type: Literal["event:handled"] = "event:handled"


class EnvStreamCreated(WireModel):
    type: Literal["stream:created"] = "stream:created"
    stream_id: UUID
    env_id: UUID
    project_id: UUID | None


class EnvTaskStarted(WireModel):
    type: Literal["task:started"] = "task:started"
    task_id: UUID
    env_id: UUID
    stream_id: UUID
    function_name: str
    task_type: str


class EnvTaskComplete(WireModel):
    """A task ended; `status` is its final status, `error` user JSON (None on success)."""

    type: Literal["task:complete"] = "task:complete"
    task_id: UUID
    env_id: UUID
    stream_id: UUID
    function_name: str
    status: TaskStatus
    duration_ms: int | None
    error: Any = None


_ENV_EVENT_TYPES = frozenset(
    {
        "run:start",
        "run:stop",
        "run:fail",
        "run:cancel",
        "event:created",
        "event:handled",
        "stream:created",
        "task:started",
        "task:complete",
        "keepalive",
    }
)


def _env_event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _ENV_EVENT_TYPES else "unknown"


EnvEvent = Annotated[
    (
        Annotated[EnvRunStart, Tag("run:start")]
        | Annotated[EnvRunStop, Tag("run:stop")]
        | Annotated[EnvRunFail, Tag("run:fail")]
        | Annotated[EnvRunCancel, Tag("run:cancel")]
        | Annotated[EnvEventCreated, Tag("event:created")]
        | Annotated[EnvEventHandled, Tag("event:handled")]
        | Annotated[EnvStreamCreated, Tag("stream:created")]
        | Annotated[EnvTaskStarted, Tag("task:started")]
        | Annotated[EnvTaskComplete, Tag("task:complete")]
        | Annotated[Keepalive, Tag("keepalive")]
        | Annotated[UnknownStreamEvent, Tag("unknown")]
    ),
    Discriminator(_env_event_tag),
]
"""Any event of `GET /v1/env/subscribe` (flat payloads), discriminated on `type`."""
