"""Sending requests: the only module where the sync and async clients differ.

Each transport turns a `Request` description into an HTTP exchange, applies the
retry policy, maps failures onto `HotError`s and logs one DEBUG line per
request (method, path, status, request id, duration: never a header).
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import logging
import os
import time
import warnings
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit
from urllib.request import getproxies

import httpx

from ._bodies import FilteredStream, Truncate, take_encoding
from ._errors import (
    HotApiError,
    HotClientClosedError,
    HotConnectionError,
    HotError,
    HotTimeoutError,
)
from ._failures import failed_request
from ._failures import where as _where
from ._frames import DEFAULT_MAX_FRAME_BYTES, limit_frames
from ._http_options import HttpOptions
from ._request import Request, check_header_value
from ._retry import RetryPolicy
from ._user_agent import user_agent

__all__ = ["DEFAULT_BASE_URL", "AsyncTransport", "SyncTransport", "Settings"]

logger = logging.getLogger("hot_typed")

DEFAULT_BASE_URL = "https://api.hot.dev"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
USER_AGENT = user_agent()

C = TypeVar("C", httpx.Client, httpx.AsyncClient)

#: Bytes of a non-2xx body read to describe the failure. The API's error envelope
#: is far smaller; a proxy's page (an HTML 502 of megabytes) says no more past it,
#: and reading it all would cost its size several times over.
MAX_ERROR_BODY_BYTES = 64 * 1024


def _bound_error_body(response: httpx.Response) -> None:
    """Make reading `response` stop after its first `MAX_ERROR_BODY_BYTES` decoded bytes
    (gzip and deflate are decoded in bounded pieces; another encoding is bounded on
    the bytes received). Call it before anything is read."""
    decoders = take_encoding(response) or []
    response.stream = FilteredStream(response.stream, [*decoders, Truncate(MAX_ERROR_BODY_BYTES)])


def _check_token(token: str) -> str:
    # A token is a header value: anything but visible ASCII would either split
    # the header block or fail later, deep inside the HTTP library.
    check_header_value("token", token)
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("token must be visible ASCII characters without spaces")
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_base(base_url: str) -> str:
    check_header_value("base_url", base_url)
    base = base_url.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        warnings.warn(
            f"base_url {base!r} uses plain http to a non-loopback host: "
            "the API token would travel in clear text",
            stacklevel=4,
        )
    return base + "/v1"


def _shown(url: str) -> str:
    """`url` fit to show: credentials it embeds (`https://user:pass@host`) masked."""
    parts = urlsplit(url)
    _, at, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc="***@" + host)) if at else url


class Settings:
    """What both transports share: where to send, how to authenticate, when to retry.

    `shown_base` is `api_base` fit for reprs and messages (credentials masked);
    the token is never shown."""

    __slots__ = (
        "_authorization",
        "api_base",
        "max_sse_frame_bytes",
        "policy",
        "shown_base",
        "timeout",
    )

    def __init__(
        self,
        token: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        *,
        retry_non_idempotent: bool = False,
        max_sse_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        token = token if token is not None else os.environ.get("HOT_API_KEY")
        if not token:
            raise HotError(
                "no API token: pass token=... or set the HOT_API_KEY environment variable"
            )
        if max_sse_frame_bytes < 1:
            raise ValueError("max_sse_frame_bytes must be >= 1")
        self._authorization = f"Bearer {_check_token(token)}"
        base_url = base_url or os.environ.get("HOT_BASE_URL") or DEFAULT_BASE_URL
        self.api_base: str = _api_base(base_url)
        self.shown_base: str = _shown(self.api_base)
        self.timeout: httpx.Timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self.policy: RetryPolicy = RetryPolicy(
            max_retries=max_retries, retry_non_idempotent=retry_non_idempotent
        )
        self.max_sse_frame_bytes: int = max_sse_frame_bytes

    def __repr__(self) -> str:
        return f"Settings(api_base={self.shown_base!r})"

    @property
    def token(self) -> str:
        """The API token (in no repr, no log)."""
        return self._authorization[len("Bearer ") :]

    def configured(
        self,
        *,
        max_retries: int | None = None,
        retry_non_idempotent: bool | None = None,
        max_sse_frame_bytes: int | None = None,
    ) -> Settings:
        """A copy with the given settings changed (None keeps one as it is)."""
        clone = copy.copy(self)
        policy: dict[str, Any] = {}
        if max_retries is not None:
            policy["max_retries"] = max_retries
        if retry_non_idempotent is not None:
            policy["retry_non_idempotent"] = retry_non_idempotent
        clone.policy = dataclasses.replace(self.policy, **policy)
        if max_sse_frame_bytes is not None:
            if max_sse_frame_bytes < 1:
                raise ValueError("max_sse_frame_bytes must be >= 1")
            clone.max_sse_frame_bytes = max_sse_frame_bytes
        return clone

    def redact(self, text: str) -> str:
        """`text` with this client's token masked, for words that leave the process."""
        return text.replace(self._authorization[len("Bearer ") :], "[redacted]")

    def retry_delay(
        self,
        request: Request,
        attempt: int,
        *,
        response: httpx.Response | None = None,
        error: httpx.HTTPError | None = None,
    ) -> float:
        """Seconds to wait before sending `request` again; raises its failure when it
        must not be."""
        delay: float | None = None
        if error is not None:
            if request.retry:
                delay = self.policy.after_connection_error(
                    attempt,
                    reached_server=not isinstance(error, _NOT_SENT),
                    idempotent=request.idempotent,
                )
            if delay is None:
                raise _translate(error, request) from error
            cause = type(error).__name__
        else:
            assert response is not None
            failure = _api_error(response)
            if request.retry:
                delay = self.policy.after_status(
                    attempt,
                    response.status_code,
                    failure.retry_after,
                    idempotent=request.idempotent,
                )
            if delay is None:
                raise failure
            cause = str(response.status_code)
        logger.info(
            "%s %s: %s, retry %d of %d in %.2f s",
            request.method,
            request.path,
            cause,
            attempt + 1,
            self.policy.max_retries,
            delay,
        )
        return delay

    def client_headers(self) -> dict[str, str]:
        """The headers every request carries, as defaults of a client created here."""
        return {
            "Authorization": self._authorization,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def build(
        self, client: httpx.Client | httpx.AsyncClient, request: Request, *, own_client: bool
    ) -> httpx.Request:
        """The httpx request for `request`. A client created here (`own_client`) holds
        `client_headers()` as its defaults, so only what differs is merged per
        request (merging headers is most of httpx's cost of building a request);
        a client passed in by the user gets every header with every request."""
        headers = {} if own_client else self.client_headers()
        if request.headers:
            headers.update(request.headers)
        if request.accept != "application/json":
            headers["Accept"] = request.accept
        if request.accept == "text/event-stream":
            # The frame size limit counts received bytes: they must be the frames.
            headers["Accept-Encoding"] = "identity"
        content: Any = request.content
        if request.json is not None:
            headers["Content-Type"] = "application/json"
            content = request.json
        elif request.content_type is not None:
            headers["Content-Type"] = request.content_type
        # crates/hot_api/src/server.rs: `/status` and the public routes (`/webhook/...`)
        # are served at the root, outside `/v1`.
        base = self.api_base[: -len("/v1")] if request.root else self.api_base
        built = client.build_request(
            request.method,
            base + request.path,
            params=request.params,
            content=content,
            files=request.files,
            data=request.data,
            headers=headers,
            timeout=_timeout(client.timeout, request),
        )
        if not request.authenticate:
            built.headers.pop("Authorization", None)
        return built


def _timeout(default: httpx.Timeout, request: Request) -> httpx.Timeout | Any:
    """The request's timeout: its own or the client's, capped by its `timeout`."""
    if request.call_timeout is None and request.timeout is None:
        return httpx.USE_CLIENT_DEFAULT
    timeout = default if request.call_timeout is None else httpx.Timeout(request.call_timeout)
    return timeout if request.timeout is None else _capped(timeout, request.timeout)


def _capped(timeout: httpx.Timeout, cap: float) -> httpx.Timeout:
    return httpx.Timeout(
        connect=cap if timeout.connect is None else min(timeout.connect, cap),
        read=cap if timeout.read is None else min(timeout.read, cap),
        write=cap if timeout.write is None else min(timeout.write, cap),
        pool=cap if timeout.pool is None else min(timeout.pool, cap),
    )


def _api_error(response: httpx.Response) -> HotApiError:
    # The serialization layer loads pydantic: left until a request fails, so that
    # importing a client and creating one never loads it.
    from ._wire import api_error

    return api_error(response)


# Failures where the request cannot have reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _translate(error: httpx.HTTPError, request: Request) -> HotError:
    where = _where(request.method, request.path, error)
    sent_request = failed_request(error)
    sent = not isinstance(error, _NOT_SENT)
    # Whether a non-idempotent request took effect is unknown: say so, since
    # sending it again is then the caller's decision.
    unknown = (
        "; it may have reached the server, so whether it took effect is unknown"
        if not request.idempotent and sent
        else ""
    )
    if isinstance(error, httpx.TimeoutException):
        return HotTimeoutError(
            f"{where} timed out ({type(error).__name__}){unknown}",
            request_sent=sent,
            request=sent_request,
        )
    return HotConnectionError(
        f"{where} failed: {type(error).__name__}: {error}{unknown}",
        request_sent=sent,
        request=sent_request,
    )


def _accepted(request: Request, response: httpx.Response, started: float) -> bool:
    """Log the exchange; True when the answer is a success."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s (request %s, %.1f ms)",
            request.method,
            request.path,
            response.status_code,
            response.headers.get("x-request-id", "-"),
            (time.perf_counter() - started) * 1000,
        )
    return response.is_success


class _Transport(Generic[C]):
    #: The client class using this transport, for messages.
    client_name = "client"

    def __init__(self, settings: Settings, client: C, owns_client: bool) -> None:
        self.settings = settings
        self.client: C = client
        self.owns_client = owns_client
        self.closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings.shown_base!r})"

    def _check_open(self) -> None:
        # Closed is closed even over an httpx client the user still owns: the
        # same client must not work or fail depending on who made its connections.
        if self.closed:
            raise HotClientClosedError(
                f"this {self.client_name} was closed; create a new one to send requests"
            )


class SyncTransport(_Transport[httpx.Client]):
    client_name = "HotClient"

    def __init__(
        self, settings: Settings, client: httpx.Client | None, http: HttpOptions | None = None
    ) -> None:
        owns = client is None
        super().__init__(
            settings,
            client
            or httpx.Client(
                timeout=settings.timeout,
                follow_redirects=False,
                headers=settings.client_headers(),
                **(http.keywords() if http is not None else {}),
            ),
            owns,
        )

    def close(self) -> None:
        self.closed = True
        if self.owns_client:
            self.client.close()

    def send(self, request: Request) -> httpx.Response:
        """Send `request` with retries; a non-2xx answer raises its `HotApiError`."""
        self._check_open()
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._receive(request)
            except httpx.HTTPError as error:
                delay = self.settings.retry_delay(request, attempt, error=error)
            else:
                if _accepted(request, response, started):
                    return response
                delay = self.settings.retry_delay(request, attempt, response=response)
            attempt += 1
            time.sleep(delay)

    def _receive(self, request: Request) -> httpx.Response:
        """One exchange, its body read: whole on success, its start otherwise."""
        response = self.client.send(
            self.settings.build(self.client, request, own_client=self.owns_client), stream=True
        )
        try:
            if not response.is_success:
                _bound_error_body(response)
            response.read()
        finally:
            response.close()
        return response

    @contextmanager
    def stream(self, request: Request) -> Generator[httpx.Response, None, None]:
        """Open a streaming response (never retried); a non-2xx answer raises."""
        self._check_open()
        started = time.perf_counter()
        try:
            response = self.client.send(
                self.settings.build(self.client, request, own_client=self.owns_client), stream=True
            )
        except httpx.HTTPError as error:
            raise _translate(error, request) from error
        try:
            if not _accepted(request, response, started):
                _bound_error_body(response)
                try:
                    response.read()
                except httpx.HTTPError as error:
                    raise _translate(error, request) from error
                raise _api_error(response)
            if request.accept == "text/event-stream":
                limit_frames(response, self.settings.max_sse_frame_bytes)
            yield response
        finally:
            response.close()


def _async_keywords(http: HttpOptions | None) -> dict[str, Any]:
    """The httpx keywords of an `AsyncHotClient`'s own httpx client.

    Its transport is pools sharded so that thousands of open streams stay cheap
    (`ShardedPool`), except where httpx must build the transport itself: for
    HTTP/2 or a proxy given as an option, and when the environment names a
    proxy (httpx honours those only for the transport it creates)."""
    keywords = http.keywords() if http is not None else {}
    if "http2" in keywords or "proxy" in keywords or getproxies():
        return keywords
    from ._pool import ShardedPool

    return {**keywords, "transport": ShardedPool()}


class AsyncTransport(_Transport[httpx.AsyncClient]):
    client_name = "AsyncHotClient"

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient | None, http: HttpOptions | None = None
    ) -> None:
        owns = client is None
        super().__init__(
            settings,
            client
            or httpx.AsyncClient(
                timeout=settings.timeout,
                follow_redirects=False,
                headers=settings.client_headers(),
                **_async_keywords(http),
            ),
            owns,
        )

    async def aclose(self) -> None:
        self.closed = True
        if self.owns_client:
            await self.client.aclose()

    async def send(self, request: Request) -> httpx.Response:
        """Send `request` with retries; a non-2xx answer raises its `HotApiError`."""
        self._check_open()
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._receive(request)
            except httpx.HTTPError as error:
                delay = self.settings.retry_delay(request, attempt, error=error)
            else:
                if _accepted(request, response, started):
                    return response
                delay = self.settings.retry_delay(request, attempt, response=response)
            attempt += 1
            # Loaded already by the running loop; the blocking client never needs it.
            import asyncio

            await asyncio.sleep(delay)

    async def _receive(self, request: Request) -> httpx.Response:
        """One exchange, its body read: whole on success, its start otherwise."""
        response = await self.client.send(
            self.settings.build(self.client, request, own_client=self.owns_client), stream=True
        )
        try:
            if not response.is_success:
                _bound_error_body(response)
            await response.aread()
        finally:
            await response.aclose()
        return response

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncGenerator[httpx.Response, None]:
        """Open a streaming response (never retried); a non-2xx answer raises."""
        self._check_open()
        started = time.perf_counter()
        try:
            response = await self.client.send(
                self.settings.build(self.client, request, own_client=self.owns_client), stream=True
            )
        except httpx.HTTPError as error:
            raise _translate(error, request) from error
        try:
            if not _accepted(request, response, started):
                _bound_error_body(response)
                try:
                    await response.aread()
                except httpx.HTTPError as error:
                    raise _translate(error, request) from error
                raise _api_error(response)
            if request.accept == "text/event-stream":
                limit_frames(response, self.settings.max_sse_frame_bytes)
            yield response
        finally:
            await response.aclose()
