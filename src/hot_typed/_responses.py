"""The HTTP answer behind a call, for `with_raw_response` and `with_streaming_response`.

`hot.with_raw_response.runs.get(id)` answers a `RawResponse[Run]`: the status,
headers, request id and timing of the exchange, its body, and `parse()`, the
`Run` the plain call returns. `hot.with_streaming_response.files.download(id)`
answers a context manager of a `StreamedResponse`, whose body is read as you
iterate it. A non-2xx answer raises its `HotApiError` in both, as the plain
call does.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, NoReturn, TypeVar, cast

import httpx

__all__ = [
    "AsyncRawResponse",
    "AsyncStreamedResponse",
    "HttpAnswer",
    "ReadAnswer",
    "RawResponse",
    "StreamedResponse",
]

T = TypeVar("T")

_UNPARSED: Any = object()


class HttpAnswer:
    """An httpx response seen through its status and headers: what every answer
    the client hands back (raw, streamed, a webhook's) tells first."""

    __slots__ = ("http_response",)

    def __init__(self, http_response: httpx.Response) -> None:
        self.http_response: httpx.Response = http_response
        """httpx's response."""

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers, case-insensitive."""
        return self.http_response.headers


class ReadAnswer(HttpAnswer):
    """An answer whose body was read whole before it was handed back."""

    __slots__ = ()

    @property
    def content(self) -> bytes:
        """The body's bytes, decoded from any content encoding."""
        return self.http_response.content

    @property
    def text(self) -> str:
        """The body as text, in its declared charset."""
        return self.http_response.text

    def json(self) -> Any:
        """The body decoded as JSON, untouched by any model."""
        return self.http_response.json()


class _Exchange(HttpAnswer, Generic[T]):
    """What every response wrapper of a call tells of its exchange."""

    __slots__ = ("_parse", "_parsed")

    def __init__(self, response: httpx.Response, parse: Callable[[httpx.Response], T]) -> None:
        super().__init__(response)
        self._parse = parse
        self._parsed: T = _UNPARSED

    @property
    def http_request(self) -> httpx.Request:
        """httpx's request, as sent (the last one, when it was retried)."""
        return self.http_response.request

    @property
    def url(self) -> httpx.URL:
        """The URL requested."""
        return self.http_response.url

    def __repr__(self) -> str:
        request = self.http_request
        return (
            f"<{type(self).__name__} [{self.status_code}] {request.method} {request.url.path}>"
        )

    def __reduce__(self) -> NoReturn:
        # Its parser is the client's (a page fetches on through it), which stays
        # in this process; what it parses to is a model or page that travels.
        raise TypeError(
            f"a {type(self).__name__} cannot be pickled or copied: it parses through "
            "the client that made the call; pickle what parse() returns, or "
            "http_response"
        )

    def _request_id(self, body: bytes | None) -> str | None:
        # crates/hot_api/src/models.rs: the id is `meta.request_id` of the JSON
        # envelope; a proxy or gateway in front may add `x-request-id` instead.
        header: str | None = self.headers.get("x-request-id")
        if header is not None or not body:
            return header
        try:
            meta = json.loads(body).get("meta")
        except (ValueError, AttributeError, RecursionError):
            return None
        if not isinstance(meta, dict):
            return None
        # A decoded JSON object: its keys are strings, its values any JSON.
        request_id = cast("dict[str, object]", meta).get("request_id")
        return str(request_id) if request_id is not None else None


class _Read(_Exchange[T], ReadAnswer):
    """A call's answer whose body was read whole before it was returned."""

    __slots__ = ()

    @property
    def request_id(self) -> str | None:
        """The API's id for this request (`meta.request_id`, or `x-request-id`)."""
        return self._request_id(self.http_response.content)

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the request to reading the end of the answer."""
        return self.http_response.elapsed

    def _parsed_value(self) -> T:
        if self._parsed is _UNPARSED:
            self._parsed = self._parse(self.http_response)
        return self._parsed


class RawResponse(_Read[T]):
    """A call's answer, its body read: what the plain call returns is `parse()`."""

    __slots__ = ()

    def parse(self) -> T:
        """What the plain call returns (validated on first call, then kept)."""
        return self._parsed_value()


class AsyncRawResponse(_Read[T]):
    """`RawResponse` of `AsyncHotClient`: `await response.parse()`, as every read
    of the async client is awaited (the body was read before it was returned)."""

    __slots__ = ()

    async def parse(self) -> T:
        """What the plain call returns (validated on first call, then kept)."""
        return self._parsed_value()


class StreamedResponse(_Exchange[T]):
    """An answer whose body is read as it is iterated, inside its `with` block.

    `iter_bytes()` / `iter_text()` / `iter_lines()` stream the body; `read()`
    reads it whole and `parse()` gives what the plain call returns.
    """

    __slots__ = ()

    @property
    def request_id(self) -> str | None:
        """`x-request-id` when sent; `meta.request_id` once the body was read."""
        return self._request_id(_read_body(self.http_response))

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body's bytes as they arrive (decoded from any content encoding)."""
        return self.http_response.iter_bytes(chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """The body as text, as it arrives."""
        return self.http_response.iter_text(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        """The body's lines, as they arrive."""
        return self.http_response.iter_lines()

    def read(self) -> bytes:
        """Read the rest of the body; the whole body."""
        return self.http_response.read()

    def parse(self) -> T:
        """Read the body, then what the plain call returns."""
        if self._parsed is _UNPARSED:
            self.http_response.read()
            self._parsed = self._parse(self.http_response)
        return self._parsed


class AsyncStreamedResponse(_Exchange[T]):
    """`StreamedResponse` of `AsyncHotClient`: the same, with async reads."""

    __slots__ = ()

    @property
    def request_id(self) -> str | None:
        """`x-request-id` when sent; `meta.request_id` once the body was read."""
        return self._request_id(_read_body(self.http_response))

    def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive (decoded from any content encoding)."""
        return self.http_response.aiter_bytes(chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """The body as text, as it arrives."""
        return self.http_response.aiter_text(chunk_size)

    def iter_lines(self) -> AsyncIterator[str]:
        """The body's lines, as they arrive."""
        return self.http_response.aiter_lines()

    async def read(self) -> bytes:
        """Read the rest of the body; the whole body."""
        return await self.http_response.aread()

    async def parse(self) -> T:
        """Read the body, then what the plain call returns."""
        if self._parsed is _UNPARSED:
            await self.http_response.aread()
            self._parsed = self._parse(self.http_response)
        return self._parsed


def _read_body(response: httpx.Response) -> bytes | None:
    """The body when it was read whole (not when streamed through, or not yet)."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None
