"""Fixtures shared by test modules."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hot_typed import AsyncHotClient, HotClient
from hot_typed.testing import LoopbackServer


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest, server: LoopbackServer) -> Iterator[Callable[..., Any]]:
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
