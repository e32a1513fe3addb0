"""What comes off the wire is kept exactly: `.raw`, user JSON, absent vs null."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

import hot_typed as ht
from tests import payloads as p
from tests.exchange import exchange

KINDS = ["sync", "async"]

# Raw JSON text, so nothing is normalised before the client sees it.
USER_JSON = (
    '{"z": null, "a": [1, 1.0, -0.0, 1e-7], "big": 123456789012345678901234567890,'
    ' "nested": {"k": [null, {"x": null}]}, "text": "h\\u00e9llo \\ud83d\\ude00 \\u0000"}'
)


def _answer(text: str, status: int = 200) -> httpx.Response:
    headers = {"content-type": "application/json"}
    return httpx.Response(status, content=text.encode(), headers=headers)


@pytest.mark.parametrize("kind", KINDS)
def test_raw_is_the_exact_wire_object_and_absent_keys_stay_absent(kind: str) -> None:
    wire = p.run()
    run, _ = exchange(kind, lambda c: c.runs.get(wire["run_id"]), _answer(json.dumps(p.item(wire))))

    assert run.raw == wire
    assert "result" not in run.raw
    assert "project_id" not in run.raw
    assert run.result is None
    assert run.raw["stop_time"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_user_json_in_event_data_is_untouched(kind: str) -> None:
    event_text = json.dumps(p.event({"placeholder": True})).replace(
        '{"placeholder": true}', USER_JSON
    )
    body = '{"data": ' + event_text + ', "meta": ' + json.dumps(p.meta()) + "}"
    event, _ = exchange(kind, lambda c: c.events.get(p.uid()), _answer(body))

    expected = json.loads(USER_JSON)
    assert event.event_data == expected
    assert list(event.event_data) == ["z", "a", "big", "nested", "text"]
    assert [type(v) for v in event.event_data["a"]] == [int, float, float, float]
    assert event.event_data["big"] == 123456789012345678901234567890
    assert event.raw["event_data"] is event.event_data


@pytest.mark.parametrize("kind", KINDS)
def test_user_json_sent_in_event_data_reaches_the_wire_unchanged(kind: str) -> None:
    data = json.loads(USER_JSON)
    # All but the NUL, which event data cannot hold (the server's Postgres
    # cannot store it: tests/test_server_rules.py, event-data-without-nul).
    data["text"] = data["text"].replace("\x00", "")
    _, sent = exchange(
        kind,
        lambda c: c.events.publish({"event_type": "x:y", "event_data": data}),
        _answer(json.dumps(p.item(p.event()))),
    )
    on_wire = json.loads(sent[0].content)
    assert on_wire == {"event_type": "x:y", "event_data": data}
    assert list(on_wire["event_data"]) == list(data)
    assert isinstance(on_wire["event_data"]["a"][1], float)


@pytest.mark.parametrize("kind", KINDS)
def test_ids_are_the_text_sent_and_times_are_aware_with_nanoseconds_kept_in_raw(
    kind: str,
) -> None:
    wire = p.run()
    run, _ = exchange(kind, lambda c: c.runs.get(wire["run_id"]), _answer(json.dumps(p.item(wire))))

    assert type(run.run_id) is str
    assert run.run_id == wire["run_id"]
    assert run.start_time.tzinfo is not None
    assert run.start_time.utcoffset() == timezone.utc.utcoffset(None)
    assert run.start_time.microsecond == 123456
    assert run.raw["start_time"] == "2026-11-29T10:00:00.123456789Z"


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_fields_and_enum_values_are_kept(kind: str) -> None:
    wire = p.run(status="paused_for_review", run_type="agent", shiny_new_field={"a": 1})
    run, _ = exchange(kind, lambda c: c.runs.get(wire["run_id"]), _answer(json.dumps(p.item(wire))))

    assert run.status == "paused_for_review"
    assert isinstance(run.status, ht.RunStatus)
    assert not run.status.is_terminal
    assert run.run_type == "agent"
    assert run.model_extra == {"shiny_new_field": {"a": 1}}
    assert run.raw["shiny_new_field"] == {"a": 1}


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_enum_value_is_one_member_named_after_it(kind: str) -> None:
    status = f"held-for:review-{kind}"
    wires = [p.run(status=status), p.run(status=status)]
    page, _ = exchange(kind, lambda c: c.runs.list(), _answer(json.dumps(p.page(wires))))

    first, second = page.data
    assert first.status is second.status
    assert first.status is ht.RunStatus(status)
    assert first.status.value == status
    assert first.status.name == f"HELD_FOR_REVIEW_{kind.upper()}"
    assert str(first.status) == status


@pytest.mark.parametrize("kind", KINDS)
def test_issued_tokens_are_secret_in_the_model_and_plain_in_raw(kind: str) -> None:
    wire = p.service_key(token=True)
    key, _ = exchange(
        kind,
        lambda c: c.service_keys.create({"permissions": {"mcp:*": ["execute"]}}),
        _answer(json.dumps(p.item(wire)), 201),
    )
    assert isinstance(key.token, SecretStr)
    assert "hot_sk_secret_value" not in repr(key)
    assert "hot_sk_secret_value" not in str(key)
    assert key.token.get_secret_value() == "hot_sk_secret_value"
    assert key.raw["token"] == "hot_sk_secret_value"


@pytest.mark.parametrize("kind", KINDS)
def test_nested_models_keep_their_own_raw(kind: str) -> None:
    wire = p.project_activation()
    activation, _ = exchange(
        kind, lambda c: c.projects.activate("billing"), _answer(json.dumps(p.item(wire)))
    )
    assert activation.project.raw == wire["project"]
    assert activation.redeployed_build_id == wire["redeployed_build_id"]


@pytest.mark.parametrize("kind", KINDS)
def test_deactivation_without_redeploy_leaves_the_field_absent(kind: str) -> None:
    wire = {"project": p.project()}
    activation, _ = exchange(
        kind, lambda c: c.projects.deactivate("billing"), _answer(json.dumps(p.item(wire)))
    )
    assert activation.redeployed_build_id is None
    assert "redeployed_build_id" not in activation.raw


def test_a_model_built_in_python_has_its_json_by_wire_key_as_its_raw() -> None:
    project = ht.Project(
        project_id=str(UUID(int=1)),
        env_id=str(UUID(int=2)),
        name="billing",
        active=True,
        created_at=datetime(2026, 11, 29, 10, tzinfo=timezone.utc),
        updated_at=datetime(2026, 11, 29, 11, tzinfo=timezone.utc),
    )
    activation = ht.ProjectActivation(project=project)
    assert activation.raw == {
        "project": {
            "project_id": "00000000-0000-0000-0000-000000000001",
            "env_id": "00000000-0000-0000-0000-000000000002",
            "name": "billing",
            "active": True,
            "created_at": "2026-11-29T10:00:00Z",
            "updated_at": "2026-11-29T11:00:00Z",
        }
    }
    # Fields left unset are absent from the wire form, as the server leaves them out.
    assert "redeployed_build_id" not in activation.raw
    assert activation.project.raw == activation.raw["project"]
