"""The few ASGI pieces the proxy needs: types, reading a bounded body, JSON answers.

Written against the ASGI 3 HTTP specification only, so the proxy mounts in any
ASGI framework (Starlette, FastAPI, Litestar, Django) or runs on its own.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = [
    "ClientGone",
    "SSE_HEADERS",
    "Receive",
    "Refusal",
    "Scope",
    "Send",
    "header",
    "read_body",
    "relative_path",
    "send_error",
    "send_json",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Every answer of the proxy is its own: no upstream header is copied.
_NO_STORE = (b"cache-control", b"no-store")
_NOSNIFF = (b"x-content-type-options", b"nosniff")

#: The headers of a relayed event stream.
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    # Reverse proxies (nginx) buffer answers unless told not to: events must
    # reach the browser as they happen.
    (b"x-accel-buffering", b"no"),
    _NOSNIFF,
]


class Refusal(Exception):
    """A request the proxy answers with an error envelope instead of forwarding it.

    The envelope is the Hot API's: `{"error": {"code", "message", ...extra}}`;
    `headers` are added to the answer (`Allow`, `Retry-After`).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}
        self.headers = tuple(headers)


class ClientGone(Exception):
    """The browser disconnected before its request was read."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header `name` (lowercase), decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def relative_path(scope: Scope) -> str:
    """The request path below where the app is mounted, `/` for the mount point.

    ASGI servers and frameworks disagree on whether `path` keeps the mount
    prefix held in `root_path` (Starlette's mounts keep it); both are handled.
    """
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and (path == root or path.startswith(root.rstrip("/") + "/")):
        path = path[len(root.rstrip("/")) :]
    return path.rstrip("/") or "/"


async def read_body(receive: Receive, scope: Scope, limit: int) -> bytes:
    """The whole request body; `Refusal` 413 as soon as it exceeds `limit` bytes.

    A declared `Content-Length` over the limit is refused before any of the
    body is read.
    """
    declared = header(scope, b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        body += message.get("body", b"")
        if len(body) > limit:
            raise _too_large(limit)
        if not message.get("more_body", False):
            return bytes(body)


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413, "payload_too_large", f"the request body is larger than {limit} bytes"
    )


async def send_json(
    send: Send, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """A complete `application/json` answer."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                _NO_STORE,
                _NOSNIFF,
                *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, refusal: Refusal) -> None:
    """`refusal` in the API's error envelope."""
    error = {"code": refusal.code, "message": refusal.message, **refusal.extra}
    await send_json(send, refusal.status, {"error": error}, refusal.headers)
