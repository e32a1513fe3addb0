"""Hot functions declared as typed callables (`hot_typed.function`, `hot.call`),
against the emulator, both clients: arguments validated and serialized by the
declaration before anything is sent, results validated into its return type."""

from __future__ import annotations

import dataclasses
import enum
import math
import pickle
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, cast

import pydantic
import pytest

import hot_typed
from hot_typed import (
    AsyncHotClient,
    HotClient,
    HotResponseValidationError,
    HotRunError,
    HotTimeoutError,
)
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .sse_script import close, resolve

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

Client = HotClient | AsyncHotClient


class Plan(enum.Enum):
    FREE = "free"
    PRO = "pro"


class Person(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    name: str
    email_address: str = pydantic.Field(alias="emailAddress")


@dataclasses.dataclass
class Seat:
    row: int
    letter: str


class Booking(pydantic.BaseModel):
    who: Person
    at: datetime
    seats: list[Seat]


@hot_typed.function("::demo::math/add")
def add(a: int, b: int) -> int:
    raise NotImplementedError


@hot_typed.function("::shop/book")
def book(who: Person, at: datetime, seats: list[Seat], plan: Plan = Plan.FREE) -> Booking:
    raise NotImplementedError


@hot_typed.function("::chat/say")
def say(text: str) -> str:
    raise NotImplementedError


@hot_typed.function("::demo::math/mul")
def mul(a: int, b: int) -> int:
    """The product of `a` and `b`."""
    raise NotImplementedError


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:

        @emu.on_call("::demo::math/add")
        def add_numbers(event: HandlerEvent, ctx: RunContext) -> Any:
            a, b = event.args
            return a + b

        @emu.on_call("::shop/book")
        def book_seats(event: HandlerEvent, ctx: RunContext) -> Any:
            who, at, seats, plan = event.args
            return {"who": who, "at": at, "seats": seats, "plan": plan}

        @emu.on_call("::chat/say")
        def speak(event: HandlerEvent, ctx: RunContext) -> Any:
            for word in event.args[0].split():
                ctx.emit_text(word)
            return event.args[0]

        yield emu


def client(emu: HotEmulator, mode: str) -> Client:
    return emu.client() if mode == "sync" else emu.async_client()


def posts(emu: HotEmulator) -> int:
    return sum(1 for request in emu.requests if request.method == "POST")


async def test_a_declared_function_is_called_with_its_arguments_and_returns_its_type(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        total = await resolve(hot.call(add, 2, 3))
        by_keyword = await resolve(hot.call(add, 40, b=2))
    finally:
        await close(hot)
    assert (total, by_keyword) == (5, 42)
    assert type(total) is int


async def test_models_dataclasses_enums_and_datetimes_go_out_in_their_json_form(
    mode: str, emulator: HotEmulator
) -> None:
    at = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
    ada = Person(name="Ada", email_address="ada@example.com")
    hot = client(emulator, mode)
    try:
        booking = await resolve(hot.call(book, ada, at, [Seat(3, "C")], Plan.PRO))
    finally:
        await close(hot)
    (posted,) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.json()["event_data"] == {
        "fn": "::shop/book",
        "args": [
            {"name": "Ada", "emailAddress": "ada@example.com"},
            "2026-05-01T09:30:00Z",
            [{"row": 3, "letter": "C"}],
            "pro",
        ],
    }
    # The result is validated into the return annotation, nested types included.
    assert isinstance(booking, Booking)
    assert booking.at == at
    assert booking.seats == [Seat(3, "C")]
    assert booking.who == ada


async def test_a_default_argument_is_sent_when_left_out(mode: str, emulator: HotEmulator) -> None:
    hot = client(emulator, mode)
    try:
        await resolve(hot.call(book, Person(name="A", email_address="a@x"), datetime.now(), []))
    finally:
        await close(hot)
    (posted,) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.json()["event_data"]["args"][-1] == "free"


@pytest.mark.parametrize(
    ("function", "args", "kwargs"),
    [
        (add, (2, "3"), {}),  # a str where an int is declared: no coercion
        (add, (2, 3.5), {}),
        (add, (2,), {}),  # missing argument
        (add, (1, 2, 3), {}),  # one too many
        (add, (1,), {"c": 2}),  # unknown keyword
        (book, ({"name": "Ada"}, datetime.now(), []), {}),  # a dict is not a Person
        (book, (Person(name="A", email_address="a@x"), "tomorrow", []), {}),
        (book, (Person(name="A", email_address="a@x"), datetime.now(), [], "gold"), {}),
    ],
)
async def test_an_argument_that_does_not_fit_the_declaration_sends_nothing(
    mode: str, emulator: HotEmulator, function: Any, args: Any, kwargs: Any
) -> None:
    hot = client(emulator, mode)
    try:
        with pytest.raises((pydantic.ValidationError, TypeError)):
            await resolve(hot.call(function, *args, **kwargs))
    finally:
        await close(hot)
    assert emulator.requests == []


class Loose(pydantic.BaseModel):
    """A model with a field of any JSON."""

    note: Any = None


@hot_typed.function("::util/keep")
def keep(value: Any, extra: dict[str, Any] | None = None, loose: Loose | None = None) -> Any:
    raise NotImplementedError


# What the declaration leaves open takes JSON, checked as `event_data` is: pydantic
# would send a NaN there as null and guess a form for bytes or a Decimal.
@pytest.mark.parametrize(
    ("args", "where", "problem"),
    [
        ((math.nan,), ("value",), "nan is not a JSON number"),
        ((b"abc",), ("value",), "bytes objects have no JSON form"),
        ((b"\xff",), ("value",), "bytes objects have no JSON form"),
        ((Decimal("1.5"),), ("value",), "Decimal objects have no JSON form"),
        ((object(),), ("value",), "object objects have no JSON form"),
        ((datetime(2026, 5, 1),), ("value",), "datetime objects have no JSON form"),
        ((Loose(note=math.inf),), ("value",), "not JSON at ['note']: inf"),
        ((1, {"a": [math.nan]}), ("extra", "a"), "not JSON at [0]: nan"),
        ((1, None, Loose(note=-math.inf)), (), "not JSON at ['loose']['note']: -inf"),
    ],
)
async def test_a_value_with_no_json_form_where_any_is_declared_sends_nothing(
    mode: str, emulator: HotEmulator, args: Any, where: tuple[Any, ...], problem: str
) -> None:
    hot = client(emulator, mode)
    try:
        with pytest.raises(pydantic.ValidationError) as error:
            await resolve(hot.call(keep, *args))
    finally:
        await close(hot)
    assert emulator.requests == []
    assert error.value.title == "keep_arguments"
    [refused] = error.value.errors()
    assert (refused["type"], refused["loc"]) == ("json_value", where)
    assert problem in refused["msg"]
    # A value found to have no JSON form only once dumped (inside a model's `Any`
    # field) is not located by pydantic: the error holds every argument.
    if where == ():
        bound = dict(zip(("value", "extra", "loose"), args, strict=True))
        assert refused["input"] == bound


def test_json_where_any_is_declared_is_sent_as_written(mode: str) -> None:
    value = {"n": [1, 2.5, -0.0, None, "é"], "m": Loose(note={"k": 1.0})}
    assert keep.arguments(value, {"a": [1.5]}, Loose(note=[True])) == [
        {"n": [1, 2.5, -0.0, None, "é"], "m": {"note": {"k": 1.0}}},
        {"a": [1.5]},
        {"note": [True]},
    ]


POSITIVE = pydantic.Field(gt=0)
DESCRIBED = pydantic.Field(description="anything")
NOT_EMPTY = pydantic.Field(min_length=1)
NO_HINT = object()
"""The `hint` of a parameter left unannotated."""


def declared(hint: Any) -> hot_typed.HotFunction[..., Any]:
    """The Hot function `::util/echo` of one parameter, `value`, annotated `hint`
    (or not at all: `NO_HINT`), returning any JSON."""

    def stub(value):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    stub.__annotations__ = {} if hint is NO_HINT else {"value": hint, "return": Any}
    return hot_typed.function("::util/echo")(stub)


# Every `Any` a declaration holds, through `Annotated` (its metadata kept), unions
# and containers, takes JSON and only JSON; what holds no `Any` keeps its own
# rules (strict, finite floats, the metadata's constraints), and a parameter with
# no annotation is `Any`.
@pytest.mark.parametrize(
    ("hint", "value", "sent"),
    [
        (list[Any], [1, "a", None, {"k": [1.5]}], [1, "a", None, {"k": [1.5]}]),
        (tuple[int, Any], (1, {"k": 2}), [1, {"k": 2}]),
        (Optional[Any], None, None),  # noqa: UP045
        (int | Any, {"k": 2.5}, {"k": 2.5}),
        (Annotated[Any, DESCRIBED], {"k": 1.5}, {"k": 1.5}),
        (Annotated[int, POSITIVE], 3, 3),
        (Literal["a", 1], "a", "a"),
        (NO_HINT, {"k": [1, None]}, {"k": [1, None]}),
    ],
)
async def test_json_where_a_declaration_holds_any_is_sent_as_written(
    mode: str, emulator: HotEmulator, hint: Any, value: Any, sent: Any
) -> None:
    emulator.on_call("::util/echo", lambda event, ctx: event.args[0])
    hot = client(emulator, mode)
    try:
        echoed = await resolve(hot.call(declared(hint), value))
    finally:
        await close(hot)
    assert echoed == sent
    (posted,) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.json()["event_data"]["args"] == [sent]


@pytest.mark.parametrize(
    ("hint", "value", "errors"),
    [
        (list[Any], [math.nan], [("json_value", ("value", 0))]),
        (list[Any], [b"x"], [("json_value", ("value", 0))]),
        (list[Any], {"a": 1}, [("list_type", ("value",))]),
        (dict[str, list[Any]], {"k": [math.nan]}, [("json_value", ("value", "k", 0))]),
        (tuple[int, Any], (1, math.inf), [("json_value", ("value", 1))]),
        (Optional[Any], b"x", [("json_value", ("value",))]),  # noqa: UP045
        (Annotated[Any, DESCRIBED], math.nan, [("json_value", ("value",))]),
        (Annotated[list[Any], NOT_EMPTY], [], [("too_short", ("value",))]),
        (Annotated[list[Any], NOT_EMPTY], [math.inf], [("json_value", ("value", 0))]),
        (Annotated[int, POSITIVE], 0, [("greater_than", ("value",))]),
        (Annotated[int, POSITIVE], "3", [("int_type", ("value",))]),
        (Literal["a", 1], "b", [("literal_error", ("value",))]),
        (int, "3", [("int_type", ("value",))]),
        (float, math.nan, [("finite_number", ("value",))]),
        (NO_HINT, math.nan, [("json_value", ("value",))]),
    ],
)
async def test_what_a_declaration_holding_any_does_not_take_sends_nothing(
    mode: str,
    emulator: HotEmulator,
    hint: Any,
    value: Any,
    errors: list[tuple[str, tuple[Any, ...]]],
) -> None:
    hot = client(emulator, mode)
    try:
        with pytest.raises(pydantic.ValidationError) as error:
            await resolve(hot.call(declared(hint), value))
    finally:
        await close(hot)
    assert [(e["type"], e["loc"]) for e in error.value.errors()] == errors
    assert emulator.requests == []


async def test_a_validation_error_names_the_parameter(mode: str, emulator: HotEmulator) -> None:
    hot = client(emulator, mode)
    try:
        with pytest.raises(pydantic.ValidationError) as error:
            await resolve(hot.call(add, 1, cast(Any, "2")))
    finally:
        await close(hot)
    assert error.value.errors()[0]["loc"] == ("b",)


async def test_a_result_that_does_not_fit_the_return_type_raises_with_it_on_raw(
    mode: str, emulator: HotEmulator
) -> None:
    emulator.on_call("::demo::math/add", lambda event, ctx: "five")
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotResponseValidationError) as error:
            await resolve(hot.call(add, 2, 3))
    finally:
        await close(hot)
    assert error.value.raw == "five"
    assert posts(emulator) == 1


async def test_a_failed_run_raises_hot_run_error(mode: str, emulator: HotEmulator) -> None:
    def broken(event: HandlerEvent, ctx: RunContext) -> Any:
        raise RuntimeError("division by zero")

    emulator.on_call("::demo::math/add", broken)
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotRunError):
            await resolve(hot.call(add, 1, 0))
    finally:
        await close(hot)


