"""Descriptions of HTTP exchanges, free of any I/O.

Every API operation is written once as a function that builds one of these
descriptions; the sync and async runners only perform them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote
from uuid import UUID

from ._path_ids import checked_path_id

if TYPE_CHECKING:
    import httpx

    from ._models._common import Meta, Pagination
    from ._options import Options
    from ._pagination import Raw

__all__ = [
    "Call",
    "ListCall",
    "Request",
    "StreamCall",
    "check_header",
    "check_header_value",
    "path",
    "path_segments",
]

T = TypeVar("T")
E = TypeVar("E")

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def check_header_value(name: str, value: str) -> str:
    """Refuse a header value that could split the header block (CR, LF, NUL).

    The message names the header, never the value: it may be a secret.
    """
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"{name} must not contain CR, LF or NUL characters")
    return value


# RFC 9110 5.1: a field name is a token. 5.5: a field value holds no whitespace at
# either end (h11 refuses it); httpx encodes a text value as ASCII.
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"([\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?)?")


def check_header(name: object, value: object) -> None:
    """Refuse a header HTTP cannot carry, before anything is sent: sending it
    would fail inside httpx, as if the connection had.

    The messages name the header, never the value: it may be a secret.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(f"header {name!r}: names and values must be strings")
    check_header_value(f"header {name!r}", name)
    check_header_value(f"header {name!r}", value)
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)"
        )
    if not _FIELD_VALUE.fullmatch(value):
        raise ValueError(
            f"header {name!r}: its value must be printable ASCII (tabs and spaces "
            "inside only)"
        )


def _segment(value: str | UUID | int) -> str:
    text = str(value)
    # safe="" encodes "/" too; "." and ".." are encoded as well so that no
    # parameter can be read as a relative path step by a server or proxy.
    encoded = quote(text, safe="")
    if encoded in {".", ".."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def path(template: str, *params: str | UUID | int) -> str:
    """Fill the `{name}` placeholders of `template` with `params`, in order, each
    encoded as one path segment (`{}`: a parameter the server reads as text).

    No parameter may be empty, and one the server reads as a UUID (named in
    `UUID_PATH_PARAMS`, as the server's routes name it) must be a `uuid.UUID`
    or a string its parser takes: anything else raises pydantic's
    `ValidationError` at that name, before anything is sent.
    """
    given = iter(params)
    return _PLACEHOLDER.sub(
        lambda found: _segment(checked_path_id(found[1], next(given))), template
    )


def path_segments(value: str) -> str:
    """Encode a slash-separated path: every segment encoded, the slashes kept."""
    segments = value.split("/")
    if any(s in {"", ".", ".."} for s in segments):
        raise ValueError(f"file path {value!r} has an empty, '.' or '..' segment")
    return "/".join(_segment(s) for s in segments)


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to the API: `path` is relative to the `/v1` base, or to the
    host's root with `root` (the public routes the server serves outside `/v1`).
    With `authenticate` False the client's token is not sent (a public webhook
    must not receive it).

    `retryable` says whether sending the request again after a failure that
    may have reached the server is harmless; None decides by method (GET, HEAD,
    PUT, DELETE and OPTIONS are). With `retry` False it is never sent twice,
    whatever the failure (raw requests). `call_timeout`, when set, is this
    request's timeout in place of the client's (a per-request option);
    `timeout`, when set, caps every phase's timeout (connect, read, write,
    pool) below that: a waiter's remaining time.

    `headers` are extra headers a caller of the escape hatches asked for. Header
    values (`accept`, `content_type`, `headers`) with CR, LF or NUL, and
    `headers` HTTP cannot carry (`check_header`), raise here, before anything
    is sent.
    """

    method: str
    path: str
    params: Mapping[str, str | int | float | bool] | None = None
    json: bytes | None = None
    content: Any = None
    content_type: str | None = None
    files: Mapping[str, Any] | None = None
    data: Mapping[str, str] | None = None
    accept: str = "application/json"
    retryable: bool | None = None
    retry: bool = True
    timeout: float | None = None
    headers: Mapping[str, str] | None = None
    call_timeout: float | httpx.Timeout | None = None
    root: bool = False
    authenticate: bool = True

    def __post_init__(self) -> None:
        check_header_value("accept", self.accept)
        if self.content_type is not None:
            check_header_value("content_type", self.content_type)
        for name, value in (self.headers or {}).items():
            check_header(name, value)

    @property
    def idempotent(self) -> bool:
        """Whether a repeat after a failure that may have reached the server is harmless."""
        return self.method in _IDEMPOTENT if self.retryable is None else self.retryable

    def with_params(self, **params: str | int | float | bool) -> Request:
        return replace(self, params={**(self.params or {}), **params})


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request and the function that turns its response into the result."""

    request: Request
    parse: Callable[[httpx.Response], T]

    def with_options(self, options: Options) -> Call[T]:
        return replace(self, request=options.apply(self.request))


@dataclass(frozen=True, slots=True)
class ListCall(Generic[T]):
    """A list request; `parse` returns the items, pagination and meta of one page."""

    request: Request
    parse: Callable[[httpx.Response], tuple[list[T], Pagination, Meta | None, Raw]]

    def with_options(self, options: Options) -> ListCall[T]:
        return replace(self, request=options.apply(self.request))

    def at_offset(self, offset: int) -> ListCall[T]:
        return replace(self, request=self.request.with_params(offset=offset))


@dataclass(frozen=True, slots=True)
class StreamCall(Generic[E]):
    """An SSE request; `decode` turns one frame's data into an event, or None to skip it."""

    request: Request
    decode: Callable[[str], E | None]

    def with_options(self, options: Options) -> StreamCall[E]:
        return replace(self, request=options.apply(self.request))
