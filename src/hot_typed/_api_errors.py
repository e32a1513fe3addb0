"""Error answers: a non-2xx response, its body read, becomes the `HotApiError` it means.

The API answers errors as `{"error": {"code", "message", "request_id",
"retry_after"}}` (`ErrorEnvelope`); a proxy in between may answer anything, so
bodies are read leniently and the response's headers fill in what the body lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import HotApiError, api_error_class
from ._models._base import WireModel
from ._models._json import is_json_object
from ._retry_after import retry_after_seconds
from ._wire import decoded_or_text

if TYPE_CHECKING:
    import httpx

__all__ = ["ErrorEnvelope", "api_error"]


class ErrorBody(WireModel):
    code: str
    message: str
    request_id: str | None = None
    retry_after: int | None = None


class ErrorEnvelope(WireModel):
    """The JSON body of an error answer. `api_error` reads bodies leniently (a proxy
    may answer anything); this model states the API's own shape for schemas/."""

    error: ErrorBody




def api_error(response: httpx.Response) -> HotApiError:
    """The `HotApiError` subclass for a non-2xx response whose body has been read."""
    text = response.text
    body: Any = decoded_or_text(response.content) if response.content else None
    envelope = body.get("error") if is_json_object(body) else None
    status = response.status_code
    cls = api_error_class(status)
    if is_json_object(envelope):
        code = envelope.get("code")
        message = envelope.get("message")
        request_id = envelope.get("request_id")
        return cls(
            str(message) if message else f"HTTP {status}",
            response=response,
            code=str(code) if code is not None else None,
            request_id=str(request_id) if request_id is not None else None,
            retry_after=retry_after_seconds(envelope.get("retry_after"), response.headers),
            body=body,
        )
    reason = response.reason_phrase or "error"
    snippet = " ".join(text.split())[:200]
    return cls(
        f"HTTP {status} {reason}" + (f": {snippet}" if snippet else ""),
        response=response,
        request_id=response.headers.get("x-request-id"),
        retry_after=retry_after_seconds(None, response.headers),
        body=text,
    )
