"""Sessions and service keys: scoped credentials issued by API key holders."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, Field, SecretStr
from typing_extensions import TypedDict

from ._base import RequestModel, WireModel
from ._json import UserJson
from .permissions import Permissions, PermissionsParam

__all__ = [
    "RevokeAll",
    "ServiceKey",
    "ServiceKeyCreate",
    "ServiceKeyCreateParams",
    "ServiceKeyUpdate",
    "ServiceKeyUpdateParams",
    "Session",
    "SessionCreate",
    "SessionCreateParams",
]


class Session(WireModel):
    """A short-lived token. `token` is present only in the answer to create."""

    session_id: UUID
    token: SecretStr | None = None
    permissions: Any
    metadata: Any = None
    expires_at: AwareDatetime
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None


class ServiceKey(WireModel):
    """A long-lived scoped credential. `token` is present only in the answer to create."""

    service_key_id: UUID
    name: str | None
    description: str | None
    token: SecretStr | None = None
    permissions: Any
    metadata: Any = None
    expires_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None


class RevokeAll(WireModel):
    """The answer to a revoke-all: how many credentials were revoked."""

    revoked_count: int


class SessionCreate(RequestModel):
    """Body of `POST /v1/sessions`. `expires_in` is in seconds, positive.

    `permissions` follows the server's rules (see `Permissions`); `metadata` is
    any JSON value, a pydantic model or a dataclass.
    """

    permissions: Permissions
    metadata: UserJson = None
    expires_in: int | None = Field(default=None, gt=0)


class ServiceKeyCreate(RequestModel):
    """Body of `POST /v1/service-keys`. `expires_in` is in seconds, positive; unset
    means never. `permissions` and `metadata` as in `SessionCreate`."""

    name: str | None = None
    description: str | None = None
    permissions: Permissions
    metadata: UserJson = None
    expires_in: int | None = Field(default=None, gt=0)


class ServiceKeyUpdate(RequestModel):
    """Body of `PATCH /v1/service-keys/{id}`: replaces the metadata entirely."""

    metadata: UserJson = None


class _SessionCreateRequired(TypedDict):
    permissions: PermissionsParam


class SessionCreateParams(_SessionCreateRequired, total=False):
    """`SessionCreate` as a dict."""

    metadata: Any
    expires_in: int | None


class _ServiceKeyCreateRequired(TypedDict):
    permissions: PermissionsParam


class ServiceKeyCreateParams(_ServiceKeyCreateRequired, total=False):
    """`ServiceKeyCreate` as a dict."""

    name: str | None
    description: str | None
    metadata: Any
    expires_in: int | None


class ServiceKeyUpdateParams(TypedDict, total=False):
    """`ServiceKeyUpdate` as a dict."""

    metadata: Any
