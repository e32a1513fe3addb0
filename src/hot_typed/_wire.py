"""The model-aware serialization layer: models to request bytes, and the bytes
of response bodies and event-stream frames to models.

Both clients go through these functions and nothing else, so the rules for
what is sent and how answers are validated live in one place. Nothing here
does I/O: a response arrives here read (httpx is only a type to this module).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Generic,
    TypeVar,
    Union,
    get_args,
    get_origin,
    overload,
)

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import (
    CoreConfig,
    PydanticCustomError,
    PydanticSerializationError,
    SchemaValidator,
)
from typing_extensions import TypeIs

from ._errors import HotJsonDecodeError, HotResponseValidationError
from ._models._base import (
    WIRE_CONTEXT,
    RequestModel,
    TopLevel,
    WireDocument,
    WireItems,
    WireMember,
    WireModel,
)
from ._models._common import Meta, Pagination
from ._models._json import to_json_value
from ._pagination import Raw
from ._request_ids import remember_request_id

if TYPE_CHECKING:
    import httpx

    # Only in the overloads of `parametrized`: a client that never reads runs or
    # events does not load their models.
    from ._models.events import Event
    from ._models.runs import Run, Task

__all__ = [
    "ItemEnvelope",
    "ListEnvelope",
    "decode_json_event",
    "decoded_or_text",
    "event_decoder",
    "item_parser",
    "json_bytes",
    "json_body",
    "list_parser",
    "no_content",
    "object_parser",
    "parametrized",
    "query",
    "request_body",
    "to_json_value",
    "to_request_model",
]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=RequestModel)
T = TypeVar("T")
U = TypeVar("U")


class ItemEnvelope(WireModel, Generic[T]):
    data: T
    meta: Meta | None = None


class ListEnvelope(WireModel, Generic[T]):
    data: list[T]
    pagination: Pagination
    meta: Meta | None = None


class _PageEnvelope(WireModel, Generic[T]):
    """`ListEnvelope` as `list_parser` decodes it: its nested models are validated
    without raw capture too, and get their wire form from the page's document."""

    data: list[T]
    pagination: Annotated[Pagination, TopLevel]
    meta: Annotated[Meta, TopLevel] | None = None


# ---------------------------------------------------------------- requests


def to_request_model(model: type[R], body: R | Mapping[str, Any]) -> R:
    """Validate `body` into `model`: a mapping by wire key, an instance again
    (request models revalidate instances, so `model_construct` is no way around).

    Raises pydantic's `ValidationError` on anything the server would refuse, before
    any request exists.
    """
    if isinstance(body, model):
        return model.model_validate(body)
    if isinstance(body, Mapping):
        return model.model_validate(dict(body))
    raise TypeError(
        f"expected {model.__name__} or a mapping of its wire keys, got {type(body).__name__}"
    )


def request_body(model: type[R], body: R | Mapping[str, Any]) -> bytes:
    """The JSON bytes sent for `body`, keyed by wire name.

    A body that cannot be sent as JSON the server reads (a lone surrogate in any
    string, user JSON nested deeper than `MAX_BODY_NESTING`) raises pydantic's
    `ValidationError`, before anything is sent.
    """
    try:
        return to_request_model(model, body).model_dump_json().encode()
    except (PydanticSerializationError, RecursionError) as error:
        # User JSON is checked by its validator; this catches the model's own fields.
        problem = PydanticCustomError(
            "json_value", "not sendable as JSON: {problem}", {"problem": str(error)}
        )
        raise ValidationError.from_exception_data(
            model.__name__, [{"type": problem, "loc": (), "input": body}]
        ) from error


def json_bytes(value: Any, *, stored: bool = False) -> bytes:
    """`value` as compact JSON bytes: any JSON, with models and dataclasses inside it
    in their JSON form. What is not JSON, holds a lone surrogate or an integer
    longer than Python reads back, or nests deeper than `MAX_BODY_NESTING` raises
    pydantic's `ValidationError`; with `stored`, so does a NUL in a string or key
    (`to_json_value`)."""
    converted = to_json_value(value, stored=stored)
    return json.dumps(converted, allow_nan=False, separators=(",", ":")).encode()


