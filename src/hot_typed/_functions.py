"""Hot functions declared as typed Python callables.

```python
@hot_typed.function("::demo::math/add")
def add(a: int, b: int) -> int: ...

total = hot.call(add, 2, 3)          # an int; `await` it on AsyncHotClient
```

The declaration's body is never run: its signature is the contract. Arguments
are validated strictly against the annotations (pydantic models, dataclasses,
enums, datetimes, containers of them) and serialized to JSON before anything
is sent; the result is validated into the return annotation on arrival. Type
checkers see the same contract through `ParamSpec`, so a wrong argument is an
error before the program runs.

What a declaration leaves open (a parameter annotated `Any` or not at all,
`dict[str, Any]`, `list[Any]`) takes any JSON, checked as `event_data` is: a
NaN, bytes, a `Decimal` or a `datetime` there has no form the declaration
chose, so it is refused rather than guessed.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import typing
from collections.abc import Callable
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Generic,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import ParamSpec, TypedDict, Unpack

from ._models._json import UserJson, json_dump
from ._streaming import RunStreamFollower, call_body, call_result

if TYPE_CHECKING:
    from ._options import Options
    from ._streaming import Follower

__all__ = ["FunctionOptions", "HotFunction", "call_follower", "function"]

P = ParamSpec("P")
R = TypeVar("R")
# Covariant: a function returning a `Literal["a"]` is one returning a `str`.
R_co = TypeVar("R_co", covariant=True)

# Positional parameters only: a `hot:call` event carries its arguments as a
# JSON array (crates/hot_api/src/handlers/request.rs `build_call_event_data`:
# `{"fn": ..., "args": [...]}`), so there is nowhere to put a keyword-only one.
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# Strict: what the type checker calls an `int` must be one at run time too (no
# "3" turned into 3), and a float must have a JSON form.
_ARGUMENT_CONFIG = ConfigDict(strict=True, allow_inf_nan=False)


class _Contract:
    """The declaration's annotations, resolved on first call (a forward reference
    to a class defined after the declaration then resolves)."""

    __slots__ = ("arguments", "names", "result", "title")

    def __init__(self, declared: Callable[..., Any], signature: inspect.Signature) -> None:
        hints = typing.get_type_hints(declared, include_extras=True)
        self.names: tuple[str, ...] = tuple(signature.parameters)
        fields = {name: _open_as_json(hints.get(name, Any)) for name in self.names}
        # A TypedDict of the parameters: errors are located by parameter name.
        self.title: str = f"{declared.__name__}_arguments"
        arguments: Any = cast(Any, TypedDict)(self.title, fields)
        arguments.__pydantic_config__ = _ARGUMENT_CONFIG
        self.arguments: TypeAdapter[dict[str, Any]] = TypeAdapter(arguments)
        self.result: Any = hints.get("return")


def _open_as_json(hint: Any) -> Any:
    """`hint` with `UserJson` for every `Any` in it, through `Annotated`, unions and
    generic containers: pydantic would serialize what it finds there by guessing
    (bytes as text, a NaN as null)."""
    if hint is Any:
        return UserJson
    origin, args = get_origin(hint), get_args(hint)
    if not args or origin is Literal:
        return hint
    if origin is Annotated:
        inner, *metadata = args
        opened_inner = _open_as_json(inner)
        annotated = (opened_inner, *metadata)
        return hint if opened_inner is inner else Annotated[annotated]
    opened = tuple(_open_as_json(arg) for arg in args)
    if all(new is old for new, old in zip(opened, args, strict=True)):
        return hint
    if origin is Union or origin is UnionType:
        return Union[opened]  # noqa: UP007
    return origin[opened]


class FunctionOptions(TypedDict, total=False):
    """What `HotFunction.with_options` may change; a key left out keeps its value."""

    timeout: float | None
    """Seconds for the whole call; None: no limit."""
    on_chunk: Callable[[str], object] | None
    """Called with each text chunk the run streams; None: chunks are not passed on."""


class HotFunction(Generic[P, R_co]):
    """A Hot function (`name`, as `"::ns::path/fn"`) with the signature of the
    declaration it was made from: call it with `hot.call(function, *args)`.

    `timeout` (seconds for the whole call, None: no limit) and `on_chunk`
    (called with each text chunk the run streams) are as for `events.call_hot`;
    `with_options` returns a copy with them changed.
    """

    def __init__(
        self,
        name: str,
        declared: Callable[P, R_co],
        *,
        timeout: float | None = 60.0,
        on_chunk: Callable[[str], object] | None = None,
    ) -> None:
        if not name:
            raise ValueError("a Hot function needs a name such as '::ns::path/fn'")
        signature = inspect.signature(declared)
        for parameter in signature.parameters.values():
            if parameter.kind not in _POSITIONAL:
                raise TypeError(
                    f"{declared.__qualname__}: parameter {parameter.name!r} is "
                    f"{parameter.kind.description}; a Hot function takes positional arguments"
                )
        self.name = name
        self.timeout = timeout
        self.on_chunk = on_chunk
        self.__wrapped__ = declared
        self.__doc__ = declared.__doc__
        self._signature = signature
        self._contract: _Contract | None = None

    def __repr__(self) -> str:
        return f"<HotFunction {self.name}{self._signature}>"

    # Equal when calls go alike: same name, declaration and options. A copy, or a
    # pickle restored elsewhere, equals its original, as a function's pickle is it.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HotFunction):
            return NotImplemented
        return self._calls() == other._calls()

    def __hash__(self) -> int:
        return hash((self.name, self.__wrapped__))

    def _calls(self) -> tuple[object, ...]:
        return self.name, self.__wrapped__, self.timeout, self.on_chunk

    def with_options(self, **changes: Unpack[FunctionOptions]) -> HotFunction[P, R_co]:
        """A copy of this function whose calls take the options given; an option
        not given keeps this function's value."""
        unknown = changes.keys() - FunctionOptions.__annotations__.keys()
        if unknown:
            raise TypeError(f"with_options() got unexpected options: {', '.join(sorted(unknown))}")
        copy: HotFunction[P, R_co] = HotFunction(
            self.name,
            self.__wrapped__,
            timeout=changes.get("timeout", self.timeout),
            on_chunk=changes.get("on_chunk", self.on_chunk),
        )
        copy._contract = self._contract
        return copy

    # Copies share the declaration, as copies of a function are the function:
    # without these, copying would go through `__reduce__` and need the
    # declaration importable.
    def __copy__(self) -> HotFunction[P, R_co]:
        return self.with_options()

    def __deepcopy__(self, memo: dict[int, Any]) -> HotFunction[P, R_co]:
        return self.with_options()

    def __reduce__(self) -> tuple[Any, ...]:
        # A declaration is pickled by reference, as a function is: to the stub
        # where it was declared, which is at module level either as itself or
        # as the `HotFunction` that replaced it. Its resolved contract is not
        # pickled; the copy resolves it again on first use.
        declared = self.__wrapped__
        where = (declared.__module__, declared.__qualname__)
        try:
            found = _declared_at(*where)
        except (ImportError, AttributeError):
            found = None
        if found is not declared:
            raise pickle.PicklingError(
                f"cannot pickle {self!r}: its declaration {declared.__qualname__!r} is not "
                f"importable from {declared.__module__!r}; declare it at module level"
            )
        return (_restore, (*where, self.name, self.timeout, self.on_chunk))

    def _resolved(self) -> _Contract:
        # The resolved annotations: argument validator, parameter order, return type.
        if self._contract is None:
            self._contract = _Contract(self.__wrapped__, self._signature)
        return self._contract

    def arguments(self, *args: P.args, **kwargs: P.kwargs) -> list[Any]:
        """The JSON arguments sent for this call, in order (defaults filled in).

        Raises `TypeError` for arguments that do not bind to the signature and
        pydantic's `ValidationError` for values that do not fit their annotation
        or have no JSON form (a NaN, even inside a model's `Any` field).
        """
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        contract = self._resolved()
        validated = contract.arguments.validate_python(bound.arguments)
        try:
            sent = json_dump(contract.arguments.dump_python, validated, (), by_alias=True)
        except PydanticCustomError as problem:
            line: InitErrorDetails = {"type": problem, "loc": (), "input": bound.arguments}
            raise ValidationError.from_exception_data(contract.title, [line]) from None
        return [sent[name] for name in contract.names]


