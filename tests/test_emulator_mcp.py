"""The emulator's MCP services and the client's `mcp` resource, both clients:
`tools/list` answers what was served, `tools/call` runs the function with the
named arguments in parameter order, failures and unknown tools are told."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hot_typed import AsyncHotClient, HotClient, HotResponseValidationError
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .sse_script import close, resolve

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

Client = HotClient | AsyncHotClient

GREET = {
    "name": "demo_greet",
    "description": "Greet someone.",
    "inputSchema": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "greeting": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["name"],
    },
    "outputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
}
FAIL = {"name": "demo_fail", "inputSchema": {"type": "object", "properties": {}}}


def greet(event: HandlerEvent, ctx: RunContext) -> Any:
    name, greeting = event.args
    return {"text": f"{greeting or 'Hello'}, {name}"}


def fail(event: HandlerEvent, ctx: RunContext) -> Any:
    raise RuntimeError("out of greetings")


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:
        emu.serve_tool("greeter", GREET, "::demo/greet", greet)
        emu.serve_tool("greeter", FAIL, "::demo/fail", fail)
        yield emu


def client(emu: HotEmulator, mode: str) -> Client:
    return emu.client() if mode == "sync" else emu.async_client()


async def test_tools_list_answers_the_served_tools(mode: str, emulator: HotEmulator) -> None:
    hot = client(emulator, mode)
    try:
        listed = await resolve(hot.mcp.list_tools("acme", "emulator", "greeter"))
        other = await resolve(hot.mcp.list_tools("acme", "emulator", "nobody"))
    finally:
        await close(hot)
    assert [tool.name for tool in listed.tools] == ["demo_greet", "demo_fail"]
    assert listed.tools[0].input_schema == GREET["inputSchema"]
    assert listed.tools[0].description == "Greet someone."
    assert listed.tools[1].output_schema is None
    assert other.tools == []
    (posted, _) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.path == "/mcp/acme/emulator/greeter"
    assert posted.json()["method"] == "tools/list"


async def test_tools_call_passes_named_arguments_in_parameter_order(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        full = await resolve(
            hot.mcp.call_tool(
                "acme", "emulator", "greeter", "demo_greet", {"greeting": "Hi", "name": "Ada"}
            )
        )
        partial = await resolve(
            hot.mcp.call_tool("acme", "emulator", "greeter", "demo_greet", {"name": "Bo"})
        )
    finally:
        await close(hot)
    assert full.structured_content == {"text": "Hi, Ada"}
    assert partial.structured_content == {"text": "Hello, Bo"}
    assert full.content == [{"type": "text", "text": '{"text": "Hi, Ada"}'}]


async def test_a_failed_run_is_an_error_result_and_an_unknown_tool_an_error(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        failed = await resolve(hot.mcp.call_tool("acme", "emulator", "greeter", "demo_fail"))
        with pytest.raises(HotResponseValidationError, match="Tool not found") as error:
            await resolve(hot.mcp.call_tool("acme", "emulator", "greeter", "demo_nothing"))
    finally:
        await close(hot)
    assert failed.is_error is True
    assert "out of greetings" in failed.content[0]["text"]
    assert error.value.raw["error"]["code"] == -32602
