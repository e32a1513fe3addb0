"""Declarations a program keeps at module level (`HotFunction`, `EventType`,
`StreamDataType`) copy and pickle as functions do: a copy is the same
declaration, a pickle refers to where it was declared, and one that cannot be
found again is refused when pickled, with its name, not when loaded."""

from __future__ import annotations

import copy
import pickle
import sys
from typing import Any, cast

import pydantic
import pytest

import hot_typed
from hot_typed import EventType, FunctionOptions, HotFunction, StreamData, StreamDataType


class Delta(pydantic.BaseModel):
    text: str


def _stub(text: str) -> str:
    raise NotImplementedError


@hot_typed.function("::chat/say")
def say(text: str) -> str:
    raise NotImplementedError


# Declared from a stub that stays importable under its own name.
echo = hot_typed.function("::chat/echo")(_stub)


def _rebound(text: str) -> str:
    raise NotImplementedError


_before_rebinding = HotFunction("::chat/rebound", _rebound)


class Tools:
    """Declarations kept as attributes of a module-level class."""

    @hot_typed.function("::tools/shout")
    def shout(text: str) -> str:
        raise NotImplementedError


DeltaData = StreamDataType("ai:delta", Delta)
Said = EventType("chat:said", Delta)


def _on_chunk(chunk: str) -> None:
    raise NotImplementedError


@pytest.mark.parametrize(
    ("changes", "timeout", "on_chunk"),
    [
        ({}, 5.0, print),
        ({"timeout": None}, None, print),
        ({"timeout": 1.5}, 1.5, print),
        ({"on_chunk": None}, 5.0, None),
        ({"on_chunk": _on_chunk}, 5.0, _on_chunk),
        ({"timeout": 2.0, "on_chunk": None}, 2.0, None),
    ],
)
def test_with_options_changes_only_the_options_given(
    changes: FunctionOptions, timeout: float | None, on_chunk: Any
) -> None:
    configured = say.with_options(timeout=5.0, on_chunk=print)
    changed = configured.with_options(**changes)
    assert (changed.name, changed.timeout, changed.on_chunk) == ("::chat/say", timeout, on_chunk)
    assert (configured.timeout, configured.on_chunk) == (5.0, print)


def test_with_options_refuses_an_option_it_does_not_have() -> None:
    with pytest.raises(TypeError, match=r"unexpected options: retries, tries"):
        say.with_options(**cast(Any, {"tries": 3, "retries": 1}))


@pytest.mark.parametrize(
    "function",
    [say, echo, Tools.shout],
    ids=["decorated", "from_a_named_stub", "kept_in_a_class"],
)
def test_a_pickled_function_is_the_same_declaration_with_its_options(
    function: HotFunction[[str], str],
) -> None:
    configured = function.with_options(timeout=7.0, on_chunk=_on_chunk)
    configured.arguments("warm")  # resolves the contract, which is not pickled
    restored: HotFunction[[str], str] = pickle.loads(pickle.dumps(configured))
    assert isinstance(restored, HotFunction)
    assert (restored.name, restored.timeout, restored.on_chunk) == (
        function.name,
        7.0,
        _on_chunk,
    )
    assert restored.__wrapped__ is function.__wrapped__
    assert restored.arguments("hi") == ["hi"]
    with pytest.raises(pydantic.ValidationError):
        restored.arguments(3)  # type: ignore[arg-type]


def test_a_copy_or_pickle_of_a_function_equals_it_and_one_calling_otherwise_does_not() -> None:
    configured = say.with_options(timeout=7.0, on_chunk=_on_chunk)
    for restored in (
        copy.copy(configured),
        copy.deepcopy(configured),
        pickle.loads(pickle.dumps(configured)),
        say.with_options(timeout=7.0, on_chunk=_on_chunk),
    ):
        assert restored == configured
        assert {configured: 1}[restored] == 1
    assert pickle.loads(pickle.dumps(say)) == say
    assert configured != say
    assert say.with_options(on_chunk=_on_chunk) != say
    assert HotFunction("::chat/other", say.__wrapped__) != say
    assert echo != HotFunction("::chat/echo", say.__wrapped__)


