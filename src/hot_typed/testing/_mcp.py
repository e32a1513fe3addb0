"""MCP services of the emulator: `tools/list` and `tools/call` for registered functions.

As the server (crates/hot_api/src/handlers/mcp.rs) does for clients of the
older protocol (no modern protocol claimed): JSON-RPC 2.0 over
`POST /mcp/{org}/{env}/{service}`; `tools/list` answers JSON with the tools
(a return type that is not an object wrapped as `{"result": T}` in
`outputSchema`); `tools/call` turns its named arguments into positional ones
in the order of the `inputSchema` properties (a missing one is null), runs the
function through a `hot:call` event, and answers a `message` SSE event with
the result (`structuredContent`, wrapped as `{"result": value}` when not an
object; `isError` when the run failed).

Refusals are the server's too: a body that is not a JSON-RPC request is axum's
rejection; a credential without `execute` on `mcp:<service>/*` the API's 403; a
wrong `jsonrpc` version -32600, an unknown method -32601, a `tools/call` without
params, for an unknown tool or for a tool the credential may not execute
(`mcp:<service>/<tool>`) -32602 (all HTTP 200); params or arguments of the
wrong shape the API's 400.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from .._models.events import HOT_CALL
from .._models.permissions import grants
from .._models.runs import RunStatus
from ._handlers import Handlers
from ._http import HttpRequest, HttpResponse
from ._routing import Routed
from ._store import RUN_TERMINAL, Store, message_of
from ._values import ApiError, check_storable

__all__ = ["McpServices"]

_INVALID_REQUEST = -32600
_METHOD_NOT_FOUND = -32601
_INVALID_PARAMS = -32602


@dataclass(frozen=True)
class _Tool:
    definition: Mapping[str, Any]
    function: str


def _legacy_output(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    # mcp.rs legacy_output_schema: non-object return types are wrapped.
    if schema.get("type") == "object":
        return schema
    return {
        "type": "object",
        "properties": {"result": schema},
        "required": ["result"],
        "additionalProperties": False,
    }


def _object(value: Any) -> dict[str, Any] | None:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


class _JsonRpcRequest(BaseModel):
    # mcp.rs `JsonRpcRequest`, read by axum's `Json`: `jsonrpc` and `method` required.
    jsonrpc: str
    id: Any = None
    method: str
    params: Any = None


def _rpc(request_id: Any, result: Any = None, error: tuple[int, str] | None = None) -> bytes:
    answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        answer["result"] = result
    else:
        answer["error"] = {"code": error[0], "message": error[1]}
    return json.dumps(answer).encode()


class McpServices:
    """Tools by service, each the MCP face of a function registered with `on_call`."""

    def __init__(self, store: Store, handlers: Handlers) -> None:
        self._store = store
        self._handlers = handlers
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, _Tool]] = {}

    def add(self, service: str, tool: Mapping[str, Any], function: str) -> None:
        """Serve `tool` (a `tools/list` entry: name, inputSchema, ...) in `service`,
        calling the Hot function `function`."""
        if not tool.get("name") or not isinstance(tool.get("inputSchema"), Mapping):
            raise ValueError("a tool needs a 'name' and an 'inputSchema' object")
        with self._lock:
            self._services.setdefault(service, {})[tool["name"]] = _Tool(dict(tool), function)

    def answer(
        self, request: HttpRequest, service: str, held: Mapping[str, Sequence[str]]
    ) -> HttpResponse:
        """The answer to one JSON-RPC request to `service` from a credential
        holding the permissions `held`."""
        message = Routed(request, {}).body(_JsonRpcRequest)
        # mcp.rs resolve_mcp_context: the credential must execute the whole service.
        if not grants(held, f"mcp:{service}/*", "execute"):
            raise ApiError(
                403,
                "forbidden",
                "Credentials do not have MCP access. Required permission: mcp:<service>/* execute",
            )
        request_id = message.get("id")
        # crates/hot_api/src/handlers/mcp.rs mcp_handler_inner: the version is
        # checked first, notifications are accepted unanswered, then the method.
        if message["jsonrpc"] != "2.0":
            return self._error(request_id, _INVALID_REQUEST, "Invalid JSON-RPC version")
        method: str = message["method"]
        if method.startswith("notifications/"):
            return HttpResponse(202)
        with self._lock:
            tools = dict(self._services.get(service, {}))
        if method == "tools/list":
            listed = [self._listed(tool) for tool in tools.values()]
            return self._json(_rpc(request_id, {"tools": listed}))
        if method == "tools/call":
            return self._tools_call(request_id, message.get("params"), tools, service, held)
        return self._error(request_id, _METHOD_NOT_FOUND, f"Method not found: {method}")

    def _tools_call(
        self,
        request_id: Any,
        params: Any,
        tools: dict[str, _Tool],
        service: str,
        held: Mapping[str, Sequence[str]],
    ) -> HttpResponse:
        # mcp.rs handle_tools_call_streaming: no params is -32602; params serde
        # cannot read is the API's 400, as are arguments that are not an object
        # (checked once the tool is found); an unknown tool is -32602.
        if params is None:
            return self._error(request_id, _INVALID_PARAMS, "Missing params for tools/call")
        fields = _object(params)
        if fields is None:
            raise ApiError.bad_request("Invalid params: invalid type, expected a struct")
        name = fields.get("name")
        if not isinstance(name, str):
            problem = "missing field `name`" if name is None else "invalid type, expected a string"
            raise ApiError.bad_request(f"Invalid params: {problem}")
        tool = tools.get(name)
        if tool is None:
            return self._error(request_id, _INVALID_PARAMS, f"Tool not found: {name}")
        # mcp.rs handle_tools_call_streaming: then `execute` on the tool itself.
        if not grants(held, f"mcp:{service}/{name}", "execute"):
            message = f"Credential does not have execute permission for tool '{name}'"
            return self._error(request_id, _INVALID_PARAMS, message)
        arguments = fields.get("arguments")
        if arguments is not None and _object(arguments) is None:
            shown = json.dumps(arguments, separators=(",", ":"))
            raise ApiError.bad_request(f"Tool arguments must be a JSON object, got: {shown}")
        result = self._call(tool, _object(arguments) or {})
        # mcp.rs: `SseEvent::default().event("message").data(data)`, framed by axum.
        frame = b"event:message\ndata:" + _rpc(request_id, result) + b"\n\n"
        return HttpResponse(200, frame, {"content-type": "text/event-stream"})

    def _error(self, request_id: Any, code: int, message: str) -> HttpResponse:
        return self._json(_rpc(request_id, error=(code, message)))

    @staticmethod
    def _json(body: bytes) -> HttpResponse:
        return HttpResponse(200, body, {"content-type": "application/json"})

    @staticmethod
    def _listed(tool: _Tool) -> Mapping[str, Any]:
        listed = dict(tool.definition)
        if "outputSchema" in listed:
            listed["outputSchema"] = _legacy_output(listed["outputSchema"])
        return listed

    def _call(self, tool: _Tool, arguments: Mapping[str, Any]) -> Any:
        order = list(tool.definition["inputSchema"].get("properties", {}))
        args = [arguments.get(name) for name in order] if arguments else []
        check_storable(args)
        store = self._store
        with store.changed:
            event = store.add_event(HOT_CALL, {"fn": tool.function, "args": args}, None)
            run_id = self._handlers.dispatch(store, event)
            while store.runs[run_id]["status"] not in RUN_TERMINAL and not store.closed:
                store.changed.wait(0.1)
            run = dict(store.runs[run_id])
        if run["status"] != RunStatus.SUCCEEDED:
            return {"content": [{"type": "text", "text": _ended_text(run)}], "isError": True}
        # mcp.rs answers with the run's result as stored.
        value = run.get("result")
        structured = _object(value)
        return {
            "content": [{"type": "text", "text": json.dumps(value)}],
            "structuredContent": {"result": value} if structured is None else structured,
        }


def _ended_text(run: dict[str, Any]) -> str:
    """The text mcp.rs answers for a run that failed or was cancelled: the failure's
    JSON text, as crates/hot_worker/src/server.rs publishes it with `run:fail`, or
    the cancellation's `msg` (else "Execution cancelled")."""
    result = run.get("result")
    if run["status"] == RunStatus.FAILED:
        return json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    return message_of(result) or "Execution cancelled"
