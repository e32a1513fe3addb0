"""`sessions` and `service_keys`: scoped credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import httpx
from typing_extensions import Unpack

from .._models._common import Meta, Pagination
from .._models.auth import (
    RevokeAll,
    ServiceKey,
    ServiceKeyCreate,
    ServiceKeyCreateParams,
    ServiceKeyUpdate,
    ServiceKeyUpdateParams,
    Session,
    SessionCreate,
    SessionCreateParams,
)
from .._options import CallOptions
from .._pagination import Raw
from .._request import Call, ListCall, Request, path
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._wire import item_parser, list_parser, no_content, query, request_body
from ._params import ListQuery

__all__ = ["ServiceKeys", "Sessions"]

M = TypeVar("M")
PageParts = tuple[list[M], Pagination, Meta | None, Raw]


def _full_page_has_more(
    parse: Callable[[httpx.Response], PageParts[M]],
) -> Callable[[httpx.Response], PageParts[M]]:
    """`parse`, with a full page marked as having more.

    crates/hot_api/src/handlers/service_keys.rs: the list's `total` is the
    length of the page fetched, so `has_more = offset + limit < total` is
    always false. A full page may be followed by another: ask for it (an empty
    page then ends the walk). The pagination's `.raw` stays as received.
    """

    def parse_page(response: httpx.Response) -> PageParts[M]:
        items, pagination, meta, raw = parse(response)
        if not pagination.has_more and items and len(items) >= pagination.limit:
            corrected = pagination.model_copy(update={"has_more": True})
            object.__setattr__(corrected, "_wire", pagination.raw)
            pagination = corrected
        return items, pagination, meta, raw

    return parse_page


class Sessions(Resource[ModeT]):
    @endpoint
    def create(
        self, body: SessionCreate | SessionCreateParams, **options: Unpack[CallOptions]
    ) -> Call[Session]:
        """Create a session; its `token` is in this answer only."""
        content = request_body(SessionCreate, body)
        request = Request("POST", "/sessions", json=content, retryable=False)
        return Call(request, item_parser(Session))

    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[Session]:
        """The active sessions created with this API key, as a page (tokens not included)."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/sessions", params=params), list_parser(Session))

    @endpoint
    def revoke(self, session_id: str | UUID, **options: Unpack[CallOptions]) -> Call[None]:
        """Revoke one session: its token stops working. Returns None; `NotFoundError`
        when there is no such session (but a retry's 404, after an attempt that may
        have revoked it, returns None).
        """
        return Call(Request("DELETE", path("/sessions/{session_id}", session_id)), no_content)

    @endpoint
    def revoke_all(self, **options: Unpack[CallOptions]) -> Call[RevokeAll]:
        """Revoke every active session of this API key; returns how many were revoked.

        Like any DELETE it is sent again after a cut or a 5xx, as revoking twice
        revokes the same. After an attempt whose answer was lost, the count is
        the repeat's, which leaves out what the lost attempt revoked: after such
        a repeat (logged at INFO), read it as a lower bound.
        """
        return Call(Request("DELETE", "/sessions"), item_parser(RevokeAll))


class ServiceKeys(Resource[ModeT]):
    @endpoint
    def create(
        self, body: ServiceKeyCreate | ServiceKeyCreateParams, **options: Unpack[CallOptions]
    ) -> Call[ServiceKey]:
        """Create a service key; its `token` is in this answer only."""
        content = request_body(ServiceKeyCreate, body)
        request = Request("POST", "/service-keys", json=content, retryable=False)
        return Call(request, item_parser(ServiceKey))

    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[ServiceKey]:
        """Service keys. The server reports the page's length as `total` (so its
        `has_more` is never true): here a full page counts as having more, so
        `auto_paging_iter()` asks for the next one until a page is not full."""
        params = query(ListQuery, limit=limit, offset=offset)
        parse = _full_page_has_more(list_parser(ServiceKey))
        return ListCall(Request("GET", "/service-keys", params=params), parse)

    @endpoint
    def get(self, service_key_id: str | UUID, **options: Unpack[CallOptions]) -> Call[ServiceKey]:
        """One service key (without its token); `NotFoundError` when there is none."""
        request = Request("GET", path("/service-keys/{service_key_id}", service_key_id))
        return Call(request, item_parser(ServiceKey))

    @endpoint
    def update(
        self,
        service_key_id: str | UUID,
        body: ServiceKeyUpdate | ServiceKeyUpdateParams,
        **options: Unpack[CallOptions],
    ) -> Call[ServiceKey]:
        """Replace the key's metadata entirely."""
        content = request_body(ServiceKeyUpdate, body)
        request = Request(
            "PATCH", path("/service-keys/{service_key_id}", service_key_id), json=content
        )
        return Call(request, item_parser(ServiceKey))

    @endpoint
    def revoke(self, service_key_id: str | UUID, **options: Unpack[CallOptions]) -> Call[None]:
        """Revoke one service key: its token stops working. Returns None;
        `NotFoundError` when there is no such key (but a retry's 404, after an
        attempt that may have revoked it, returns None).
        """
        return Call(
            Request("DELETE", path("/service-keys/{service_key_id}", service_key_id)), no_content
        )

    @endpoint
    def revoke_all(self, **options: Unpack[CallOptions]) -> Call[RevokeAll]:
        """Revoke every active service key of this API key; returns how many were revoked.

        Like any DELETE it is sent again after a cut or a 5xx, as revoking twice
        revokes the same. After an attempt whose answer was lost, the count is
        the repeat's, which leaves out what the lost attempt revoked: after such
        a repeat (logged at INFO), read it as a lower bound.
        """
        return Call(Request("DELETE", "/service-keys"), item_parser(RevokeAll))
