"""`events`: publishing events and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from .._models.events import Event, EventCreate
from .._models.runs import Run
from .._request import Call, ListCall, Request, path
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._wire import item_parser, list_parser, query, request_body
from ._params import ListQuery

__all__ = ["Events"]


class Events(Resource[ModeT]):
    @endpoint
    def publish(self, body: EventCreate | Mapping[str, Any]) -> Call[Event]:
        """Publish an event; handlers subscribed to its type start runs on its stream.

        `body` is validated before sending: a bad body raises pydantic's
        `ValidationError` and nothing is sent.
        """
        content = request_body(EventCreate, body)
        # A publish that reached the server must not be repeated: that would
        # start the runs twice.
        request = Request("POST", "/events", json=content, retryable=False)
        return Call(request, item_parser(Event))

    @list_endpoint
    def list(self, *, limit: int | None = None, offset: int | None = None) -> ListCall[Event]:
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/events", params=params), list_parser(Event))

    @endpoint
    def get(self, event_id: str | UUID) -> Call[Event]:
        return Call(Request("GET", path("/events/{}", event_id)), item_parser(Event))

    @list_endpoint
    def get_runs(
        self, event_id: str | UUID, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[Run]:
        """The runs the event started."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/events/{}/runs", event_id), params=params)
        return ListCall(request, list_parser(Run))
