"""Sending requests: a `Request` description in, an httpx response out, once per client kind.

Each transport builds the httpx request for a description (with the client's
`Settings`), sends it, applies the retry policy, maps failures onto
`HotError`s and logs one DEBUG line per request (method, path, status,
request id, duration: never a header). `SyncTransport` and `AsyncTransport`
differ only in how they wait for I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Generator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar
from urllib.request import getproxies

import httpx

from ._affinity import check_affinity
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
from ._frames import limit_frames
from ._http_options import HttpOptions
from ._own_clients import OwnAsyncClient, OwnClient
from ._request import Request
from ._settings import Settings

__all__ = ["AsyncTransport", "SyncTransport"]

logger = logging.getLogger("hot_typed")

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


def _put(headers: dict[str, str], more: Mapping[str, str]) -> None:
    """Add `more` to `headers`, each replacing its name in any spelling: names are
    case-insensitive, and `accept` beside `Accept` would go out as two headers."""
    names = {name.lower() for name in more}
    for name in [name for name in headers if name.lower() in names]:
        del headers[name]
    headers.update(more)


def _api_error(response: httpx.Response) -> HotApiError:
    # The error models load pydantic: left until a request fails, so that
    # importing a client and creating one never loads it.
    from ._api_errors import api_error

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


def _reaching(
    *, error: httpx.HTTPError | None = None, response: httpx.Response | None = None
) -> str | None:
    """The failure of an attempt about to be repeated, when that attempt may have
    reached the server (a 429 was refused before anything was done; a connection
    never made carried nothing); else None."""
    if error is not None:
        return None if isinstance(error, _NOT_SENT) else type(error).__name__
    assert response is not None
    return None if response.status_code == 429 else str(response.status_code)


def _already_deleted(request: Request, response: httpx.Response, reached: str | None) -> bool:
    """Whether `response` (no success) is the 404 of a DELETE repeated after an
    attempt that may have reached the server (`reached` says how it failed):
    that attempt most likely deleted it, and only its answer was lost. The state
    asked for holds, so the call succeeds; a 404 to a first attempt (or after
    attempts that cannot have acted) is raised as ever.

    The server answers 404 to deleting what a delete removed:
    crates/hot_api/src/handlers/files.rs delete_file (the file marked inactive is
    no longer found), context.rs delete_context_variable (the row is gone).
    """
    if reached is None or request.method != "DELETE" or response.status_code != 404:
        return False
    logger.info(
        "%s %s: 404 after an attempt that may have reached the server (%s): "
        "taken as deleted by that attempt",
        request.method,
        request.path,
        reached,
    )
    return True


def _deleted(response: httpx.Response) -> httpx.Response:
    """The answer a delete that took effect gives (204, no content), in place of
    `response`, the repeat's 404: of the same request, and as long in coming."""
    deleted = httpx.Response(204, request=response.request)
    deleted.elapsed = response.elapsed
    return deleted


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
    #: Whether its connections belong to an event loop too (see `_affinity`).
    in_loop = False

    def __init__(self, settings: Settings, client: C, owns_client: bool) -> None:
        self.settings = settings
        self.client: C = client
        self.owns_client = owns_client
        self.closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings.shown_base!r})"

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
                delay = self.settings.policy.after_connection_error(
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
                delay = self.settings.policy.after_status(
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
            self.settings.policy.max_retries,
            delay,
        )
        return delay

    def build(self, request: Request) -> httpx.Request:
        """The httpx request for `request`. A client created here (`owns_client`) holds
        `Settings.client_headers()` as its defaults, so only what differs is merged per
        request (merging headers is most of httpx's cost of building a request);
        a client passed in by the user gets every header with every request."""
        settings = self.settings
        headers = {} if self.owns_client else settings.client_headers()
        if request.headers:
            _put(headers, request.headers)
        own: dict[str, str] = {}
        if request.accept != "application/json":
            own["Accept"] = request.accept
        if request.accept == "text/event-stream":
            # The frame size limit counts received bytes: they must be the frames.
            own["Accept-Encoding"] = "identity"
        content: Any = request.content
        if request.json is not None:
            own["Content-Type"] = "application/json"
            content = request.json
        elif request.content_type is not None:
            own["Content-Type"] = request.content_type
        if own:
            _put(headers, own)
        # crates/hot_api/src/server.rs: `/status` and the public routes (`/webhook/...`)
        # are served at the root, outside `/v1`.
        base = settings.api_base[: -len("/v1")] if request.root else settings.api_base
        url = base + request.path
        params = request.params
        if params and not self.client.params and "?" not in url:
            # Handed `params=`, httpx parses the URL, then again with the query;
            # written here as httpx encodes it, the URL is parsed once. A query in
            # the path or a client's default params keep httpx's own rule (in
            # 0.28, `params=` replaces the URL's query).
            url, params = f"{url}?{httpx.QueryParams(params)}", None
        built = self.client.build_request(
            request.method,
            url,
            params=params,
            content=content,
            files=request.files,
            data=request.data,
            headers=headers,
            timeout=_timeout(self.client.timeout, request),
        )
        if not request.authenticate:
            built.headers.pop("Authorization", None)
        return built

    def _check_open(self) -> None:
        # Closed is closed even over an httpx client the user still owns: the
        # same client must not work or fail depending on who made its connections.
        if self.closed:
            raise HotClientClosedError(
                f"this {self.client_name} was closed; create a new one to send requests"
            )
        # Closed under it: the client a `with_options` copy shares its pool with,
        # or the httpx client passed in, was closed.
        if self.client.is_closed:
            raise HotClientClosedError(
                f"the connections of this {self.client_name} were closed (by closing the "
                "client it was copied from, or the httpx client it was given); create a "
                "new one to send requests"
            )
        check_affinity(self.client, self.client_name, in_loop=self.in_loop)


class SyncTransport(_Transport[httpx.Client]):
    client_name = "HotClient"

    def __init__(
        self, settings: Settings, client: httpx.Client | None, http: HttpOptions | None = None
    ) -> None:
        owns = client is None
        super().__init__(
            settings,
            client
            or OwnClient(
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
        """Send `request` with retries; a non-2xx answer raises its `HotApiError`
        (but a repeated DELETE's 404: `_already_deleted`)."""
        self._check_open()
        attempt = 0
        reached: str | None = None  # how an earlier attempt that may have acted failed
        while True:
            started = time.perf_counter()
            try:
                response = self._receive(request)
            except httpx.HTTPError as error:
                delay = self.retry_delay(request, attempt, error=error)
                reached = reached or _reaching(error=error)
            else:
                if _accepted(request, response, started):
                    return response
                if _already_deleted(request, response, reached):
                    return _deleted(response)
                delay = self.retry_delay(request, attempt, response=response)
                reached = reached or _reaching(response=response)
            attempt += 1
            time.sleep(delay)

    def _receive(self, request: Request) -> httpx.Response:
        """One exchange, its body read: whole on success, its start otherwise."""
        response = self.client.send(self.build(request), stream=True)
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
            response = self.client.send(self.build(request), stream=True)
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
    in_loop = True

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient | None, http: HttpOptions | None = None
    ) -> None:
        owns = client is None
        super().__init__(
            settings,
            client
            or OwnAsyncClient(
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
            # Closed in the loop its connections belong to, or refused saying so.
            check_affinity(self.client, self.client_name, in_loop=True, closing=True)
            await self.client.aclose()

    async def send(self, request: Request) -> httpx.Response:
        """Send `request` with retries; a non-2xx answer raises its `HotApiError`
        (but a repeated DELETE's 404: `_already_deleted`)."""
        self._check_open()
        attempt = 0
        reached: str | None = None  # how an earlier attempt that may have acted failed
        while True:
            started = time.perf_counter()
            try:
                response = await self._receive(request)
            except httpx.HTTPError as error:
                delay = self.retry_delay(request, attempt, error=error)
                reached = reached or _reaching(error=error)
            else:
                if _accepted(request, response, started):
                    return response
                if _already_deleted(request, response, reached):
                    return _deleted(response)
                delay = self.retry_delay(request, attempt, response=response)
                reached = reached or _reaching(response=response)
            attempt += 1
            # Loaded already by the running loop; the blocking client never needs it.
            import asyncio

            await asyncio.sleep(delay)

    async def _receive(self, request: Request) -> httpx.Response:
        """One exchange, its body read: whole on success, its start otherwise."""
        response = await self.client.send(self.build(request), stream=True)
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
            response = await self.client.send(self.build(request), stream=True)
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
