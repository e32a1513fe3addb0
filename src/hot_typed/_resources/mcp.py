"""`mcp`: the tools of a Hot MCP service (`tools/list`, `tools/call`) over JSON-RPC."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import httpx
from httpx_sse import EventSource
from pydantic import BaseModel
from typing_extensions import Unpack

from .._errors import HotJsonDecodeError, HotMcpError, HotResponseValidationError
from .._models._base import WIRE_CONTEXT
from .._models.mcp import TOOL_ARGUMENTS, McpToolList, McpToolResult
from .._options import CallOptions
from .._request import Call, Request, path
from .._resource import ModeT, Resource, endpoint
from .._wire import json_bytes

__all__ = ["Mcp"]

M = TypeVar("M", bound=BaseModel)


def _rpc(org: str, env: str, service: str, method: str, params: Any) -> Request:
    # crates/hot_api/src/server.rs: POST /mcp/{org_slug}/{env_name}/{service},
    # outside /v1; answers JSON, or an SSE stream of `message` events for calls.
    body = json_bytes({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    return Request(
        "POST",
        path("/mcp/{org_slug}/{env_name}/{service}", org, env, service),
        json=body,
        accept="application/json, text/event-stream",
        root=True,
    )


def _message(response: httpx.Response) -> Any:
    """The JSON-RPC answer: the body, or the last `message` event's data of an SSE body."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        answers = [
            json.loads(event.data)
            for event in EventSource(response).iter_sse()
            if event.event == "message"
        ]
        return answers[-1] if answers else None
    return json.loads(response.content)


def _object(value: Any) -> dict[str, Any] | None:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def _result_parser(model: type[M]) -> Callable[[httpx.Response], M]:
    def parse(response: httpx.Response) -> M:
        try:
            answer = _message(response)
        except (ValueError, RecursionError) as error:  # malformed, or nested too deep
            raise HotJsonDecodeError(
                "an MCP answer that is not JSON Python can read", raw=response.text
            ) from error
        rpc = _object(answer)
        failure = _object(rpc.get("error")) if rpc is not None else None
        if failure is not None:
            raise _rpc_error(failure, answer)
        if rpc is None or "result" not in rpc:
            raise HotResponseValidationError("an MCP answer without a result", raw=answer)
        try:
            result = model.model_validate(rpc["result"], context=WIRE_CONTEXT)
        except ValueError as mismatch:
            raise HotResponseValidationError(
                f"an MCP result that does not fit {model.__name__}", raw=rpc["result"]
            ) from mismatch
        if isinstance(result, McpToolResult) and result.is_error:
            raise _tool_error(result, answer)
        return result

    return parse


def _rpc_error(failure: dict[str, Any], answer: Any) -> HotMcpError:
    # crates/hot_api/src/handlers/mcp.rs `JsonRpcError`: an integer `code`, a
    # `message`, and `data` only when there is some.
    code, message = failure.get("code"), failure.get("message")
    if not isinstance(code, int) or not isinstance(message, str):
        raise HotResponseValidationError("a JSON-RPC error without a code and message", raw=answer)
    return HotMcpError(message, code=code, data=failure.get("data"), raw=answer)


def _tool_error(result: McpToolResult, answer: Any) -> HotMcpError:
    # mcp.rs: a run that failed or was cancelled is a result with `isError`, its
    # error (or the cancellation's reason) the one text content, as hot.call's
    # failed run is an error rather than a value.
    texts = [item["text"] for item in result.content if isinstance(item.get("text"), str)]
    message = "\n".join(texts) or "the tool call failed"
    return HotMcpError(message, code=None, raw=answer, result=result)


class Mcp(Resource[ModeT]):
    @endpoint
    def list_tools(
        self, org: str, env: str, service: str, **options: Unpack[CallOptions]
    ) -> Call[McpToolList]:
        """The tools of the MCP service `service` of environment `env` of
        organization `org` (`tools/list`), with Hot's JSON Schemas of their
        signatures (`python -m hot_typed generate` turns them into contracts).

        Raises `HotMcpError` when the service answers a JSON-RPC error."""
        return Call(_rpc(org, env, service, "tools/list", {}), _result_parser(McpToolList))

    @endpoint
    def call_tool(
        self,
        org: str,
        env: str,
        service: str,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[McpToolResult]:
        """Call the tool `name` with named `arguments` (`tools/call`); Hot runs its
        function with them in the order of its parameters.

        Raises `HotMcpError` when the service answers a JSON-RPC error (an
        unknown tool: code -32602) and when the function failed or was
        cancelled (the result's `isError`: `code` None, the result on `.result`),
        as `hot.call` raises `HotRunError` for a failed run."""
        params = {"name": name, "arguments": TOOL_ARGUMENTS.validate_python(dict(arguments or {}))}
        return Call(_rpc(org, env, service, "tools/call", params), _result_parser(McpToolResult))
