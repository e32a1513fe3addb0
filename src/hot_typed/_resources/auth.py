"""`sessions` and `service_keys`: scoped credentials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from .._models.auth import (
    RevokeAll,
    ServiceKey,
    ServiceKeyCreate,
    ServiceKeyUpdate,
    Session,
    SessionCreate,
)
from .._request import Call, ListCall, Request, path
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._wire import item_parser, list_parser, no_content, query, request_body
from ._params import ListQuery

__all__ = ["ServiceKeys", "Sessions"]


class Sessions(Resource[ModeT]):
    @endpoint
    def create(self, body: SessionCreate | Mapping[str, Any]) -> Call[Session]:
        """Create a session; its `token` is in this answer only."""
        content = request_body(SessionCreate, body)
        request = Request("POST", "/sessions", json=content, retryable=False)
        return Call(request, item_parser(Session))

    @list_endpoint
    def list(self, *, limit: int | None = None, offset: int | None = None) -> ListCall[Session]:
        """The active sessions created with this API key, as a page (tokens not included)."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/sessions", params=params), list_parser(Session))

    @endpoint
    def revoke(self, session_id: str | UUID) -> Call[None]:
        """Revoke one session: its token stops working. Returns None; `NotFoundError`
        when there is no such session.
        """
        return Call(Request("DELETE", path("/sessions/{}", session_id)), no_content)

    @endpoint
    def revoke_all(self) -> Call[RevokeAll]:
        """Revoke every active session of this API key; returns how many were revoked."""
        return Call(Request("DELETE", "/sessions"), item_parser(RevokeAll))


class ServiceKeys(Resource[ModeT]):
    @endpoint
    def create(self, body: ServiceKeyCreate | Mapping[str, Any]) -> Call[ServiceKey]:
        """Create a service key; its `token` is in this answer only."""
        content = request_body(ServiceKeyCreate, body)
        request = Request("POST", "/service-keys", json=content, retryable=False)
        return Call(request, item_parser(ServiceKey))

    @list_endpoint
    def list(self, *, limit: int | None = None, offset: int | None = None) -> ListCall[ServiceKey]:
        """The service keys created with this API key, as a page (tokens not included)."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/service-keys", params=params), list_parser(ServiceKey))

    @endpoint
    def get(self, service_key_id: str | UUID) -> Call[ServiceKey]:
        """One service key (without its token); `NotFoundError` when there is none."""
        request = Request("GET", path("/service-keys/{}", service_key_id))
        return Call(request, item_parser(ServiceKey))

    @endpoint
    def update(
        self, service_key_id: str | UUID, body: ServiceKeyUpdate | Mapping[str, Any]
    ) -> Call[ServiceKey]:
        """Replace the key's metadata entirely."""
        content = request_body(ServiceKeyUpdate, body)
        request = Request("PATCH", path("/service-keys/{}", service_key_id), json=content)
        return Call(request, item_parser(ServiceKey))

    @endpoint
    def revoke(self, service_key_id: str | UUID) -> Call[None]:
        """Revoke one service key: its token stops working. Returns None;
        `NotFoundError` when there is no such key.
        """
        return Call(Request("DELETE", path("/service-keys/{}", service_key_id)), no_content)

    @endpoint
    def revoke_all(self) -> Call[RevokeAll]:
        """Revoke every active service key of this API key; returns how many were revoked."""
        return Call(Request("DELETE", "/service-keys"), item_parser(RevokeAll))