def query(model: type[R], **filters: Any) -> dict[str, str | int]:
    """Validated query parameters; filters left as None are not sent."""
    # The core validator and serializer themselves: `model_validate` and
    # `model_dump` add a Python call each, for options never used here.
    validated = model.__pydantic_validator__.validate_python(
        {k: v for k, v in filters.items() if v is not None}
    )
    params: dict[str, str | int] = model.__pydantic_serializer__.to_python(validated, mode="json")
    return params


# ---------------------------------------------------------------- user types


# One overload per generic model of a user type, so that `Call[Event[D]]` cannot be
# given a parser of `Run[D]`: a type checker sees which model is parametrized.
@overload
def parametrized(model: type[Event[Any]], type_arg: type[U] | None) -> type[Event[U]]: ...
@overload
def parametrized(model: type[Run[Any]], type_arg: type[U] | None) -> type[Run[U]]: ...
@overload
def parametrized(model: type[Task[Any]], type_arg: type[U] | None) -> type[Task[U]]: ...
@overload
def parametrized(model: type[M], type_arg: Any) -> type[M]: ...
def parametrized(model: type[BaseModel], type_arg: Any) -> type[BaseModel]:
    """`model[type_arg]` (`Event[Signup]`), or `model` itself when `type_arg` is None,
    built once per pair so typed reads cost what untyped ones do after the first."""
    return model if type_arg is None else _parametrize(model, type_arg)


@cache
def _parametrize(model: Any, type_arg: Any) -> type[BaseModel]:
    parametrized: type[BaseModel] = model[type_arg]
    return parametrized


# ---------------------------------------------------------------- responses
# Bodies and frames are validated straight from their JSON text. pydantic-core's
# parser refuses JSON nested deeper than its own recursion limit (about 200),
# which user JSON such as a run's result may well be; such text is parsed again
# by the standard library, whose limit is Python's, and validated from that, so
# the user's JSON still arrives exactly as sent. Text that neither can read
# raises `HotJsonDecodeError` carrying it; a `RecursionError` never escapes.


class _NotJson(Exception):
    """The standard library cannot read the text as JSON either (malformed, or too deep);
    `validation_error` is pydantic's refusal of the same text, when it was tried first."""

    def __init__(self, problem: str, validation_error: ValidationError | None = None) -> None:
        super().__init__(problem)
        self.validation_error = validation_error


class _Recursed(Exception):
    """Validating JSON that pydantic-core read overflowed Python's stack. Neither
    parser raises `RecursionError` for nesting (each refuses what it cannot follow),
    so a validator did: one that recursed without end, or walked the JSON deeper
    than the stack holds. Reading the text again would recurse the same way."""

    #: The end of the message: what `_validate` and `_decode_refused` say after
    #: naming the body or frame.
    reason = (
        "overflowed Python's stack: the JSON itself was read, so a validator "
        "recursed, without end or through deeply nested JSON"
    )


def _loads(text: str | bytes, refused: ValidationError | None = None) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        problem = str(error) if isinstance(error, ValueError) else "nested too deep"
        raise _NotJson(problem, refused) from error


def _from_json(validator: SchemaValidator, text: str | bytes) -> Any:
    """Validate the JSON `text`: from the text itself, or, when pydantic-core's parser
    refuses it, as `_reread` does. Raises `ValidationError` when it does not fit,
    `_NotJson` when it is not JSON Python can read, and `_Recursed` when a validator
    overflowed the stack."""
    try:
        return validator.validate_json(text)
    except (ValidationError, RecursionError) as error:
        return _reread(validator, text, error)


def _reread(
    validator: SchemaValidator, text: str | bytes, error: ValidationError | RecursionError
) -> Any:
    """After `validator` refused `text` (`error`): validate what the standard library
    reads of it, with the wire context so models inside keep their `.raw`. An error
    that is not about the JSON itself is raised again; a `RecursionError` out of
    validating text pydantic-core read is `_Recursed`."""
    if isinstance(error, RecursionError):
        raise _Recursed from error
    refused = error
    if refused.errors(include_url=False)[0]["type"] != "json_invalid":
        raise refused
    value = _loads(text, refused)
    try:
        return validator.validate_python(value, context=WIRE_CONTEXT)
    except RecursionError as too_deep:
        raise _NotJson("nested too deep to validate", refused) from too_deep


#: How the decoders read JSON: pydantic-core's default caches every string of up
#: to 64 characters it reads, values as well as keys, in one table for the
#: process. The values of answers (ids, times, text) are nearly all distinct, so
#: each lookup misses and displaces another entry: reading a page of 100 runs
#: among other work costs ~50 us (~6%) more than with keys alone cached (in a
#: client's process; a loop validating one body over and over hits every time
#: and shows no difference). Every value is still read, as a miss reads it.
_READING = CoreConfig(cache_strings="keys")


