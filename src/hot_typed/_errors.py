"""Everything hot-typed raises derives from `HotError`.

API errors are split by status so callers can catch exactly what they handle
(`except NotFoundError`), while `HotApiError` still catches them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import pydantic

    from ._models.mcp import McpToolResult
    from ._models.runs import FinishedRun, FinishedTask

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "HotApiError",
    "HotClientClosedError",
    "HotConnectionError",
    "HotError",
    "HotFrameTooLargeError",
    "HotJsonDecodeError",
    "HotMcpError",
    "HotResponseValidationError",
    "HotRunError",
    "HotStreamError",
    "HotTaskError",
    "HotTimeoutError",
    "HotUploadError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


class HotError(Exception):
    """Base class of every exception hot-typed raises.

    Every one pickles (to cross a process boundary, say) with its attributes.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # The constructors take keyword-only arguments, which `args` alone cannot
        # rebuild: rebuild bare from `args`, then restore the attributes.
        return (_rebuild, (type(self), self.args), self.__getstate__())

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rebuild(cls: type[HotError], args: tuple[Any, ...]) -> HotError:
    return cls.__new__(cls, *args)


class HotApiError(HotError):
    """The API answered with a non-2xx status.

    `code` is the API's error code (`not_found`, `rate_limit_exceeded`, ...) or
    None when the body was not the API's JSON error envelope (a proxy's HTML
    page, say); `body` is then the text received. `response` and `request` are
    httpx's objects for the exchange (the response's body already read);
    `retry_after` the seconds the answer asked to wait (`_retry_after.py`);
    `headers` are the response's, case-insensitive (`headers["Retry-After"]`).

    Nothing shows the request's `Authorization` header: not `str`, not `repr`
    (httpx masks it), and a pickled error carries the request without it.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.response = response
        self.request: httpx.Request = response.request
        self.status_code: int = response.status_code
        self.headers: httpx.Headers = response.headers
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        request = _without_credentials(self.request)
        response = self.response
        state["request"] = request
        state["response"] = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
            extensions={"http_version": response.http_version.encode()},
        )
        state["headers"] = state["response"].headers
        return state

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.status_code}{code}: {self.message}"


def _without_credentials(request: httpx.Request) -> httpx.Request:
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "authorization"]
    try:
        content: bytes | None = request.content
    except httpx.RequestNotRead:  # a streamed upload: its body is not kept
        content = None
    return httpx.Request(request.method, request.url, headers=headers, content=content)


class BadRequestError(HotApiError):
    """400: the server refused the request as malformed."""


class AuthenticationError(HotApiError):
    """401: missing, invalid or expired token."""


class PermissionDeniedError(HotApiError):
    """403: the token may not do this (also: publishing a reserved `hot:` event type)."""


class NotFoundError(HotApiError):
    """404: no such resource in this environment."""


class ConflictError(HotApiError):
    """409: the resource already exists or is in a conflicting state."""


class UnprocessableEntityError(HotApiError):
    """422: the request was well-formed but could not be processed."""


class RateLimitError(HotApiError):
    """429: too many requests; `retry_after` says how long to wait, when known."""


class InternalServerError(HotApiError):
    """5xx: the server (or a proxy in front of it) failed."""


_BY_STATUS: dict[int, type[HotApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def api_error_class(status_code: int) -> type[HotApiError]:
    """The most specific `HotApiError` subclass for an HTTP status."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, HotApiError)


