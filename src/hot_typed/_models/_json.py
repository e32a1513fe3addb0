"""User-owned JSON: `event_data`, `metadata`, call arguments and the like.

The API stores these values as they are, so the client's only job is to make
sure they *are* JSON: a NaN, an infinity or an arbitrary object has no JSON
form, and letting the serializer guess (NaN becomes `null`, a `datetime` a
string) would store something the user did not write. Such values are refused
before anything is sent.

Pydantic models and dataclasses are welcome anywhere in the value: each is
serialized in JSON mode, by alias unless its own config says otherwise. A value
that is already pure JSON is returned as the very same object, so dicts keep
their key order, big integers, `1.0` versus `1`, unicode and nested `null`s.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, TypeAdapter
from pydantic_core import PydanticCustomError, PydanticSerializationError
from typing_extensions import TypeIs

__all__ = ["UserJson", "is_json_array", "is_json_object", "is_mapping", "to_json_value"]

_Path = tuple[str | int, ...]


def is_json_object(value: object) -> TypeIs[dict[str, Any]]:
    """Whether `value` is a decoded JSON object (a dict: JSON keys are strings)."""
    return isinstance(value, dict)


def is_json_array(value: object) -> TypeIs[list[Any]]:
    """Whether `value` is a decoded JSON array (a list)."""
    return isinstance(value, list)


def is_mapping(value: object) -> TypeIs[Mapping[Any, Any]]:
    """Whether `value` is any mapping (its keys and values of any type)."""
    return isinstance(value, Mapping)


def _where(path: _Path) -> str:
    return "".join(f"[{part!r}]" for part in path) or "(the value)"


def _not_json(path: _Path, problem: str) -> PydanticCustomError:
    return PydanticCustomError(
        "json_value", "not JSON at {where}: {problem}", {"where": _where(path), "problem": problem}
    )


# Sequences whose JSON form would be a guess: bytes have none (base64? a list of
# ints?), and text is a string, never an array of characters.
_NOT_ARRAYS = (str, bytes, bytearray, memoryview)


def _is_array(value: object) -> TypeIs[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, _NOT_ARRAYS)


_DATACLASS_DUMPERS: dict[type, Callable[..., Any]] = {}


def _dataclass_dumper(cls: type) -> Callable[..., Any]:
    dumper = _DATACLASS_DUMPERS.get(cls)
    if dumper is None:
        dumper = _DATACLASS_DUMPERS[cls] = TypeAdapter(cls).dump_python
    return dumper


def _by_alias(config: Any) -> bool | None:
    # By alias, the way models meet the wire, unless the model's own config
    # decides (None lets pydantic read it).
    return None if "serialize_by_alias" in (config or {}) else True


def _convert(value: Any, path: _Path) -> Any:
    cls = type(value)  # pyright: ignore[reportUnknownVariableType]  # any class at all
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is dict:
        items = [(key, _convert_item(key, item, path)) for key, item in value.items()]
        if all(new is old for (_, new), old in zip(items, value.values(), strict=True)):
            return value
        return dict(items)
    if cls is list:
        converted = [_convert(item, (*path, i)) for i, item in enumerate(value)]
        if all(new is old for new, old in zip(converted, value, strict=True)):
            return value
        return converted
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise _not_json(
            path, f"{value!r} is not a JSON number (NaN and infinities have no JSON form)"
        )
    if isinstance(value, str | int):
        return value
    try:
        if isinstance(value, BaseModel):
            dumped = value.model_dump(mode="json", by_alias=_by_alias(value.model_config))
            return _convert(dumped, path)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            dataclass = type(value)
            config = getattr(dataclass, "__pydantic_config__", None)
            dumped = _dataclass_dumper(dataclass)(value, mode="json", by_alias=_by_alias(config))
            return _convert(dumped, path)
    except PydanticSerializationError as error:
        raise _not_json(path, f"{cls.__name__} cannot be serialized: {error}") from error
    # By protocol, not by exact type, and after models (which may read like
    # mappings): any mapping (`OrderedDict`, `defaultdict`, a read-only view) is
    # a JSON object, any sequence but text and bytes (a tuple, a deque) an array.
    if is_mapping(value):
        return {key: _convert_item(key, item, path) for key, item in value.items()}
    if _is_array(value):
        return [_convert(item, (*path, i)) for i, item in enumerate(value)]
    raise _not_json(
        path,
        f"{cls.__name__} objects have no JSON form; send JSON (any mapping with string "
        "keys, any sequence), a pydantic model or a dataclass",
    )


def _convert_item(key: Any, item: Any, path: _Path) -> Any:
    if not isinstance(key, str):
        raise _not_json(path, f"object keys must be strings, got {type(key).__name__} {key!r}")
    return _convert(item, (*path, key))


UserJson = Annotated[Any, AfterValidator(lambda value: _convert(value, ()))]
"""A field holding user-owned JSON: any JSON value, a pydantic model or a dataclass,
checked recursively and stored in its JSON form."""

_USER_JSON: TypeAdapter[Any] = TypeAdapter(
    UserJson, config=ConfigDict(title="JSON value", defer_build=True)
)


def to_json_value(value: Any) -> Any:
    """`value` in its JSON form: pure JSON is returned as the same object, models and
    dataclasses (at any depth) are serialized in JSON mode.

    Raises pydantic's `ValidationError` naming where the value is not JSON.
    """
    return _USER_JSON.validate_python(value)
