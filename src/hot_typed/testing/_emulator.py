"""`HotEmulator`: the Hot API in memory, served on a real loopback socket."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, overload
from uuid import UUID

from typing_extensions import Self, Unpack

from .._client import AsyncHotClient, HotClient
from .._models.blobs import BlobRef
from .._models.runs import RunStatus
from .._options import ClientOptions
from .._path_ids import canonical_id
from .._uploads import MIN_PART_SIZE
from ._agent import Answer, agent_handler
from ._api_webhooks import WebhookAuth
from ._app import Application
from ._context import ALL_PERMISSIONS, MIB, EmulatorConfig, ServerContext
from ._faults import Faults
from ._handlers import Handler, Handlers, Retry, TaskControl
from ._http import HttpRequest, LoopbackServer
from ._store import Store, run_cancellation
from ._values import new_id

__all__ = ["DEFAULT_API_KEY", "HotEmulator"]

DEFAULT_API_KEY = "hot_emulator_key"


class HotEmulator:
    """An in-memory Hot API on `127.0.0.1`, speaking the real wire format.

    Use it as a context manager; `client()` and `async_client()` give clients
    configured for it, and `base_url` serves any other HTTP client::

        from hot_typed.testing import HotEmulator

        with HotEmulator() as emu:
            @emu.on_call("::demo/add")
            def add(event, ctx):
                return sum(event.args)

            client = emu.client()
            call = {"fn": "::demo/add", "args": [1, 2]}
            event = client.events.publish({"event_type": "hot:call", "event_data": call})
            with client.streams.subscribe(event.stream_id) as stream:
                start, stop = next(stream), next(stream)
            assert stop.run.result == 3

    Every resource lives in memory for the emulator's lifetime. Published events
    run registered handlers (see `on_event`, `on_call`; `on_agent` plays an AI
    agent), webhook calls theirs (`on_webhook`); `faults` makes requests fail,
    slow down or drop on purpose.

    `api_key` is the token clients must send (None accepts any token);
    `stream_time_limit` and `keepalive_interval` are in seconds (the server's
    5 minutes and 15 s by default; as on the server, the time limit ends
    stream and environment subscriptions, not a run's or a task's own);
    `late_run_start=True` sends a run's `run:start` when the server's
    database poll would: once the stream has been quiet for a second, after
    the run's `stream:data` and terminal event when those came first (the
    order a busy stream shows), the runs one poll finds newest first. `part_size` is the
    multipart upload part size announced and `min_part_size` the smallest
    non-final part accepted.
    `api_key_permissions` is what the API key holds (everything by default):
    a session or service key asking for more is refused with the server's 403
    `permission_escalation`. `features` is the org's plan (None, the default:
    no plan, everything enabled); `{"service_keys": False}` or
    `{"custom_domains": 1}` make the server's plan gates answer (403
    `plan_required`, `domain_limit_reached`).
    """

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        port: int = 0,
        stream_time_limit: float = 300.0,
        keepalive_interval: float = 15.0,
        late_run_start: bool = False,
        part_size: int = 64 * MIB,
        min_part_size: int = MIN_PART_SIZE,
        api_key_permissions: Mapping[str, Sequence[str]] = ALL_PERMISSIONS,
        features: Mapping[str, Any] | None = None,
    ) -> None:
        self.config: EmulatorConfig = EmulatorConfig(
            api_key=api_key,
            stream_time_limit=stream_time_limit,
            keepalive_interval=keepalive_interval,
            late_run_start=late_run_start,
            part_size=part_size,
            min_part_size=min_part_size,
            api_key_permissions=api_key_permissions,
            features=features,
        )
        self.faults: Faults = Faults()
        self._store = Store()
        self._handlers = Handlers()
        context = ServerContext(self.config, self._store, self._handlers, self.faults)
        self._app = Application(context)
        self._server = LoopbackServer(self._app, port=port)
        self._clients: list[HotClient] = []
        self._running = False

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the base URL for any client (the API is under `/v1`)."""
        return self._server.base_url

    @property
    def port(self) -> int:
        """The loopback TCP port the emulator listens on (chosen free at creation)."""
        return self._server.port

    @property
    def api_key(self) -> str:
        """The token to send (any token works when the emulator accepts all)."""
        return self.config.api_key or DEFAULT_API_KEY

    @property
    def requests(self) -> list[HttpRequest]:
        """Every request received so far, in order."""
        return self._server.requests

    # Lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns the emulator. `RuntimeError` if it is already running.

        `with HotEmulator() as emu:` starts it and stops it on exit."""
        if self._running:
            raise RuntimeError("the emulator is already running")
        self._server.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Close the clients made by `client()`, end open streams, stop serving.
        Stopping an emulator that is not running does nothing."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._store.close()
        self._running = False
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Clients -----------------------------------------------------------------

    def client(self, **options: Unpack[ClientOptions]) -> HotClient:
        """A `HotClient` for this emulator (closed by `stop()`); `options` go to
        `HotClient` (e.g. `max_retries`, `timeout`: `hot_typed.ClientOptions`)."""
        client = HotClient(self.api_key, base_url=self.base_url, **options)
        self._clients.append(client)
        return client

    def async_client(self, **options: Unpack[ClientOptions]) -> AsyncHotClient:
        """An `AsyncHotClient` for this emulator; close it (`async with` or
        `aclose()`) inside its event loop."""
        return AsyncHotClient(self.api_key, base_url=self.base_url, **options)

    # Handlers ----------------------------------------------------------------

    @overload
    def on_event(
        self,
        event_type: str,
        *,
        retry: int = 0,
        retry_delay: float = 0.0,
        project: str | None = None,
    ) -> Callable[[Handler], Handler]: ...
    @overload
    def on_event(
        self,
        event_type: str,
        handler: Handler,
        *,
        retry: int = 0,
        retry_delay: float = 0.0,
        project: str | None = None,
    ) -> Handler: ...
    def on_event(
        self,
        event_type: str,
        handler: Handler | None = None,
        *,
        retry: int = 0,
        retry_delay: float = 0.0,
        project: str | None = None,
    ) -> Handler | Callable[[Handler], Handler]:
        """Run `handler(event, ctx)` for each published event of `event_type`
        (replacing the default echo). Usable as a decorator.

        With `retry=N`, a run whose handler raises is retried as Hot retries a
        handler with `retry: N`: the run becomes `pending_retry` (pushed live
        as `run:fail`, replayed as `run:stop`), and `retry_delay` seconds later
        a copy of the event (same stream) starts a new run whose
        `origin_run_id` is the failed one and whose `retry_attempt` is one more
        (`ctx.retry_attempt`); the failed run is then `failed`. After N
        retries the last failure stands.

        With `project`, the handler is deployed in the project of that name
        (created when the emulator has none): its runs carry `project_id` and
        `project_name`, and a stream subscribed with `project=` sends the run
        events of that project's runs only, as the server does.
        """
        policy = Retry(retry, retry_delay)

        def add(key: str, registered: Handler) -> None:
            self._handlers.on_event(key, registered, policy, project)

        return self._register(add, event_type, handler)

    def on_agent(
        self,
        event_type: str,
        answer: Answer,
        *,
        agent: str,
        sources: Sequence[Any] | None = None,
        fail: str | None = None,
    ) -> Handler:
        """Play a `hot-ai-agent` agent named `agent` for events of `event_type`:
        each run streams `answer` as `<agent>:reply:start|delta|sources|end`
        events (`<agent>:reply:error` and a failed run with `fail`), carrying the
        event data's `session_id` and `message_id`. `answer` is a text, streamed
        word by word, or a function of the event returning the text or its
        pieces. Returns the registered handler."""
        handler = agent_handler(agent, answer, sources=sources, fail=fail)
        return self.on_event(event_type, handler)

    @overload
    def on_call(self, fn: str, *, project: str | None = None) -> Callable[[Handler], Handler]: ...
    @overload
    def on_call(self, fn: str, handler: Handler, *, project: str | None = None) -> Handler: ...
    def on_call(
        self, fn: str, handler: Handler | None = None, *, project: str | None = None
    ) -> Handler | Callable[[Handler], Handler]:
        """Run `handler(event, ctx)` for `hot:call` events calling function `fn`
        (`event.args` holds the arguments). Usable as a decorator. `project` as
        for `on_event`."""

        def add(key: str, registered: Handler) -> None:
            self._handlers.on_call(key, registered, project)

        return self._register(add, fn, handler)

    @overload
    def on_webhook(
        self, path: str, *, method: str = "POST", auth: WebhookAuth = "none", timeout: float = 30.0
    ) -> Callable[[Handler], Handler]: ...
    @overload
    def on_webhook(
        self,
        path: str,
        handler: Handler,
        *,
        method: str = "POST",
        auth: WebhookAuth = "none",
        timeout: float = 30.0,
    ) -> Handler: ...
    def on_webhook(
        self,
        path: str,
        handler: Handler | None = None,
        *,
        method: str = "POST",
        auth: WebhookAuth = "none",
        timeout: float = 30.0,
    ) -> Handler | Callable[[Handler], Handler]:
        """Serve `method` calls of `/webhook/<path>` with `handler(event, ctx)`, as Hot
        serves a function declared with `webhook` meta. Usable as a decorator.

        `path` is `<org>/<env>/<service>/<endpoint path>/<token>`, the token 12
        hex digits, as Hot's webhook URLs are. Each call runs the handler as a
        `hot:call` whose one argument (`event.args[0]`) is the request:
        `{method, url, headers, query, body, body-raw}` (`body` is the JSON
        sent, or its text). Its return value is the answer: a map with
        `status` (and `headers`, `body`) is an HTTP response, anything else is
        answered `200` as JSON; a handler that raises answers `500`, one
        running past `timeout` seconds `504`. With `auth="required"` a bearer
        token the emulator accepts must be sent (else `401`). A wrong method,
        path or token answers `404`.
        """

        def add(key: str, registered: Handler) -> None:
            self._app.webhooks.register(key, method, registered, auth, timeout)

        return self._register(add, path, handler)

    @staticmethod
    def _register(
        add: Callable[[str, Handler], None], key: str, handler: Handler | None
    ) -> Handler | Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            add(key, handler)
            return handler

        return register if handler is None else register(handler)

    def serve_tool(
        self, service: str, tool: Mapping[str, Any], function: str, handler: Handler
    ) -> Handler:
        """Serve `tool` (a `tools/list` entry: `name`, `inputSchema`, optionally
        `outputSchema`, `description`, ...) in the MCP service `service`, run by
        `handler` registered as the Hot function `function` (`on_call`).

        `POST /mcp/{org}/{env}/{service}` then answers `tools/list` and
        `tools/call` as the server does for its MCP tools.
        """
        self._app.mcp.add(service, tool, function)
        self._handlers.on_call(function, handler)
        return handler

    def cancel_run(self, run_id: str) -> bool:
        """Cancel a running run: subscribers get `run:cancel`; whatever its
        handler does afterwards is ignored. False when it had already ended."""
        with self._store.lock:
            if run_id not in self._store.runs:
                raise KeyError(run_id)
            cancelled = RunStatus.CANCELLED.value
            ended = self._store.finish_run(run_id, cancelled, run_cancellation("cancelled"))
        return ended is not None

    def task(self, task_id: str) -> TaskControl:
        """Control of a task a handler started, to end it from the test."""
        with self._store.lock:
            if task_id not in self._store.tasks:
                raise KeyError(task_id)
        return TaskControl(self._store, task_id)

    def store_blob(self, value: bytes | str, *, content_type: str | None = None) -> dict[str, Any]:
        """Store `value` as a blob and return its reference map, as the server
        leaves one in a payload it could not rehydrate: return it from a handler
        (or put it in `event_data`) to see what clients get then. The blob is
        served by `GET /v1/blobs/{id}/download`.
        """
        content = value.encode() if isinstance(value, str) else bytes(value)
        blob_id = new_id()
        # blake3 is what the server hashes with; the standard library has none,
        # so the reference says which algorithm it used.
        ref = BlobRef.model_validate(
            {
                "id": blob_id,
                "object-id": new_id(),
                "size": len(content),
                "encoding": "string" if isinstance(value, str) else "bytes",
                "hash-alg": "sha256",
                "hash": hashlib.sha256(content).hexdigest(),
                "content-type": content_type,
            }
        )
        with self._store.lock:
            self._store.blobs[blob_id] = (content, content_type)
        return ref.to_value()

    def subscribers(self, stream_id: str | UUID) -> int:
        """How many connections are subscribed to the run stream right now
        (`subscribe` and `subscribe-with-event` alike); 0 for an unknown stream.

        A connection stops counting when its response ends: the server's time
        limit, or the client gone (noticed at the next event or keep-alive).
        `stream_id` may be in any spelling of a UUID; text that is none names no
        stream."""
        try:
            stored = canonical_id(stream_id)
        except ValueError:
            return 0
        with self._store.lock:
            log = self._store.streams.get(stored)
            return 0 if log is None else log.subscribers