def call_follower(
    function: HotFunction[P, R], options: Options | None, /, *args: P.args, **kwargs: P.kwargs
) -> Follower[Any, R]:
    """The follower of one call of `function`: the `call_hot` machinery, with the
    arguments validated before it exists and the result validated into the
    return type."""
    publish = call_body(function.name, function.arguments(*args, **kwargs))
    contract = function._resolved()  # pyright: ignore[reportPrivateUsage]
    result_type = cast("type[R] | None", contract.result)
    follower: Follower[Any, R] = RunStreamFollower(
        publish=publish,
        timeout=function.timeout,
        on_chunk=function.on_chunk,
        raise_failure=True,
        finish=call_result(result_type),
    )
    return follower if options is None else follower.with_options(options)


def _declared_at(module: str, qualname: str) -> Any:
    """The stub declared as `qualname` in `module` (behind the `HotFunction` that
    replaced it there, if one did)."""
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found.__wrapped__ if isinstance(found, HotFunction) else found


def _restore(
    module: str,
    qualname: str,
    name: str,
    timeout: float | None,
    on_chunk: Callable[[str], object] | None,
) -> HotFunction[..., Any]:
    """A pickled `HotFunction`, made again from its declaration."""
    return HotFunction(name, _declared_at(module, qualname), timeout=timeout, on_chunk=on_chunk)


def function(name: str) -> Callable[[Callable[P, R]], HotFunction[P, R]]:
    """Declare the Hot function `name` with the signature of the decorated stub.

    ```python
    @hot_typed.function("::demo::math/add")
    def add(a: int, b: int) -> int: ...
    ```
    """

    def declare(declared: Callable[P, R]) -> HotFunction[P, R]:
        return HotFunction(name, declared)

    return declare
