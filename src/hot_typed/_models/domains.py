"""Custom domains."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from ._base import OpenEnum, RequestModel, WireModel

__all__ = [
    "DnsRecord",
    "Domain",
    "DomainCreate",
    "DomainCreateParams",
    "DomainStatus",
    "DomainVerification",
]


class DomainStatus(OpenEnum):
    """A custom domain's provisioning status; unknown values are kept."""

    PENDING_VALIDATION = "pending_validation"
    VALIDATED = "validated"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    PENDING_DELETION = "pending_deletion"


class DnsRecord(WireModel):
    """A DNS record to create at the domain's DNS provider; `purpose` says what it is for."""

    type: str
    name: str
    value: str
    purpose: str


class Domain(WireModel):
    """A custom domain of the environment. `dns_records` are the records to create;
    `provisioning_error` says why provisioning failed, when it did.
    """

    domain_id: UUID
    env_id: UUID
    domain: str
    status: DomainStatus
    dns_records: list[DnsRecord]
    routing_domain: str | None = None
    created_at: AwareDatetime
    verified_at: AwareDatetime | None = None
    tls_provisioned_at: AwareDatetime | None = None
    provisioning_error: str | None = None


class DomainVerification(WireModel):
    """The answer to `domains.verify`: the domain's status now, explained in `message`."""

    domain_id: UUID
    domain: str
    status: DomainStatus
    message: str


class DomainCreate(RequestModel):
    """Body of `POST /v1/domains`: the domain name to register (not empty)."""

    domain: str = Field(min_length=1)


class DomainCreateParams(TypedDict):
    """`DomainCreate` as a dict."""

    domain: str
