"""How one description of an operation becomes a sync and an async method.

A resource class is written once, generic over its mode. Each operation is a
method that builds a pure description (`Call`, `ListCall`, `StreamCall`, or a
`Follower` state machine for streams followed across reconnects) and is
decorated with the descriptor for its kind. Accessed on a `Resource[Sync]`
(what `HotClient` holds) the descriptor returns a blocking method; on a
`Resource[Async]` it returns a coroutine function. Type checkers follow the
overloads of `__get__`, so `hot.runs.get(...)` is a `Run` and
`async_hot.runs.get(...)` an awaitable `Run`, from the same line of code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    TypeVar,
    overload,
)

from typing_extensions import Self

if TYPE_CHECKING:
    from ._job import Job
    from ._pagination import AsyncPage, Page
    from ._request import Call, ListCall, StreamCall
    from ._runner import Runner
    from ._sse import AsyncEventStream, EventStream
    from ._streaming import Follower

__all__ = [
    "Async",
    "Resource",
    "Sync",
    "endpoint",
    "follow_endpoint",
    "job_endpoint",
    "list_endpoint",
    "stream_endpoint",
    "wait_endpoint",
]

P = ParamSpec("P")
T = TypeVar("T")


class Sync:
    """Mode marker: methods block and return their result."""


class Async:
    """Mode marker: methods are coroutine functions."""


ModeT = TypeVar("ModeT", Sync, Async)


class Resource(Generic[ModeT]):
    """Base of every resource namespace (`hot.events`, `hot.runs`, ...)."""

    __slots__ = ("_runner",)

    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource>"


Verb = Literal["call", "page", "perform", "stream", "follow", "wait"]
"""The runner method (`SyncRunner` / `AsyncRunner`) that performs a kind of operation."""


class _Operation(Generic[P, T]):
    __slots__ = ("__doc__", "__wrapped__", "_build", "_perform")

    def __init__(self, build: Callable[..., Any], perform: Verb) -> None:
        self._build = build
        self._perform = perform
        self.__doc__ = build.__doc__
        self.__wrapped__ = build

    def _bind(self, resource: Resource[Any]) -> Callable[..., Any]:
        perform = getattr(resource._runner, self._perform)
        build = self._build

        @functools.wraps(build)
        def method(*args: Any, **kwargs: Any) -> Any:
            return perform(build(resource, *args, **kwargs))

        return method


class _Valued(_Operation[P, T]):
    """Kinds of operation answering one value `T`: blocking, or awaited."""

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, resource: Resource[Async], owner: type
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class _Streamed(_Operation[P, T]):
    """Kinds of operation answering an event stream of `T`: iterated, or async-iterated."""

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type) -> Callable[P, EventStream[T]]: ...
    @overload
    def __get__(
        self, resource: Resource[Async], owner: type
    ) -> Callable[P, AsyncEventStream[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class endpoint(_Valued[P, T]):
    """An operation answering one value: a model, None or a raw response."""

    def __init__(self, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        super().__init__(build, "call")


class job_endpoint(_Valued[P, T]):
    """An operation of several exchanges (a `Job`), answering one value."""

    def __init__(self, build: Callable[Concatenate[Any, P], Job[T]]) -> None:
        super().__init__(build, "perform")


class wait_endpoint(_Valued[P, T]):
    """An operation that follows event streams, reconnecting, until it has its value `T`."""

    def __init__(self, build: Callable[Concatenate[Any, P], Follower[Any, T]]) -> None:
        super().__init__(build, "wait")


class list_endpoint(_Operation[P, T]):
    """An operation answering a page of `T`, able to walk the following pages."""

    def __init__(self, build: Callable[Concatenate[Any, P], ListCall[T]]) -> None:
        super().__init__(build, "page")

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type) -> Callable[P, Page[T]]: ...
    @overload
    def __get__(
        self, resource: Resource[Async], owner: type
    ) -> Callable[P, Coroutine[Any, Any, AsyncPage[T]]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class stream_endpoint(_Streamed[P, T]):
    """An operation answering an event stream of `T` over one connection."""

    def __init__(self, build: Callable[Concatenate[Any, P], StreamCall[T]]) -> None:
        super().__init__(build, "stream")


class follow_endpoint(_Streamed[P, T]):
    """An operation answering an event stream of `T` that reconnects when cut.

    The build returns a fresh `Follower` (`_streaming.py`), the state machine
    deciding what each connection requests and when the stream is over.
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Follower[T, Any]]) -> None:
        super().__init__(build, "follow")
