"""pytest fixtures for testing code that talks to Hot, registered as a pytest plugin.

Installed with hot-typed (the `pytest11` entry point), so any test can ask for:

- `hot_emulator`: a `HotEmulator` started for the test and stopped after it;
  register handlers with `hot_emulator.on_event(...)`/`on_call(...)` and inject
  failures with `hot_emulator.faults`;
- `hot`: a `HotClient` connected to it, closed after the test;
- `async_hot`: an `AsyncHotClient` connected to it, closed inside the test's
  event loop (a pytest-asyncio fixture when pytest-asyncio is installed; an
  async fixture for anyio's plugin otherwise).

Both clients share the test's one emulator, so handlers registered through
`hot_emulator` answer them. Nothing is imported from hot-typed until a fixture
is used: the plugin costs nothing to test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .._client import AsyncHotClient, HotClient
    from ._emulator import HotEmulator

__all__ = ["async_hot", "hot", "hot_emulator"]

def _async_fixture(function: Callable[..., AsyncIterator[Any]]) -> Any:
    # pytest-asyncio's strict mode only runs async fixtures declared with its own
    # decorator; without it, anyio's plugin runs plain async fixtures.
    try:
        from pytest_asyncio import fixture
    except ImportError:
        return pytest.fixture(function)
    return fixture(function)


@pytest.fixture
def hot_emulator() -> Iterator[HotEmulator]:
    """An in-memory Hot API on a loopback port, for this test only."""
    from ._emulator import HotEmulator

    with HotEmulator() as emulator:
        yield emulator


@pytest.fixture
def hot(hot_emulator: HotEmulator) -> Iterator[HotClient]:
    """A `HotClient` for `hot_emulator`, closed after the test."""
    with hot_emulator.client() as client:
        yield client


@_async_fixture
async def async_hot(hot_emulator: HotEmulator) -> AsyncIterator[AsyncHotClient]:
    """An `AsyncHotClient` for `hot_emulator`, closed in the test's event loop."""
    async with hot_emulator.async_client() as client:
        yield client
