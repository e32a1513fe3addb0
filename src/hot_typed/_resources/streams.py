"""`streams`: following the events of a run stream."""

from __future__ import annotations

from uuid import UUID

from .._models.stream_events import StreamEvent
from .._request import Request, StreamCall, path
from .._resource import ModeT, Resource, stream_endpoint
from .._wire import event_decoder

__all__ = ["Streams", "stream_subscription"]


def stream_subscription(
    method: str, stream_id: str | UUID, project: str | None
) -> StreamCall[StreamEvent]:
    request = Request(
        method,
        path("/streams/{}/subscribe", stream_id),
        params=None if project is None else {"project": project},
        accept="text/event-stream",
    )
    return StreamCall(request, event_decoder(StreamEvent))


class Streams(Resource[ModeT]):
    @stream_endpoint
    def subscribe(
        self, stream_id: str | UUID, *, project: str | None = None
    ) -> StreamCall[StreamEvent]:
        """Events of a stream until the server closes it (its 5-minute limit, or the end).

        On connect the server replays `run:start` and terminal events of runs it
        has seen on the stream and a `task:update` for each task; it never
        replays `stream:data`.
        """
        return stream_subscription("GET", stream_id, project)

    @stream_endpoint
    def subscribe_post(
        self, stream_id: str | UUID, *, project: str | None = None
    ) -> StreamCall[StreamEvent]:
        """`subscribe` through `POST`, for proxies that buffer long GETs."""
        return stream_subscription("POST", stream_id, project)
