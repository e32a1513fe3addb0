"""Event types and stream data types bound to the models of their payloads.

```python
Signup = EventType("user:signup", SignupData)
hot.events.publish(Signup(SignupData(email="ada@example.com")))  # checked statically and here
event = hot.events.get(event_id, data_type=Signup)                # an Event[SignupData]

Delta = StreamDataType("ai:delta", DeltaModel)
for message in hot.streams.subscribe_with_event(body, data_types=[Delta]):
    if Delta.matches(message):                                    # a StreamData[DeltaModel]
        print(message.payload.text)
```

Declared once, used on both sides: a payload going out is validated strictly
against the declared type (what the type checker calls a `SignupData` must be
one), a payload coming in is validated into it on arrival, and a stream data
type nobody declared passes as before, its payload plain JSON.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeGuard, TypeVar, cast
from uuid import UUID

from pydantic import BaseModel, InstanceOf, TypeAdapter

from ._models._base import WIRE_CONTEXT
from ._models.events import Event, EventCreate
from ._models.stream_events import EnvEventCreated, EnvEventHandled, StreamData
from ._wire import event_decoder, parametrized

if TYPE_CHECKING:
    from ._request import StreamCall

__all__ = ["EventType", "StreamDataType", "data_model", "declare", "typed_data"]

D = TypeVar("D")
E = TypeVar("E")


class _Declaration(ABC):
    """A name bound to a type. A declaration is its name and type: a copy, a pickle
    restored in another process or the same declaration made twice is equal, and
    finds the same key."""

    name: str

    @abstractmethod
    def _bound(self) -> object:
        """The type the name is bound to."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Declaration) or type(other) is not type(self):
            return NotImplemented
        return (self.name, self._bound()) == (other.name, other._bound())

    def __hash__(self) -> int:
        # By name alone: a type such as `Annotated[...]` may not hash.
        return hash((type(self), self.name))


class EventType(_Declaration, Generic[D]):
    """An event type (`"user:signup"`) and the type of its `event_data`.

    Calling it builds the `EventCreate` to publish, `data` validated first;
    give it as `data_type` to `events.get` / `events.list` to read events back
    as `Event[D]`; `matches` picks its events out of `env.subscribe`.
    """

    def __init__(self, name: str, data: type[D]) -> None:
        # The server's rules for the name (crates/hot_api/src/handlers/events.rs:
        # non-empty, not reserved), as EventCreate holds them.
        EventCreate(event_type=name)
        self.name = name
        self.data = data

    def __repr__(self) -> str:
        return f"EventType({self.name!r}, {self.data!r})"

    def _bound(self) -> object:
        return self.data

    @cached_property
    def _outgoing(self) -> TypeAdapter[Any]:
        # Strict validation still takes a dict for a model: what the type
        # checker calls a `D` must be one, so an instance is required.
        if _is_model_class(self.data):
            return TypeAdapter(cast(Any, InstanceOf)[self.data])
        return TypeAdapter(self.data)

    def __call__(self, data: D, *, stream_id: UUID | str | None = None) -> EventCreate:
        """The event of this type carrying `data` (pydantic's `ValidationError` when
        `data` is not a `D`), on a new stream or on `stream_id`."""
        # Strictly: what the type checker calls a `D` must be one (no dict for a
        # model, no "3" for an int); EventCreate then refuses what is not JSON.
        checked = self._outgoing.validate_python(data, strict=True)
        body = {"event_type": self.name, "event_data": checked, "stream_id": stream_id}
        return EventCreate.model_validate(body)

    def read(self, event: Event[Any]) -> Event[D]:
        """`event` (of this type) with its `event_data` validated as a `D`, keeping
        its wire object as `.raw`."""
        if event.event_type != self.name:
            raise ValueError(f"a {event.event_type!r} event is not a {self.name!r} event")
        # Validated from the wire object as received, so `.raw` stays that very
        # object (unknown keys, nanosecond timestamps), as `events.get` keeps it.
        return parametrized(Event, self.data).model_validate(event.raw, context=WIRE_CONTEXT)

    def matches(self, message: object) -> TypeGuard[EnvEventCreated | EnvEventHandled]:
        """Whether `message` (from `env.subscribe`) tells of an event of this type
        being published or handled. It carries the type but not the data: read
        that with `events.get(message.event_id, data_type=...)`.

        The server declares these two environment events but does not publish
        them yet, so against it this finds nothing until it does."""
        # crates/hot_api/src/handlers/env.rs convert_pubsub_to_sse: `event:created`
        # and `event:handled` carry ids and `event_type`, never `event_data`; no
        # crate publishes either (crates/hot/src/stream/mod.rs `publish_env`
        # is called by hot_worker for run ends and hot_task_worker for tasks).
        return (
            isinstance(message, (EnvEventCreated, EnvEventHandled))
            and message.event_type == self.name
        )


