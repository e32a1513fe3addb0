"""What a bound operation tells `inspect`, `typing` and `help()`.

An operation is written as a function building a description (`Call[Event]`,
`ListCall[Run]`, a follower...). The method a client exposes takes the same
arguments and the per-request options, and answers the description's value
(`Event`, `Page[Run]`...): this module computes that public signature once per
operation and mode, from the builder's own annotations.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any, get_args, get_origin, get_type_hints

__all__ = ["annotations_of", "public_signature", "return_type", "type_arguments"]


def type_arguments(annotation: Any, generic: type) -> tuple[Any, ...]:
    """The arguments `annotation` gives the generic class `generic`, through its bases.

    `type_arguments(RunStreamFollower[Run], Follower)` is `(StreamEvent, Run)`.
    Raises `TypeError` when `annotation` is not a `generic`.
    """
    origin = get_origin(annotation) or annotation
    if origin is generic:
        return get_args(annotation)
    given = dict(zip(getattr(origin, "__parameters__", ()), get_args(annotation), strict=False))
    for base in getattr(origin, "__orig_bases__", ()):
        parameters = getattr(base, "__parameters__", ())
        if parameters:
            base = base[tuple(given.get(p, p) for p in parameters)]
        try:
            return type_arguments(base, generic)
        except TypeError:
            continue
    raise TypeError(f"{annotation!r} is not a {generic.__name__}")


def public_signature(
    build: Callable[..., Any],
    options: type,
    answer: Callable[[Any], Any],
) -> inspect.Signature:
    """The signature of the method made from `build`: its parameters without the
    resource, the `options` TypedDict's keys as keyword-only parameters in place
    of `**options`, and `answer(<the build's return annotation>)` as return.

    Parameter annotations stay as the builder wrote them (strings, resolved by
    `typing.get_type_hints` in the builder's module through `__wrapped__`);
    the options' and the return annotation are objects.
    """
    built = return_type(build)
    option_types = get_type_hints(options)
    parameters: list[inspect.Parameter] = []
    for parameter in list(inspect.signature(build).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            parameters.extend(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=t)
                for name, t in option_types.items()
            )
        else:
            parameters.append(parameter)
    answered = answer(built)
    return inspect.Signature(
        parameters, return_annotation=None if answered is type(None) else answered
    )


def return_type(function: Callable[..., Any]) -> Any:
    """`function`'s return annotation, evaluated in its module (and only that one:
    its parameters may name types imported for type checkers only). A name the
    module leaves to its `__getattr__` (PEP 562, imported on first use) resolves too.

    The module is the one `__module__` names, which a wrapper made with
    `functools.wraps` keeps, where its `__globals__` are its own module's.
    """
    annotation = function.__annotations__["return"]
    if isinstance(annotation, str):
        namespace = vars(sys.modules[function.__module__])
        return eval(annotation, namespace, _ModuleNames(namespace))
    return annotation


class _ModuleNames(dict[str, Any]):
    """Names eval looks up beyond a module's globals: its `__getattr__`'s."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        super().__init__()
        self._namespace = namespace

    def __missing__(self, name: str) -> Any:
        if name in self._namespace:
            return self._namespace[name]
        lazy = self._namespace.get("__getattr__")
        if lazy is None:
            raise KeyError(name)
        try:
            return lazy(name)
        except AttributeError:
            raise KeyError(name) from None


def annotations_of(signature: inspect.Signature) -> dict[str, Any]:
    """`__annotations__` matching `signature`."""
    found = {
        name: p.annotation
        for name, p in signature.parameters.items()
        if p.annotation is not inspect.Parameter.empty
    }
    found["return"] = signature.return_annotation
    return found
