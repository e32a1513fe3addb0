"""`env` and `org`: the environment the token belongs to, and its organization."""

from __future__ import annotations

from typing_extensions import Unpack

from .._models.env import Environment, OrgUsage
from .._models.stream_events import EnvEvent
from .._options import CallOptions, StreamOptions
from .._request import Call, Request, StreamCall
from .._resource import ModeT, Resource, endpoint, stream_endpoint
from .._wire import event_decoder, item_parser

__all__ = ["Env", "Org"]


class Env(Resource[ModeT]):
    @endpoint
    def get(self, **options: Unpack[CallOptions]) -> Call[Environment]:
        """The environment the token belongs to."""
        return Call(Request("GET", "/env"), item_parser(Environment))

    @stream_endpoint
    def subscribe(self, **options: Unpack[StreamOptions]) -> StreamCall[EnvEvent]:
        """Activity of the whole environment as flat events, until the server
        closes the subscription (after 5 minutes): each event handler's run
        end (`EnvRunStop`, `EnvRunFail`, `EnvRunCancel`) and each task's start
        and end (`EnvTaskStarted`, `EnvTaskComplete`). The other `EnvEvent`s
        are declared by the server but not published by it."""
        request = Request("GET", "/env/subscribe", accept="text/event-stream")
        return StreamCall(request, event_decoder(EnvEvent))


class Org(Resource[ModeT]):
    @endpoint
    def usage(self, **options: Unpack[CallOptions]) -> Call[OrgUsage]:
        """Usage this period against the plan's limits (-1 means unlimited)."""
        return Call(Request("GET", "/org/usage"), item_parser(OrgUsage))
