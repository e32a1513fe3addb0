"""Every JSON answer of the emulator, checked against the committed schema of the
model the client reads it into (`schemas/*.json`), so that the emulator and the
models cannot drift apart unnoticed."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from hot_typed.testing._http import HttpRequest, HttpResponse
from tests.operations import OPERATIONS, Paged

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@cache
def schema(name: str) -> Draft202012Validator:
    document = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _pattern(template: str) -> re.Pattern[str]:
    # A parameter is one segment, except a file path, which is the rest of the path.
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        (".+" if part == "{path}" else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(regex + "$")


# Literal paths first (`/runs/stats` before `/runs/{run_id}`), as routers try them.
_ROUTES = sorted(
    ((op.method, _pattern(op.template), op.returns) for op in OPERATIONS),
    key=lambda route: route[1].pattern.count("[^/]+") + 10 * route[1].pattern.count(".+"),
)


def _answered_model(method: str, path: str) -> Any:
    for route_method, pattern, returns in _ROUTES:
        if route_method == method and pattern.match(path):
            return returns
    raise LookupError(f"no operation answers {method} {path}")


def _problems(validator: Draft202012Validator, value: Any, what: str) -> list[str]:
    return [f"{what}: {error.json_path}: {error.message}" for error in validator.iter_errors(value)]


# Answers that are not the API's own: a webhook answers with its handler's body,
# an MCP service with JSON-RPC (its tool models are checked by tests/test_emulator_mcp.py).
_NOT_THE_API_ENVELOPE = ("/webhook/", "/mcp/")


def check(request: HttpRequest, response: HttpResponse) -> list[str]:
    """What in `response` (the emulator's answer to `request`) its schema does not allow.

    Streamed bodies (event streams, downloads), bodies that are not JSON (a
    framework's plain-text rejection) and answers outside the API's envelope are
    not checked here."""
    if not isinstance(response.body, bytes) or not response.body:
        return []
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return []
    body = json.loads(response.body)
    where = f"{request.method} {request.path} -> {response.status}"
    if request.path.startswith(_NOT_THE_API_ENVELOPE):
        return []
    if response.status >= 400:
        return _problems(schema("ErrorEnvelope"), body, where)
    if request.path == "/status":
        return _problems(schema("ServerStatus"), body, where)
    returns = _answered_model(request.method, request.path)
    if isinstance(returns, Paged):
        problems = _problems(schema("ListEnvelope"), body, where)
        for index, item in enumerate(body.get("data", [])):
            problems += _problems(schema(returns.item.__name__), item, f"{where} data[{index}]")
        return problems
    problems = _problems(schema("ItemEnvelope"), body, where)
    return problems + _problems(schema(returns.__name__), body.get("data"), f"{where} data")
