"""Fixtures shared by test modules."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from hot_typed import AsyncHotClient, HotClient
from hot_typed.testing import LoopbackServer
from hot_typed.testing._app import Application
from hot_typed.testing._http import HttpRequest, HttpResponse
from tests import emulator_schemas


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