def _reading(adapter: TypeAdapter[Any]) -> SchemaValidator:
    """`adapter`'s validator, reading JSON as `_READING` says. Built here, at the
    decoder's first use: the models defer building their schemas until then."""
    adapter.rebuild()
    return SchemaValidator(adapter.core_schema, _READING)


@cache
def _item_validator(model: Any) -> SchemaValidator:
    # `model` is a runtime type: pyright cannot read it as a type expression.
    envelope: Any = ItemEnvelope[model]  # pyright: ignore[reportInvalidTypeForm]
    return _reading(TypeAdapter(envelope))


@cache
def _object_validator(model: Any) -> SchemaValidator:
    return _reading(TypeAdapter(model))


@cache
def _list_validator(model: Any) -> SchemaValidator:
    # Envelope, items, pagination and meta are validated without raw capture:
    # `list_parser` gives them their wire form lazily, so a page costs one pass
    # over its JSON.
    # `model` is a runtime type: pyright cannot read it as a type expression.
    page_type: Any = Annotated[_PageEnvelope[Annotated[model, TopLevel]], TopLevel]  # pyright: ignore[reportInvalidTypeForm]
    return _reading(TypeAdapter(page_type))


def decoded_or_text(content: bytes) -> Any:
    """`content` as the JSON it holds, or as text when it is not JSON Python can read."""
    try:
        return _loads(content)
    except _NotJson:
        return content.decode("utf-8", "replace")


def _answered(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type") or "(none)"
    return (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} ({content_type})"
    )


def _validate(validator: SchemaValidator, response: httpx.Response) -> Any:
    content = response.content
    try:
        return _from_json(validator, content)
    except _NotJson as error:
        raise HotJsonDecodeError(
            f"{_answered(response)} with a body that is not JSON Python can read: {error}",
            raw=content.decode("utf-8", "replace"),
            validation_error=error.validation_error,
        ) from error
    except _Recursed as error:
        raise HotResponseValidationError(
            f"{_answered(response)} with a body whose validation {error.reason}",
            raw=decoded_or_text(content),
        ) from error.__cause__
    except ValidationError as error:
        raise HotResponseValidationError(
            f"{_answered(response)} with a body that does not match the expected "
            f"shape: {error.error_count()} problem(s), first: {_first_problem(error)}",
            raw=decoded_or_text(content),
            validation_error=error,
        ) from error


# Labels pydantic-core puts in a location for its own schemas, not for a key of the
# JSON: a union's (`tagged-union[A,B,...]`, whose tag follows it) and a validator
# function's (`function-wrap[_remember_wire_object()]`).
_SCHEMA_LABELS = ("tagged-union[", "function-wrap[", "function-before[", "function-after[")


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    parts = (str(part) for part in first["loc"])
    where = ".".join(p for p in parts if not p.startswith(_SCHEMA_LABELS)) or "(body)"
    return f"{where}: {first['msg']}"


def item_parser(model: type[M]) -> Callable[[httpx.Response], M]:
    """Parse `{"data": {...}, "meta": ...}` into `model`."""
    validator = _item_validator(model)

    def parse(response: httpx.Response) -> M:
        envelope = _validate(validator, response)
        data: M = envelope.data
        remember_request_id(data, envelope.meta)
        return data

    return parse


def object_parser(model: type[M]) -> Callable[[httpx.Response], M]:
    """Parse a bare JSON object, outside any envelope (`GET /status`), into `model`."""

    validator = _object_validator(model)

    def parse(response: httpx.Response) -> M:
        parsed: M = _validate(validator, response)
        return parsed

    return parse


# The `_wire` slot's own setter: one C call per model of a page or SSE frame,
# where `object.__setattr__` would look the name up on the class each time (half
# the cost per frame, and no `isinstance` check first, which pydantic's ABC
# metaclass makes cost as much again).
_set_wire = WireModel.__dict__["_wire"].__set__


