"""Routing of `/v1` paths to endpoint functions.

Patterns are slash-separated; `{name}` matches one decoded segment and a final
`{name*}` the rest of the path (each segment decoded, joined with `/`). Routes
are tried in the order they were added, so literal paths (`/runs/stats`) go
before the patterns they would also match (`/runs/{run_id}`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._models._json import is_json_object
from ._http import HttpRequest, HttpResponse
from ._values import ApiError

__all__ = ["Endpoint", "Routed", "Router"]


@dataclass(frozen=True)
class Routed:
    """A request matched to a route: the request and its path parameters."""

    request: HttpRequest
    params: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def json(self) -> Any:
        """The JSON body; `400 bad_request` when it is missing or not JSON."""
        try:
            return json.loads(self.request.body)
        except ValueError:
            raise ApiError.bad_request("Request body is not valid JSON") from None

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        body = self.json()
        if not is_json_object(body):
            raise ApiError.bad_request("Request body must be a JSON object")
        return body


Endpoint = Callable[[Routed], HttpResponse]


@dataclass(frozen=True)
class _Route:
    method: str
    parts: tuple[str, ...]
    endpoint: Endpoint

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, part in enumerate(self.parts):
            if part.endswith("*}"):
                rest = segments[index:]
                if not rest or not all(rest):
                    return None
                params[part[1:-2]] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if part.startswith("{"):
                if not segments[index]:
                    return None
                params[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return params if len(segments) == len(self.parts) else None


class Router:
    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, pattern: str) -> Callable[[Endpoint], Endpoint]:
        """Decorator: route `method pattern` to the decorated endpoint."""

        def register(endpoint: Endpoint) -> Endpoint:
            self._routes.append(_Route(method, tuple(pattern.strip("/").split("/")), endpoint))
            return endpoint

        return register

    def resolve(self, method: str, segments: list[str]) -> tuple[Endpoint, dict[str, str]]:
        """The endpoint for `method` on the decoded path `segments` (after `v1`).

        Raises `ApiError` 404 for an unknown path and 405 for a known path
        with another method.
        """
        known_path = False
        for route in self._routes:
            params = route.match(segments)
            if params is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route.endpoint, params
            known_path = True
        if known_path:
            raise ApiError(405, "method_not_allowed", f"Method {method} not allowed")
        raise ApiError.not_found("Route")
