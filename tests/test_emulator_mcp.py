"""The emulator's MCP services and the client's `mcp` resource, both clients:
`tools/list` answers what was served, `tools/call` runs the function with the
named arguments in parameter order; a failed run and every JSON-RPC error
answer raise `HotMcpError`, and the emulator refuses as the server's mcp.rs does."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from hot_typed import AsyncHotClient, HotClient, HotMcpError, PermissionDeniedError
from hot_typed.testing import HandlerEvent, HotEmulator, HttpResponse, RunContext

from ._held import HeldRun
from .sse_script import SseScript, close, make_client, resolve

MODES = pytest.mark.parametrize("mode", ["sync", "async"])

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


@MODES
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


@MODES
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


async def call_error(hot: Client, tool: str) -> HotMcpError:
    """What calling `tool` of the greeter service raises."""
    try:
        with pytest.raises(HotMcpError) as raised:
            await resolve(hot.mcp.call_tool("acme", "emulator", "greeter", tool))
    finally:
        await close(hot)
    return raised.value


@MODES
async def test_a_failed_run_raises_hot_mcp_error_carrying_the_error_result(
    mode: str, emulator: HotEmulator
) -> None:
    error = await call_error(client(emulator, mode), "demo_fail")
    assert error.code is None
    assert "out of greetings" in error.message
    assert str(error) == error.message
    assert error.result is not None
    assert error.result.is_error is True
    assert error.raw["result"]["isError"] is True
    assert error.raw["result"]["content"][0]["text"] == error.message
    # crates/hot_worker/src/server.rs publishes `run:fail` with the failure's JSON
    # text, which mcp.rs answers as is.
    assert error.message == (
        '{"$type":"::hot::run/Failure","$val":{"msg":"out of greetings","err":null}}'
    )


def test_a_cancelled_run_answers_its_cancellation_message(emulator: HotEmulator) -> None:
    held = HeldRun("too late")
    tool = {"name": "demo_wait", "inputSchema": {"type": "object", "properties": {}}}
    emulator.serve_tool("greeter", tool, "::demo/wait", held)
    with ThreadPoolExecutor(1) as pool, emulator.client() as hot:
        answer = pool.submit(hot.mcp.call_tool, "acme", "emulator", "greeter", "demo_wait")
        assert emulator.cancel_run(held.running())
        held.release()
        with pytest.raises(HotMcpError) as raised:
            answer.result(10)

    # mcp.rs answers a cancelled run with its cancellation's `msg`.
    assert raised.value.message == "cancelled"
    assert raised.value.raw["result"]["isError"] is True


@MODES
async def test_an_unknown_tool_raises_hot_mcp_error_with_the_json_rpc_code(
    mode: str, emulator: HotEmulator
) -> None:
    error = await call_error(client(emulator, mode), "demo_nothing")
    assert (error.code, error.message, error.data, error.result) == (
        -32602,
        "Tool not found: demo_nothing",
        None,
        None,
    )
    assert str(error) == "MCP error -32602: Tool not found: demo_nothing"
    assert error.raw == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32602, "message": "Tool not found: demo_nothing"},
    }
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.code, copy.raw) == (
        HotMcpError,
        str(error),
        -32602,
        error.raw,
    )


# crates/hot_api/src/handlers/mcp.rs: what a service with MCP turned off answers.
DISABLED = {
    "jsonrpc": "2.0",
    "id": 1,
    "error": {
        "code": -32001,
        "message": "MCP is disabled. Set hot.mcp.enabled to true to enable MCP functionality.",
        "data": {"hint": "Add 'hot.mcp.enabled true' to your hot.hot configuration"},
    },
}


@MODES
async def test_a_json_rpc_error_answer_to_tools_list_raises_with_its_data(mode: str) -> None:
    with SseScript(HttpResponse.json(DISABLED)) as server:
        hot = make_client(server, mode)
        try:
            with pytest.raises(HotMcpError) as raised:
                await resolve(hot.mcp.list_tools("acme", "production", "greeter"))
        finally:
            await close(hot)
    assert raised.value.code == -32001
    assert raised.value.message.startswith("MCP is disabled.")
    assert raised.value.data == {"hint": "Add 'hot.mcp.enabled true' to your hot.hot configuration"}
    assert raised.value.raw == DISABLED


@MODES
async def test_a_tools_call_answered_as_an_event_stream_is_read_as_server_sent_events(
    mode: str,
) -> None:
    # Another event first, a comment, the answer's JSON split over two data lines.
    body = (
        b"event: progress\ndata: {\"ignored\": true}\n\n: keep-alive\n\n"
        b'event: message\ndata: {"jsonrpc": "2.0", "id": 1,\n'
        b'data: "result": {"content": [], "structuredContent": {"ok": 1}}}\n\n'
    )
    answer = HttpResponse(200, body, {"content-type": "text/event-stream"})
    with SseScript(answer) as server:
        hot = make_client(server, mode)
        try:
            result = await resolve(hot.mcp.call_tool("acme", "dev", "greeter", "demo_greet"))
        finally:
            await close(hot)
    assert result.structured_content == {"ok": 1}


def _post(emulator: HotEmulator, body: Any) -> httpx.Response:
    return httpx.post(
        f"{emulator.base_url}/mcp/acme/emulator/greeter",
        json=body,
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    )


def _rpc_error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            {"jsonrpc": "2.0", "id": 7, "method": "resources/list"},
            _rpc_error(7, -32601, "Method not found: resources/list"),
        ),
        (
            {"jsonrpc": "1.0", "id": 8, "method": "tools/list"},
            _rpc_error(8, -32600, "Invalid JSON-RPC version"),
        ),
        (
            {"jsonrpc": "2.0", "id": "a", "method": "tools/call"},
            _rpc_error("a", -32602, "Missing params for tools/call"),
        ),
        (
            {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "nope"}},
            _rpc_error(9, -32602, "Tool not found: nope"),
        ),
    ],
)
def test_the_emulator_answers_json_rpc_errors_as_the_server_does(
    emulator: HotEmulator, body: Any, answer: dict[str, Any]
) -> None:
    response = _post(emulator, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == answer


def test_the_emulator_refuses_what_the_server_cannot_read_outside_json_rpc(
    emulator: HotEmulator,
) -> None:
    nameless = _post(emulator, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}})
    listed = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    arguments = _post(emulator, {**listed, "params": {"name": "demo_greet", "arguments": [1]}})
    methodless = _post(emulator, {"jsonrpc": "2.0", "id": 1})
    notified = _post(emulator, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert (nameless.status_code, nameless.json()["error"]["message"]) == (
        400,
        "Invalid params: missing field `name`",
    )
    assert (arguments.status_code, arguments.json()["error"]["message"]) == (
        400,
        "Tool arguments must be a JSON object, got: [1]",
    )
    assert methodless.status_code == 422
    assert (notified.status_code, notified.content) == (202, b"")


# crates/hot_api/src/handlers/mcp.rs: `resolve_mcp_context` wants `execute` on the
# whole service (`mcp:<service>/*`, else the API's 403), then `handle_tools_call_streaming`
# wants it on the tool called (`mcp:<service>/<tool>`, else JSON-RPC -32602).
SERVICE_DENIED = "Credentials do not have MCP access. Required permission: mcp:<service>/* execute"
TOOL_DENIED = "Credential does not have execute permission for tool 'demo_greet'"
MCP_PERMISSIONS = [
    pytest.param({"*:*": ["*"]}, None, id="everything"),
    pytest.param({"mcp:greeter/*": ["execute"]}, None, id="the-service"),
    pytest.param({"mcp:*": ["execute"]}, None, id="every-service"),
    pytest.param({"mcp:greeter/*": ["read"]}, SERVICE_DENIED, id="service-read-only"),
    pytest.param({"mcp:weather/*": ["execute"]}, SERVICE_DENIED, id="another-service"),
    pytest.param({"mcp:greeter/demo_greet": ["execute"]}, SERVICE_DENIED, id="the-tool-only"),
    pytest.param(
        {"mcp:greeter/*": ["execute"], "mcp:greeter/demo_greet": ["read"]},
        None,
        id="service-covers-its-tools",
    ),
]


@MODES
@pytest.mark.parametrize(("held", "refusal"), MCP_PERMISSIONS)
async def test_the_emulator_checks_mcp_permissions_as_the_server(
    mode: str, held: dict[str, list[str]], refusal: str | None
) -> None:
    with HotEmulator(api_key_permissions=held) as emu:
        emu.serve_tool("greeter", GREET, "::demo/greet", greet)
        hot = client(emu, mode)
        try:
            if refusal is None:
                result = await resolve(
                    hot.mcp.call_tool("acme", "emulator", "greeter", "demo_greet", {"name": "Ada"})
                )
                assert result.structured_content == {"text": "Hello, Ada"}
            else:
                with pytest.raises(PermissionDeniedError) as denied:
                    await resolve(hot.mcp.call_tool("acme", "emulator", "greeter", "demo_greet"))
                assert (denied.value.code, denied.value.message) == ("forbidden", refusal)
        finally:
            await close(hot)


@MODES
async def test_a_tool_the_credential_may_not_execute_answers_json_rpc_invalid_params(
    mode: str,
) -> None:
    # A key ending in `*` grants what starts with the rest (permission.rs
    # `resource_matches`): `mcp:greeter/**` covers the service's own resource
    # `mcp:greeter/*`, but no tool of it, so only the per-tool check refuses.
    with HotEmulator(api_key_permissions={"mcp:greeter/**": ["execute"]}) as emu:
        emu.serve_tool("greeter", GREET, "::demo/greet", greet)
        error = await call_error(client(emu, mode), "demo_greet")
    assert (error.code, error.message, error.result) == (-32602, TOOL_DENIED, None)


# crates/hot_api/src/handlers/mcp.rs stores a call's argument values, in parameter
# order, as the call event's `event_data` (`Event::insert_event`, Postgres `jsonb`),
# which cannot hold a NUL: the server answers 500 once the tool was found.
NUL_ARGUMENTS = [
    pytest.param({"name": "A\x00da"}, True, id="in-a-value"),
    pytest.param({"name": {"nested": ["ok", "n\x00"]}}, True, id="deep-in-a-value"),
    pytest.param({"name": {"k\x00ey": 1}}, True, id="in-a-key-of-a-value"),
    pytest.param({"name": "Ada", "greeting": "Hi \\u0000"}, False, id="an-escape-spelt-out"),
    pytest.param({"name": "Ada␀"}, False, id="a-look-alike"),
]


@MODES
@pytest.mark.parametrize(("arguments", "refused"), NUL_ARGUMENTS)
async def test_tool_arguments_holding_a_nul_are_refused_before_sending(
    mode: str, emulator: HotEmulator, arguments: dict[str, Any], refused: bool
) -> None:
    hot = client(emulator, mode)

    def call() -> Any:
        return hot.mcp.call_tool("acme", "emulator", "greeter", "demo_greet", arguments)

    try:
        if refused:
            with pytest.raises(ValueError, match="NUL"):
                await resolve(call())
        else:
            await resolve(call())
    finally:
        await close(hot)
    posted = [r for r in emulator.requests if r.method == "POST"]
    assert len(posted) == (0 if refused else 1)


@pytest.mark.parametrize(("arguments", "refused"), NUL_ARGUMENTS)
def test_the_emulator_answers_500_to_tool_arguments_holding_a_nul(
    emulator: HotEmulator, arguments: dict[str, Any], refused: bool
) -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    response = _post(emulator, {**call, "params": {"name": "demo_greet", "arguments": arguments}})
    assert response.status_code == (500 if refused else 200)
