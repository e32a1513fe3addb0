"""A path id the server reads as a UUID: the spellings its parser takes are sent,
anything else is refused before sending with the parser's own reason, which the
emulator answers as the server does.

The reasons are those of the uuid crate's `InvalidUuid::into_err` (uuid 1.x,
src/error.rs): the first character that is neither a hex digit nor `-` (byte
index from 1, after `{` or `urn:uuid:`), else a simple UUID's length in bytes,
else the number of groups, else the first group of the wrong length (the last
one counted from the whole input, braces or prefix included)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from hot_typed import HotApiError, NotFoundError
from hot_typed.testing import HotEmulator

from .sse_script import on_emulator

KINDS = ["sync", "async"]
SOME = "0b6a8f6e-2b1c-4d3e-9f40-5a6b7c8d9e0f"
HEX = SOME.replace("-", "")

ACCEPTED = [
    pytest.param(SOME, id="hyphenated"),
    pytest.param(SOME.upper(), id="hyphenated-upper"),
    pytest.param(HEX, id="simple"),
    pytest.param(HEX.upper(), id="simple-upper"),
    pytest.param("{" + SOME + "}", id="braced"),
    pytest.param("urn:uuid:" + SOME.upper(), id="urn"),
    pytest.param(uuid.UUID(SOME), id="uuid-object"),
]

REFUSED = [
    pytest.param("run-1", "invalid character: found `r` at 1", id="a-name"),
    pytest.param(HEX[:-1] + "g", "invalid character: found `g` at 32", id="simple-not-hex"),
    pytest.param(SOME[:-1] + "g", "invalid character: found `g` at 36", id="hyphenated-not-hex"),
    pytest.param(
        "{" + SOME[:-1] + "g}", "invalid character: found `g` at 37", id="braced-not-hex"
    ),
    pytest.param(
        "urn:uuid:x" + SOME[1:], "invalid character: found `x` at 10", id="urn-not-hex"
    ),
    pytest.param("URN:UUID:" + SOME, "invalid character: found `U` at 1", id="urn-upper"),
    pytest.param("urn:uuix:" + SOME, "invalid character: found `u` at 1", id="urn-misspelt"),
    pytest.param("{" + SOME, "invalid character: found `{` at 1", id="brace-not-closed"),
    pytest.param(SOME + "}", "invalid character: found `}` at 37", id="brace-not-opened"),
    pytest.param("{" + SOME + ")", "invalid character: found `{` at 1", id="brace-and-paren"),
    pytest.param("(" + SOME + "}", "invalid character: found `(` at 1", id="paren-and-brace"),
    pytest.param("é" + HEX[1:], "invalid character: found `é` at 1", id="accent"),
    pytest.param(SOME[:9] + "ü", "invalid character: found `ü` at 10", id="umlaut"),
    pytest.param(
        HEX[:-1], "invalid length: expected length 32 for simple format, found 31", id="short"
    ),
    pytest.param(
        HEX + "0", "invalid length: expected length 32 for simple format, found 33", id="long"
    ),
    pytest.param(
        "00", "invalid length: expected length 32 for simple format, found 2", id="tiny"
    ),
    pytest.param("{}", "invalid group count: expected 5, found 1", id="empty-braces"),
    pytest.param("{" + HEX + "}", "invalid group count: expected 5, found 1", id="braced-simple"),
    pytest.param(
        "urn:uuid:" + HEX, "invalid group count: expected 5, found 1", id="urn-simple"
    ),
    pytest.param(SOME[:13], "invalid group count: expected 5, found 2", id="two-groups"),
    pytest.param("-" + HEX, "invalid group count: expected 5, found 2", id="leading-hyphen"),
    pytest.param(SOME + "-", "invalid group count: expected 5, found 6", id="six-groups"),
    pytest.param(
        "0b6a8f6-e2b1c-4d3e-9f40-5a6b7c8d9e0f",
        "invalid group length in group 0: expected 8, found 7",
        id="group-0",
    ),
    pytest.param(
        "{0b6a8f6-e2b1c-4d3e-9f40-5a6b7c8d9e0f}",
        "invalid group length in group 0: expected 8, found 7",
        id="group-0-braced",
    ),
    pytest.param(
        "0b6a8f6e-2b1-c4d3e-9f40-5a6b7c8d9e0f",
        "invalid group length in group 1: expected 4, found 3",
        id="group-1",
    ),
    pytest.param(
        "0b6a8f6e-2b1c-4d3e9-f40-5a6b7c8d9e0f",
        "invalid group length in group 2: expected 4, found 5",
        id="group-2",
    ),
    pytest.param(
        "0b6a8f6e-2b1c-4d3e-9f4-05a6b7c8d9e0f",
        "invalid group length in group 3: expected 4, found 3",
        id="group-3",
    ),
    pytest.param(
        SOME + "0", "invalid group length in group 4: expected 12, found 13", id="group-4-long"
    ),
    pytest.param(
        SOME[:-1], "invalid group length in group 4: expected 12, found 11", id="group-4-short"
    ),
    pytest.param(
        "{" + SOME + "0}",
        "invalid group length in group 4: expected 12, found 15",
        id="group-4-braced",
    ),
    pytest.param(
        "urn:uuid:" + SOME[:-2],
        "invalid group length in group 4: expected 12, found 19",
        id="group-4-urn",
    ),
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as running:
        yield running


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ACCEPTED)
def test_every_spelling_the_server_parses_is_sent(
    kind: str, value: str | uuid.UUID, emulator: HotEmulator
) -> None:
    emulator.requests.clear()
    # Parsed, then looked up: no run has this id.
    with pytest.raises(NotFoundError):
        on_emulator(kind, emulator, lambda hot: hot.runs.get(value))
    (sent,) = emulator.requests
    assert sent.segments == ["v1", "runs", str(value)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_anything_else_is_refused_before_sending_with_the_parsers_reason(
    kind: str, value: str, reason: str, emulator: HotEmulator
) -> None:
    emulator.requests.clear()
    with pytest.raises(ValidationError) as caught:
        on_emulator(kind, emulator, lambda hot: hot.runs.get(value))
    assert emulator.requests == []
    assert caught.value.title == "path"
    assert [(e["type"], e["loc"], e["input"], e["msg"]) for e in caught.value.errors()] == [
        (
            "path_uuid",
            ("run_id",),
            value,
            "run_id is a UUID on the server, which answers 400 to anything else (32 hex "
            "digits, or 8-4-4-4-12 hyphenated, bare, in braces or after urn:uuid:): " + reason,
        )
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_the_emulator_answers_anything_else_with_the_servers_400(
    kind: str, value: str, reason: str, emulator: HotEmulator
) -> None:
    path = "/runs/" + quote(value, safe="")
    with pytest.raises(HotApiError) as caught:
        on_emulator(kind, emulator, lambda hot: hot.request_raw("GET", path))
    assert caught.value.status_code == 400
    assert caught.value.message.endswith(
        f"Invalid URL: Cannot parse `run_id` with value `{value}`: UUID parsing failed: {reason}"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_number_for_a_uuid_id_is_refused_and_for_another_parameter_sent(
    kind: str, emulator: HotEmulator
) -> None:
    emulator.requests.clear()
    refused = "invalid length: expected length 32 for simple format, found 2"
    with pytest.raises(ValidationError, match=re.escape(refused)):
        # An int on purpose: what a caller without a type checker may pass.
        on_emulator(kind, emulator, lambda hot: hot.runs.get(42))  # type: ignore[arg-type]
    assert emulator.requests == []
    with pytest.raises(NotFoundError):
        on_emulator(kind, emulator, lambda hot: hot.projects.get("run-1"))
    (sent,) = emulator.requests
    assert sent.segments == ["v1", "projects", "run-1"]
