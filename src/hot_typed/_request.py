"""Descriptions of HTTP exchanges, free of any I/O.

Every API operation is written once as a function that builds one of these
descriptions; the sync and async runners only perform them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote
from uuid import UUID

if TYPE_CHECKING:
    import httpx

    from ._models._common import Meta, Pagination
    from ._pagination import Raw

__all__ = ["Call", "ListCall", "Request", "StreamCall", "path", "path_segments"]

T = TypeVar("T")
E = TypeVar("E")

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def _segment(value: str | UUID | int) -> str:
    text = str(value)
    if not text:
        raise ValueError("a path parameter must not be empty")
    # safe="" encodes "/" too; "." and ".." are encoded as well so that no
    # parameter can be read as a relative path step by a server or proxy.
    encoded = quote(text, safe="")
    if encoded in {".", ".."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


def path(template: str, *params: str | UUID | int) -> str:
    """Fill `{}` placeholders in `template`, each parameter encoded as one path segment."""
    return template.format(*(_segment(p) for p in params))


def path_segments(value: str) -> str:
    """Encode a slash-separated path: every segment encoded, the slashes kept."""
    segments = value.split("/")
    if any(s in {"", ".", ".."} for s in segments):
        raise ValueError(f"file path {value!r} has an empty, '.' or '..' segment")
    return "/".join(_segment(s) for s in segments)


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to the API, relative to the `/v1` base.

    `retryable` says whether the request may be sent again after a failure that
    may have reached the server; JSON reads and idempotent writes are. With
    `retry` False it is never sent twice, whatever the failure (raw requests).
    """

    method: str
    path: str
    params: Mapping[str, str | int] | None = None
    json: bytes | None = None
    content: Any = None
    content_type: str | None = None
    files: Mapping[str, Any] | None = None
    data: Mapping[str, str] | None = None
    accept: str = "application/json"
    retryable: bool = field(default=True)
    retry: bool = True

    @property
    def idempotent(self) -> bool:
        return self.method in _IDEMPOTENT

    def with_params(self, **params: str | int) -> Request:
        return replace(self, params={**(self.params or {}), **params})


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request and the function that turns its response into the result."""

    request: Request
    parse: Callable[[httpx.Response], T]


@dataclass(frozen=True, slots=True)
class ListCall(Generic[T]):
    """A list request; `parse` returns the items, pagination and meta of one page."""

    request: Request
    parse: Callable[[httpx.Response], tuple[list[T], Pagination, Meta | None, Raw]]

    def at_offset(self, offset: int) -> ListCall[T]:
        return replace(self, request=self.request.with_params(offset=offset))


@dataclass(frozen=True, slots=True)
class StreamCall(Generic[E]):
    """An SSE request; `decode` turns one frame's data into an event, or None to skip it."""

    request: Request
    decode: Callable[[str], E | None]
