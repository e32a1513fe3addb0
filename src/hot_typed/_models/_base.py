"""Base classes shared by every wire model.

Two families exist because the two directions have different contracts:

* `WireModel` is what the API sends us. It tolerates new fields (kept as
  extras), and remembers the exact JSON object it was validated from as `.raw`.
* `RequestModel` is what we send. It refuses unknown keys, so a misspelt field
  fails at the call instead of being silently ignored by the server.

Both validate from and serialize to the wire keys: field names equal the wire
keys, and any field whose Python name differs declares the wire key as its alias.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, ClassVar, SupportsIndex, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import Self

from ._json import is_decoded_json, is_json_array, is_json_object, nul_error

__all__ = [
    "I64_MAX",
    "WIRE_CONTEXT",
    "OpenEnum",
    "RequestModel",
    "StoredText",
    "TopLevel",
    "WireDocument",
    "WireItems",
    "WireMember",
    "WireModel",
]

#: Validation context marking a Python object as decoded from the wire, so that
#: models validated from it keep it as `.raw`.
WIRE_CONTEXT: dict[str, Any] = {"hot_typed.wire": True}

_NO_WIRE: Any = object()
_WIRE_STATE = "hot_typed.wire"

_WIRE_CONFIG = ConfigDict(
    extra="allow",
    validate_by_alias=True,
    validate_by_name=True,
    serialize_by_alias=True,
    defer_build=True,
)


class WireModel(BaseModel):
    """A payload received from the Hot API.

    Contract:
    * unknown fields are kept: they appear in `.raw` and as model extras;
    * `.raw` is the JSON object exactly as received (keys absent on the wire stay
      absent, user-owned JSON is the same object);
    * serialization goes by wire key.
    """

    model_config = _WIRE_CONFIG

    # The wire dict, set by the wrap validator below; or, set by a decoder that
    # validated a whole body from its text (see `TopLevel`), that JSON text or a
    # reference into a `WireDocument`, resolved on first access. A plain slot
    # keeps the cost to one attribute store. `_request_id`, set by the decoders
    # of an envelope, is its `meta.request_id` (`hot_typed.request_id_of`); the
    # items of a page find theirs in their shared `WireItems` until `.raw`
    # resolves it.
    __slots__ = ("_request_id", "_wire")

    @model_validator(mode="wrap")
    @classmethod
    def _remember_wire_object(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        model = handler(data)
        # Only a payload that came off the wire is remembered: keyword arguments
        # given to the constructor are not a wire object.
        if isinstance(data, dict) and (info.mode == "json" or info.context is WIRE_CONTEXT):
            object.__setattr__(model, "_wire", data)
        return model

    # Copies and pickles keep the wire form: `.raw` must stay the JSON received (a
    # nanosecond timestamp, a `1.0`, an unknown key), not fall back to a dump.

    def __copy__(self) -> Self:
        copied = super().__copy__()
        wire = self._portable_wire()
        if wire is not _NO_WIRE:
            object.__setattr__(copied, "_wire", wire)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        copied = super().__deepcopy__(memo)
        wire = self._portable_wire()
        if wire is not _NO_WIRE:
            object.__setattr__(copied, "_wire", copy.deepcopy(wire, memo))
        return copied

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        wire = self._portable_wire()
        if wire is not _NO_WIRE:
            state[_WIRE_STATE] = wire
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        if _WIRE_STATE in state:
            object.__setattr__(self, "_wire", state[_WIRE_STATE])

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        # A class the library parametrizes at run time (`Event[Signup]` for
        # `data_type=Signup`) is not found by its name in its module, where pickle
        # would look it up: it is rebuilt on loading as `origin[args]`, the class
        # pydantic caches, and gets this model's state as any model does.
        reduced: Any = super().__reduce_ex__(protocol)
        metadata = type(self).__pydantic_generic_metadata__
        origin = metadata["origin"]
        if origin is None:
            return reduced
        return (_new_parametrized, (origin, metadata["args"]), *reduced[2:])

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy keeping `.raw`; with `update`, the updated keys changed in it.

        The copy's `.raw` is then the wire object received, with each updated key
        (by wire key) holding its new value's JSON form: decoded JSON as the same
        object (however deep), a received model (alone or in a list) as its own
        wire object. Unknown keys, nanosecond timestamps and user JSON not
        updated stay as received (however deep, where a dump of the whole model
        would stop). A model built in Python has no wire form: its copy's `.raw`
        is its own serialization.
        """
        if deep and update:
            # pydantic may then copy field by field, apart from the wire object:
            # one deep copy first keeps what the fields share with it.
            return self.model_copy(deep=True).model_copy(update=update)
        copied = super().model_copy(update=update, deep=deep)
        if update and _has_wire(copied):
            changed: dict[str, Any] = {}
            for name in update:
                value = getattr(copied, name)
                key = _wire_key(type(copied), name)
                if key is not None and is_decoded_json(value):
                    # Its own JSON form, however deep (a dump stops at pydantic's
                    # serializer depth), and the same object, as user JSON received is.
                    changed[key] = value
                    continue
                # Key by key: each dump names its wire key (an alias, or an extra's
                # own), or nothing for a field excluded from dumps.
                for key, dumped in copied.model_dump(mode="json", include={name}).items():
                    changed[key] = _wire_form(value, dumped)
            object.__setattr__(copied, "_wire", {**copied.raw, **changed})
        return copied

    def _portable_wire(self) -> Any:
        # The frame text as it is (immutable, parsed on first access); any other
        # lazy form resolved to its object, since a model of a page finds its
        # object by its own identity, which a copy does not share.
        try:
            wire = object.__getattribute__(self, "_wire")
        except AttributeError:
            return _NO_WIRE
        return wire if isinstance(wire, str) else self.raw

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object this model was validated from, untouched.

        A model built in Python (not received) has no wire form yet: its raw is
        its own serialization by wire key.
        """
        try:
            wire: Any = object.__getattribute__(self, "_wire")
        except AttributeError:
            wire = self.model_dump(mode="json", exclude_unset=True)
            object.__setattr__(self, "_wire", wire)
        if type(wire) is not dict:
            if isinstance(wire, WireItems) and wire.request_id is not None:
                object.__setattr__(self, "_request_id", wire.request_id)
            wire = _resolve(wire, self)
            object.__setattr__(self, "_wire", wire)
        return wire  # type: ignore[no-any-return]


def _has_wire(model: WireModel) -> bool:
    try:
        object.__getattribute__(model, "_wire")
    except AttributeError:
        return False
    return True


def _wire_key(model: type[WireModel], name: str) -> str | None:
    """The key a dump writes the field or extra `name` under; None when it writes none."""
    field = model.model_fields.get(name)
    if field is None:
        return name
    if field.exclude:
        return None
    return field.serialization_alias or field.alias or name


def _wire_form(value: Any, dumped: Any) -> Any:
    """What `.raw` holds for `value`, whose JSON-mode dump is `dumped`: a received
    model as its wire object (a dump would lose nanoseconds and add absent keys),
    directly or as an item of a list; anything else as dumped."""
    if isinstance(value, WireModel) and _has_wire(value):
        return value.raw
    # A serializer of the user's may dump a sequence otherwise: only item for item.
    if isinstance(value, list | tuple) and is_json_array(dumped):
        values: Sequence[Any] = cast("Sequence[Any]", value)
        if len(dumped) == len(values):
            return [
                item.raw if isinstance(item, WireModel) and _has_wire(item) else json_item
                for item, json_item in zip(values, dumped, strict=True)
            ]
    return dumped


def _new_parametrized(origin: type[WireModel], args: tuple[Any, ...]) -> WireModel:
    """An empty instance of `origin[args]`, for unpickling to fill in."""
    model: type[WireModel] = origin[args]  # type: ignore[index]
    return model.__new__(model)


class WireDocument:
    """A JSON body received whole, parsed at most once: when a `.raw` needs it.

    A decoder that validated a body from its text (see `TopLevel`) hands the
    models inside it their wire form lazily: the models of a list share one
    `WireItems`, a model of an object gets a `WireMember`. All `.raw` then come
    from one parse, and share its objects.
    """

    __slots__ = ("_text", "_value")

    def __init__(self, text: str | bytes) -> None:
        self._text = text

    def value(self) -> Any:
        try:
            return self._value
        except AttributeError:
            self._value: Any = json.loads(self._text)
            del self._text
            return self._value


class WireItems:
    """The wire form shared by the models validated from the list `document[key]`,
    and the id of the request that answered them (`meta.request_id`, or None).

    Sharing one reference keeps a page at one attribute store per model. Each
    model finds its object by its position among `ids` (the `id()` of each model
    in wire order: no reference back to the models, so no cycle, and reordering
    the list handed to the user changes nothing).
    """

    __slots__ = ("document", "ids", "key", "request_id")

    def __init__(
        self, document: WireDocument, key: str, ids: tuple[int, ...], request_id: str | None
    ) -> None:
        self.document = document
        self.key = key
        self.ids = ids
        self.request_id = request_id

    def of(self, model: Any) -> Any:
        return self.document.value()[self.key][self.ids.index(id(model))]


class WireMember:
    """The wire form of the model validated from the object `document[key]`."""

    __slots__ = ("document", "key")

    def __init__(self, document: WireDocument, key: str) -> None:
        self.document = document
        self.key = key

    def of(self, model: Any) -> Any:
        return self.document.value()[self.key]


def _resolve(wire: str | WireItems | WireMember, model: Any) -> Any:
    if isinstance(wire, str):
        return json.loads(wire)
    return wire.of(model)


class TopLevel:
    """Marker: `Annotated[SomeWireModel, TopLevel]` validates without `.raw` capture.

    For decoders that validate a whole payload straight from its JSON text and
    then hand the model its wire form lazily (the text itself, or a reference
    into a `WireDocument`), so `.raw` is parsed only if it is ever read: the
    wrap validator would otherwise turn every payload into Python objects a
    second time and cost a Python call per model. Models nested inside still
    capture their own raw as usual. Should pydantic ever lay out
    model validators differently, the full schema is kept (eager capture).
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        resolved = handler.resolve_ref_schema(schema)
        if resolved["type"] == "function-wrap" and _is_raw_capture(resolved["function"]):
            inner: CoreSchema = resolved["schema"]
            return inner
        return schema


