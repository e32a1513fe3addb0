"""Fixtures shared by test modules."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import hot_typed._uploads
from hot_typed import AsyncHotClient, HotClient
from hot_typed.testing import LoopbackServer
from hot_typed.testing._app import Application
from hot_typed.testing._http import HttpRequest, HttpResponse
from tests import emulator_schemas

# A test's name must come out the same at every collection: mutmut (docs/MUTATION.md)
# and `pytest --lf` find tests again by name. A UUID in a name is almost always one made
# at import (`uuid4()`) and shown by a parametrized case.
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse the run when a test's name holds a UUID (give such a case an `id=`)."""
    named = [item.nodeid for item in items if _UUID_TEXT.search(item.nodeid)]
    if named:
        raise pytest.UsageError(
            "these tests' names hold a UUID, which may differ at the next collection; "
            "give each case an id=:\n" + "\n".join(named)
        )


@pytest.fixture(autouse=True)
def emulator_answers_match_their_schemas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test during which an emulator answered JSON its schema does not allow."""
    problems: list[str] = []
    answer = Application.__call__

    def checked(self: Application, request: HttpRequest) -> HttpResponse:
        response = answer(self, request)
        try:
            problems.extend(emulator_schemas.check(request, response))
        except Exception as error:  # the check itself failing is a failure too
            problems.append(f"{request.method} {request.path}: {error!r}")
        return response

    monkeypatch.setattr(Application, "__call__", checked)
    yield
    assert not problems, "\n".join(problems)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let `upload_file` take parts of a few bytes or KiB, below what object storage
    assembles (`MIN_PART_SIZE`, 5 MiB), so that tests of the part loop need no
    megabytes. An emulator keeps its own `min_part_size`."""
    monkeypatch.setattr(hot_typed._uploads, "MIN_PART_SIZE", 1)


@pytest.fixture(params=["sync", "async"])
async def call(
    request: pytest.FixtureRequest, server: LoopbackServer
) -> AsyncIterator[Callable[..., Any]]:
    """`call("events.get", id, data_type=X)` on a HotClient or an AsyncHotClient for the
    module's `server` fixture, awaited."""
    client: HotClient | AsyncHotClient
    if request.param == "sync":
        client = HotClient("test-token", base_url=server.base_url, max_retries=0)
    else:
        client = AsyncHotClient("test-token", base_url=server.base_url, max_retries=0)

    async def invoke(operation: str, *args: Any, **kwargs: Any) -> Any:
        resource, method = operation.split(".")
        result = getattr(getattr(client, resource), method)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    yield invoke
    if isinstance(client, HotClient):
        client.close()
    else:
        await client.aclose()


@pytest.fixture
def backoff_bounds(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The bound each reconnect's full-jitter backoff is drawn under, in order; every
    draw is 0, so no test waits."""
    bounds: list[float] = []

    def draw(low: float, high: float) -> float:
        bounds.append(high)
        return low

    monkeypatch.setattr("hot_typed._retry.random.uniform", draw)
    return bounds
