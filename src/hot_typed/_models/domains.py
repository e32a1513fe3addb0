"""Custom domains."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, field_validator
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from ._base import OpenEnum, RequestModel, WireModel
from ._common import Id

__all__ = [
    "DnsRecord",
    "DnsRecordPurpose",
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


class DnsRecordPurpose(OpenEnum):
    """What a DNS record of a domain is for (crates/hot_api/src/handlers/domains.rs
    `domain_to_response`); unknown values are kept."""

    #: Proves the domain is yours, so its certificate can be issued.
    CERTIFICATE_VALIDATION = "certificate_validation"
    #: Points the domain at Hot, once its routing is provisioned.
    TRAFFIC = "traffic"


class DnsRecord(WireModel):
    """A DNS record to create at the domain's DNS provider; `purpose` says what it is for."""

    type: str
    name: str
    value: str
    purpose: DnsRecordPurpose


class Domain(WireModel):
    """A custom domain of the environment. `dns_records` are the records to create;
    `provisioning_error` says why provisioning failed, when it did.
    """

    domain_id: Id
    env_id: Id
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

    domain_id: Id
    domain: str
    status: DomainStatus
    message: str


def domain_problem(domain: str) -> str | None:
    """Why the server answers 400 "Invalid domain name" to `domain`, or None.

    crates/hot/src/db/domain.rs, validate_domain: after trimming and lowercasing,
    a non-empty name of at most 253 characters with at least one dot, no scheme,
    no trailing dot, and labels of 1 to 63 ASCII letters, digits and hyphens that
    neither start nor end with a hyphen.
    """
    name = domain.strip().lower()
    if not name:
        return "a domain name must not be empty"
    if "." not in name:
        return "a domain name has at least one dot (a bare host such as 'localhost' is refused)"
    if name.startswith(("http://", "https://")):
        return "a domain name has no scheme: send 'example.com', not a URL"
    if name.endswith("."):
        return "a domain name has no trailing dot"
    if len(name) > 253:
        return "a domain name is at most 253 characters long"
    for label in name.split("."):
        if not 1 <= len(label) <= 63:
            return f"each label is 1 to 63 characters long, not {label!r}"
        if label.startswith("-") or label.endswith("-"):
            return f"a label neither starts nor ends with '-', not {label!r}"
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            return f"a label holds only ASCII letters, digits and '-', not {label!r}"
    return None


def canonical_domain(domain: str) -> str:
    """The name the server stores for `domain` (crates/hot/src/db/domain.rs,
    create: trimmed and lowercased)."""
    return domain.strip().lower()


class DomainCreate(RequestModel):
    """Body of `POST /v1/domains`: a domain name the server accepts, written as
    it stores it (lowercase, no surrounding spaces), so the domain returned is
    the one sent."""

    domain: str = Field(
        json_schema_extra={
            "pattern": r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
            r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
        }
    )

    @field_validator("domain")
    @classmethod
    def _valid_domain(cls, domain: str) -> str:
        problem = domain_problem(domain)
        if problem is not None:
            raise PydanticCustomError(
                "domain_name", "invalid domain name: {rule}", {"rule": problem}
            )
        if canonical_domain(domain) != domain:
            # The server would store (and answer) another spelling than the one sent.
            raise PydanticCustomError(
                "domain_canonical",
                "the server stores this domain as '{canonical}': send that",
                {"canonical": canonical_domain(domain)},
            )
        return domain


class DomainCreateParams(TypedDict):
    """`DomainCreate` as a dict."""

    domain: str