def _is_model_class(value: object) -> bool:
    # `value` may be a form such as `list[int]`, which is no class.
    return isinstance(value, type) and issubclass(value, BaseModel)


def data_model(data_type: type[D] | EventType[D] | None) -> type[D] | None:
    """The payload type a `data_type` argument names."""
    return data_type.data if isinstance(data_type, EventType) else data_type


class StreamDataType(_Declaration, Generic[D]):
    """A stream data type (`"ai:delta"`) and the type of its payload.

    Give it in `data_types` to a subscription: `stream:data` of this type then
    arrives as a `StreamData[D]`, its payload validated (a mismatch raises
    `HotResponseValidationError` with the frame on `.raw`); `matches(message)`
    tells a type checker so.
    """

    def __init__(self, name: str, payload: type[D]) -> None:
        if not name:
            raise ValueError("a stream data type needs a name such as 'ai:delta'")
        self.name = name
        self.payload = payload
        self.model: type[StreamData[D]] = StreamData[payload]  # type: ignore[valid-type]

    def __repr__(self) -> str:
        return f"StreamDataType({self.name!r}, {self.payload!r})"

    def _bound(self) -> object:
        return self.payload

    def __reduce__(self) -> tuple[Any, ...]:
        # `model` is a class pydantic made at run time, which pickle cannot find
        # by name: it is made again from the payload type.
        return (StreamDataType, (self.name, self.payload))

    def matches(self, message: object) -> TypeGuard[StreamData[D]]:
        """Whether `message` is stream data of this type, validated as declared."""
        return isinstance(message, self.model) and message.data_type == self.name

    @cached_property
    def decode(self) -> Callable[[str], Any]:
        """The decoder of a `stream:data` frame of this type."""
        return event_decoder(self.model)


def _data_type_of(event: object) -> str | None:
    return event.data_type if isinstance(event, StreamData) else None


def _decoder(
    decode: Callable[[str], E | None], declared: Mapping[str, StreamDataType[Any]]
) -> Callable[[str], E | None]:
    # crates/hot_api/src/handlers/streams.rs: a `stream:data` event names its
    # `data_type` beside the `payload`, so the frame is decoded once as any
    # event, then again as `StreamData[X]` only when its type was declared.
    def decode_typed(data: str) -> E | None:
        event = decode(data)
        name = _data_type_of(event)
        data_type = None if name is None else declared.get(name)
        if data_type is None:
            return event
        typed: E | None = data_type.decode(data)
        return typed

    return decode_typed


def declare(data_types: Iterable[StreamDataType[Any]]) -> dict[str, StreamDataType[Any]]:
    """The stream data types given to a subscription, by name; a name given
    twice for different types is refused (twice for one type is once)."""
    declared: dict[str, StreamDataType[Any]] = {}
    for data_type in data_types:
        if declared.setdefault(data_type.name, data_type) != data_type:
            raise ValueError(f"stream data type {data_type.name!r} is declared twice")
    return declared


def typed_data(call: StreamCall[E], declared: Mapping[str, StreamDataType[Any]]) -> StreamCall[E]:
    """`call`, its `stream:data` events of the `declared` types validated as declared."""
    return replace(call, decode=_decoder(call.decode, declared)) if declared else call
