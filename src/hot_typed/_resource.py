"""How one description of an operation becomes a sync and an async method.

A resource class is written once, generic over its mode. Each operation is a
method that builds a pure description (`Call`, `ListCall`, `StreamCall`, or a
`Follower` state machine for streams followed across reconnects) and is
decorated with the descriptor for its kind. Accessed on a `Resource[Sync]`
(what `HotClient` holds) the descriptor returns a blocking method; on a
`Resource[Async]` it returns a coroutine function. Type checkers follow the
overloads of `__get__`, so `hot.runs.get(...)` is a `Run` and
`async_hot.runs.get(...)` an awaitable `Run`, from the same line of code.

The same resources bound to the runners of `_response_runners.py` are the
clients' `with_raw_response` (modes `RawSync` / `RawAsync`) and
`with_streaming_response` (`StreamingSync` / `StreamingAsync`): there a call
or a page answers its HTTP response around the value (`_responses.py`), and
the overloads below say so to type checkers.

Every method also takes the per-request options of its kind (`_options.py`),
and tells `inspect`, `typing` and `help()` its public signature: the
builder's parameters, the options, and the type it answers (`_signature.py`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    TypeVar,
    overload,
)

from typing_extensions import Self

from ._options import CallOptions, Options, StreamOptions, WaitOptions
from ._pagination import AsyncPage, Page
from ._request import Call, ListCall, StreamCall
from ._responses import AsyncRawResponse, AsyncStreamedResponse, RawResponse, StreamedResponse
from ._runner import AsyncRunner
from ._signature import annotations_of, public_signature, return_type, type_arguments
from ._sse import AsyncEventStream, EventStream

if TYPE_CHECKING:
    from ._job import Job
    from ._runner import Runner
    from ._streaming import Follower

__all__ = [
    "Async",
    "RawAsync",
    "RawSync",
    "Resource",
    "StreamingAsync",
    "StreamingSync",
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


class RawSync:
    """Mode marker (`HotClient.with_raw_response`): calls and pages answer a `RawResponse`."""


class RawAsync:
    """Mode marker (`AsyncHotClient.with_raw_response`): they answer an `AsyncRawResponse`."""


class StreamingSync:
    """Mode marker (`HotClient.with_streaming_response`): calls and pages answer a
    context manager of a `StreamedResponse`."""


class StreamingAsync:
    """Mode marker (`AsyncHotClient.with_streaming_response`): an async context
    manager of an `AsyncStreamedResponse`."""


ModeT = TypeVar("ModeT", Sync, Async, RawSync, RawAsync, StreamingSync, StreamingAsync)


class Resource(Generic[ModeT]):
    """Base of every resource namespace (`hot.events`, `hot.runs`, ...)."""

    __slots__ = ("_options", "_runner")

    def __init__(self, runner: Runner, options: Options | None = None) -> None:
        self._runner = runner
        self._options = options
        """Defaults every call's options are laid over (`with_options`)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource>"


Verb = Literal["call", "page", "perform", "stream", "follow", "wait"]
"""The runner method (`SyncRunner` / `AsyncRunner`) that performs a kind of operation."""


