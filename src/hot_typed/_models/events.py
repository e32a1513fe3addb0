"""Events: what users publish to start runs."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from ._base import RequestModel, WireModel

__all__ = ["Event", "EventCreate"]


class Event(WireModel):
    """A published event. `event_data` is the user's JSON, untouched."""

    event_id: UUID
    env_id: UUID
    stream_id: UUID
    event_type: str
    event_data: Any
    event_time: AwareDatetime
    created_at: AwareDatetime


class EventCreate(RequestModel):
    """Body of `POST /v1/events` and `POST /v1/streams/subscribe-with-event`.

    `stream_id` continues an existing stream; leave it unset to start a new one.
    """

    event_type: str = Field(min_length=1)
    event_data: Any = None
    stream_id: UUID | None = None

    _send_null: ClassVar[frozenset[str]] = frozenset({"event_data"})
