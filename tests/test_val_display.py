"""The emulator writes a failed run's error on the environment stream as Hot's
`impl fmt::Display for Val` (crates/hot/src/val.rs) writes the failure: one
value on each side of each of its rules."""

from __future__ import annotations

import pytest

from hot_typed.testing._store import run_failure, task_failure
from hot_typed.testing._val_display import Displayable, displayed


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # Null, booleans and integers as Rust writes them.
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        # A string is quoted and nothing in it escaped: `"\"{}\""`.
        ("boom", '"boom"'),
        ('say "hi"\n\\', '"say "hi"\n\\"'),
        ("", '""'),
        # Sequences and maps: items joined by ", ", keys written as values.
        ([], "[]"),
        ([1, "a", None], '[1, "a", null]'),
        ({}, "{}"),
        ({"msg": "x", "err": None}, '{"msg": "x", "err": null}'),
        ({"b": 1, "a": 2}, '{"b": 1, "a": 2}'),
        # A typed map holding `$val`: the type's last path segment around it.
        ({"$type": "::hot::run/Failure", "$val": {"msg": "x"}}, 'Failure({"msg": "x"})'),
        ({"$type": "::a::b/c/Deep", "$val": 1}, "Deep(1)"),
        ({"$type": "Plain", "$val": None}, "Plain(null)"),
        # Only `$type` and `$val` count: other keys (the `$origin` fail adds) drop.
        ({"$type": "::m/T", "$origin": "x.hot:1", "$val": [2]}, "T([2])"),
        # Without `$val`, or with a `$type` that is not a string: a plain map.
        ({"$type": "::m/T", "msg": "x"}, '{"$type": "::m/T", "msg": "x"}'),
        ({"$type": 1, "$val": 2}, '{"$type": 1, "$val": 2}'),
        # Typed values nest.
        (
            {"$type": "::m/Outer", "$val": {"inner": {"$type": "::m/Inner", "$val": "v"}}},
            'Outer({"inner": Inner("v")})',
        ),
        # Inside a typed value, the Debug forms of type expressions lose their
        # wrapper (`clean_type_debug_format`), wherever they are.
        ({"$type": "::m/T", "$val": 'Named("User")'}, 'T("User")'),
        ({"$type": "::m/T", "$val": "Builtin(Str) and Named(\"A\")"}, 'T("Str and A")'),
        ({"$type": "::m/T", "$val": 'Named("")'}, 'T("Named("")")'),
        ({"$type": "::m/T", "$val": "Builtin()"}, 'T("Builtin()")'),
        # Outside one they stay as they are.
        ('Named("User")', '"Named("User")"'),
        ({"k": "Builtin(Str)"}, '{"k": "Builtin(Str)"}'),
    ],
)
def test_a_value_is_written_as_hot_displays_it(value: Displayable, text: str) -> None:
    assert displayed(value) == text


def test_the_failures_the_emulator_stores_are_written_as_hot_writes_them() -> None:
    assert displayed(run_failure("out of stock")) == (
        'Failure({"msg": "out of stock", "err": null})'
    )
    interrupted = task_failure("Task interrupted", infra_interrupted=True)
    assert displayed(interrupted) == (
        'Failure({"msg": "Task interrupted", "err": null, "infra_interrupted": true})'
    )
