"""MCP tools of a Hot service, as `tools/list` and `tools/call` answer them.

crates/hot_api/src/handlers/mcp.rs: each tool has a `name`, an `inputSchema`
(Hot's JSON Schema of the function's parameters, in order) and, when the
function declares a return type, an `outputSchema`; a call answers `content`
items and, on success, `structuredContent`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, TypeAdapter

from ._base import WireModel
from ._json import StoredJson

__all__ = ["TOOL_ARGUMENTS", "McpTool", "McpToolList", "McpToolResult"]

#: The arguments of a `tools/call`, by name. mcp.rs puts their values, in the
#: order of the function's parameters, in the call event it stores
#: (`Event::insert_event`, a Postgres `jsonb`): a string holding a NUL is
#: refused there with a 500, after the tool was found, so it is refused here.
TOOL_ARGUMENTS: TypeAdapter[dict[str, Any]] = TypeAdapter(
    dict[str, StoredJson], config=ConfigDict(title="MCP tool arguments")
)


class McpTool(WireModel):
    """One tool: `input_schema` and `output_schema` are JSON Schemas, as sent;
    `meta` is the `_meta` of its function (its `mcp` map: `service`, `auth`, and
    `name` when the tool is renamed). No field names the Hot function it runs."""

    name: str
    title: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] = Field(alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(default=None, alias="outputSchema")
    annotations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class McpToolList(WireModel):
    """The `result` of `tools/list`; `.raw` is the document `generate` reads."""

    tools: list[McpTool]


class McpToolResult(WireModel):
    """The `result` of `tools/call`: `structured_content` holds the function's value
    (`{"result": value}` when it is not an object); `is_error` marks a failed run
    (`call_tool` raises `HotMcpError` for one rather than returning it)."""

    content: list[dict[str, Any]]
    structured_content: Any = Field(default=None, alias="structuredContent")
    is_error: bool = Field(default=False, alias="isError")
