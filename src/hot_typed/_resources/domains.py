"""`domains`: custom domains of the environment."""

from __future__ import annotations

from uuid import UUID

from typing_extensions import Unpack

from .._models.domains import Domain, DomainCreate, DomainCreateParams, DomainVerification
from .._options import CallOptions
from .._request import Call, ListCall, Request, path
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._wire import item_parser, list_parser, no_content, query, request_body
from ._params import ListQuery

__all__ = ["Domains"]


class Domains(Resource[ModeT]):
    @endpoint
    def create(
        self, body: DomainCreate | DomainCreateParams, **options: Unpack[CallOptions]
    ) -> Call[Domain]:
        """Register a domain; the answer lists the DNS records to create."""
        content = request_body(DomainCreate, body)
        request = Request("POST", "/domains", json=content, retryable=False)
        return Call(request, item_parser(Domain))

    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[Domain]:
        """The environment's custom domains, as a page."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/domains", params=params), list_parser(Domain))

    @endpoint
    def get(self, domain_id: str | UUID, **options: Unpack[CallOptions]) -> Call[Domain]:
        """One domain and its provisioning status; `NotFoundError` when there is none."""
        return Call(Request("GET", path("/domains/{domain_id}", domain_id)), item_parser(Domain))

    @endpoint
    def delete(self, domain_id: str | UUID, **options: Unpack[CallOptions]) -> Call[None]:
        """Remove a domain; returns None. The server marks it `pending_deletion`
        (still read and listed, its name not registrable again: `ConflictError`
        `domain_pending_deletion`) until it has cleaned up its certificate and
        routing; removing it again meanwhile is no error.

        Raises `NotFoundError` when there is no such domain (but a retry's 404,
        after an attempt that may have removed it, returns None).
        """
        return Call(Request("DELETE", path("/domains/{domain_id}", domain_id)), no_content)

    @endpoint
    def verify(
        self, domain_id: str | UUID, **options: Unpack[CallOptions]
    ) -> Call[DomainVerification]:
        """Check the domain's DNS records now."""
        request = Request("POST", path("/domains/{domain_id}/verify", domain_id))
        return Call(request, item_parser(DomainVerification))
