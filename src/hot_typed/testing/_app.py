"""The emulator as an HTTP handler: faults, authentication, routing, errors."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .._models.status import ServerStatus
from .._version import __version__
from ._api_access import add_access_routes
from ._api_activity import add_activity_routes
from ._api_files import add_file_routes
from ._api_projects import add_project_routes
from ._api_webhooks import WebhookRoutes
from ._context import ServerContext, api_path, bearer_token
from ._http import DropConnection, HttpRequest, HttpResponse
from ._mcp import McpServices
from ._routing import Routed, Router
from ._values import ApiError, error_response, timestamp

__all__ = ["Application"]


class Application:
    """Answers one request the way the Hot API would.

    In order: `GET /status` (public); an armed delay, then an armed failure;
    the public webhook routes (`/webhook/...`, see `WebhookRoutes`); a path no
    route has (a bare 404); the bearer token (a bare 401 when missing,
    expired or, with an `api_key` configured, unknown); then the endpoint. An
    `ApiError` from any step is answered with the error envelope, or as a
    plain rejection when it has no code.
    """

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        # crates/hot_api/src/handlers/health.rs: public, outside `/v1`.
        self._status = ServerStatus(
            status="ok",
            service="hot.dev api server",
            version=__version__,
            git_sha="emulatr",
            start_time=datetime.now(timezone.utc).replace(microsecond=0),
        )
        self._router = Router()
        add_activity_routes(self._router, ctx)
        add_project_routes(self._router, ctx)
        add_file_routes(self._router, ctx)
        add_access_routes(self._router, ctx)
        self.webhooks = WebhookRoutes(ctx)
        self.mcp = McpServices(ctx.store, ctx.handlers)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        segments = request.segments
        if request.method == "GET" and segments == ["status"]:
            return HttpResponse.json(self._status.model_dump(mode="json"))
        lost = self.ctx.faults.take_loss(request.method, api_path(request.path))
        try:
            answer = self._answer(request, segments)
        except ApiError as error:
            answer = error_response(error)
        if lost:
            close = getattr(answer.body, "close", None)  # a stream's, never started
            if close is not None:
                close()
            raise DropConnection
        return answer

    def _answer(self, request: HttpRequest, segments: list[str]) -> HttpResponse:
        path = api_path(request.path)
        faults = self.ctx.faults
        delay = faults.take_delay(request.method, path)
        if delay:
            time.sleep(delay)
        failure = faults.take_failure(request.method, path)
        if failure is not None:
            raise failure
        if segments[:1] == ["webhook"]:
            return self.webhooks.answer(request, "/".join(segments[1:]))
        # crates/hot_api/src/server.rs: MCP services at /mcp/{org}/{env}/{service}.
        mcp = segments[:1] == ["mcp"] and len(segments) == 4 and request.method == "POST"
        if not mcp and not (segments[:1] == ["v1"] and self._router.knows(segments[1:])):
            # The router has no fallback and authenticates as a `route_layer`
            # (server.rs), which runs for matched routes only: an unknown path
            # is axum's bare 404, credentials or not.
            raise ApiError.rejection(404, "")
        self._authenticate(request)
        if mcp:
            return self.mcp.answer(request, segments[3], self.ctx.held_by(request))
        endpoint, params = self._router.resolve(request.method, segments[1:])
        return endpoint(Routed(request, params))

    def _authenticate(self, request: HttpRequest) -> None:
        # crates/hot_api/src/auth.rs: a header spelt exactly "Bearer <token>"
        # (the token the rest, as sent), else a bare 401: `Err(StatusCode::
        # UNAUTHORIZED)`, no body, no error code.
        token = bearer_token(request)
        expected = self.ctx.config.api_key
        if token is not None and (expected is None or token == expected):
            return
        with self.ctx.store.lock:
            record = self.ctx.credential(request)
            if record is None:
                raise ApiError.rejection(401, "")
            # crates/hot/src/db/session.rs and service_key.rs `verify_token`: an
            # expired credential is refused like an unknown one (a revoked one's
            # token is no longer issued). Timestamps of one width compare.
            now = timestamp()
            if "expires_at" in record and record["expires_at"] <= now:
                raise ApiError.rejection(401, "")
            # auth.rs: each request a session or service key authenticates sets
            # its `last_used_at` (`Session::touch`, `ServiceKey::touch`).
            record["last_used_at"] = now
