"""The suite's own rule: a test's name is the same at every collection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from uuid import uuid4

import pytest

from tests.conftest import pytest_collection_modifyitems


@dataclass
class Named:
    nodeid: str


def collect(*names: str) -> None:
    pytest_collection_modifyitems(cast(Any, [Named(name) for name in names]))


def test_a_test_named_after_a_uuid_is_refused_at_collection() -> None:
    named = f"tests/test_x.py::test_y[cancelled-run {uuid4()} cancelled]"
    with pytest.raises(pytest.UsageError) as refused:
        collect("tests/test_x.py::test_z[sync]", named)

    assert str(refused.value).endswith(f"give each case an id=:\n{named}")


def test_names_without_a_uuid_pass_collection() -> None:
    collect("tests/test_x.py::test_y[cancelled-no-result-sync]", "tests/test_x.py::test_z[0f0e]")
