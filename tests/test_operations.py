"""Each API operation, on both clients: the exact request on the wire and a typed answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hot_typed as ht
from tests.exchange import TOKEN, exchange
from tests.operations import OPERATIONS, Operation, Paged

OPERATIONS_FILE = Path(__file__).resolve().parents[1] / "schemas" / "operations.json"


def _api_operations() -> set[str]:
    listed = json.loads(OPERATIONS_FILE.read_text())
    return {f"{op['method']} {op['path']}" for op in listed if op["path"] != "/status"}


def test_every_api_operation_has_a_method_on_both_clients() -> None:
    covered = {op.id for op in OPERATIONS}
    assert covered == _api_operations()


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_operation_sends_its_request_and_returns_its_model(kind: str, op: Operation) -> None:
    result, sent = exchange(kind, op.call, op.answer)

    assert len(sent) == 1
    request = sent[0]
    assert request.method == op.method
    assert request.url.raw_path.split(b"?")[0].decode() == op.path
    assert dict(request.url.params) == op.params
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    if op.body is not None:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == op.body
    if isinstance(op.returns, Paged):
        assert isinstance(result, ht.AsyncPage if kind == "async" else ht.Page)
        assert result.data
        assert all(type(item) is op.returns.item for item in result.data)
    else:
        assert isinstance(result, op.returns)
    if isinstance(result, list):
        assert result, "the stream yielded no event"
