"""Server-sent events of run streams, run subscriptions and task subscriptions.

Every event carries its name in `type`, so the union is discriminated on it.
An event type this version does not know validates as `UnknownStreamEvent`,
which keeps the whole payload: a new server never breaks a subscriber.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal
from uuid import UUID

from pydantic import Discriminator, Tag
from typing_extensions import TypeVar

from ._base import WireModel
from .runs import Run, Task

__all__ = [
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


def _stream_event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _STREAM_EVENT_TYPES else "unknown"


StreamEvent = Annotated[
    (
        Annotated[EventPublished, Tag("event:published")]
        | Annotated[RunStart, Tag("run:start")]
        | Annotated[RunStop, Tag("run:stop")]
        | Annotated[RunFail, Tag("run:fail")]
        | Annotated[RunCancel, Tag("run:cancel")]
        | Annotated[TaskUpdate, Tag("task:update")]
        | Annotated[StreamData, Tag("stream:data")]
        | Annotated[StreamComplete, Tag("stream:complete")]
        | Annotated[Keepalive, Tag("keepalive")]
        | Annotated[UnknownStreamEvent, Tag("unknown")]
    ),
    Discriminator(_stream_event_tag),
]
"""Any event of a run stream (`/v1/streams/...`), discriminated on `type`."""