class HotResponseValidationError(HotError):
    """A 2xx answer whose body does not match the model for it.

    `raw` is the payload received (decoded JSON, or the text when it was not
    JSON) and `validation_error` the pydantic error, so nothing is lost.
    """

    def __init__(
        self, message: str, *, raw: Any, validation_error: pydantic.ValidationError | None = None
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.validation_error = validation_error


class HotJsonDecodeError(HotResponseValidationError):
    """A 2xx body or SSE frame that cannot be read as JSON: malformed, or nested
    deeper than Python's JSON reader can follow. `raw` is the text received;
    `validation_error` pydantic's account of the text, when it read it first."""

    def __init__(
        self, message: str, *, raw: str, validation_error: pydantic.ValidationError | None = None
    ) -> None:
        super().__init__(message, raw=raw, validation_error=validation_error)


class HotClientClosedError(HotError):
    """The client was used after `close()` / `aclose()`, in a process forked
    after its first use, or (an `AsyncHotClient`) in another event loop than
    its first: its connections are not this one's. Open a new client instead."""


class _Unanswered(HotError):
    """What a request that got no answer carries: `request_sent`, `request`, and a
    `response` that is always None."""

    def __init__(
        self, message: str, *, request_sent: bool = True, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.request = request
        """httpx's request that got no answer (None when the failure was not one request's)."""
        self.response: httpx.Response | None = None
        """Always None: there was no answer. Here so that every error has both."""

    def __getstate__(self) -> dict[str, Any]:
        return _state_without_credentials(self)


class HotConnectionError(_Unanswered):
    """The request did not get an answer: connection refused, reset or dropped.

    The message names the full URL requested (credentials in it masked).
    `request` is httpx's request when one was made; `response` is None.

    `request_sent` is False when no connection was ever established (refused,
    unreachable): the server cannot have seen the request, so sending it again
    is safe whatever it was. True means it may have arrived.
    """


class HotTimeoutError(_Unanswered):
    """A connect, read or overall wait timeout expired.

    `request_sent` as on `HotConnectionError`: False only for a connect or
    pool timeout, before anything was sent. `request` and `response` as on
    `HotConnectionError`.
    """


def _state_without_credentials(error: _Unanswered) -> dict[str, Any]:
    state = dict(error.__dict__)
    if error.request is not None:
        state["request"] = _without_credentials(error.request)
    return state


class HotStreamError(HotError):
    """A stream could not be followed to its end (reconnects exhausted, stream cut short)."""


class HotFrameTooLargeError(HotStreamError):
    """An SSE frame grew past the client's `max_sse_frame_bytes` without ending.

    The stream is closed instead of buffering the frame without bound. `raw`
    is the text of the frame received so far (its first `max_bytes` bytes).
    """

    def __init__(self, message: str, *, raw: str, max_bytes: int) -> None:
        super().__init__(message)
        self.raw = raw
        self.max_bytes = max_bytes


class HotRunError(HotError):
    """A run ended failed or cancelled. `run` is its terminal record."""

    def __init__(self, message: str, *, run: FinishedRun) -> None:
        super().__init__(message)
        self.run = run


class HotMcpError(HotError):
    """An MCP service (`hot.mcp`) refused a request or reported a failed tool call.

    For a JSON-RPC error answer (an unknown tool or method, params it cannot
    use, a call that timed out) `code` is its JSON-RPC code (-32602 invalid
    params, -32601 method not found, -32603 internal error, ...), `message` and
    `data` its error's. For a `tools/call` whose function failed or was
    cancelled (a result with `isError`), `code` is None, `message` the text the
    result carries and `result` the result itself. `raw` is the JSON-RPC answer
    as received.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        data: Any = None,
        raw: Any,
        result: McpToolResult | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data
        self.raw = raw
        self.result = result

    def __str__(self) -> str:
        return f"MCP error {self.code}: {self.message}" if self.code is not None else self.message


class HotTaskError(HotError):
    """A task ended failed, cancelled or timed out. `task` is its terminal record."""

    def __init__(self, message: str, *, task: FinishedTask) -> None:
        super().__init__(message)
        self.task = task


class HotUploadError(HotError):
    """`files.upload_file` could not store the file; the failure is chained as `__cause__`.

    `part_number` names the part that failed (None when the failure was not in a
    part: starting, completing, or a single-request upload); `upload_id` is the
    multipart upload, if one was started; `aborted` says whether the server
    confirmed discarding it, and `completed` whether it reported the upload
    completed, the file stored at `path`, when its record could not be read.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        upload_id: str | None = None,
        part_number: int | None = None,
        aborted: bool = False,
        completed: bool = False,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.upload_id = upload_id
        self.part_number = part_number
        self.aborted = aborted
        self.completed = completed
