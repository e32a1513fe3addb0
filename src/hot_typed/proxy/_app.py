"""`HotProxy`: the backend half of a browser app on Hot, as a plain ASGI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from urllib.parse import parse_qs

from .._client import AsyncHotClient
from .._errors import HotApiError, HotError, HotTimeoutError
from .._frames import is_event_stream
from .._models.events import EventCreate
from .._models.stream_events import StreamEvent
from .._request import Request
from .._streaming import (
    _subscribe_with_event,  # pyright: ignore[reportPrivateUsage]
    stream_subscription,
)
from .._wire import event_decoder, request_body
from ._asgi import (
    SSE_HEADERS,
    ClientGone,
    Receive,
    Refusal,
    Scope,
    Send,
    header,
    read_body,
    relative_path,
    send_error,
    send_json,
)
from ._relay import frames
from ._rules import (
    AllowEventTypes,
    EventHook,
    Policy,
    ProxyRequest,
    Stamp,
    parse_event,
    parse_stream_id,
    resolve,
    stamped,
)

__all__ = ["HotProxy"]

logger = logging.getLogger("hot_typed.proxy")


class HotProxy:
    """An ASGI application through which browsers talk to Hot without its token.

    Mount it under a path of your app (`app.mount("/api/hot", proxy)` in
    FastAPI or Starlette) or serve it alone, on an asyncio ASGI server
    (uvicorn, hypercorn, daphne, granian). Below that path:

    - `POST /` with `{"event_type", "event_data", "stream_id"?}` (or the JS
      SDK's `eventType`, `eventData`, `streamId`) publishes the event through
      one atomic subscribe-with-event and streams Hot's SSE answer back as it
      arrives, keep-alives included, until Hot ends it (its 5-minute limit) or
      the browser leaves, which closes the upstream connection at once. Later
      turns of a conversation go to the same stream without a second
      subscriber:
    - `POST /publish` with the same body, `stream_id` required, publishes it
      into that stream and answers `201 {"data": {"event_id", "stream_id",
      "event_type"}}`.
    - `GET /?stream_id=<uuid>` reattaches to an existing stream (after its
      connection ended), publishing nothing. Hot does not replay `stream:data`
      on reattach: refresh state from your own storage.

    Safe by default: `allow` (the event types a browser may publish) or
    `policy` (see `Policy`), or both, must be given; a request either refuses
    answers `403 forbidden`. Bodies larger than `max_body_bytes` answer 413,
    bodies that are not JSON 400, bodies the API would refuse 422 (a
    `stream_id` that is not a UUID among them), a non-JSON content type 415
    (a cross-site form cannot post here without a CORS preflight). Every
    refusal is in the API's error envelope, `{"error": {"code", "message"}}`.

    `stamp` adds server-side fields (the signed-in user's id, from the ASGI
    scope) to `event_data` after the policy allowed the request; `on_event`
    sees each typed `StreamEvent` on its way to the browser (a reply
    accumulator, an audit log). Both may be sync or async; an exception
    from either is your server's error (a 500 before the stream starts, the
    stream's end after).

    The token stays here: no upstream header is copied to the browser, and
    upstream errors are re-enveloped (a 401 from Hot answers 502, since the
    browser cannot fix this server's credentials; 5xx answers 502). The
    client `hot` is not closed by the proxy.
    """

    def __init__(
        self,
        hot: AsyncHotClient,
        *,
        allow: Iterable[str] | None = None,
        policy: Policy | None = None,
        stamp: Stamp | None = None,
        on_event: EventHook | None = None,
        max_body_bytes: int = 64 * 1024,
        project: str | None = None,
    ) -> None:
        policies: list[Policy] = []
        if allow is not None:
            policies.append(AllowEventTypes(allow))
        if policy is not None:
            policies.append(policy)
        if not policies:
            raise TypeError(
                "HotProxy needs allow=[event types] or policy=...: "
                "a proxy publishing whatever a browser sends would expose every handler"
            )
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        self._hot = hot
        self._policies = tuple(policies)
        self._stamp = stamp
        self._on_event = on_event
        self._max_body_bytes = max_body_bytes
        self._project = project
        self._decode = event_decoder(StreamEvent)

    def __repr__(self) -> str:
        return f"HotProxy({self._hot!r}, policies={self._policies!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"HotProxy serves HTTP, not {scope['type']!r}")
        try:
            await self._route(scope, receive, send)
        except Refusal as refusal:
            await send_error(send, refusal)
        except ClientGone:
            pass

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = relative_path(scope), scope["method"]
        if path == "/" and method == "POST":
            await self._subscribe(scope, receive, send)
        elif path == "/" and method == "GET":
            await self._reattach(scope, receive, send)
        elif path == "/publish" and method == "POST":
            await self._publish(scope, receive, send)
        elif path in ("/", "/publish"):
            allowed = "GET, POST" if path == "/" else "POST"
            message = f"{method} is not served here"
            raise Refusal(405, "method_not_allowed", message, headers=[("Allow", allowed)])
        else:
            raise Refusal(404, "not_found", "no such route")

    # ------------------------------------------------------------ routes

    async def _subscribe(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = await self._read_event(scope, receive)
        request = ProxyRequest("subscribe", event, event.stream_id)
        body = request_body(EventCreate, await self._allowed_event(scope, request))
        # The very request `AsyncHotClient.subscribe_with_event` sends.
        call = _subscribe_with_event(body, self._project, None)
        await self._relay(scope, receive, send, request, call.request)

    async def _publish(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = await self._read_event(scope, receive)
        if event.stream_id is None:
            raise Refusal(
                422, "validation_error", "stream_id: required to publish into an open stream"
            )
        request = ProxyRequest("publish", event, event.stream_id)
        # One subscriber per stream: the browser already reads this stream,
        # so the later turn is a plain publish (resources/ai/skills/hot-ai-agents/
        # references/sdk-clients.md, "multi-turn browser session").
        try:
            published = await self._hot.events.publish(await self._allowed_event(scope, request))
        except HotError as error:
            raise self._upstream_refusal(error) from None
        data = {
            "event_id": str(published.event_id),
            "stream_id": str(published.stream_id),
            "event_type": published.event_type,
        }
        await send_json(send, 201, {"data": data})

    async def _reattach(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        stream_id = parse_stream_id(next(iter(query.get("stream_id", [])), None))
        request = ProxyRequest("reattach", None, stream_id)
        await self._authorize(scope, request)
        call = stream_subscription("GET", stream_id, self._project)
        await self._relay(scope, receive, send, request, call.request)

    # ------------------------------------------------------------ checks

    async def _read_event(self, scope: Scope, receive: Receive) -> EventCreate:
        content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Refusal(415, "unsupported_media_type", "send the body as application/json")
        return parse_event(await read_body(receive, scope, self._max_body_bytes))

    async def _authorize(self, scope: Scope, request: ProxyRequest) -> None:
        for policy in self._policies:
            if not await resolve(policy(scope, request)):
                what = (
                    f"event type {request.event.event_type!r}"
                    if request.event is not None
                    else f"stream {request.stream_id}"
                )
                raise Refusal(403, "forbidden", f"{what} is not allowed here")

    async def _allowed_event(self, scope: Scope, request: ProxyRequest) -> EventCreate:
        """The event to send upstream: authorized, then stamped."""
        await self._authorize(scope, request)
        assert request.event is not None
        if self._stamp is None:
            return request.event
        return stamped(request.event, await resolve(self._stamp(scope, request)))

    # ------------------------------------------------------------ streaming

    async def _relay(
        self, scope: Scope, receive: Receive, send: Send, request: ProxyRequest, upstream: Request
    ) -> None:
        """Forward `upstream`'s event stream until it ends or the browser leaves."""
        forward = asyncio.ensure_future(self._forward(scope, send, request, upstream))
        gone = asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait((forward, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            # When the browser left first, cancelling `forward` closes the
            # upstream response inside it: Hot sees its subscriber go at once.
            gone.cancel()
            forward.cancel()
            await asyncio.gather(forward, gone, return_exceptions=True)
        if not forward.cancelled():
            forward.result()

    async def _forward(
        self, scope: Scope, send: Send, request: ProxyRequest, upstream: Request
    ) -> None:
        started = False
        try:
            # The proxy sends through its client's own transport (pools, retries, hooks).
            transport = self._hot._transport  # pyright: ignore[reportPrivateUsage]
            async with transport.stream(upstream) as response:
                if not is_event_stream(response):
                    raise Refusal(502, "bad_gateway", "the Hot API did not answer an event stream")
                await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
                started = True
                async for frame in frames(response):
                    chunk = {"type": "http.response.body", "body": frame.wire, "more_body": True}
                    await send(chunk)
                    if frame.data is not None and self._on_event is not None:
                        await self._observe(scope, request, frame.data)
        except HotError as error:
            if not started:
                raise self._upstream_refusal(error) from None
            # Headers are out: all the browser can be told is that the stream ended.
            reason = self._redact(str(error))
            logger.warning("upstream event stream ended: %s", reason)
        except OSError:
            return  # the browser's connection failed under `send`: nothing to answer
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _observe(self, scope: Scope, request: ProxyRequest, data: str) -> None:
        assert self._on_event is not None
        try:
            event = self._decode(data)
        except HotError as error:
            # Forwarded anyway: the browser may know a shape this version does not.
            logger.warning("stream event not decoded for on_event: %s", error)
            return
        if event is not None:
            await resolve(self._on_event(scope, request, event))

    def _redact(self, text: str) -> str:
        """`text` with the client's credentials masked, as its own failures are."""
        return self._hot._settings.redact(text)  # pyright: ignore[reportPrivateUsage]

    def _upstream_refusal(self, error: HotError) -> Refusal:
        """What the browser is told of an upstream failure: never more than it needs."""
        if isinstance(error, HotApiError):
            status = error.status_code
            if status == 401:
                return Refusal(502, "bad_gateway", "the Hot API refused this server's credentials")
            if status >= 500 or status < 400:
                return Refusal(502, "bad_gateway", f"the Hot API failed ({status})")
            extra: dict[str, object] = {}
            if error.request_id is not None:
                extra["request_id"] = str(error.request_id)
            headers: list[tuple[str, str]] = []
            if error.retry_after is not None:
                extra["retry_after"] = error.retry_after
                headers.append(("Retry-After", str(max(0, int(error.retry_after)))))
            return Refusal(
                status,
                error.code or "upstream_error",
                self._redact(error.message or f"refused ({status})"),
                extra=extra,
                headers=headers,
            )
        if isinstance(error, HotTimeoutError):
            return Refusal(504, "gateway_timeout", "the Hot API did not answer in time")
        return Refusal(502, "bad_gateway", "the Hot API could not be reached")


async def _disconnect(receive: Receive) -> None:
    """Returns once the browser has disconnected."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _lifespan(receive: Receive, send: Send) -> None:
    """Served alone, the proxy has nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

