"""Signed callbacks: verify the HMAC signature Hot agents put on the callbacks they POST.

An agent built on Hot's `hot-ai-agent` package that answers in callback mode
POSTs its reply to your URL as JSON, with the header
`x-hot-signature: sha256=<hex>`: the HMAC-SHA256, keyed with a secret you
share with it, of the exact body bytes (hot/pkg/hot-ai-agent/src/ai/agent/
callbacks.hot `build-headers`; the header name is the agent's
`signing-header`, lowercased, `x-hot-signature` by default). Verify the body
*as received*, before parsing it: re-serialized JSON would not match::

    from hot_typed.callbacks import parse_callback

    reply = parse_callback(body, headers, secret=os.environ["HOT_CALLBACK_SECRET"])
    print(reply.session_id, reply.text)

`SignatureMiddleware` does it for any ASGI app, `verify_request` inside an
ASGI app, `verify_wsgi` inside a WSGI app; `sign` and `signed_headers` make
signed bodies for your tests. Those three read a request's body only once its
signature header is there and well formed, and no more of it than
`max_body_bytes` (`MAX_BODY_BYTES` unless given): whoever can reach your
endpoint, signed or not, cannot make it hold more. Signatures are compared in constant time
(`hmac.compare_digest`); no error, repr or log shows the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, SecretStr

from ._errors import HotError
from ._models._base import WireModel

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "SIGNATURE_SCHEME",
    "CallbackReply",
    "HotSignatureError",
    "SignatureMiddleware",
    "parse_callback",
    "sign",
    "signed_headers",
    "verify_request",
    "verify_signature",
    "verify_wsgi",
]

SIGNATURE_HEADER = "x-hot-signature"
"""The header carrying the signature unless the agent names another (callbacks.hot)."""

SIGNATURE_SCHEME = "sha256="
"""The prefix of the signature's value: callbacks.hot sends `sha256=<hex>`."""

MAX_BODY_BYTES = 10 * 1024 * 1024
"""The most of a request's body read before its signature is checked, unless
given: a callback is an agent's JSON reply, far smaller. A longer body is
refused (`too_large`) without reading past this bound."""

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")

Secret = str | bytes | SecretStr
"""A shared signing secret: text (UTF-8, as Hot's `::hot::hmac` keys with it), bytes
or a pydantic `SecretStr`."""

M = TypeVar("M", bound=BaseModel)

Reason = Literal["missing", "malformed", "mismatch", "too_large"]


