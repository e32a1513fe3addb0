"""Public webhook routes: `ANY /webhook/{org}/{env}/{service}/{path...}/{token}`.

As crates/hot_api/src/handlers/webhook.rs serves them: no API key unless the
endpoint requires one; each call is a `hot:call` event whose run executes the
endpoint's function with the request as its one argument; the answer waits
for the run's end and is built from its result.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from .._models._json import is_json_object
from .._models.events import HOT_CALL
from .._models.permissions import grants
from .._models.runs import RunStatus
from ._context import bearer_token
from ._handlers import Handler
from ._http import HttpRequest, HttpResponse
from ._routing import read_json
from ._store import RUN_TERMINAL
from ._values import JSON, ApiError, check_storable

__all__ = ["WebhookAuth", "WebhookRoutes"]

WebhookAuth = Literal["none", "required"]
"""An endpoint's `auth` meta: public, or a bearer token of the environment required."""

_TOKEN = re.compile(r"[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class _Endpoint:
    token: str
    auth: WebhookAuth
    fn: str
    timeout: float


def _split(path: str) -> tuple[tuple[str, str, str, str], str] | None:
    """`((org, env, service, endpoint path), token)` of a path after `/webhook/`, or
    None when the server would answer 404 (webhook.rs `webhook_catch_all_handler`
    and `webhook_handler_inner`): fewer than four segments, or a last segment
    that is not a 12-hex-digit token."""
    segments = path.strip("/").split("/", 3)
    if len(segments) < 4:
        return None
    org, env, service, rest = segments
    prefix, _, token = rest.rstrip("/").rpartition("/")
    if _TOKEN.fullmatch(token) is None:
        return None
    return (org, env, service, "/" + prefix.lstrip("/")), token


class WebhookRoutes:
    """The registered webhook endpoints, and the answer to a call of one."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._endpoints: dict[tuple[str, str, str, str, str], _Endpoint] = {}

    def register(
        self, path: str, method: str, handler: Handler, auth: WebhookAuth, timeout: float
    ) -> None:
        split = _split(path)
        if split is None:
            raise ValueError(
                f"webhook path {path!r} is not <org>/<env>/<service>/<endpoint path>/<token> "
                "with a token of 12 hex digits"
            )
        (org, env, service, endpoint), token = split
        method = method.upper()
        fn = f"::webhook::{service}/{method.lower()}{endpoint}"
        self._ctx.handlers.on_call(fn, handler)
        with self._lock:
            self._endpoints[(org, env, service, endpoint, method)] = _Endpoint(
                token.lower(), auth, fn, timeout
            )

    def answer(self, request: HttpRequest, path: str) -> HttpResponse:
        """Answer `request` to `/webhook/<path>` (`path` decoded)."""
        split = _split(path)
        if split is None:
            raise ApiError.not_found("Webhook endpoint")
        key, token = split
        with self._lock:
            found = self._endpoints.get((*key, request.method))
        # An unknown endpoint and a wrong token answer alike: no oracle for tokens.
        if found is None or found.token != token.lower():
            raise ApiError.not_found("Webhook endpoint")
        org, env, service, endpoint = key
        auth = self._authenticate(request, service, endpoint) if found.auth == "required" else None
        value = _request_value(request, f"/webhook/{org}/{env}/{service}{endpoint}", auth)
        return self._run(found, value)

    def _authenticate(self, request: HttpRequest, service: str, endpoint: str) -> JSON:
        token = bearer_token(request) or ""
        if not token:
            raise ApiError(
                401,
                "unauthorized",
                "Webhook endpoint requires authentication. Provide Authorization: Bearer <token>",
            )
        # crates/hot_api/src/handlers/request.rs `build_request_val`: `auth` names the
        # kind of credential, and a service key's id and name.
        expected = self._ctx.config.api_key
        store = self._ctx.store
        with store.lock:
            owner = store.tokens.get(token)
            key = store.service_keys.get(owner) if owner is not None else None
        if owner is None and expected is not None and token != expected:
            raise ApiError(401, "unauthorized", "Invalid credentials")
        # crates/hot_api/src/handlers/webhook.rs: every kind of credential needs
        # `execute` on the endpoint, on its service's `/*`, or on `webhook:*`.
        held = self._ctx.held_by(request)
        resources = (f"webhook:{service}{endpoint}", f"webhook:{service}/*", "webhook:*")
        if not any(grants(held, resource, "execute") for resource in resources):
            raise ApiError(
                403,
                "forbidden",
                "Credential does not have execute access to this webhook endpoint",
            )
        if owner is None:
            return {"type": "api-key"}
        if key is None:
            return {"type": "session"}
        named = {"name": key["name"]} if key.get("name") is not None else {}
        return {"type": "service-key", "service-key": {"id": owner, **named}}

    def _run(self, endpoint: _Endpoint, value: JSON) -> HttpResponse:
        store = self._ctx.store
        check_storable(value)
        with store.lock:
            event = store.add_event(HOT_CALL, {"fn": endpoint.fn, "args": [value]}, None)
            run_id = self._ctx.handlers.dispatch(store, event)
            ended = store.changed.wait_for(
                lambda: store.runs[run_id]["status"] in RUN_TERMINAL, timeout=endpoint.timeout
            )
            run = dict(store.runs[run_id])
        if not ended:
            message = f"Webhook function timed out after {endpoint.timeout:g}s"
            return HttpResponse.json({"error": message}, 504)
        if run["status"] == RunStatus.FAILED:
            return HttpResponse.json({"error": "Webhook function execution failed"}, 500)
        if run["status"] == RunStatus.CANCELLED:
            return HttpResponse.json({"error": "Execution cancelled"}, 500)
        return _response(run.get("result"))


def _request_value(request: HttpRequest, url: str, auth: JSON | None) -> JSON:
    """The `HttpRequest` value the function receives (crates/hot_api/src/handlers/
    request.rs `build_request_val`): method, url (without the token), headers,
    query, the body as JSON when it parses (else as text) and `body-raw`."""
    raw = request.body.decode("utf-8", errors="replace")
    try:
        body: Any = read_json(request.body) if request.body else raw
    except ValueError:
        body = raw
    value: JSON = {
        "method": request.method,
        "url": url,
        "headers": dict(request.headers),
        "query": request.query,
        "body": body,
        "body-raw": raw,
    }
    if auth is not None:
        value["auth"] = auth
    return value


def _response(result: Any) -> HttpResponse:
    """webhook.rs `build_webhook_response`: an `HttpResponse`-shaped result (a map
    with `status`, typed or not) gives the status, headers and JSON body; a
    typed value is answered as its `$val`; anything else as JSON, `200`."""
    if is_json_object(result) and "$type" in result and "$val" in result:
        kind = result["$type"]
        if isinstance(kind, str) and (kind == "HttpResponse" or kind.endswith("/HttpResponse")):
            result = result["$val"]
        else:
            return HttpResponse.json(result["$val"])
    if not (is_json_object(result) and "status" in result):
        return HttpResponse.json(result)
    status = result["status"]
    valid = isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 999
    answer = HttpResponse.json(result.get("body"), status if valid else 200)
    given = result.get("headers")
    for name, value in (given.items() if is_json_object(given) else ()):
        if isinstance(value, str):  # a header set replaces one of the same name
            answer.headers = {k: v for k, v in answer.headers.items() if k.lower() != name.lower()}
            answer.headers[name] = value
    return answer
