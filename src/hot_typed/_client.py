"""`HotClient` and `AsyncHotClient`: one construction, two ways of doing I/O."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, ParamSpec, TypeVar, cast

import httpx
from typing_extensions import Self, Unpack

# The package, for the annotation of `call`: `typing.get_type_hints` finds
# `hot_typed.HotFunction` through it (loaded only then), where a name imported for
# type checkers alone would be no name at run time.
import hot_typed

from ._frames import DEFAULT_MAX_FRAME_BYTES
from ._http_options import EventHooks, HttpOptions, ProxyTypes
from ._logs import apply_hot_log
from ._options import CallOptions, Options, QueryValue
from ._request import Call, Request
from ._resource import (
    Async,
    ModeT,
    RawAsync,
    RawSync,
    Resource,
    StreamingAsync,
    StreamingSync,
    Sync,
    endpoint,
)
from ._response_runners import (
    RawAsyncRunner,
    RawSyncRunner,
    StreamingAsyncRunner,
    StreamingSyncRunner,
)
from ._runner import AsyncRunner, Runner, SyncRunner
from ._settings import Settings
from ._transport import AsyncTransport, SyncTransport

# The serialization layer and the models load pydantic: each operation of the
# client imports what it decodes with when it is called, so that importing the
# client and creating one never load it (`__getattr__` below resolves the
# annotations for `inspect` and `typing`).
if TYPE_CHECKING:
    from _collections_abc import dict_items

    from ._models.status import ServerStatus
    from ._resources.auth import ServiceKeys, Sessions
    from ._resources.blobs import Blobs
    from ._resources.domains import Domains
    from ._resources.env import Env, Org
    from ._resources.events import Events
    from ._resources.files import Files
    from ._resources.mcp import Mcp
    from ._resources.projects import Builds, Context, Projects
    from ._resources.runs import Runs, Tasks
    from ._resources.streams import Streams
    from ._resources.webhooks import Webhooks

__all__ = ["AsyncHotClient", "HotClient", "Resources"]

HttpxT = TypeVar("HttpxT", httpx.Client, httpx.AsyncClient)
P = ParamSpec("P")
R = TypeVar("R")

# Each resource's module (and the models it decodes) is imported when the
# resource is first used: a program that only lists runs never pays for the
# classes of files, projects or permissions. Attribute -> (module, class).
_RESOURCES: dict[str, tuple[str, str]] = {
    "blobs": ("blobs", "Blobs"),
    "builds": ("projects", "Builds"),
    "context": ("projects", "Context"),
    "domains": ("domains", "Domains"),
    "env": ("env", "Env"),
    "events": ("events", "Events"),
    "files": ("files", "Files"),
    "mcp": ("mcp", "Mcp"),
    "org": ("env", "Org"),
    "projects": ("projects", "Projects"),
    "runs": ("runs", "Runs"),
    "service_keys": ("auth", "ServiceKeys"),
    "sessions": ("auth", "Sessions"),
    "streams": ("streams", "Streams"),
    "tasks": ("runs", "Tasks"),
    "webhooks": ("webhooks", "Webhooks"),
}


#: Paths the escape hatches request from the host's root rather than from `/v1`:
#: the server's public routes outside the API (crates/hot_api/src/server.rs).
ROOT_PATHS = frozenset({"/status"})


def _escape_hatch_request(
    method: str,
    path: str,
    json: Any,
    params: Mapping[str, Any] | None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    retry: bool,
) -> Request:
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    root = path in ROOT_PATHS
    if path == "/v1" or path.startswith("/v1/"):
        path = path[len("/v1") :]
    from ._wire import json_bytes

    body = None if json is None else json_bytes(json)
    given = dict(headers or {})
    content_type = next((v for k, v in given.items() if k.lower() == "content-type"), None)
    extra = {k: v for k, v in given.items() if k.lower() != "content-type"}
    return Request(
        method.upper(),
        path,
        params=None if params is None else {k: v for k, v in params.items() if v is not None},
        json=body,
        content=content,
        content_type=content_type,
        retry=retry,
        headers=extra or None,
        root=root,
    )


def __getattr__(name: str) -> Any:
    if name == "ServerStatus":
        from ._models.status import ServerStatus

        return ServerStatus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Resources(Resource[ModeT]):
    """Every resource and escape hatch of the API, in one mode: what a client is, and
    what its `with_raw_response` and `with_streaming_response` are."""

    # Declared for type checkers; each is created on first access (see `_RESOURCES`).
    blobs: Blobs[ModeT]
    builds: Builds[ModeT]
    context: Context[ModeT]
    domains: Domains[ModeT]
    env: Env[ModeT]
    events: Events[ModeT]
    files: Files[ModeT]
    mcp: Mcp[ModeT]
    org: Org[ModeT]
    projects: Projects[ModeT]
    runs: Runs[ModeT]
    service_keys: ServiceKeys[ModeT]
    sessions: Sessions[ModeT]
    streams: Streams[ModeT]
    tasks: Tasks[ModeT]
    webhooks: Webhooks[ModeT]

    if not TYPE_CHECKING:
        # Hidden from type checkers, so a misspelt attribute stays an error there.
        def __getattr__(self, name: str) -> Any:
            try:
                module, cls = _RESOURCES[name]
            except KeyError:
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}"
                ) from None
            resource = getattr(import_module(f"._resources.{module}", __package__), cls)
            # Stored on the instance: later reads are plain attribute reads.
            value = self.__dict__[name] = resource(self._runner, self._options)
            return value

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_RESOURCES})

    @endpoint
    def status(self, **options: Unpack[CallOptions]) -> Call[ServerStatus]:
        """The server's health and build (`GET /status`, served outside `/v1`)."""
        from ._models.status import ServerStatus
        from ._wire import object_parser

        # crates/hot_api/src/handlers/health.rs: a bare object, no envelope.
        return Call(Request("GET", "/status", root=True), object_parser(ServerStatus))

    @endpoint
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[Any]:
        """Call an endpoint that has no helper yet; returns the decoded JSON body
        (None for an empty answer; a body that is not JSON raises
        `HotResponseValidationError`). `path` is relative to `/v1` (`/v1/...` is
        accepted too), except `/status`, which the server serves at its root. Retried as
        typed calls are: GET, PUT and DELETE after transient failures, POST and
        PATCH only with `retry_non_idempotent`."""
        from ._wire import json_body

        return Call(_escape_hatch_request(method, path, json, params, retry=True), json_body)

    @endpoint
    def request_raw(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[httpx.Response]:
        """Like `request`, but sends `content` and `headers` as given, returns the
        `httpx.Response` and is never retried. A non-2xx answer raises its
        `HotApiError`, as every call does."""
        from ._wire import raw_response

        request = _escape_hatch_request(method, path, json, params, content, headers, retry=False)
        return Call(request, raw_response)


# A client holds open connections, which cannot travel to another process or
# be duplicated: the other side makes its own client.
_NOT_COPIED = (
    "a {0} cannot be pickled or deep-copied: it holds open connections; make a "
    "new {0} where it is needed, or use with_options() for a copy sharing this one's"
)


class _ResourceAnnotations(dict[str, Any]):
    """`Resources.__annotations__`: the source's strings (each `<Resource>[ModeT]`),
    each read through `items()` (as `typing.get_type_hints` and
    `inspect.get_annotations(..., eval_str=True)` read a class's annotations) as the
    resource class it names, `Runs[ModeT]`, imported then. Strings evaluated in
    this module would not find those classes: importing the client does not import
    them (see `_RESOURCES`)."""

    def items(self) -> dict_items[str, Any]:
        resolved: dict[str, Any] = {}
        for name in self:
            module, cls = _RESOURCES[name]
            resource = getattr(import_module(f"._resources.{module}", __package__), cls)
            resolved[name] = resource[ModeT]
        return resolved.items()


Resources.__annotations__ = _ResourceAnnotations(Resources.__annotations__)


class _Client(Resources[ModeT], Generic[ModeT, HttpxT]):
    """What both clients share: construction, settings, safe repr."""

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        client: HttpxT | None = None,
        retry_non_idempotent: bool = False,
        max_sse_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        http2: bool = False,
        proxy: ProxyTypes | None = None,
        event_hooks: EventHooks | None = None,
    ) -> None:
        apply_hot_log()
        http = HttpOptions(http2, proxy, event_hooks)
        http.check_for(client)
        self._settings = Settings(
            token,
            base_url,
            timeout,
            max_retries,
            retry_non_idempotent=retry_non_idempotent,
            max_sse_frame_bytes=max_sse_frame_bytes,
        )
        super().__init__(self._connect(self._settings, client, http))

    def _connect(
        self, settings: Settings, client: HttpxT | None, http: HttpOptions | None = None
    ) -> Runner:
        """The runner doing this client's I/O, over `client` or one of its own
        (created with `http`)."""
        raise NotImplementedError

    @property
    def api_base_url(self) -> str:
        """The API root requests go to, ending in `/v1`."""
        return self._settings.api_base

    @property
    def token(self) -> str:
        """The API token this client sends (shown in no repr)."""
        return self._settings.token

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._settings.shown_base!r})"

    def __copy__(self) -> Self:
        """`copy.copy(client)` is `client.with_options()`: a copy sending through
        this client's connections, which closing the copy leaves open."""
        return self.with_options()

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise TypeError(_NOT_COPIED.format(type(self).__name__))

    def __reduce__(self) -> NoReturn:
        raise TypeError(_NOT_COPIED.format(type(self).__name__))

    def _http_client(self) -> HttpxT:
        """The httpx client doing this client's I/O."""
        raise NotImplementedError

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_non_idempotent: bool | None = None,
        max_sse_frame_bytes: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, QueryValue] | None = None,
    ) -> Self:
        """A copy of this client with the given settings changed (None keeps one).

        The copy sends through this client's connection pool: closing it, or
        letting it be garbage collected, leaves the pool open; closing this
        client closes it for both. `timeout`, `extra_headers` and
        `extra_query` become defaults of every call of the copy, which a
        call's own options are laid over (headers and query merged).
        """
        clone = object.__new__(type(self))
        clone._settings = self._settings.configured(
            max_retries=max_retries,
            retry_non_idempotent=retry_non_idempotent,
            max_sse_frame_bytes=max_sse_frame_bytes,
        )
        options = Options(extra_headers, extra_query, None, timeout).over(self._options)
        # A client passed to `_connect` is used, not owned: the copy never closes it.
        runner = clone._connect(clone._settings, self._http_client())
        Resource.__init__(clone, runner, options)  # pyright: ignore[reportUnknownMemberType]
        return clone


