"""What tools see of the clients' methods: the public signature (with the per-request
options), the answered type, coroutine functions on the async client, the docstring."""

from __future__ import annotations

import importlib
import inspect
import pydoc
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

import hot_typed
import hot_typed.agent
import hot_typed.callbacks
import hot_typed.proxy
import hot_typed.testing
from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    AsyncPage,
    Event,
    EventStream,
    File,
    FinishedRun,
    HotClient,
    Page,
    Run,
    ServerStatus,
    StreamEvent,
)
from hot_typed._client import _RESOURCES, Resources
from hot_typed._resource import ModeT
from hot_typed._signature import return_type
from hot_typed._uploads import UploadFile
from hot_typed.testing import HotEmulator

OPTIONS = ["extra_headers", "extra_query", "timeout", "extra_body"]


def clients() -> tuple[HotClient, AsyncHotClient]:
    return (
        HotClient("token", base_url="http://127.0.0.1:1"),
        AsyncHotClient("token", base_url="http://127.0.0.1:1"),
    )


def test_a_method_signature_is_the_public_one_with_the_options_and_the_answered_type() -> None:
    hot, async_hot = clients()
    signature = inspect.signature(hot.events.publish)
    assert list(signature.parameters) == ["body", *OPTIONS]
    assert signature.return_annotation is Event
    for name in OPTIONS:
        parameter = signature.parameters[name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None
    assert inspect.signature(async_hot.events.publish) == signature


def test_async_valued_methods_are_coroutine_functions_and_streams_are_not() -> None:
    hot, async_hot = clients()
    assert inspect.iscoroutinefunction(async_hot.runs.get)
    assert inspect.iscoroutinefunction(async_hot.runs.list)
    assert inspect.iscoroutinefunction(async_hot.runs.wait)
    assert inspect.iscoroutinefunction(async_hot.files.download_to)
    assert inspect.iscoroutinefunction(async_hot.status)
    assert not inspect.iscoroutinefunction(async_hot.streams.subscribe_with_event)
    assert not inspect.iscoroutinefunction(hot.runs.get)


def test_type_hints_resolve_to_the_answered_types_for_each_kind_and_client() -> None:
    hot, async_hot = clients()
    cases: list[tuple[Any, Any, Any]] = [
        (hot.events.publish, async_hot.events.publish, Event),
        (hot.runs.list, async_hot.runs.list, None),
        (hot.streams.subscribe_with_event, async_hot.streams.subscribe_with_event, None),
        (hot.runs.wait, async_hot.runs.wait, FinishedRun),
        (hot.files.upload_file, async_hot.files.upload_file, File),
        (hot.files.download_to, async_hot.files.download_to, Path),
        (hot.blobs.download, async_hot.blobs.download, bytes),
        (hot.status, async_hot.status, ServerStatus),
        (hot.files.delete, async_hot.files.delete, type(None)),
    ]
    for sync_method, async_method, answered in cases:
        sync_hints = typing.get_type_hints(sync_method)
        async_hints = typing.get_type_hints(async_method)
        if answered is not None:
            assert sync_hints["return"] is answered
            assert async_hints["return"] is answered
    assert typing.get_type_hints(hot.runs.list)["return"] == Page[Run]
    assert typing.get_type_hints(async_hot.runs.list)["return"] == AsyncPage[Run]
    sync_stream = typing.get_type_hints(hot.streams.subscribe, include_extras=True)
    async_stream = typing.get_type_hints(async_hot.streams.subscribe, include_extras=True)
    assert sync_stream["return"] == EventStream[StreamEvent]
    assert async_stream["return"] == AsyncEventStream[StreamEvent]
    hints = typing.get_type_hints(hot.events.publish)
    assert hints["extra_headers"] == Mapping[str, str] | None
    assert hints["timeout"] == float | httpx.Timeout | None


def test_a_wrapped_operation_answers_the_type_its_own_module_names() -> None:
    # A wrapper made with functools.wraps elsewhere keeps `__module__` and the
    # annotations, not the globals: `File` is no name of the wrapper's module.
    elsewhere: dict[str, Any] = {}
    exec(
        "import functools\n"
        "def wrap(f):\n"
        "    @functools.wraps(f)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        return f(*args, **kwargs)\n"
        "    return wrapper\n",
        elsewhere,
    )
    wrapped = elsewhere["wrap"](UploadFile.run)
    assert "File" not in wrapped.__globals__
    assert return_type(wrapped) is File


@pytest.mark.parametrize("index", [0, 1], ids=["sync", "async"])
def test_every_operation_of_every_resource_introspects(index: int) -> None:
    client = clients()[index]
    for name in _RESOURCES:
        resource = getattr(client, name)
        for attribute in dir(type(resource)):
            if attribute.startswith("_"):
                continue
            method = getattr(resource, attribute)
            signature = inspect.signature(method)
            hints = typing.get_type_hints(method)
            assert "return" in hints, f"{name}.{attribute}"
            assert "self" not in signature.parameters
            assert "extra_headers" in signature.parameters, f"{name}.{attribute}"
            assert method.__doc__ == getattr(type(resource), attribute).__doc__


def test_the_client_level_operations_introspect_too() -> None:
    hot, async_hot = clients()
    for method in (hot.request, hot.request_raw, hot.status):
        assert "extra_headers" in inspect.signature(method).parameters
    assert inspect.signature(hot.request_raw).return_annotation is httpx.Response
    assert inspect.iscoroutinefunction(async_hot.request)
    assert typing.get_type_hints(async_hot.status)["return"] is ServerStatus


def test_an_option_the_kind_does_not_take_is_not_in_its_signature() -> None:
    hot, _ = clients()
    wait = inspect.signature(hot.runs.wait).parameters
    assert "extra_body" not in wait
    assert wait["timeout"].annotation == "float | None"  # the whole wait; None: no limit
    follow = inspect.signature(hot.streams.subscribe_with_event).parameters
    assert "extra_body" not in follow
    assert "timeout" in follow


def _help(value: Any) -> str:
    """`help(value)`'s text with each signature on one line: Python 3.13's pydoc puts a
    long signature's parameters on lines of their own (in a class, after a `|` gutter)."""
    text: str = pydoc.render_doc(value, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    text = re.sub(r"\(\n(?: \|)?\s+", "(", text)
    text = re.sub(r",\n(?: \|)?\s+", ", ", text)
    return re.sub(r"\n(?: \|)?\s+\)", ")", text)


def test_help_shows_the_signature_and_the_docstring() -> None:
    hot, async_hot = clients()
    text = _help(hot.events.publish)
    assert "publish(body" in text
    assert "extra_headers" in text
    assert "Publish an event; handlers subscribed to its type start runs" in text
    async_text = _help(async_hot.runs.get)
    assert "async" in async_text
    assert "One run. With `result_type`" in async_text


@hot_typed.function("::demo::math/add")
def add(a: int, b: int = 0) -> int:
    """Add two numbers, on Hot."""
    raise NotImplementedError


def test_a_declared_function_shows_only_public_methods_whose_hints_resolve() -> None:
    # What `help(add)` and completion list: nothing naming the machinery behind a call.
    public = {
        name
        for name in dir(add)
        if not name.startswith("_") and inspect.ismethod(getattr(add, name))
    }

    assert public == {"arguments", "with_options"}
    for name in public:
        method = getattr(add, name)
        typing.get_type_hints(method)
        assert not re.findall(r"(?<![.\w])_\w+", str(inspect.signature(method))), name
    assert typing.get_type_hints(add.arguments)["return"] == list[Any]


def _public_callables(module: Any) -> list[tuple[str, Any]]:
    """Each public function of `module` and each public method (`__init__` too) of
    its public classes."""
    found: list[tuple[str, Any]] = []
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isfunction(value):
            found.append((name, value))
        elif inspect.isclass(value):
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) and (
                    attribute == "__init__" or not attribute.startswith("_")
                ):
                    found.append((f"{name}.{attribute}", member))
    return found


@pytest.mark.parametrize(
    "module",
    [hot_typed.proxy, hot_typed.agent, hot_typed.callbacks, hot_typed.testing],
    ids=lambda module: module.__name__,
)
def test_the_hints_of_every_public_callable_of_the_web_and_testing_modules_resolve(
    module: Any,
) -> None:
    assert _unresolved(_public_callables(module)) == []


def _unresolved(named: list[tuple[str, Any]]) -> list[str]:
    """Each of `named` whose hints `typing.get_type_hints` cannot resolve, and why."""
    unresolved: list[str] = []
    for name, value in named:
        try:
            typing.get_type_hints(value)
        except NameError as error:
            unresolved.append(f"{name}: {error}")
    return unresolved


def test_the_hints_of_call_resolve_to_the_public_hot_function_on_both_clients() -> None:
    for client in clients():
        hints = typing.get_type_hints(client.call)
        assert typing.get_origin(hints["function"]) is hot_typed.HotFunction
        assert "hot_typed.HotFunction[" in str(inspect.signature(client.call))


def _public_classes() -> list[tuple[str, type]]:
    modules = [hot_typed, hot_typed.proxy, hot_typed.agent, hot_typed.callbacks, hot_typed.testing]
    return [
        (f"{module.__name__}.{name}", value)
        for module in modules
        for name in module.__all__
        if inspect.isclass(value := getattr(module, name)) and typing.get_origin(value) is None
    ]


def test_the_hints_of_every_public_class_resolve() -> None:
    assert _unresolved(_public_classes()) == []


def test_a_clients_resource_attributes_are_hinted_as_their_resource_classes() -> None:
    # The resource classes are imported on first use, not with the client.
    for client_class in (HotClient, AsyncHotClient):
        hints = typing.get_type_hints(client_class)
        evaluated = inspect.get_annotations(Resources, eval_str=True)
        for attribute, (module, cls) in _RESOURCES.items():
            resource = getattr(importlib.import_module(f"hot_typed._resources.{module}"), cls)
            assert typing.get_origin(hints[attribute]) is resource
            assert hints[attribute] == evaluated[attribute] == resource[ModeT]
    assert hints.keys() >= _RESOURCES.keys()


def test_an_operation_read_on_its_class_is_documented_as_the_method_it_is() -> None:
    hot, _ = clients()
    text = _help(hot.runs)

    assert "endpoint object" not in text
    assert "get(self, /, run_id: 'str | UUID', *, result_type:" in text
    assert "One run. With `result_type`" in text
    for client_class in (HotClient, AsyncHotClient):
        signature = inspect.signature(client_class.status)
        assert list(signature.parameters)[:2] == ["self", "extra_headers"]
        # Which client reads it decides what it answers: a class attribute does not say.
        assert signature.return_annotation is inspect.Signature.empty
    assert HotClient.status.__name__ == "status"
    assert HotClient.status.__qualname__ == "Resources.status"


def test_an_operation_called_on_its_class_with_a_client_is_that_clients_method() -> None:
    with HotEmulator() as emulator, emulator.client() as hot:
        assert HotClient.status(hot) == hot.status()
        with pytest.raises(TypeError, match=r"Resources.status\(\) needs the resource"):
            HotClient.status("not a client")
