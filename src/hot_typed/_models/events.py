"""Events: what users publish to start runs."""

from __future__ import annotations

from typing import Any, ClassVar, Generic
from uuid import UUID

from pydantic import (
    AwareDatetime,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import Self, TypedDict, TypeVar

from ._base import RequestModel, StoredText, WireModel
from ._common import Id, SentId
from ._json import StoredJson, is_json_object

__all__ = [
    "HOT_CALL",
    "RESERVED_PREFIX",
    "Event",
    "EventCreate",
    "EventCreateParams",
    "is_reserved",
]

D = TypeVar("D", default=Any)

#: Event types beginning with this are the server's own
#: (crates/hot_api/src/handlers/events.rs: require_external_event_type).
RESERVED_PREFIX = "hot:"

#: The one reserved event type a client may publish: it calls a function.
HOT_CALL = "hot:call"


def is_reserved(event_type: str) -> bool:
    """Whether the server refuses `event_type` from a client (403): it is
    reserved, and not `hot:call`."""
    return event_type.startswith(RESERVED_PREFIX) and event_type != HOT_CALL


class Event(WireModel, Generic[D]):
    """A published event. `event_data` is the user's JSON, untouched.

    `Event[Signup]` (or `events.get(id, data_type=Signup)`) validates
    `event_data` as a `Signup`; plain `Event` keeps it as decoded JSON.
    """

    event_id: Id
    env_id: Id
    stream_id: Id
    event_type: str
    event_data: D
    event_time: AwareDatetime
    created_at: AwareDatetime


def _hot_call_problems(data: Any) -> list[InitErrorDetails]:
    """Why `data` cannot call a function as `hot:call` data, located under `event_data`.

    The server stores any `hot:call` data (crates/hot_api/src/handlers/events.rs
    checks only the type's prefix), but the call it asks for cannot happen
    without `{"fn": str, "args": list}`: the worker routes by the string `fn`
    (crates/hot_worker/src/server.rs, extract_target_function_from_event) and
    Hot's handler runs `call(resolve(event.data.fn), event.data.args)`
    (hot/pkg/hot-std/src/hot/lang.hot, call-event-handler). Other keys are
    kept: the server's own producers add `caller` and `_hot_target_build_id`
    (crates/hot_api/src/handlers/request.rs, build_call_event_data).
    """

    def problem(loc: tuple[str, ...], message: str, value: Any) -> InitErrorDetails:
        error = PydanticCustomError("hot_call_data", "hot:call data {rule}", {"rule": message})
        return InitErrorDetails(type=error, loc=("event_data", *loc), input=value)

    if not is_json_object(data):
        return [problem((), 'is an object {"fn": str, "args": list}', data)]
    errors: list[InitErrorDetails] = []
    fn = data.get("fn")
    if not isinstance(fn, str) or not fn:
        errors.append(problem(("fn",), "names the function in 'fn' (a non-empty string)", fn))
    if not isinstance(data.get("args"), list):
        errors.append(
            problem(("args",), "lists the arguments in 'args' (an array)", data.get("args"))
        )
    return errors


# The reserved-type rules of the validators below, for schemas/.
_RESERVED_TYPES_SCHEMA: dict[str, Any] = {
    "if": {"properties": {"event_type": {"pattern": "^hot:"}}, "required": ["event_type"]},
    "then": {
        "properties": {
            "event_type": {"const": HOT_CALL},
            "event_data": {
                "type": "object",
                "properties": {"fn": {"type": "string", "minLength": 1}, "args": {"type": "array"}},
                "required": ["fn", "args"],
            },
        },
        "required": ["event_data"],
    },
}


class EventCreate(RequestModel):
    """Body of `POST /v1/events` and `POST /v1/streams/subscribe-with-event`.

    `event_data` is any JSON value, a pydantic model or a dataclass (sent in its
    JSON form). `stream_id` continues an existing stream; leave it unset to
    start a new one. Refused before sending: a reserved `hot:` type other than
    `hot:call` (the server answers 403), `hot:call` data without a string `fn`
    and an array `args` (stored, but no function can be called), data that is
    not JSON. An empty `event_type` is sent: the server publishes it like any
    other type, to the handlers declared `on-event: ""`.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        json_schema_extra={"allOf": [_RESERVED_TYPES_SCHEMA]}
    )

    # crates/hot_api/src/handlers/events.rs checks only the reserved prefix; an
    # event of type "" is stored and routed like any other (the compiler takes
    # any `on-event` string: crates/hot/src/lang/compiler/artifact_extraction.rs),
    # so it is the user's to publish.
    event_type: StoredText
    # crates/hot/src/db/event.rs, insert_event: a jsonb column.
    event_data: StoredJson = None
    stream_id: SentId | None = None

    _send_null: ClassVar[frozenset[str]] = frozenset({"event_data"})

    @field_validator("event_type")
    @classmethod
    def _not_reserved(cls, event_type: str) -> str:
        # crates/hot_api/src/handlers/events.rs: require_external_event_type (403).
        if is_reserved(event_type):
            raise PydanticCustomError(
                "reserved_event_type",
                "event types beginning with 'hot:' are reserved; "
                "the only one a client may publish is 'hot:call'",
            )
        return event_type

    @model_validator(mode="after")
    def _hot_call_shape(self) -> Self:
        if self.event_type == HOT_CALL:
            errors = _hot_call_problems(self.event_data)
            if errors:
                raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


class _EventCreateRequired(TypedDict):
    event_type: str


class EventCreateParams(_EventCreateRequired, total=False):
    """`EventCreate` as a dict: `event_data` is any JSON value, model or dataclass."""

    event_data: Any
    stream_id: UUID | str | None
