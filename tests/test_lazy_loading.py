"""Public names and client resources are loaded on first use, and behave exactly as
if they had been loaded up front."""

from __future__ import annotations

import subprocess
import sys

import pytest

import hot_typed
from hot_typed import AsyncHotClient, HotClient
from hot_typed._client import _RESOURCES

CLIENTS = [HotClient, AsyncHotClient]


@pytest.mark.parametrize("client_class", CLIENTS)
def test_each_resource_is_created_once_per_client_with_the_client_runner(
    client_class: type[HotClient] | type[AsyncHotClient],
) -> None:
    hot = client_class("token", base_url="http://127.0.0.1:1")
    other = client_class("token", base_url="http://127.0.0.1:1")
    for name, (_, class_name) in _RESOURCES.items():
        resource = getattr(hot, name)
        assert type(resource).__name__ == class_name
        assert getattr(hot, name) is resource
        assert resource._runner is hot._runner
        assert getattr(other, name) is not resource
    assert set(_RESOURCES) <= set(dir(hot))


@pytest.mark.parametrize("client_class", CLIENTS)
def test_a_misspelt_client_attribute_raises_attribute_error_naming_it(
    client_class: type[HotClient] | type[AsyncHotClient],
) -> None:
    hot = client_class("token", base_url="http://127.0.0.1:1")
    with pytest.raises(AttributeError, match="'eventz'"):
        getattr(hot, "eventz")  # noqa: B009
    assert not hasattr(hot, "_resources")


def test_every_public_name_resolves_and_is_listed_by_dir() -> None:
    for name in hot_typed.__all__:
        assert getattr(hot_typed, name) is not None
    assert set(hot_typed.__all__) <= set(dir(hot_typed))
    with pytest.raises(AttributeError, match="'Rnu'"):
        getattr(hot_typed, "Rnu")  # noqa: B009


def test_importing_the_client_loads_no_resource_models_until_a_resource_is_used() -> None:
    script = (
        "import sys\n"
        "from hot_typed import HotClient\n"
        "def loaded(): return sorted(m for m in sys.modules if m.startswith('hot_typed._'))\n"
        "print(loaded())\n"
        "HotClient('token', base_url='http://127.0.0.1:1').runs\n"
        "print(loaded())\n"
        "print('asyncio' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    at_import, after_runs, asyncio_loaded = out
    for module in ("_models.permissions", "_models.auth", "_models.files", "_resources.runs"):
        assert f"hot_typed.{module}" not in at_import
    assert "hot_typed._resources.runs" in after_runs
    assert "hot_typed._models.permissions" not in after_runs
    assert asyncio_loaded == "False"


def test_importing_and_creating_either_client_loads_no_pydantic_until_a_call() -> None:
    script = (
        "import sys\n"
        "from hot_typed import AsyncHotClient, HotClient\n"
        "HotClient('token', base_url='http://127.0.0.1:1')\n"
        "AsyncHotClient('token', base_url='http://127.0.0.1:1')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))\n"
        "import inspect\n"
        "print(inspect.signature(HotClient('token', base_url='http://127.0.0.1:1').status))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    loaded, status_signature = out
    assert loaded == "[]"
    # The return annotation still resolves, loading the model only now.
    assert status_signature.endswith("-> hot_typed._models.status.ServerStatus")
