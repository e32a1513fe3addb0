"""Sessions and service keys: scoped credentials issued by API key holders."""

from __future__ import annotations

import time
from typing import Any

from pydantic import (
    AwareDatetime,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import Self, TypedDict

from ._base import I64_MAX, RequestModel, StoredText, WireModel
from ._common import Id
from ._json import StoredJson, UserJson
from .permissions import (
    SERVICE_KEY_RESOURCE_TYPES,
    Permissions,
    PermissionsParam,
    problem_errors,
    service_key_problems,
)

__all__ = [
    "MAX_ACTIVE_SESSIONS",
    "SESSION_MAX_TTL",
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

    session_id: Id
    token: SecretStr | None = None
    permissions: Any
    metadata: Any = None
    expires_at: AwareDatetime
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None


class ServiceKey(WireModel):
    """A long-lived scoped credential. `token` is present only in the answer to create."""

    service_key_id: Id
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


# crates/hot/src/db/session.rs MAX_TTL_SECS, enforced by handlers/sessions.rs.
#: The longest a session may live, in seconds (24 hours).
SESSION_MAX_TTL = 86_400

# crates/hot/src/db/session.rs DEFAULT_MAX_SESSIONS, enforced by
# handlers/sessions.rs (429 `session_limit_exceeded`).
#: How many sessions an API key may hold at once, neither revoked nor expired.
MAX_ACTIVE_SESSIONS = 1000


def expiry_problem(expires_in: int, longest: int | None) -> str | None:
    """Why the server refuses `expires_in` (its message), or None: it must be
    positive (crates/hot_api/src/handlers/sessions.rs and service_keys.rs) and,
    for sessions, at most `SESSION_MAX_TTL` (handlers/sessions.rs)."""
    if expires_in <= 0:
        return "expires_in must be a positive number of seconds"
    if longest is not None and expires_in > longest:
        return f"expires_in cannot exceed {longest} seconds (24 hours)"
    return None


# 9999-12-31T23:59:59Z, the last second RFC 3339 (and `datetime`) can write.
_LAST_RFC3339_SECOND = 253_402_300_799


def _check_expiry(expires_in: int | None, longest: int | None) -> int | None:
    problem = None if expires_in is None else expiry_problem(expires_in, longest)
    if problem is not None:
        # The server's message, built at run time: it has no `{}` placeholders.
        raise PydanticCustomError("expires_in", problem)  # pyright: ignore[reportArgumentType]
    return expires_in


class SessionCreate(RequestModel):
    """Body of `POST /v1/sessions`. `expires_in` is in seconds, from 1 to
    `SESSION_MAX_TTL` (86400); unset means the server's default, one hour.

    `permissions` follows the server's rules (see `Permissions`); `metadata` is
    any JSON value, a pydantic model or a dataclass.
    """

    permissions: Permissions
    # crates/hot/src/db/session.rs: a jsonb column.
    metadata: StoredJson = None
    expires_in: int | None = Field(
        default=None, le=I64_MAX, json_schema_extra={"minimum": 1, "maximum": SESSION_MAX_TTL}
    )

    @field_validator("expires_in")
    @classmethod
    def _expiry(cls, expires_in: int | None) -> int | None:
        return _check_expiry(expires_in, SESSION_MAX_TTL)


_SERVICE_KEY_SCHEMA: dict[str, Any] = {
    "propertyNames": {"pattern": f"^(?:{'|'.join(SERVICE_KEY_RESOURCE_TYPES)}):.+$"}
}


class ServiceKeyCreate(RequestModel):
    """Body of `POST /v1/service-keys`. `expires_in` is in seconds, positive and
    ending within year 9999 (the last an RFC 3339 timestamp can say); unset
    means never. `permissions` as in `SessionCreate`, naming only the types a
    service key may use (`SERVICE_KEY_RESOURCE_TYPES`: mcp, webhook, stream,
    event, run; not `*:*`); `metadata` as in `SessionCreate`."""

    name: StoredText | None = None
    description: StoredText | None = None
    permissions: Permissions = Field(json_schema_extra=_SERVICE_KEY_SCHEMA)
    # Stored encrypted (crates/hot_api/src/handlers/service_keys.rs): any JSON.
    metadata: UserJson = None
    expires_in: int | None = Field(default=None, le=I64_MAX, json_schema_extra={"minimum": 1})

    @field_validator("expires_in")
    @classmethod
    def _expiry(cls, expires_in: int | None) -> int | None:
        expires_in = _check_expiry(expires_in, None)
        if expires_in is not None and time.time() + expires_in > _LAST_RFC3339_SECOND:
            # The server would create the key, but answer (and from then on list)
            # it with an `expires_at` past year 9999: no RFC 3339 timestamp, which
            # no client can read, nor Python's datetime hold.
            raise PydanticCustomError(
                "expires_in", "expires_in must keep the expiry within year 9999"
            )
        return expires_in

    @model_validator(mode="after")
    def _customer_facing_types(self) -> Self:
        # crates/hot_api/src/handlers/service_keys.rs: validate_resource_types.
        problems = service_key_problems(self.permissions.root)
        if problems:
            errors = problem_errors(problems)
            for error in errors:
                error["loc"] = ("permissions", *error.get("loc", ()))
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


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