async def test_with_options_streams_chunks_to_on_chunk(mode: str, emulator: HotEmulator) -> None:
    chunks: list[str] = []
    hot = client(emulator, mode)
    try:
        chatty = say.with_options(on_chunk=chunks.append)
        said = await resolve(hot.call(chatty, "typed all the way"))
    finally:
        await close(hot)
    assert said == "typed all the way"
    assert chunks == ["typed", "all", "the", "way"]


async def test_the_clients_with_options_headers_go_with_the_call(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode).with_options(extra_headers={"X-Team": "data"})
    try:
        assert await resolve(hot.call(add, 1, 1)) == 2
    finally:
        await close(hot)
    assert all(request.headers.get("x-team") == "data" for request in emulator.requests)


def test_a_declaration_with_keyword_only_parameters_is_refused(mode: str) -> None:
    def stub(a: int, *, b: int) -> int:
        raise NotImplementedError

    with pytest.raises(TypeError, match="positional"):
        hot_typed.function("::f")(stub)


def test_a_declaration_without_a_name_is_refused_saying_what_a_name_looks_like(
    mode: str,
) -> None:
    with pytest.raises(ValueError, match="needs a name") as error:
        hot_typed.function("")(mul.__wrapped__)
    assert str(error.value) == "a Hot function needs a name such as '::ns::path/fn'"


