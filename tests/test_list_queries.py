"""A list's query is refused, before anything is sent, where the server would quietly
answer something else, and the refusal names what the server would have done.

The rules (each on both sides, against the emulator and the raw API, in
test_server_rules.py) come from crates/hot_api/src/handlers/mod.rs (limit
clamped into 1..=500, offset passed to the database unchecked),
crates/hot_api/src/models.rs (offset + limit added as i64) and
crates/hot/src/db/run.rs (status and type matched exactly against the names of
the run_status and run_type tables; task runs never listed). These rows pin the
error each refusal raises: where, which input and the words a user reads.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from hot_typed import RunStatus, RunType
from hot_typed._models._base import I64_MAX
from hot_typed._resources._params import ListQuery, RunListQuery

# resources/db/*/migrations/001_hot_2_initial_schema.sql, in the enums' order.
STATUSES = "running, succeeded, failed, cancelled, pending_retry"
TYPES = "call, event, schedule, run, eval, repl, task"


def _past_the_end(most: int, limit: int) -> str:
    return (
        f"offset is at most {most} with a limit of {limit}: the server adds them as "
        "64-bit integers (has_more = offset + limit < total)"
    )


REFUSED = [
    pytest.param(
        ListQuery, {"limit": 0}, "limit", 0, "list_limit",
        "limit is 1 to 500; the server would clamp it to 1", id="limit-0-clamped-up",
    ),
    pytest.param(
        ListQuery, {"limit": -7}, "limit", -7, "list_limit",
        "limit is 1 to 500; the server would clamp it to 1", id="negative-limit-clamped-up",
    ),
    pytest.param(
        ListQuery, {"limit": 501}, "limit", 501, "list_limit",
        "limit is 1 to 500; the server would clamp it to 500", id="limit-501-clamped-down",
    ),
    pytest.param(
        RunListQuery, {"limit": 10**6}, "limit", 10**6, "list_limit",
        "limit is 1 to 500; the server would clamp it to 500", id="run-list-limit-clamped",
    ),
    pytest.param(
        ListQuery, {"offset": -1}, "offset", -1, "list_offset", "offset is 0 or more",
        id="negative-offset",
    ),
    pytest.param(
        ListQuery, {"offset": I64_MAX - 19}, "offset", I64_MAX - 19, "list_offset",
        _past_the_end(I64_MAX - 20, 20), id="offset-past-the-end-with-the-default-limit",
    ),
    pytest.param(
        ListQuery, {"offset": I64_MAX - 4, "limit": 5}, "offset", I64_MAX - 4, "list_offset",
        _past_the_end(I64_MAX - 5, 5), id="offset-past-the-end-with-a-limit",
    ),
    pytest.param(
        RunListQuery, {"status": "FAILED"}, "status", "FAILED", "run_filter_name",
        f"'FAILED' is no run status the server has ({STATUSES}): it would list nothing; "
        "send RunStatus('FAILED') for one this version does not know",
        id="status-not-a-status-name",
    ),
    pytest.param(
        RunListQuery, {"type": "events"}, "type", "events", "run_filter_name",
        f"'events' is no run type the server has ({TYPES}): it would list nothing; "
        "send RunType('events') for one this version does not know",
        id="type-not-a-type-name",
    ),
    pytest.param(
        RunListQuery, {"type": "task"}, "type", RunType.TASK, "run_type_filter",
        "the run list never includes 'task' runs; read tasks through tasks.get",
        id="type-task-as-text",
    ),
    pytest.param(
        RunListQuery, {"type": RunType.TASK}, "type", RunType.TASK, "run_type_filter",
        "the run list never includes 'task' runs; read tasks through tasks.get",
        id="type-task-as-member",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("model", "query", "field", "given", "kind", "message"), REFUSED)
def test_a_query_the_server_would_answer_otherwise_is_refused_saying_why(
    model: type[ListQuery], query: dict[str, Any], field: str, given: Any, kind: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(query)
    (error,) = refused.value.errors(include_url=False)
    assert error["loc"] == (field,)
    assert error["input"] == given
    assert error["type"] == kind
    assert error["msg"] == message


ACCEPTED = [
    pytest.param(ListQuery, {"limit": 1, "offset": 0}, id="smallest"),
    pytest.param(ListQuery, {"limit": 500, "offset": I64_MAX - 500}, id="largest"),
    pytest.param(ListQuery, {"offset": I64_MAX - 20}, id="largest-offset-by-default"),
    pytest.param(RunListQuery, {"status": "pending_retry", "type": "repl"}, id="names"),
    # A member this version does not know is sent as the caller chose it.
    pytest.param(RunListQuery, {"status": RunStatus("paused")}, id="unknown-status-member"),
    pytest.param(RunListQuery, {"type": RunType("cron")}, id="unknown-type-member"),
]


@pytest.mark.parametrize(("model", "query"), ACCEPTED)
def test_a_query_the_server_reads_as_sent_is_kept_as_given(
    model: type[ListQuery], query: dict[str, Any]
) -> None:
    validated = model.model_validate(query)
    assert validated.model_dump(exclude_unset=True, mode="json") == {
        key: str(value) if isinstance(value, str) else value for key, value in query.items()
    }