def _is_raw_capture(function: Any) -> bool:
    method = function.get("function")
    capture = WireModel._remember_wire_object.__func__  # pyright: ignore[reportPrivateUsage]
    return getattr(method, "__func__", None) is capture


#: The largest integer the server reads into its `i64` request fields (`offset`,
#: `expected_size`, `expires_in`: crates/hot_api/src/models.rs, handlers/mod.rs,
#: sessions.rs, service_keys.rs); serde refuses anything larger (axum's 400 for
#: a query, 422 for a JSON body).
I64_MAX = 2**63 - 1


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise nul_error()
    return text


StoredText = Annotated[str, AfterValidator(_without_nul)]
"""A request string the server stores in (or looks up through) a Postgres `text`
column, which holds no NUL character: one is refused before sending."""


class RequestModel(BaseModel):
    """A payload we send. Unknown keys are refused before anything is sent.

    The rules hold for instances too: assignments are validated, and an instance
    is validated again when it is sent (or nested), so one built with
    `model_construct` cannot carry a value the server would refuse.

    On the wire, an optional field left as None is absent, as the server's own
    clients send it; fields named in `_send_null` are always sent (the server
    requires the key even when its value is null). Only top-level fields are
    affected: user-owned JSON inside them is never altered.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        revalidate_instances="always",
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
    )

    _send_null: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if is_json_object(data):
            keep = self._send_null
            return {k: v for k, v in data.items() if v is not None or k in keep}
        return data


class OpenEnum(str, Enum):
    """A string enum that accepts values it does not know yet.

    The server may add a status tomorrow; an unknown value becomes a member
    created on the fly (compares equal to its string) instead of an error.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        unknown: dict[str, OpenEnum] | None = cls.__dict__.get("_unknown_cache")
        if unknown is None:
            unknown = {}
            type.__setattr__(cls, "_unknown_cache", unknown)
        member = unknown.get(value)
        if member is None:
            member = str.__new__(cls, value)
            member._name_ = value.upper().replace(":", "_").replace("-", "_")
            member._value_ = value
            unknown[value] = member
        return member

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Open: any string validates, so the known values are examples, not an enum.
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["examples"] = schema.pop("enum")
        return schema