class HotSignatureError(HotError):
    """A callback's signature is missing, malformed or wrong, or its body too long
    to be checked: do not trust its body.

    `reason` says which (`"missing"`, `"malformed"`, `"mismatch"`,
    `"too_large"`) and `header` which header was read. The message never shows
    the secret or the signature.
    """

    def __init__(self, message: str, *, reason: Reason, header: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.header = header


class CallbackReply(WireModel):
    """A reply an agent POSTed to a callback URL.

    hot/src/team-agent/web_adapter.hot `reply-impl` posts
    `{session_id, text, reply_to, transport}`; other agents post their own
    fields, kept as extras and in `.raw`.
    """

    session_id: str | None = None
    text: str | None = None
    reply_to: str | None = None
    transport: str | None = None


def _key(secret: Secret) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError("the signing secret must not be empty")
    return key


def _bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


def sign(body: bytes | str, secret: Secret) -> str:
    """The signature header value for `body`: `sha256=` and the hex HMAC-SHA256 of
    its bytes (text is UTF-8 encoded) keyed with `secret`."""
    digest = hmac.new(_key(secret), _bytes(body), hashlib.sha256).hexdigest()
    return SIGNATURE_SCHEME + digest


def signed_headers(
    body: bytes | str, secret: Secret, *, header: str = SIGNATURE_HEADER
) -> dict[str, str]:
    """The headers an agent sends with a callback of `body`: its content type and
    signature (callbacks.hot `build-headers`). For tests of your endpoint."""
    return {"content-type": "application/json", header.lower(): sign(body, secret)}


def verify_signature(
    body: bytes | str, signature: str | None, secret: Secret, *, header: str = SIGNATURE_HEADER
) -> None:
    """Check that `signature` (the header's value, None when absent) signs `body`.

    Raises `HotSignatureError`: `missing` when there is no signature, `malformed`
    when it is not `sha256=` and 64 hex digits, `mismatch` when it is not the
    signature of `body` with `secret`. The comparison takes the same time
    wherever the signatures differ (`hmac.compare_digest`).
    """
    digest = _digest(signature, header)
    expected = sign(body, secret)[len(SIGNATURE_SCHEME) :]
    if not hmac.compare_digest(expected, digest.lower()):
        raise HotSignatureError(
            f"the {header} signature does not match the body", reason="mismatch", header=header
        )


def _digest(signature: str | None, header: str) -> str:
    """The hex digest of a signature header's value; `missing` or `malformed`."""
    if signature is None or not signature.strip():
        raise HotSignatureError(
            f"the request has no {header} signature", reason="missing", header=header
        )
    given = signature.strip()
    scheme, digest = given[: len(SIGNATURE_SCHEME)], given[len(SIGNATURE_SCHEME) :]
    if scheme.lower() != SIGNATURE_SCHEME or _HEX_DIGEST.fullmatch(digest) is None:
        raise HotSignatureError(
            f"the {header} signature is not '{SIGNATURE_SCHEME}' followed by 64 hex digits",
            reason="malformed",
            header=header,
        )
    return digest


def _checked_bound(max_body_bytes: object) -> int:
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
        raise TypeError(f"max_body_bytes must be an int, got {max_body_bytes!r}")
    if max_body_bytes < 0:
        raise ValueError(f"max_body_bytes must be 0 or more, got {max_body_bytes}")
    return max_body_bytes


def _too_large(header: str, max_body_bytes: int) -> HotSignatureError:
    return HotSignatureError(
        f"the request body is longer than {max_body_bytes} bytes, the most read to "
        f"check its {header} signature",
        reason="too_large",
        header=header,
    )


def _header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter is not None else None
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value if isinstance(value, str) else None


@overload
def parse_callback(
    body: bytes | str, headers: Mapping[str, str], secret: Secret, *, header: str = ...
) -> CallbackReply: ...
@overload
def parse_callback(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: Secret,
    model: type[M],
    *,
    header: str = ...,
) -> M: ...
def parse_callback(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: Secret,
    model: type[BaseModel] = CallbackReply,
    *,
    header: str = SIGNATURE_HEADER,
) -> BaseModel:
    """Verify a callback's signature, then read its JSON body as `model`
    (`CallbackReply` unless given).

    `headers` is any mapping of the request's headers (looked up without
    regard to case). Raises `HotSignatureError` (see `verify_signature`) before
    anything is parsed, then pydantic's `ValidationError` when the body does
    not fit `model`.
    """
    verify_signature(body, _header(headers, header), secret, header=header)
    return model.model_validate_json(_bytes(body))


# ---------------------------------------------------------------- ASGI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _scope_header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode("latin-1")
    for key, value in scope.get("headers") or ():
        if bytes(key).lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


async def verify_request(
    scope: Scope,
    receive: Receive,
    secret: Secret,
    *,
    header: str = SIGNATURE_HEADER,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> tuple[bytes, Receive]:
    """Verify the signature of an ASGI HTTP request; its body and a `receive` that
    replays it.

    Refuses a request whose signature header is missing or malformed before
    reading its body; otherwise reads the whole body from `receive` once (a
    body longer than `max_body_bytes` is refused as soon as it is, as
    `too_large`), checks it against the signature (raising `HotSignatureError`),
    and returns the body with a `receive` that gives the app the same body
    again, then defers to the original `receive` (for `http.disconnect`).
    """
    limit = _checked_bound(max_body_bytes)
    signature = _scope_header(scope, header)
    _digest(signature, header)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _too_large(header, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    verify_signature(body, signature, secret, header=header)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


class SignatureMiddleware:
    """ASGI middleware admitting only HTTP requests signed with `secret`.

    A request whose signature is missing, malformed or wrong is answered
    `401` with `{"error": {"code": "invalid_signature", "message": ...}}`
    saying which, one whose body is longer than `max_body_bytes` `413` with
    code `payload_too_large`, and neither reaches `app`; a signed one reaches
    it with its body intact (see `verify_request`). `paths`, when given, limits
    the check to requests whose path is one of them (or below one ending in
    `/`); other requests pass through.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret: Secret,
        *,
        header: str = SIGNATURE_HEADER,
        paths: tuple[str, ...] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.header = header
        self.paths = paths
        self.max_body_bytes: int = _checked_bound(max_body_bytes)
        self._secret = SecretStr(secret) if isinstance(secret, str) else secret

    def __repr__(self) -> str:
        return (
            f"SignatureMiddleware(header={self.header!r}, paths={self.paths!r}, "
            f"max_body_bytes={self.max_body_bytes})"
        )

    def _guards(self, path: str) -> bool:
        if self.paths is None:
            return True
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the signature of an HTTP request, then hand it to the app."""
        if scope["type"] != "http" or not self._guards(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        try:
            _, receive = await verify_request(
                scope,
                receive,
                self._secret,
                header=self.header,
                max_body_bytes=self.max_body_bytes,
            )
        except HotSignatureError as error:
            status, code = (
                (413, "payload_too_large")
                if error.reason == "too_large"
                else (401, "invalid_signature")
            )
            body = json.dumps({"error": {"code": code, "message": str(error)}}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- WSGI


def verify_wsgi(
    environ: MutableMapping[str, Any],
    secret: Secret,
    *,
    header: str = SIGNATURE_HEADER,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> bytes:
    """Verify the signature of a WSGI request; its body.

    Refuses a request whose signature header is missing or malformed, or whose
    `CONTENT_LENGTH` is over `max_body_bytes` (`too_large`), before reading
    its body. Otherwise reads `CONTENT_LENGTH` bytes of `wsgi.input` (without
    a length, or with one that is no number of bytes, to its end when the
    server sets `wsgi.input_terminated`, refused past `max_body_bytes`, else
    nothing, as PEP 3333 asks), checks them against the signature (raising
    `HotSignatureError`), and puts a rewound copy back as `wsgi.input`, so the
    app (or its framework) reads the same body again.
    """
    limit = _checked_bound(max_body_bytes)
    signature = environ.get("HTTP_" + header.upper().replace("-", "_"))
    _digest(signature, header)
    stream = environ["wsgi.input"]
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    # A server may pass the header as the client sent it: one that is no length
    # ("-1" would read until the client closes, which it does not while it
    # awaits the answer) counts as none.
    if length.isascii() and length.isdigit():
        if int(length) > limit:
            raise _too_large(header, limit)
        body = stream.read(int(length))
    else:
        body = _read_to_end(stream, header, limit) if environ.get("wsgi.input_terminated") else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    verify_signature(body, signature, secret, header=header)
    return bytes(body)


def _read_to_end(stream: Any, header: str, limit: int) -> bytes:
    """A terminated `wsgi.input` read to its end, refused once past `limit`
    (a read may return less than asked: read until one returns nothing)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(limit + 1 - size):
        size += len(chunk)
        if size > limit:
            raise _too_large(header, limit)
        chunks.append(chunk)
    return b"".join(chunks)
