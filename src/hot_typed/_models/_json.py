"""User-owned JSON: `event_data`, `metadata`, call arguments and the like.

The API stores these values as they are, so the client's only job is to make
sure they *are* JSON: a NaN, an infinity or an arbitrary object has no JSON
form, and letting the serializer guess (NaN becomes `null`, a `datetime` a
string) would store something the user did not write. Such values are refused
before anything is sent.

Two more values have no form the server reads: a string holding a lone
surrogate (no UTF-8 encoding exists for it), and a value nested deeper than the
server's JSON parser follows. Both are refused too, so nothing the client sends
can fail in the serializer or come back as a 400. So is an integer of more
digits than `sys.get_int_max_str_digits()`: the server stores it whole and
answers with it, in a body Python could not read.

Where the server keeps the value in a Postgres `jsonb` column (`StoredJson`:
event data, session metadata), a string or key holding a NUL character is
refused as well: Postgres cannot store one, and the server answers 500.

Pydantic models and dataclasses are welcome anywhere in the value: each is
serialized in JSON mode, by alias unless its own config says otherwise, and a
NaN that mode writes as null (under an `Any` field) is refused as anywhere else
(`json_dump`, which declared functions use for their arguments too). A value
that is already pure JSON is returned as the very same object, so dicts keep
their key order, big integers, `1.0` versus `1`, unicode and nested `null`s.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, TypeAdapter
from pydantic_core import PydanticCustomError, PydanticSerializationError
from typing_extensions import TypeIs

__all__ = [
    "LONE_SURROGATE",
    "MAX_BODY_NESTING",
    "StoredJson",
    "UserJson",
    "is_decoded_json",
    "is_json_array",
    "is_json_object",
    "is_mapping",
    "json_dump",
    "nul_error",
    "to_json_value",
]

_Path = tuple[str | int, ...]

#: Arrays and objects a request body may nest, the body's own object included.
#: The server reads bodies with axum's `Json` (crates/hot_api/src/handlers/events.rs:
#: `Json(req): Json<PublishEventRequest>`), that is serde_json with its default
#: recursion limit of 128, which refuses the 128th nested level with a 400.
MAX_BODY_NESTING = 127

# A user value that is a field of a request body sits inside the body's object.
_FIELD_NESTING = MAX_BODY_NESTING - 1

#: A lone surrogate: a string holding one has no UTF-8 form (serde_json refuses it too).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Sequences whose JSON form would be a guess: bytes have none (base64? a list of
# ints?), and text is a string, never an array of characters.
_NOT_ARRAYS = (str, bytes, bytearray, memoryview)


def is_json_object(value: object) -> TypeIs[dict[str, Any]]:
    """Whether `value` is a decoded JSON object (a dict: JSON keys are strings)."""
    return isinstance(value, dict)


def is_json_array(value: object) -> TypeIs[list[Any]]:
    """Whether `value` is a decoded JSON array (a list)."""
    return isinstance(value, list)


_DECODED_SCALARS = frozenset({str, int, float, bool, type(None)})


def is_decoded_json(value: object) -> bool:
    """Whether `value` is JSON as Python decodes it (dicts with string keys, lists,
    strings, numbers, booleans, None), however deep: walked without recursion.
    An object met twice (shared, or a cycle) counts as not JSON."""
    seen: set[int] = set()
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if type(item) in _DECODED_SCALARS:
            continue
        if id(item) in seen:
            return False
        seen.add(id(item))
        if is_json_object(item) and type(item) is dict:
            if not all(type(key) is str for key in item):
                return False
            pending.extend(item.values())
        elif is_json_array(item) and type(item) is list:
            pending.extend(item)
        else:
            return False
    return True


def is_mapping(value: object) -> TypeIs[Mapping[Any, Any]]:
    """Whether `value` is any mapping (its keys and values of any type)."""
    return isinstance(value, Mapping)


def _is_array(value: object) -> TypeIs[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, _NOT_ARRAYS)


def _where(path: _Path) -> str:
    if len(path) > 8:  # a deep path: its ends say where, its length how deep
        head, tail = "".join(f"[{p!r}]" for p in path[:4]), "".join(f"[{p!r}]" for p in path[-2:])
        return f"{head}...{tail} (depth {len(path)})"
    return "".join(f"[{part!r}]" for part in path) or "(the value)"


def _not_json(path: _Path, problem: str) -> PydanticCustomError:
    return PydanticCustomError(
        "json_value", "not JSON at {where}: {problem}", {"where": _where(path), "problem": problem}
    )


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


def _too_deep(path: _Path, room: int) -> PydanticCustomError:
    return _not_json(
        path,
        f"nested deeper than the {MAX_BODY_NESTING} levels of arrays and objects a request "
        f"body may have (the server's JSON parser refuses more; this value may nest {room})",
    )


def nul_error() -> PydanticCustomError:
    """The refusal of a NUL character in text the server stores in Postgres.

    Postgres stores no NUL in `text` or `jsonb` (crates/hot/src/lang/emitter/
    postgres_safety.rs says so of its own writes, which it scrubs); the API's
    handlers bind request values as given, so the insert fails: a 500.
    """
    return PydanticCustomError(
        "stored_nul",
        "holds a NUL character (\\u0000), which the server's database (Postgres) "
        "cannot store: it would answer 500",
    )


def _text(value: str, path: _Path, stored: bool) -> str:
    if not value.isascii() and LONE_SURROGATE.search(value):
        raise _not_json(path, "a string holds a lone surrogate, which has no UTF-8 encoding")
    if stored and "\x00" in value:
        raise PydanticCustomError(
            "stored_nul",
            "a string or key at {where} holds a NUL character (\\u0000), which the server's "
            "database (Postgres jsonb) cannot store: it would answer 500",
            {"where": _where(path)},
        )
    return value


# Fewer digits than any limit Python may set on converting an int to or from text
# (`sys.int_info.str_digits_check_threshold`, 640): such an int needs no check.
_SHORT_INT = 10**639

# No limit at all (0) before Python 3.10.7.
_int_digit_limit: Callable[[], int] = getattr(sys, "get_int_max_str_digits", lambda: 0)


def _long_int(value: int, path: _Path) -> int:
    # The server keeps every digit (crates/hot/Cargo.toml builds serde_json with
    # `arbitrary_precision`; event_data and results are jsonb) and sends them back:
    # publish answers with the stored event_data (crates/hot_api/src/handlers/
    # events.rs publish_event). Past `sys.get_int_max_str_digits()` digits Python
    # cannot read that answer, so such an int is refused before it is stored.
    limit = _int_digit_limit()
    if limit and abs(value) >= 10**limit:
        raise _not_json(
            path,
            f"an integer of more than {limit} digits, more than Python reads back "
            "(sys.get_int_max_str_digits())",
        )
    return value


def _not_finite(path: _Path, value: float) -> PydanticCustomError:
    return _not_json(path, f"{value!r} is not a JSON number (NaN and infinities have no JSON form)")


def json_dump(dump: Callable[..., Any], value: Any, path: _Path, by_alias: bool | None) -> Any:
    """`dump(value, mode="json", by_alias=by_alias)`: the JSON form of `value` as a
    pydantic serializer (`model_dump`, `TypeAdapter.dump_python`) writes it; `path`
    says where `value` is, for errors.

    Raises `PydanticCustomError` naming the place where that form is not what the
    user wrote: a NaN or infinity pydantic turned into null (it does so under
    `Any`, where a typed `float` keeps its value for `_convert` to refuse), or a
    value it cannot serialize at all.
    """
    try:
        sent = dump(value, mode="json", by_alias=by_alias)
        python = dump(value, mode="python", by_alias=by_alias)
    except (PydanticSerializationError, UnicodeDecodeError, RecursionError) as error:
        raise _not_json(path, f"{type(value).__name__} cannot be serialized: {error!r}") from error
    # Most models dump the same in both modes: one comparison in C then settles
    # it, and only dumps that differ (a NaN, a datetime, a tuple) are walked.
    lost = None if _same(sent, python) else _lost_float(sent, python)
    if lost is not None:
        where, number = lost
        raise _not_finite((*path, *where), number)
    return sent


def _same(sent: Any, python: Any) -> bool:
    try:
        return bool(sent == python)
    except Exception:  # a type of the user's whose comparison has no truth value (an array)
        return False


def _lost_float(sent: Any, python: Any) -> tuple[_Path, float] | None:
    """Where the JSON-mode dump `sent` holds null for a NaN or infinity that the
    Python-mode dump `python` of the same value holds, and that number.

    Only the places the two dumps share are compared: where a serializer of the
    user's writes something else in JSON mode, that is the user's JSON form.
    """
    if sent is None:
        if isinstance(python, float) and not math.isfinite(python):
            return (), python
        return None
    if is_json_object(sent):
        if is_mapping(python) and len(python) == len(sent):
            for (key, item), original in zip(sent.items(), python.values(), strict=True):
                lost = _lost_float(item, original)
                if lost is not None:
                    return (key, *lost[0]), lost[1]
        return None
    if is_json_array(sent) and _is_dumped_array(python) and len(python) == len(sent):
        for index, (item, original) in enumerate(zip(sent, python, strict=True)):
            lost = _lost_float(item, original)
            if lost is not None:
                return (index, *lost[0]), lost[1]
    return None


def _is_dumped_array(value: object) -> TypeIs[Collection[Any]]:
    # What a Python-mode dump holds where its JSON-mode dump holds a list.
    return isinstance(value, (list, tuple, set, frozenset))


def _convert(value: Any, path: _Path, room: int, stored: bool = False) -> Any:
    """`value` in its JSON form; `room` is how many levels of arrays and objects it
    may nest; `stored`: whether its strings go to Postgres (no NUL)."""
    cls = type(value)  # pyright: ignore[reportUnknownVariableType]  # any class at all
    if cls is str:
        return _text(value, path, stored)
    if cls is int:
        return value if abs(value) < _SHORT_INT else _long_int(value, path)
    if cls is bool or value is None:
        return value
    if cls is dict:
        if len(path) >= room:
            raise _too_deep(path, room)
        items = [(key, _convert_item(key, item, path, room, stored)) for key, item in value.items()]
        if all(new is old for (_, new), old in zip(items, value.values(), strict=True)):
            return value
        return dict(items)
    if cls is list:
        if len(path) >= room:
            raise _too_deep(path, room)
        converted = [_convert(item, (*path, i), room, stored) for i, item in enumerate(value)]
        if all(new is old for new, old in zip(converted, value, strict=True)):
            return value
        return converted
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise _not_finite(path, value)
    if isinstance(value, str):
        return _text(value, path, stored)
    if isinstance(value, int):
        return _long_int(value, path)
    if isinstance(value, BaseModel):
        dumped = json_dump(type(value).model_dump, value, path, _by_alias(value.model_config))
        return _convert(dumped, path, room, stored)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        dataclass = type(value)  # narrowed: a dataclass, not any class
        by_alias = _by_alias(getattr(dataclass, "__pydantic_config__", None))
        dumped = json_dump(_dataclass_dumper(dataclass), value, path, by_alias)
        return _convert(dumped, path, room, stored)
    # By protocol, not by exact type, and after models (which may read like
    # mappings): any mapping (`OrderedDict`, `defaultdict`, a read-only view) is
    # a JSON object, any sequence but text and bytes (a tuple, a deque) an array.
    if is_mapping(value):
        if len(path) >= room:
            raise _too_deep(path, room)
        return {key: _convert_item(key, item, path, room, stored) for key, item in value.items()}
    if _is_array(value):
        if len(path) >= room:
            raise _too_deep(path, room)
        return [_convert(item, (*path, i), room, stored) for i, item in enumerate(value)]
    raise _not_json(
        path,
        f"{cls.__name__} objects have no JSON form; send JSON (any mapping with string "
        "keys, any sequence), a pydantic model or a dataclass",
    )


def _convert_item(key: Any, item: Any, path: _Path, room: int, stored: bool) -> Any:
    if not isinstance(key, str):
        raise _not_json(path, f"object keys must be strings, got {type(key).__name__} {key!r}")
    return _convert(item, (*path, _text(key, path, stored)), room, stored)


UserJson = Annotated[Any, AfterValidator(lambda value: _convert(value, (), _FIELD_NESTING))]
"""A field of a request body holding user-owned JSON: any JSON value, a pydantic
model or a dataclass, checked recursively and stored in its JSON form."""

StoredJson = Annotated[
    Any, AfterValidator(lambda value: _convert(value, (), _FIELD_NESTING, stored=True))
]
"""`UserJson` the server stores in a Postgres `jsonb` column: no string or key
in it may hold a NUL character."""

def _body_adapter(stored: bool) -> TypeAdapter[Any]:
    return TypeAdapter(
        Annotated[
            Any, AfterValidator(lambda value: _convert(value, (), MAX_BODY_NESTING, stored))
        ],
        config=ConfigDict(title="JSON value", defer_build=True),
    )


_USER_JSON = _body_adapter(stored=False)
_STORED_BODY = _body_adapter(stored=True)


def to_json_value(value: Any, *, stored: bool) -> Any:
    """`value`, a whole request body, in its JSON form: pure JSON is returned as the
    same object, models and dataclasses (at any depth) are serialized in JSON mode.

    Raises pydantic's `ValidationError` naming where the value is not JSON, holds a
    lone surrogate, an integer longer than Python reads back, or nests deeper than
    `MAX_BODY_NESTING`; with `stored` (a body the server keeps in Postgres), where a
    string or key holds a NUL character.
    """
    return (_STORED_BODY if stored else _USER_JSON).validate_python(value)