# The descriptor of one operation, written once as `build`. `build` declares
# `**options: Unpack[<the kind's options>]` so that its signature, and so the
# method's, shows them; they never reach it: the bound method takes them off
# the call, lets `build` describe the request, then applies them (laid over the
# client's `with_options` defaults) to the description. (A comment, not a
# docstring: `__doc__` is a slot, set to the operation's own.)
class _Operation(Generic[P, T]):
    __slots__ = (
        "__doc__",
        "__name__",
        "__qualname__",
        "__wrapped__",
        "_build",
        "_named",
        "_option_names",
        "_perform",
        "_signatures",
    )

    #: The per-request options this kind of operation takes (`_options.py`).
    options: ClassVar[type] = CallOptions
    #: Whether the async client's method is a coroutine function (streams are not:
    #: they answer an async iterator at once).
    awaited: ClassVar[bool] = True

    def __init__(self, build: Callable[..., Any], perform: Verb) -> None:
        self._build = build
        self._perform = perform
        self.__doc__ = build.__doc__
        self.__name__: str = build.__name__
        self.__qualname__: str = build.__qualname__
        self.__wrapped__: Callable[..., Any] = build
        code = build.__code__
        # The builder's named parameters, without the resource: any other keyword
        # (an option of another kind, a typo) must fail, not vanish into **options.
        self._named = frozenset(code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount])
        self._option_names: frozenset[str] = self.options.__optional_keys__  # type: ignore[attr-defined]
        self._signatures: dict[bool, tuple[inspect.Signature, dict[str, Any]]] = {}

    def _describe(self, resource: Resource[Any], args: Any, kwargs: dict[str, Any]) -> Any:
        options = resource._options  # pyright: ignore[reportPrivateUsage]
        if kwargs:
            given = Options.take(kwargs, self._option_names)
            if given is not None:
                options = given.over(options)
            if not self._named.issuperset(kwargs):
                unknown = sorted(kwargs.keys() - self._named)[0]
                raise TypeError(
                    f"{self._build.__qualname__}() got an unexpected keyword argument {unknown!r}"
                )
        description = self._build(resource, *args, **kwargs)
        # Every description (`Call`, `ListCall`, `StreamCall`, `Job`, `Follower`)
        # takes options the same way.
        return description if options is None else description.with_options(options)

    def _answer(self, built: Any, is_async: bool) -> Any:
        """The public return annotation for the build's return annotation `built`."""
        raise NotImplementedError

    def _signature(self, is_async: bool) -> tuple[inspect.Signature, dict[str, Any]]:
        """The bound method's signature and annotations, computed on first use."""
        found = self._signatures.get(is_async)
        if found is None:
            signature = public_signature(
                self._build, self.options, lambda built: self._answer(built, is_async)
            )
            found = self._signatures[is_async] = (signature, annotations_of(signature))
        return found

    # Read on the class (`help(hot.runs)`, `inspect.signature(Runs.get)`), an
    # operation is what a method is there: callable with the resource first, its
    # signature `self` and the method's parameters. Its return is left out: it
    # depends on the client (a page or an async page, a stream or an async
    # stream), which a class attribute does not know.

    def __call__(self, resource: object, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(resource, Resource):
            raise TypeError(
                f"{self.__qualname__}() needs the resource as its first argument, "
                f"got {type(resource).__name__}"
            )
        return self._bind(resource)(*args, **kwargs)  # pyright: ignore[reportUnknownArgumentType]

    @property
    def __signature__(self) -> inspect.Signature:
        public, _ = self._signature(is_async=False)
        first = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        return public.replace(
            parameters=[first, *public.parameters.values()],
            return_annotation=inspect.Signature.empty,
        )

    def _bind(self, resource: Resource[Any]) -> Callable[..., Any]:
        runner = resource._runner  # pyright: ignore[reportPrivateUsage]
        perform = getattr(runner, self._perform)
        describe = self._describe
        is_async = isinstance(runner, AsyncRunner)
        method: Callable[..., Any]
        # A streaming runner's calls answer an async context manager, not a coroutine.
        if is_async and self.awaited and not getattr(runner, "immediate", False):

            async def method_async(*args: Any, **kwargs: Any) -> Any:
                return await perform(describe(resource, args, kwargs))

            method = method_async
        else:

            def method_sync(*args: Any, **kwargs: Any) -> Any:
                return perform(describe(resource, args, kwargs))

            method = method_sync

        build = self._build
        signature, annotations = self._signature(is_async)
        method.__name__ = build.__name__
        method.__qualname__ = build.__qualname__
        method.__module__ = build.__module__
        method.__doc__ = build.__doc__
        method.__annotations__ = annotations
        # What `inspect.signature`, `typing.get_type_hints` (which resolves the
        # builder's string annotations in its module, found through
        # `__wrapped__`) and `help()` read.
        method.__dict__.update(__wrapped__=build, __signature__=signature)
        return method


class _Valued(_Operation[P, T]):
    """Kinds of operation answering one value `T`: blocking, or awaited."""

    def _answer(self, built: Any, is_async: bool) -> Any:
        return self._value(built)

    def _value(self, built: Any) -> Any:
        raise NotImplementedError

    # Several exchanges have no one response to show: in the raw and streaming
    # modes, such operations answer as in the plain ones.
    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(
        self, resource: Resource[Sync] | Resource[RawSync] | Resource[StreamingSync], owner: type
    ) -> Callable[P, T]: ...
    @overload
    def __get__(
        self,
        resource: Resource[Async] | Resource[RawAsync] | Resource[StreamingAsync],
        owner: type,
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class _Streamed(_Operation[P, T]):
    """Kinds of operation answering an event stream of `T`: iterated, or async-iterated."""

    awaited = False

    def _answer(self, built: Any, is_async: bool) -> Any:
        event = self._event(built)
        return AsyncEventStream[event] if is_async else EventStream[event]  # type: ignore[valid-type]

    def _event(self, built: Any) -> Any:
        raise NotImplementedError

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(
        self, resource: Resource[Sync] | Resource[RawSync] | Resource[StreamingSync], owner: type
    ) -> Callable[P, EventStream[T]]: ...
    @overload
    def __get__(
        self,
        resource: Resource[Async] | Resource[RawAsync] | Resource[StreamingAsync],
        owner: type,
    ) -> Callable[P, AsyncEventStream[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class endpoint(_Valued[P, T]):
    """An operation answering one value: a model, None or a raw response."""

    def __init__(self, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        super().__init__(build, "call")

    def _value(self, built: Any) -> Any:
        return type_arguments(built, Call)[0]

    @overload  # type: ignore[override]
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, resource: Resource[Async], owner: type
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, resource: Resource[RawSync], owner: type) -> Callable[P, RawResponse[T]]: ...
    @overload
    def __get__(
        self, resource: Resource[RawAsync], owner: type
    ) -> Callable[P, Coroutine[Any, Any, AsyncRawResponse[T]]]: ...
    @overload
    def __get__(
        self, resource: Resource[StreamingSync], owner: type
    ) -> Callable[P, AbstractContextManager[StreamedResponse[T]]]: ...
    @overload
    def __get__(
        self, resource: Resource[StreamingAsync], owner: type
    ) -> Callable[P, AbstractAsyncContextManager[AsyncStreamedResponse[T]]]: ...
    # Deliberately narrower than `_Valued`: one exchange has a raw or streamed
    # response to answer in those modes, where several exchanges answer `T`.
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self if resource is None else self._bind(resource)


class job_endpoint(_Valued[P, T]):
    """An operation of several exchanges (a `Job`), answering one value."""

    options = StreamOptions

    def __init__(self, build: Callable[Concatenate[Any, P], Job[T]]) -> None:
        super().__init__(build, "perform")

    def _value(self, built: Any) -> Any:
        return return_type(built.run)


class wait_endpoint(_Valued[P, T]):
    """An operation that follows event streams, reconnecting, until it has its value `T`."""

    options = WaitOptions

    def __init__(self, build: Callable[Concatenate[Any, P], Follower[Any, T]]) -> None:
        super().__init__(build, "wait")

    def _value(self, built: Any) -> Any:
        return type_arguments(built, _follower_class())[1]


class list_endpoint(_Operation[P, T]):
    """An operation answering a page of `T`, able to walk the following pages."""

    def __init__(self, build: Callable[Concatenate[Any, P], ListCall[T]]) -> None:
        super().__init__(build, "page")

    def _answer(self, built: Any, is_async: bool) -> Any:
        item = type_arguments(built, ListCall)[0]
        return AsyncPage[item] if is_async else Page[item]  # type: ignore[valid-type]

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type) -> Callable[P, Page[T]]: ...
    @overload
    def __get__(
        self, resource: Resource[Async], owner: type
    ) -> Callable[P, Coroutine[Any, Any, AsyncPage[T]]]: ...
    @overload
    def __get__(
        self, resource: Resource[RawSync], owner: type
    ) -> Callable[P, RawResponse[Page[T]]]: ...
    @overload
    def __get__(
        self, resource: Resource[RawAsync], owner: type
    ) -> Callable[P, Coroutine[Any, Any, AsyncRawResponse[AsyncPage[T]]]]: ...
    @overload
    def __get__(
        self, resource: Resource[StreamingSync], owner: type
    ) -> Callable[P, AbstractContextManager[StreamedResponse[Page[T]]]]: ...
    @overload
    def __get__(
        self, resource: Resource[StreamingAsync], owner: type
    ) -> Callable[P, AbstractAsyncContextManager[AsyncStreamedResponse[AsyncPage[T]]]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type) -> Any:
        return self if resource is None else self._bind(resource)


class stream_endpoint(_Streamed[P, T]):
    """An operation answering an event stream of `T` over one connection."""

    # No stream request has a body for `extra_body` to go into.
    options = StreamOptions

    def __init__(self, build: Callable[Concatenate[Any, P], StreamCall[T]]) -> None:
        super().__init__(build, "stream")

    def _event(self, built: Any) -> Any:
        return type_arguments(built, StreamCall)[0]


class follow_endpoint(_Streamed[P, T]):
    """An operation answering an event stream of `T` that reconnects when cut.

    The build returns a fresh `Follower` (`_streaming.py`), the state machine
    deciding what each connection requests and when the stream is over.
    """

    options = StreamOptions

    def __init__(self, build: Callable[Concatenate[Any, P], Follower[T, Any]]) -> None:
        super().__init__(build, "follow")

    def _event(self, built: Any) -> Any:
        return type_arguments(built, _follower_class())[0]


# Followers are loaded with the first resource that follows a stream, not before.


def _follower_class() -> type:
    from ._streaming import Follower

    return Follower
