"""The schema check run on every emulator answer (tests/conftest.py) catches an
answer its model's schema does not allow."""

from __future__ import annotations

import pytest

from hot_typed import HotClient
from hot_typed.testing import HotEmulator
from hot_typed.testing._app import Application
from hot_typed.testing._http import HttpRequest, HttpResponse
from tests import emulator_schemas
from tests.operations import RUN_ID


def _get(path: str) -> HttpRequest:
    return HttpRequest("GET", path, {}, b"")


def test_an_item_whose_model_fields_are_wrong_is_reported_with_its_location() -> None:
    answer = HttpResponse.json({"data": {"run_id": 7}})
    problems = emulator_schemas.check(_get(f"/v1/runs/{RUN_ID}"), answer)
    assert any(p.startswith(f"GET /v1/runs/{RUN_ID} -> 200 data: $.run_id:") for p in problems)


def test_a_list_item_of_the_wrong_model_is_reported_by_index() -> None:
    answer = HttpResponse.json(
        {"data": [{"name": 1}], "pagination": {"limit": 1, "offset": 0, "total": 1}}
    )
    problems = emulator_schemas.check(_get("/v1/projects"), answer)
    assert any("data[0]" in p for p in problems)


def test_an_error_answer_outside_the_envelope_is_reported() -> None:
    answer = HttpResponse.json({"error": "nope"}, status=404)
    assert emulator_schemas.check(_get("/v1/projects"), answer)


def test_an_answer_to_a_path_no_operation_has_is_an_error() -> None:
    with pytest.raises(LookupError, match="no operation answers GET /v1/nowhere"):
        emulator_schemas.check(_get("/v1/nowhere"), HttpResponse.json({"data": {}}))


def test_every_answer_of_a_running_emulator_goes_through_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    check = emulator_schemas.check

    def counting(request: HttpRequest, response: HttpResponse) -> list[str]:
        seen.append(f"{request.method} {request.path}")
        return check(request, response)

    monkeypatch.setattr(emulator_schemas, "check", counting)
    emulator = HotEmulator()
    with emulator, HotClient(emulator.api_key, base_url=emulator.base_url) as hot:
        created = hot.projects.create({"name": "billing"})
        assert hot.projects.get(created.project_id).name == "billing"
    assert seen[-2:] == ["POST /v1/projects", f"GET /v1/projects/{created.project_id}"]
    assert Application.__call__.__name__ == "checked"
