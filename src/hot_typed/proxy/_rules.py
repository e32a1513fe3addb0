"""What a browser may ask the proxy for: its bodies, typed, and the policies that judge them."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from .._models._json import is_json_object
from .._models.events import HOT_CALL, EventCreate
from .._models.stream_events import StreamEvent
from .._path_ids import uuid_problem
from ._asgi import Refusal, Scope

__all__ = [
    "Action",
    "AllowEventTypes",
    "EventHook",
    "Policy",
    "ProxyRequest",
    "Stamp",
    "parse_event",
    "parse_stream_id",
    "resolve",
    "stamped",
]

Action = Literal["subscribe", "publish", "reattach"]


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    """One browser request, as the policy, the stamp and the event hook see it.

    - `action`: `"subscribe"` (publish `event` and stream the answer, one
      atomic subscribe-with-event), `"publish"` (a later turn: publish `event`
      into the existing stream `stream_id`, no new subscriber) or `"reattach"`
      (stream `stream_id` again, publishing nothing; `event` is None).
    - `event`: the validated body, as the browser sent it (before any stamp).
    - `stream_id`: the stream named by the browser, as it spelt it; None when
      a subscribe lets the server start a new stream.
    """

    action: Action
    event: EventCreate | None
    stream_id: str | None


# The hooks' types are objects, not text: the hints of a function taking one
# (`HotProxy.__init__`) then resolve in that function's module too.

#: Decides whether a request goes upstream: `policy(scope, request)` returns
#: (or resolves to) True to allow it. `scope` is the ASGI scope: your
#: authentication middleware's user, the client address, the headers.
Policy = Callable[[Scope, ProxyRequest], bool | Awaitable[bool]]

#: Fields the server adds to `event_data` of every publish it allows:
#: `stamp(scope, request)` returns (or resolves to) a mapping merged over the
#: browser's `event_data`, so the browser cannot set these fields itself.
Stamp = Callable[[Scope, ProxyRequest], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]

#: Sees each typed stream event on its way to the browser:
#: `on_event(scope, request, event)`, awaited when it returns an awaitable.
EventHook = Callable[[Scope, ProxyRequest, StreamEvent], object | Awaitable[object]]


async def resolve(value: Any) -> Any:
    """`value`, awaited when a hook returned an awaitable."""
    return await value if inspect.isawaitable(value) else value


class AllowEventTypes:
    """The policy of an explicit allow-list: publishing an event type not in
    it is refused.

    Reattaching publishes nothing, so it is allowed: a stream id is a random
    UUID the browser holds from its own events. Give a `policy` as well to tie
    streams to your users.

    `hot:call` cannot be listed: it would let a browser call any function.
    Allow calls with a policy that checks `event_data["fn"]`.
    """

    __slots__ = ("event_types",)

    def __init__(self, event_types: Iterable[str]) -> None:
        if isinstance(event_types, str):
            raise TypeError("allow takes a collection of event types, not one string")
        allowed = frozenset(event_types)
        if not allowed:
            raise ValueError("allow names no event type: every request would be refused")
        if HOT_CALL in allowed:
            raise ValueError(
                f"{HOT_CALL!r} cannot be allow-listed: a browser could call any function; "
                "use a policy that checks event_data['fn']"
            )
        self.event_types: frozenset[str] = allowed

    def __call__(self, scope: Scope, request: ProxyRequest) -> bool:
        return request.event is None or request.event.event_type in self.event_types

    def __repr__(self) -> str:
        return f"AllowEventTypes({sorted(self.event_types)!r})"


# The JS SDK's proxy route takes camelCase names; the API takes snake_case.
_NAMES = {"eventType": "event_type", "eventData": "event_data", "streamId": "stream_id"}


def parse_event(body: bytes) -> EventCreate:
    """The browser's body validated into `EventCreate`, camelCase names accepted.

    Bodies that are not a JSON object answer 400 `bad_request`; a body the API
    would refuse (empty or reserved `event_type`, a `stream_id` that is not a
    UUID, unknown keys, both spellings of one field) 422 `validation_error`,
    as the server's JSON extractor answers a well-formed body of the wrong shape
    (crates/hot_api/src/handlers/streams.rs: `Json<SubscribeWithEventRequest>`).
    """
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # nested deeper than Python reads is no JSON to it
        raise Refusal(400, "bad_request", "the request body is not JSON") from None
    if not is_json_object(value):
        raise Refusal(
            400, "bad_request", "the request body is a JSON object: {event_type, event_data}"
        )
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = _NAMES.get(str(key), str(key))
        if name in fields:
            raise Refusal(422, "validation_error", f"{name!r} is given twice")
        fields[name] = item
    try:
        return EventCreate.model_validate(fields)
    except ValidationError as error:
        raise _invalid(error) from None


def _invalid(error: ValidationError) -> Refusal:
    # Locations and messages only: `input` would echo the browser's data back.
    details = [
        {"loc": [str(part) for part in problem["loc"]], "msg": problem["msg"]}
        for problem in error.errors(include_url=False)
    ]
    first = details[0]
    where = ".".join(first["loc"]) or "body"
    return Refusal(
        422, "validation_error", f"{where}: {first['msg']}", extra={"details": details}
    )


def parse_stream_id(text: str | None) -> str:
    """The `stream_id` query parameter of a reattach; 400 `bad_request` unless a UUID,
    as the server answers a stream id path segment that is not one
    (crates/hot_api/src/handlers/streams.rs: `Path<Uuid>`)."""
    if not text:
        raise Refusal(400, "bad_request", "stream_id is required")
    if uuid_problem(text) is not None:
        raise Refusal(400, "bad_request", "stream_id is not a UUID")
    return text


def stamped(event: EventCreate, fields: Mapping[str, Any]) -> EventCreate:
    """`event` with `fields` merged over its `event_data` (an object, or null)."""
    if not fields:
        return event
    data = event.event_data
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise Refusal(
            422, "validation_error", "event_data: must be an object (the server adds fields to it)"
        )
    return EventCreate(
        event_type=event.event_type, event_data={**data, **fields}, stream_id=event.stream_id
    )