def test_a_declaration_keeps_its_stubs_docstring_and_a_60_second_timeout_by_default(
    mode: str,
) -> None:
    declared = hot_typed.function("::demo::math/mul")(mul.__wrapped__)
    assert declared.__doc__ == mul.__doc__ == "The product of `a` and `b`."
    assert (declared.name, declared.timeout, declared.on_chunk) == ("::demo::math/mul", 60.0, None)


def test_async_call_is_a_coroutine_function(mode: str) -> None:
    import inspect

    assert inspect.iscoroutinefunction(AsyncHotClient.call)
    assert not inspect.iscoroutinefunction(HotClient.call)


async def test_with_options_timeout_bounds_the_whole_call(mode: str, emulator: HotEmulator) -> None:
    release = threading.Event()

    def slow(event: HandlerEvent, ctx: RunContext) -> Any:
        release.wait(2)
        return "late"

    emulator.on_call("::chat/say", slow)
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotTimeoutError):
            await resolve(hot.call(say.with_options(timeout=0.2), "hello"))
    finally:
        release.set()
        await close(hot)


async def test_with_options_keeps_the_options_it_is_not_given(
    mode: str, emulator: HotEmulator
) -> None:
    release = threading.Event()

    def slow(event: HandlerEvent, ctx: RunContext) -> Any:
        ctx.emit_text("first")
        release.wait(2)
        return "late"

    emulator.on_call("::chat/say", slow)
    chunks: list[str] = []
    # The second copy changes only `on_chunk`: the short timeout of the first stays.
    bounded = say.with_options(timeout=0.3).with_options(on_chunk=chunks.append)
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotTimeoutError):
            await resolve(hot.call(bounded, "hello"))
    finally:
        release.set()
        await close(hot)
    assert chunks == ["first"]


async def test_a_function_restored_from_a_pickle_calls_as_the_original(
    mode: str, emulator: HotEmulator
) -> None:
    chunks: list[str] = []
    restored = pickle.loads(pickle.dumps(say.with_options(timeout=30.0)))
    hot = client(emulator, mode)
    try:
        total = await resolve(hot.call(pickle.loads(pickle.dumps(add)), 2, 3))
        said = await resolve(hot.call(restored.with_options(on_chunk=chunks.append), "a b"))
    finally:
        await close(hot)
    assert (total, said, chunks) == (5, "a b", ["a", "b"])
    assert (restored.name, restored.timeout) == ("::chat/say", 30.0)
