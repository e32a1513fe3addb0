"""The pytest plugin installed with hot-typed: a user's test file asking for
`hot_emulator`, `hot` and `async_hot` runs against a fresh emulator per test,
with handlers and faults reachable, and its clients closed afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# No cache files in the test's folder; pytest-asyncio's loop scope set, as it asks.
_QUIET = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")


def test_the_plugin_is_registered_by_the_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", *_QUIET)
    result.stdout.fnmatch_lines(["*hot_emulator*", "*async_hot*"])


def test_a_users_sync_tests_get_an_emulator_and_a_client_each(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from hot_typed import HotClient, RunStop
        from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

        seen: list[HotClient] = []

        def test_a_handler_answers_the_client(hot_emulator: HotEmulator, hot: HotClient) -> None:
            @hot_emulator.on_event("user:signup")
            def welcome(event: HandlerEvent, ctx: RunContext) -> object:
                return {"welcomed": event.data["email"]}

            ends = [
                m.run.result
                for m in hot.streams.subscribe_with_event(
                    {"event_type": "user:signup", "event_data": {"email": "ada@example.com"}}
                )
                if isinstance(m, RunStop)
            ]
            assert ends == [{"welcomed": "ada@example.com"}]
            hot_emulator.faults.rate_limit(retry_after=0)
            assert hot.env.get().name
            assert [r.path for r in hot_emulator.requests][-2:] == ["/v1/env", "/v1/env"]
            seen.append(hot)

        def test_the_next_test_has_a_fresh_emulator_and_the_last_client_is_closed(
            hot: HotClient,
        ) -> None:
            assert hot.runs.list().pagination.total == 0
            assert seen[0]._http_client().is_closed
            assert seen[0] is not hot

        def test_a_failing_assertion_still_fails(hot: HotClient) -> None:
            assert hot.runs.list().pagination.total == 1
        """
    )
    result = pytester.runpytest(*_QUIET)
    result.assert_outcomes(passed=2, failed=1)


def test_a_users_async_tests_get_an_async_client_closed_in_their_loop(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        from hot_typed import AsyncHotClient
        from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

        seen: list[AsyncHotClient] = []

        @pytest.mark.asyncio
        async def test_a_function_answers_the_async_client(
            hot_emulator: HotEmulator, async_hot: AsyncHotClient
        ) -> None:
            def add(event: HandlerEvent, ctx: RunContext) -> int:
                return sum(event.args)

            hot_emulator.on_call("::math/add", add)
            assert await async_hot.events.call_hot("::math/add", [2, 3], result_type=int) == 5
            seen.append(async_hot)

        @pytest.mark.asyncio
        async def test_the_last_async_client_was_closed(async_hot: AsyncHotClient) -> None:
            assert seen[0]._http_client().is_closed
            assert (await async_hot.runs.list()).pagination.total == 0
        """
    )
    # pytest-asyncio's default (strict) mode, as a user's project has it.
    result = pytester.runpytest(*_QUIET, "-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=2)


def test_the_readme_fixture_example_passes_as_a_test_file(pytester: pytest.Pytester) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    (example,) = [block for block in blocks if "hot_emulator: HotEmulator" in block]
    pytester.makepyfile(test_readme_example=example)
    result = pytester.runpytest(*_QUIET)
    result.assert_outcomes(passed=1)
