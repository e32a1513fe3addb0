"""Ids are the server's text both ways.

Received, an id is the `str` the server wrote (crates/hot_api/src/models.rs holds
ids as `Uuid`s, which serde writes lowercase and hyphenated). Sent in a body
(`EventCreate.stream_id`, a `Uuid` there too), an id is any spelling the uuid
crate's parser takes, kept as given, or a `uuid.UUID`, sent as its text; anything
else is refused before sending with the parser's reason. An id given to a waiter
is compared with the records' ids in their form, whatever its spelling.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from hot_typed import FinishedRun, Run
from hot_typed._path_ids import canonical_id
from hot_typed._streaming import _of_project  # pyright: ignore[reportPrivateUsage]
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from . import payloads
from .sse_script import on_emulator
from .test_path_ids import ACCEPTED, HEX, REFUSED, SOME

KINDS = ["sync", "async"]

#: The spellings of an id, besides the server's own, that its parser reads.
SPELLED: dict[str, Callable[[str], str | uuid.UUID]] = {
    "upper": str.upper,
    "simple": lambda text: text.replace("-", ""),
    "braced": lambda text: "{" + text + "}",
    "urn": lambda text: "urn:uuid:" + text,
    "uuid-object": uuid.UUID,
}
SPELLINGS = [pytest.param(spelled, id=name) for name, spelled in SPELLED.items()]


@pytest.fixture(scope="module")
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as running:

        @running.on_event("ids:echo")
        def echo(event: HandlerEvent, ctx: RunContext) -> Any:
            return event.data

        yield running


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ACCEPTED)
def test_an_event_body_sends_its_stream_id_as_given_and_the_server_stores_its_form(
    kind: str, value: str | uuid.UUID, emulator: HotEmulator
) -> None:
    emulator.requests.clear()
    event = on_emulator(
        kind,
        emulator,
        lambda hot: hot.events.publish({"event_type": "ids:sent", "stream_id": value}),
    )
    (sent,) = emulator.requests
    assert json.loads(sent.body)["stream_id"] == str(value)
    assert event.stream_id == SOME
    assert type(event.stream_id) is str


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_an_event_body_refuses_any_other_stream_id_before_sending_with_the_parsers_reason(
    kind: str, value: str, reason: str, emulator: HotEmulator
) -> None:
    emulator.requests.clear()
    with pytest.raises(ValidationError) as caught:
        on_emulator(
            kind,
            emulator,
            lambda hot: hot.events.publish({"event_type": "ids:sent", "stream_id": value}),
        )
    assert emulator.requests == []
    assert [(e["type"], e["loc"], e["msg"]) for e in caught.value.errors()] == [
        ("uuid_parsing", ("stream_id",), "Input should be a valid UUID, " + reason)
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_an_id_of_another_type_in_a_body_is_refused_as_not_text(
    kind: str, emulator: HotEmulator
) -> None:
    not_text: Any = {"event_type": "ids:sent", "stream_id": 7}
    emulator.requests.clear()
    with pytest.raises(ValidationError) as caught:
        on_emulator(
            kind,
            emulator,
            lambda hot: hot.events.publish(not_text),
        )
    assert emulator.requests == []
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("string_type", ("stream_id",))
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_wait_given_the_event_in_another_spelling_finds_its_run(
    kind: str, spelling: Callable[[str], str | uuid.UUID], emulator: HotEmulator
) -> None:
    published = on_emulator(
        kind, emulator, lambda hot: hot.events.publish({"event_type": "ids:echo", "event_data": 5})
    )
    run: FinishedRun = on_emulator(
        kind,
        emulator,
        lambda hot: hot.streams.wait_for_run_result(
            spelling(published.stream_id), spelling(published.event_id), timeout=10
        ),
    )
    assert (run.event_id, run.result) == (published.event_id, 5)


def test_received_ids_are_the_text_the_server_sent(emulator: HotEmulator) -> None:
    hot = emulator.client()
    published = hot.events.publish({"event_type": "ids:echo", "event_data": 1})
    run = hot.runs.wait(hot.events.get_runs(published.event_id).data[0].run_id, timeout=10)
    for model in (published, run):
        ids = {
            name: value
            for name, value in model.model_dump().items()
            if name.endswith("_id") and value is not None
        }
        assert ids
        assert ids == {name: model.raw[name] for name in ids}
        assert all(type(value) is str for value in ids.values())


def test_the_emulator_counts_a_streams_subscribers_by_any_spelling_of_its_id(
    emulator: HotEmulator,
) -> None:
    hot = emulator.client()
    stream_id = hot.events.publish({"event_type": "ids:sent"}).stream_id
    url = f"{emulator.base_url}/v1/streams/{stream_id}/subscribe"
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    with httpx.stream("GET", url, headers=headers, timeout=10) as response:
        assert response.status_code == 200
        spellings = [stream_id, *(spelled(stream_id) for spelled in SPELLED.values())]
        counts = [emulator.subscribers(spelling) for spelling in spellings]
    assert counts == [1] * len(spellings)
    assert emulator.subscribers("not-a-stream") == 0


@pytest.mark.parametrize("value", ACCEPTED)
def test_an_id_the_servers_parser_reads_is_compared_in_its_stored_form(
    value: str | uuid.UUID,
) -> None:
    assert canonical_id(value) == SOME


@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_text_the_servers_parser_refuses_is_no_id_even_where_pythons_uuid_reads_it(
    value: str, reason: str
) -> None:
    # Python's `UUID` reads 11 of these (misplaced hyphens, one brace, `urn:uuid:`
    # before 32 digits); the server reads none as an id (crates/hot_api/src/
    # handlers/mod.rs and crates/hot/src/db/file.rs: `Uuid::parse_str`).
    with pytest.raises(ValueError, match=f"^not a UUID the server reads: {re.escape(reason)}$"):
        canonical_id(value)


def test_a_project_named_in_text_only_pythons_uuid_reads_is_matched_by_name() -> None:
    # crates/hot_api/src/handlers/mod.rs `get_and_verify_project`: an id only when
    # `Uuid::parse_str` reads it, else a name.
    name = "-" + HEX
    named = _of_project(name)
    run = Run.model_validate(payloads.run(project_id=SOME, project_name=name))
    assert named(run)
    assert not _of_project("-" + HEX.upper())(run)


def test_a_file_search_in_text_only_pythons_uuid_reads_searches_paths(
    emulator: HotEmulator,
) -> None:
    # crates/hot/src/db/file.rs `list_files_by_env`: a run id only when
    # `Uuid::parse_str` reads the term, else a LIKE on the path.
    hot = emulator.client()
    term = "-" + HEX
    stored = hot.files.upload(f"ids/{term}.txt", b"x")
    assert [f.path for f in hot.files.list(prefix=term)] == [stored.path]