def test_a_function_declared_in_a_local_scope_is_refused_when_pickled() -> None:
    @hot_typed.function("::local/fn")
    def local(a: int) -> int:
        raise NotImplementedError

    with pytest.raises(pickle.PicklingError, match=r"'.*<locals>\.local' is not importable"):
        pickle.dumps(local)


def test_a_function_whose_stub_name_was_rebound_is_refused_when_pickled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As a reload or a patch would: the stub's name now finds another stub.
    monkeypatch.setattr(sys.modules[__name__], "_rebound", _stub)
    with pytest.raises(pickle.PicklingError, match=r"'_rebound' is not importable"):
        pickle.dumps(_before_rebinding)


def test_a_pickle_keeps_the_name_a_stub_was_declared_under() -> None:
    other = HotFunction("::chat/other", say.__wrapped__)
    assert pickle.loads(pickle.dumps(other)).name == "::chat/other"


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_a_copied_function_shares_its_declaration_even_from_a_local_scope(
    copier: Any,
) -> None:
    def local(a: int) -> int:
        raise NotImplementedError

    declared = hot_typed.function("::local/fn")(local).with_options(timeout=3.0)
    copied = copier(declared)
    assert copied is not declared
    assert (copied.name, copied.timeout, copied.__wrapped__) == ("::local/fn", 3.0, local)
    assert copied.arguments(1) == [1]


@pytest.mark.parametrize(
    "copier",
    [lambda f: f.with_options(), lambda f: f.with_options(timeout=1.0), copy.copy, copy.deepcopy],
    ids=["with_options", "with_options_changed", "copy", "deepcopy"],
)
def test_a_copy_shares_the_contract_its_original_resolved(copier: Any) -> None:
    resolved = say._resolved()  # pyright: ignore[reportPrivateUsage]
    assert copier(say)._resolved() is resolved  # pyright: ignore[reportPrivateUsage]


def _pickled(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value))


@pytest.mark.parametrize("restore", [_pickled, copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_restored_stream_data_type_matches_what_the_original_matches(restore: Any) -> None:
    restored = restore(DeltaData)
    assert (restored.name, restored.payload) == ("ai:delta", Delta)
    assert restored.model is StreamData[Delta]
    frame = (
        '{"type":"stream:data","stream_data_id":"0190d3a2-4b5c-7d8e-9f00-112233445566",'
        '"run_id":"0190d3a2-4b5c-7d8e-9f00-112233445567","data_type":"ai:delta",'
        '"payload":{"text":"hi"}}'
    )
    decoded = restored.decode(frame)
    assert DeltaData.matches(decoded)
    assert restored.matches(decoded)
    assert decoded.payload == Delta(text="hi")


def test_a_pickled_event_type_builds_the_same_event() -> None:
    restored = _pickled(Said)
    assert restored(Delta(text="x")) == Said(Delta(text="x"))


class _Other(pydantic.BaseModel):
    text: str


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (EventType("chat:said", Delta), Said, True),
        (StreamDataType("ai:delta", Delta), DeltaData, True),
        (EventType("chat:said", _Other), Said, False),
        (EventType("chat:heard", Delta), Said, False),
        (StreamDataType("ai:delta", _Other), DeltaData, False),
        (StreamDataType("ai:other", Delta), DeltaData, False),
        # A name bound to the same type by the other kind of declaration is another thing.
        (EventType("ai:delta", Delta), DeltaData, False),
        (StreamDataType("chat:said", Delta), Said, False),
    ],
)
def test_declarations_are_equal_by_kind_name_and_type(left: Any, right: Any, equal: bool) -> None:
    assert (left == right) is equal
    assert (right == left) is equal
    assert (len({left, right}) == 1) is equal
