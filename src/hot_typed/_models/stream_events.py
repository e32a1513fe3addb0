"""Server-sent events of run streams, run subscriptions and task subscriptions.

Every event carries its name in `type`, so the union is discriminated on it.
An event type this version does not know validates as `UnknownStreamEvent`,
which keeps the whole payload: a new server never breaks a subscriber.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field

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


class StreamData(WireModel):
    """Data a run streamed. `payload` is user JSON, untouched (`ai:delta` carries `{"text"}`)."""

    type: Literal["stream:data"] = "stream:data"
    stream_data_id: UUID | None = None
    run_id: UUID
    data_type: str
    payload: Any = None


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