class HotClient(_Client[Sync, httpx.Client]):
    """The blocking Hot API client.

    `token` falls back to `HOT_API_KEY`, `base_url` to `HOT_BASE_URL` and then
    `https://api.hot.dev`. A `client` you pass in is used as it is and not
    closed by `close()`.

    Failed requests are retried up to `max_retries` times: 429 always, 502, 503,
    504, dropped connections and read timeouts only for idempotent requests
    (GET, PUT, DELETE). A POST that may have reached the server is not sent
    again unless `retry_non_idempotent=True` says repeating it is acceptable
    (a publish repeated starts its runs twice). An SSE frame longer than
    `max_sse_frame_bytes` ends its stream with `HotFrameTooLargeError`.
    Token, base URL and header values with CR or LF raise `ValueError`.

    Every operation takes per-request options (`extra_headers`, `extra_query`,
    `extra_body`, `timeout`); `with_options(...)` makes a configured copy that
    shares this client's connections.

    `http2=True` (needs `hot-typed[http2]`), `proxy=` and `event_hooks=` (httpx's
    `{"request": [...], "response": [...]}`, the place to attach tracing)
    configure the httpx client created here; with `client=`, configure that one.
    """

    def _connect(
        self, settings: Settings, client: httpx.Client | None, http: HttpOptions | None = None
    ) -> Runner:
        self._transport = SyncTransport(settings, client, http)
        return SyncRunner(self._transport)

    def call(
        self, function: hot_typed.HotFunction[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Call the Hot function `function` (see `hot_typed.function`) with these
        arguments and return its result, typed and validated as declared.

        The arguments are validated and serialized by the declaration's
        annotations before anything is sent (pydantic's `ValidationError`, or
        `TypeError` when they do not bind); the call then goes as
        `events.call_hot` does (published once, followed across reconnects,
        `HotRunError` when the run fails, `HotTimeoutError` after the
        function's `timeout`), and a result that does not fit the return
        annotation raises `HotResponseValidationError` with it on `.raw`.
        """
        from ._functions import call_follower  # loaded already: `function` is one of its

        # This client's runner is always a `SyncRunner` (`_connect`).
        runner = cast(SyncRunner, self._runner)
        return runner.wait(call_follower(function, self._options, *args, **kwargs))

    def _http_client(self) -> httpx.Client:
        return self._transport.client

    @property
    def with_raw_response(self) -> Resources[RawSync]:
        """This client's operations answering the HTTP response: a call or a page
        answers a `RawResponse` (`status_code`, `headers`, `request_id`, `elapsed`,
        `parse()` for what the plain call returns). Streams, waiters and
        transfers answer as on the client."""
        return Resources(RawSyncRunner(self._transport), self._options)

    @property
    def with_streaming_response(self) -> Resources[StreamingSync]:
        """This client's operations answering a context manager of a
        `StreamedResponse`, whose body is read as it is iterated (`iter_bytes()`):
        sent once, never retried; the connection is released when the block ends."""
        return Resources(StreamingSyncRunner(self._transport), self._options)

    def close(self) -> None:
        """Release connections (a client you passed in is left open). Using this
        client afterwards raises `HotClientClosedError`."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncHotClient(_Client[Async, httpx.AsyncClient]):
    """The asyncio Hot API client: the same resources, as coroutines and async iterators."""

    def _connect(
        self, settings: Settings, client: httpx.AsyncClient | None, http: HttpOptions | None = None
    ) -> Runner:
        self._transport = AsyncTransport(settings, client, http)
        return AsyncRunner(self._transport)

    async def call(
        self, function: hot_typed.HotFunction[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Call the Hot function `function` (see `hot_typed.function`): as
        `HotClient.call`, awaited."""
        from ._functions import call_follower  # loaded already: `function` is one of its

        runner = cast(AsyncRunner, self._runner)
        return await runner.wait(call_follower(function, self._options, *args, **kwargs))

    def _http_client(self) -> httpx.AsyncClient:
        return self._transport.client

    @property
    def with_raw_response(self) -> Resources[RawAsync]:
        """As `HotClient.with_raw_response`: calls and pages answer an awaitable
        `AsyncRawResponse`, whose `parse()` is awaited too."""
        return Resources(RawAsyncRunner(self._transport), self._options)

    @property
    def with_streaming_response(self) -> Resources[StreamingAsync]:
        """As `HotClient.with_streaming_response`: calls and pages answer an async
        context manager of an `AsyncStreamedResponse` (`async with`, no `await`)."""
        return Resources(StreamingAsyncRunner(self._transport), self._options)

    async def aclose(self) -> None:
        """Release connections (a client you passed in is left open). Using this
        client afterwards raises `HotClientClosedError`."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
