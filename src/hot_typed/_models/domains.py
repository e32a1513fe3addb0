"""Custom domains."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field

from ._base import OpenEnum, RequestModel, WireModel

__all__ = ["DnsRecord", "Domain", "DomainCreate", "DomainStatus", "DomainVerification"]


class DomainStatus(OpenEnum):
    PENDING_VALIDATION = "pending_validation"
    VALIDATED = "validated"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    PENDING_DELETION = "pending_deletion"


class DnsRecord(WireModel):
    type: str
    name: str
    value: str
    purpose: str


class Domain(WireModel):
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
    domain_id: UUID
    domain: str
    status: DomainStatus
    message: str


class DomainCreate(RequestModel):
    domain: str = Field(min_length=1)
