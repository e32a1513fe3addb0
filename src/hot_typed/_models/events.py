"""Events: what users publish to start runs."""

from __future__ import annotations

from typing import Any, ClassVar, Generic
from uuid import UUID

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import Self, TypeVar

from ._base import RequestModel, WireModel
from ._json import UserJson, is_json_object

__all__ = ["HOT_CALL", "Event", "EventCreate"]

D = TypeVar("D", default=Any)

#: The one reserved (`hot:`) event type a client may publish: it calls a function.
HOT_CALL = "hot:call"


class Event(WireModel, Generic[D]):
    """A published event. `event_data` is the user's JSON, untouched.

    `Event[Signup]` (or `events.get(id, data_type=Signup)`) validates
    `event_data` as a `Signup`; plain `Event` keeps it as decoded JSON.
    """

    event_id: UUID
    env_id: UUID
    stream_id: UUID
    event_type: str
    event_data: D
    event_time: AwareDatetime
    created_at: AwareDatetime


def _hot_call_problems(data: Any) -> list[InitErrorDetails]:
    def problem(loc: tuple[str, ...], message: str, value: Any) -> InitErrorDetails:
        error = PydanticCustomError("hot_call_data", "hot:call data {rule}", {"rule": message})
        return InitErrorDetails(type=error, loc=("event_data", *loc), input=value)

    if not is_json_object(data):
        return [problem((), 'is an object {"fn": str, "args": list}', data)]
    errors = [
        problem((key,), "has only the keys 'fn' and 'args'", data[key])
        for key in data
        if key not in ("fn", "args")
    ]
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
                "additionalProperties": False,
            },
        },
        "required": ["event_data"],
    },
}


class EventCreate(RequestModel):
    """Body of `POST /v1/events` and `POST /v1/streams/subscribe-with-event`.

    `event_data` is any JSON value, a pydantic model or a dataclass (sent in its
    JSON form). `stream_id` continues an existing stream; leave it unset to
    start a new one. Refused before sending, as the server would: an empty
    `event_type`, a reserved `hot:` type other than `hot:call`, `hot:call` data
    that is not `{"fn": str, "args": list}`, data that is not JSON.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        json_schema_extra={"allOf": [_RESERVED_TYPES_SCHEMA]}
    )

    event_type: str = Field(min_length=1)
    event_data: UserJson = None
    stream_id: UUID | None = None

    _send_null: ClassVar[frozenset[str]] = frozenset({"event_data"})

    @field_validator("event_type")
    @classmethod
    def _not_reserved(cls, event_type: str) -> str:
        if event_type.startswith("hot:") and event_type != HOT_CALL:
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
