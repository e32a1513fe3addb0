"""Renamed names stay usable as deprecated aliases: using one warns with
DeprecationWarning and answers the new name, and type checkers flag it
(mypy's `deprecated` error code, pyright's reportDeprecated). No public name has
been renamed yet, so the aliases here are registered by the tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import hot_typed
from hot_typed import AsyncHotClient, Event, HotClient
from hot_typed._deprecation import renamed_message, renamed_method
from hot_typed._resources.events import Events
from hot_typed.testing import HotEmulator

from .test_typing import ROOT, errors_of, pyright_errors, run_mypy

SIGNUP = {"event_type": "user:signup", "event_data": {"email": "ada@example.com"}}


@pytest.fixture
def old_client_name(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(hot_typed._RENAMED, "Client", ("HotClient", "0.1"))
    return "Client"


def test_a_renamed_package_name_warns_and_answers_the_new_one(old_client_name: str) -> None:
    message = renamed_message("hot_typed.Client", "hot_typed.HotClient", "0.1")
    with pytest.warns(DeprecationWarning, match=r"hot_typed\.Client is deprecated") as caught:
        assert getattr(hot_typed, old_client_name) is HotClient
    assert str(caught[0].message) == message
    assert caught[0].filename == __file__  # pointed at the code using the old name


def test_a_renamed_package_name_warns_on_import_too(old_client_name: str) -> None:
    with pytest.warns(DeprecationWarning, match="renamed hot_typed.HotClient in hot-typed 0.1"):
        exec("from hot_typed import Client", {})


def test_a_renamed_package_name_is_not_advertised(old_client_name: str) -> None:
    assert old_client_name not in hot_typed.__all__
    assert old_client_name not in dir(hot_typed)


def test_an_unknown_name_is_still_an_attribute_error(old_client_name: str) -> None:
    with pytest.raises(AttributeError, match="no attribute 'Clientt'"):
        hot_typed.Clientt  # noqa: B018


@pytest.fixture
def renamed_publish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        Events, "send", renamed_method("publish", since="0.1", old="send"), raising=False
    )


def test_a_renamed_method_warns_and_calls_the_new_one(renamed_publish: None) -> None:
    with HotEmulator() as emulator, emulator.client() as hot:
        with pytest.warns(DeprecationWarning, match=r"Events\.send is deprecated") as caught:
            event = hot.events.send(SIGNUP)  # type: ignore[attr-defined]
        assert isinstance(event, Event)
        assert caught[0].filename == __file__
        assert [r.path for r in emulator.requests if r.method == "POST"] == ["/v1/events"]


async def test_a_renamed_method_of_the_async_client_is_awaited_like_the_new_one(
    renamed_publish: None,
) -> None:
    with HotEmulator() as emulator:
        async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
            with pytest.warns(DeprecationWarning, match=r"renamed Events\.publish"):
                event = await hot.events.send(SIGNUP)  # type: ignore[attr-defined]
            assert isinstance(event, Event)


def _usage_file() -> Path:
    """A user's code around deprecated aliases declared as the library declares
    them; the lines tagged `# deprecated` use one."""
    method = renamed_message("Greeter.hello", "Greeter.greet", "0.1")
    name = renamed_message("hot_typed.Client", "hot_typed.HotClient", "0.1")
    source = f'''
        from typing import TYPE_CHECKING

        from typing_extensions import deprecated

        from hot_typed import HotClient
        from hot_typed._deprecation import renamed_method


        class Greeter:
            def greet(self, name: str) -> str:
                return "hello " + name

            if TYPE_CHECKING:

                @deprecated("{method}")
                def hello(self, name: str) -> str: ...

            else:
                hello = renamed_method("greet", since="0.1")


        if TYPE_CHECKING:

            @deprecated("{name}")
            class Client(HotClient): ...

        else:
            Client = HotClient

        Greeter().greet("ada")
        Greeter().hello("ada")  # deprecated
        HotClient("t")
        Client("t")  # deprecated
        '''
    directory = ROOT / "build" / "deprecations"
    directory.mkdir(parents=True, exist_ok=True)
    file = directory / "deprecated_usage.py"
    file.write_text(textwrap.dedent(source), encoding="utf-8")
    return file


def _tagged_lines(file: Path) -> set[int]:
    lines = file.read_text("utf-8").splitlines()
    return {number for number, line in enumerate(lines, start=1) if line.endswith("# deprecated")}


def test_mypy_flags_each_use_of_a_deprecated_alias() -> None:
    file = _usage_file()
    completed = run_mypy(file.relative_to(ROOT), flags=("--enable-error-code", "deprecated"))
    flagged = {line for _, line, code in errors_of(completed) if code == "deprecated"}
    assert flagged == _tagged_lines(file), completed.stdout
    assert "renamed Greeter.greet in hot-typed 0.1" in completed.stdout


def test_pyright_flags_each_use_of_a_deprecated_alias() -> None:
    file = _usage_file()
    errors = pyright_errors(file)
    assert errors == {
        (file.relative_to(ROOT).as_posix(), line, "reportDeprecated")
        for line in _tagged_lines(file)
    }
