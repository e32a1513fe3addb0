"""schemas/ is current with the models, valid draft 2020-12, and agrees with the
models on recorded real-shaped payloads (tests/fixtures/wire/, shaped per the wire
format): both accept them, and both refuse what the server would refuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import TypeAdapter, ValidationError

from hot_typed import StreamEvent
from hot_typed._wire import ItemEnvelope, ListEnvelope, parametrized, to_request_model
from hot_typed.schemas import DIALECT, json_schemas, render, wire_types

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
FIXTURES = sorted((Path(__file__).parent / "fixtures" / "wire").glob("*.json"))


def _schema(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_committed_schemas_match_the_models() -> None:
    expected = json_schemas()
    committed = {p.name for p in SCHEMAS.glob("*.json")} - {"operations.json"}
    assert committed == set(expected), "run `python -m hot_typed.schemas` and commit schemas/"
    for file_name, schema in expected.items():
        text = (SCHEMAS / file_name).read_text(encoding="utf-8")
        assert text == render(schema), f"{file_name} is stale: run `python -m hot_typed.schemas`"


def test_schema_command_writes_what_is_committed(tmp_path: Path) -> None:
    (tmp_path / "Gone.json").write_text("{}")
    subprocess.run([sys.executable, "-m", "hot_typed.schemas", str(tmp_path)], check=True)
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
    committed.pop("operations.json")
    assert written == committed


@pytest.mark.parametrize("file_name", sorted(json_schemas()))
def test_each_schema_is_valid_draft_2020_12(file_name: str) -> None:
    schema = json.loads((SCHEMAS / file_name).read_text(encoding="utf-8"))
    assert schema["$schema"] == DIALECT
    Draft202012Validator.check_schema(schema)


def test_every_wire_model_has_a_schema() -> None:
    names = set(wire_types())
    for expected in ("EventCreate", "Event", "Run", "StreamEvent", "Permissions", "ErrorEnvelope"):
        assert expected in names
    assert {"ItemEnvelope", "ListEnvelope", "RunUpdate", "SessionCreate"} <= names


def test_operation_list_is_committed_beside_the_schemas() -> None:
    operations = json.loads((SCHEMAS / "operations.json").read_text(encoding="utf-8"))
    assert {"method": "POST", "path": "/v1/events"} in operations
    assert all(set(op) == {"method", "path"} for op in operations)


# ------------------------------------------------------------ fixtures


def _fixture(path: Path) -> tuple[str, str, Any, str]:
    text = path.read_text(encoding="utf-8")
    recorded = json.loads(text)
    payload_text = json.dumps(recorded["payload"], ensure_ascii=False)
    return recorded["model"], recorded["envelope"], recorded["payload"], payload_text


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_recorded_payload_fits_its_model_and_its_schema(path: Path) -> None:
    name, envelope, payload, text = _fixture(path)
    model = wire_types()[name]
    if envelope == "item":
        item = parametrized(ItemEnvelope, model).model_validate_json(text)
        assert item.raw == payload
        assert item.data.raw == payload["data"]
        _schema("ItemEnvelope").validate(payload)
        _schema(name).validate(payload["data"])
    elif envelope == "list":
        page = parametrized(ListEnvelope, model).model_validate_json(text)
        assert [item.raw for item in page.data] == payload["data"]
        _schema("ListEnvelope").validate(payload)
        for item in payload["data"]:
            _schema(name).validate(item)
    elif envelope == "request":
        body = to_request_model(model, payload)
        assert json.loads(body.model_dump_json()) == payload
        _schema(name).validate(payload)
    else:
        assert model.model_validate_json(text).raw == payload
        _schema(name).validate(payload)
    if envelope == "sse" and name != "RunUpdate":
        event = TypeAdapter(StreamEvent).validate_json(text)
        assert type(event) is model
        _schema("StreamEvent").validate(payload)


REFUSED = [
    pytest.param("EventCreate", {"event_type": "hot:run"}, id="reserved-type"),
    pytest.param(
        "EventCreate", {"event_type": "hot:call", "event_data": {"fn": "f"}}, id="hot-call-no-args"
    ),
    pytest.param("EventCreate", {"event_type": "t", "stream_id": "nope"}, id="stream-id"),
    pytest.param("EventCreate", {"event_type": "t", "extra": 1}, id="unknown-key"),
    pytest.param("SessionCreate", {"permissions": {"*": ["*"]}}, id="bare-star"),
    pytest.param("SessionCreate", {"permissions": {"mcp:*": []}}, id="empty-actions"),
    pytest.param("SessionCreate", {"permissions": {"mcp:*": ["read"]}}, id="action-for-type"),
    pytest.param("SessionCreate", {"permissions": {"x:y": ["Read"]}}, id="uppercase-action"),
    pytest.param("SessionCreate", {"permissions": {"*:a": ["read"]}}, id="star-type"),
    pytest.param(
        "ServiceKeyCreate", {"permissions": {"run:*": ["read"]}, "expires_in": 0}, id="expiry"
    ),
    pytest.param(
        "SessionCreate", {"permissions": {"run:*": ["read"]}, "expires_in": 86401}, id="ttl"
    ),
    pytest.param("ServiceKeyCreate", {"permissions": {"project:*": ["read"]}}, id="key-type"),
    pytest.param("ServiceKeyCreate", {"permissions": {"*:*": ["*"]}}, id="key-universal"),
    pytest.param("DomainCreate", {"domain": "localhost"}, id="domain-no-dot"),
    pytest.param("DomainCreate", {"domain": "https://a.example.com"}, id="domain-url"),
    pytest.param("UploadCreate", {"path": "/a"}, id="path-leading-slash"),
    pytest.param("UploadCreate", {"path": "a/../b"}, id="path-dot-dot"),
    pytest.param("UploadCreate", {"path": "a", "expected_size": 0}, id="expected-size"),
    pytest.param("RunListQuery", {"time_range": "P7X"}, id="time-range"),
    pytest.param("RunListQuery", {"type": "task"}, id="task-runs-unlisted"),
    pytest.param("ListQuery", {"limit": 501}, id="limit-clamped"),
    pytest.param("ListQuery", {"offset": 2**63 - 1, "limit": 1}, id="offset-past-64-bits"),
    pytest.param("UploadCreate", {"path": "a", "expected_size": 2**63}, id="size-past-64-bits"),
    pytest.param(
        "ServiceKeyCreate",
        {"permissions": {"run:*": ["read"]}, "expires_in": 2**63},
        id="expiry-past-64-bits",
    ),
]

ACCEPTED = [
    pytest.param("EventCreate", {"event_type": "", "event_data": None}, id="empty-event-type"),
    pytest.param(
        "EventCreate",
        {"event_type": "hot:call", "event_data": {"fn": "::a/b", "args": [], "caller": {}}},
        id="hot-call-caller",
    ),
    pytest.param("SessionCreate", {"permissions": {"call:*": ["execute"]}}, id="unknown-type"),
    pytest.param(
        "SessionCreate", {"permissions": {"*:*": ["*"]}, "expires_in": 86400}, id="longest-ttl"
    ),
    pytest.param("ServiceKeyCreate", {"permissions": {"webhook:*": ["execute"]}}, id="key-type"),
    pytest.param("ProjectCreate", {"name": ""}, id="empty-project-name"),
    pytest.param("ContextVariableCreate", {"key": "", "value": ""}, id="empty-context-key"),
    pytest.param("UploadCreate", {"path": ".config/a"}, id="dot-file"),
    pytest.param("RunListQuery", {"time_range": "all"}, id="time-range-all"),
    pytest.param("RunListQuery", {"time_range": "P1D1Y"}, id="time-range-any-order"),
    pytest.param("ListQuery", {"offset": 2**63 - 2, "limit": 1}, id="offset-in-64-bits"),
]


@pytest.mark.parametrize(("name", "payload"), ACCEPTED)
def test_schema_and_model_both_accept_what_the_server_acts_on(
    name: str, payload: dict[str, Any]
) -> None:
    wire_types()[name].model_validate(payload)
    _schema(name).validate(payload)


@pytest.mark.parametrize(("name", "payload"), REFUSED)
def test_schema_and_model_both_refuse_what_the_server_refuses(
    name: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        wire_types()[name].model_validate(payload)
    with pytest.raises(SchemaError):
        _schema(name).validate(payload)


def test_stream_event_schema_checks_known_events_and_accepts_unknown_ones() -> None:
    union = _schema("StreamEvent")
    union.validate({"type": "run:paused", "anything": [1]})
    with pytest.raises(SchemaError):
        union.validate({"type": "run:start"})
    with pytest.raises(SchemaError):
        union.validate({"no": "type"})