def list_parser(
    model: type[M],
) -> Callable[[httpx.Response], tuple[list[M], Pagination, Meta | None, Raw]]:
    """Parse a list envelope into its items, pagination, meta and the raw envelope
    (decoded on first call; each item's `.raw` comes from the same decoding)."""
    validator = _list_validator(model)

    def parse(response: httpx.Response) -> tuple[list[M], Pagination, Meta | None, Raw]:
        page = _validate(validator, response)
        # The envelope model itself is dropped: its wire form is `document.value`.
        document = WireDocument(response.content)
        _set_wire(page.pagination, WireMember(document, "pagination"))
        request_id = None
        if page.meta is not None:
            _set_wire(page.meta, WireMember(document, "meta"))
            request_id = page.meta.request_id
        items = WireItems(document, "data", tuple(map(id, page.data)), request_id)
        for item in page.data:
            _set_wire(item, items)
        return page.data, page.pagination, page.meta, document.value

    return parse


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, None when empty; a body that is not JSON raises
    `HotResponseValidationError` with its text."""
    if not response.content:
        return None
    try:
        return _loads(response.content)
    except _NotJson as error:
        raise HotJsonDecodeError(
            f"{_answered(response)} with a body that is not JSON Python can read: {error}",
            raw=response.content.decode("utf-8", "replace"),
        ) from error


def no_content(response: httpx.Response) -> None:
    """Deletes and single revokes answer 204 with no body."""


def raw_response(response: httpx.Response) -> httpx.Response:
    return response


# ---------------------------------------------------------------- SSE


def _top_level(event_type: Any) -> Any:
    """`event_type` with every model it may decode to marked `TopLevel`, through
    unions and `Annotated` metadata (tags, discriminators, validators)."""
    origin = get_origin(event_type)
    if origin is Annotated:
        inner, *metadata = get_args(event_type)
        args = (_top_level(inner), *metadata)
        return Annotated[args]
    if origin is Union or origin is UnionType:
        return Union[tuple(_top_level(member) for member in get_args(event_type))]  # noqa: UP007
    if _is_wire_model_class(event_type):
        return Annotated[event_type, TopLevel]
    return event_type


def _is_wire_model_class(value: object) -> TypeIs[type[WireModel]]:
    return isinstance(value, type) and issubclass(value, WireModel)


@cache
def event_decoder(event_type: Any) -> Callable[[str], Any]:
    """The decoder of SSE frames into `event_type` (a model or a union), built once."""
    return decode_json_event(TypeAdapter(_top_level(event_type)))


def decode_json_event(adapter: TypeAdapter[T]) -> Callable[[str], T | None]:
    """Decode one SSE frame's data straight from its JSON text with `adapter`.

    The frame's text is kept as the event's wire form: `.raw` parses it on first
    access, so a subscriber that never reads `.raw` never pays for it.

    A frame that is not JSON Python can read raises `HotJsonDecodeError` with its
    text (`iter_events` decides whether such a frame may be skipped); a frame that
    is JSON but does not fit the event models raises `HotResponseValidationError`
    with the frame attached.
    """

    # The core validator itself: `TypeAdapter.validate_json` adds a Python call
    # per frame for options never used here.
    validator = _reading(adapter)
    validate_json = validator.validate_json

    def decode(data: str) -> T | None:
        try:
            event: T = validate_json(data)
        except (ValidationError, RecursionError) as error:
            event = _decode_refused(validator, data, error)
        # Not `contextlib.suppress`: a context manager per frame costs more than
        # the check it replaces.
        try:  # noqa: SIM105
            _set_wire(event, data)
        except TypeError:  # not a model (a frame decoded as a plain value): no wire form
            pass
        return event

    return decode


def _decode_refused(
    validator: SchemaValidator, data: str, error: ValidationError | RecursionError
) -> Any:
    """The event of a frame pydantic-core refused, read again (`_reread`), or the
    `HotError` saying why there is none."""
    try:
        return _reread(validator, data, error)
    except _NotJson as not_json:
        raise HotJsonDecodeError(
            f"an SSE frame is not JSON Python can read: {not_json}",
            raw=data,
            validation_error=not_json.validation_error,
        ) from not_json
    except _Recursed as recursed:
        raise HotResponseValidationError(
            f"an SSE event's validation {recursed.reason}",
            raw=decoded_or_text(data.encode("utf-8", "surrogatepass")),
        ) from recursed.__cause__
    except ValidationError as invalid:
        raise HotResponseValidationError(
            f"an SSE event does not match its model: {_first_problem(invalid)}",
            raw=decoded_or_text(data.encode("utf-8", "surrogatepass")),
            validation_error=invalid,
        ) from invalid
