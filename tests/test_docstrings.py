"""Every public class and public method has a docstring: the classes exported by
`hot_typed`, `hot_typed.agent`, `hot_typed.callbacks` and `hot_typed.testing` with
the methods and properties they define or inherit from hot-typed's own bases, and
every resource method as both clients expose it (what `help()` and editors show)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from typing import Any

import pytest

import hot_typed
import hot_typed.agent
import hot_typed.callbacks
import hot_typed.testing
from hot_typed import AsyncHotClient, HotClient
from hot_typed._client import _RESOURCES

PUBLIC_MODULES = [hot_typed, hot_typed.agent, hot_typed.callbacks, hot_typed.testing]


def _documented(value: Any) -> bool:
    return bool((getattr(value, "__doc__", None) or "").strip())


def _public_classes() -> Iterator[tuple[str, type]]:
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            # Python 3.10 takes a parametrized alias (`Callable[..., None]`) for a class.
            if inspect.isclass(value) and typing.get_origin(value) is None:
                yield f"{module.__name__}.{name}", value


def _own_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public functions and properties `cls` defines or inherits from hot-typed classes
    (what pydantic, `Enum` or `Exception` define is theirs to document)."""
    for base in cls.__mro__:
        if not base.__module__.startswith("hot_typed"):
            continue
        for name, value in vars(base).items():
            if name.startswith("_"):
                continue
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            if isinstance(value, property) or inspect.isfunction(value):
                yield f"{base.__module__}.{base.__qualname__}.{name}", value


def test_every_public_class_has_a_docstring() -> None:
    # `__doc__` of the class itself: a class without one would show its base's.
    missing = [
        name
        for name, cls in _public_classes()
        if not (cls.__dict__.get("__doc__") or "").strip()
    ]
    assert missing == []


def test_every_public_method_and_property_has_a_docstring() -> None:
    members = {name: m for _, cls in _public_classes() for name, m in _own_members(cls)}
    missing = sorted(name for name, member in members.items() if not _documented(member))
    assert missing == []


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
def test_every_resource_method_has_a_docstring_on_both_clients(
    client_class: type[HotClient] | type[AsyncHotClient],
) -> None:
    client = client_class("token", base_url="http://127.0.0.1:1")
    missing = []
    methods = 0
    for resource_name in _RESOURCES:
        resource = getattr(client, resource_name)
        for name in dir(type(resource)):
            if name.startswith("_"):
                continue
            methods += 1
            if not _documented(getattr(resource, name)):
                missing.append(f"{resource_name}.{name}")
    assert methods > 60
    assert missing == []
