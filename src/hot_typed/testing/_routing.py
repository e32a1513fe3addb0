"""Routing of `/v1` paths to endpoint functions.

Patterns are slash-separated; `{name}` matches one decoded segment and a final
`{name*}` the rest of the path (each segment decoded, joined with `/`). Routes
are tried in the order they were added, so literal paths (`/runs/stats`) go
before the patterns they would also match (`/runs/{run_id}`). Parameters are
named as the server's routes name them: those it reads as UUIDs
(`UUID_PATH_PARAMS`) reach the endpoint in their stored form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core.core_schema import ErrorType

from .._models._json import LONE_SURROGATE, MAX_BODY_NESTING, is_json_array, is_json_object
from .._path_ids import UUID_PATH_PARAMS, canonical_id, uuid_problem
from ._http import HttpRequest, HttpResponse
from ._values import ApiError

__all__ = ["Endpoint", "Routed", "Router", "read_json"]


@dataclass(frozen=True)
class Routed:
    """A request matched to a route: the request and its path parameters."""

    request: HttpRequest
    params: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def json(self) -> Any:
        """The JSON body; axum's plain-text 400 when it is missing or not JSON
        serde_json reads (`read_json`)."""
        try:
            return read_json(self.request.body)
        except ValueError as error:
            raise ApiError.rejection(
                400, f"Failed to parse the request body as JSON: {error}"
            ) from None

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object (else axum's plain-text 422)."""
        body = self.json()
        if not is_json_object(body):
            raise _unprocessable(f"invalid type: {type(body).__name__}, expected a struct")
        return body

    def body(self, model: type[BaseModel], *, untyped: Collection[str] = ()) -> dict[str, Any]:
        """The JSON object body read as the server's request struct would read it,
        the struct being described by the client's request `model`.

        As serde does: keys the struct does not have are ignored (dropped here), a
        missing or mistyped field is axum's plain-text 422. Fields named in
        `untyped` are `serde_json::Value` on the server: any JSON passes there, and
        the handler checks them itself. The server's rules (what a handler answers
        400 to) are the caller's to apply.
        """
        body = self.json_object()
        known = {key: value for key, value in body.items() if key in model.model_fields}
        # Fields a request model always sends are required (not `Option`) there.
        for name in getattr(model, "_send_null", ()):
            if name not in known:
                raise _unprocessable(f"missing field `{name}`")
        try:
            model.__pydantic_validator__.validate_json(json.dumps(known), strict=True)
        except ValidationError as error:
            for problem in error.errors(include_url=False):
                loose = problem["loc"][0] in untyped and problem["type"] != "missing"
                if not loose and _is_shape_error(problem["type"]):
                    where = ".".join(str(part) for part in problem["loc"])
                    raise _unprocessable(f"{where}: {problem['msg']}") from None
        return known


_TOO_DEEP = "recursion limit exceeded"


def _no_constant(name: str) -> Any:
    # Python's reader takes NaN and Infinity; serde_json has no such token.
    raise ValueError(f"expected value, got {name}")


def _unread(body: Any) -> str | None:
    """Why serde_json (crates/hot_api reads bodies with axum's `Json`) would not read
    what Python's reader took: nested past its recursion limit (the client's
    `MAX_BODY_NESTING`), or a string holding a lone surrogate (a Rust string has
    none). None when it would. Walked without recursion."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return "lone leading surrogate in hex escape"
        elif is_json_object(value) or is_json_array(value):
            if depth > MAX_BODY_NESTING:
                return _TOO_DEEP
            if is_json_object(value):
                pending.extend((key, depth) for key in value)
            items = value.values() if is_json_object(value) else value
            pending.extend((item, depth + 1) for item in items)
    return None


def read_json(body: bytes) -> Any:
    """`body` read as serde_json reads it; `ValueError` saying why it would not."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    problem = _unread(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# Pydantic's own error types: what serde reports too (a missing field, a value of
# the wrong type). The client's checks of the server's rules raise custom types.
_SHAPE_ERRORS = frozenset(get_args(ErrorType)) - {"value_error", "assertion_error"}


def _stored(name: str, value: str) -> str:
    """Path parameter `name` as the handler reads it: a UUID one lowercase and
    hyphenated, or axum's rejection of it."""
    if name not in UUID_PATH_PARAMS:
        return value
    problem = uuid_problem(value)
    if problem is not None:
        # axum 0.8 extract/path: a `Path` that does not deserialize is a plain
        # 400 naming the route's parameter; uuid's serde error says why.
        raise ApiError.rejection(
            400,
            f"Invalid URL: Cannot parse `{name}` with value `{value}`: "
            f"UUID parsing failed: {problem}",
        )
    return canonical_id(value)


def _is_shape_error(kind: str) -> bool:
    return kind in _SHAPE_ERRORS


def _unprocessable(detail: str) -> ApiError:
    return ApiError.rejection(
        422, f"Failed to deserialize the JSON body into the target type: {detail}"
    )


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

    def knows(self, segments: list[str]) -> bool:
        """Whether some route, of any method, has the path `segments` (after `v1`)."""
        return any(route.match(segments) is not None for route in self._routes)

    def resolve(self, method: str, segments: list[str]) -> tuple[Endpoint, dict[str, str]]:
        """The endpoint for `method` on the decoded path `segments` (after `v1`),
        a path the router `knows`.

        Raises `ApiError` 405 for another method and axum's plain-text 400 for a
        UUID parameter that is not one.
        """
        for route in self._routes:
            params = route.match(segments)
            if params is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route.endpoint, {
                    name: _stored(name, value) for name, value in params.items()
                }
        raise ApiError(405, "method_not_allowed", f"Method {method} not allowed")
