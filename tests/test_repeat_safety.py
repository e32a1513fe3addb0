"""Which operations a client sends again after a failure that may have reached the
server (the connection cut once the request was out), for every operation of the
API on both clients.

A repeat is harmless for reads, for PUT (it writes the same value again) and for
DELETE (a repeat that finds it gone is taken as done). A POST or PATCH is sent
once: publishing an event twice starts its runs twice
(crates/hot_api/src/handlers/events.rs), creating a session or service key twice
mints a second token the caller never sees (handlers/sessions.rs,
service_keys.rs), a second upload, domain or build is another record
(handlers/files.rs, domains.rs, builds.rs). An event stream is opened once
whatever its method: a subscription is one connection, and the follows
(`call_hot`, the waits, `subscribe_with_event`) reconnect by their own rules
(test_durability.py).
"""

from __future__ import annotations

import httpx
import pytest

import hot_typed as ht
from tests.exchange import played
from tests.operations import OPERATIONS, Operation

REPEATABLE = {"GET", "PUT", "DELETE"}
SENT_ONCE = {"POST", "PATCH"}


def _streamed(op: Operation) -> bool:
    content_type: str | None = op.answer.headers.get("content-type")
    return content_type == "text/event-stream"


def test_every_operation_is_either_repeatable_or_sent_once() -> None:
    assert {op.method for op in OPERATIONS} <= REPEATABLE | SENT_ONCE
    assert any(_streamed(op) for op in OPERATIONS)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_a_cut_after_sending_repeats_only_what_is_harmless_to_repeat(
    kind: str, op: Operation, backoff_bounds: list[float]
) -> None:
    result, sent = played(
        kind, op.call, httpx.ReadError("connection cut"), op.answer, max_retries=2
    )
    if _streamed(op):
        assert sent == 1
        assert isinstance(result, ht.HotError)
    elif op.method in REPEATABLE:
        assert sent == 2
        assert not isinstance(result, ht.HotError)
    else:
        assert sent == 1
        assert isinstance(result, ht.HotConnectionError)
        assert result.request_sent is True
        assert "it may have reached the server" in str(result)
