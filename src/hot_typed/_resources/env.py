"""`env` and `org`: the environment the token belongs to, and its organization."""

from __future__ import annotations

from .._models.env import Environment, OrgUsage
from .._request import Call, Request
from .._resource import ModeT, Resource, endpoint
from .._wire import item_parser

__all__ = ["Env", "Org"]


class Env(Resource[ModeT]):
    @endpoint
    def get(self) -> Call[Environment]:
        return Call(Request("GET", "/env"), item_parser(Environment))


class Org(Resource[ModeT]):
    @endpoint
    def usage(self) -> Call[OrgUsage]:
        """Usage this period against the plan's limits (-1 means unlimited)."""
        return Call(Request("GET", "/org/usage"), item_parser(OrgUsage))
