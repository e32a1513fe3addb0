"""Endpoints of access: sessions, service keys (tokens issued once) and domains."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from pydantic import ValidationError

from .._models.auth import (
    MAX_ACTIVE_SESSIONS,
    SESSION_MAX_TTL,
    ServiceKeyCreate,
    ServiceKeyUpdate,
    SessionCreate,
    expiry_problem,
)
from .._models.domains import (
    DnsRecordPurpose,
    DomainCreate,
    DomainStatus,
    canonical_domain,
    domain_problem,
)
from .._models.permissions import (
    Permissions,
    escalation,
    permission_problems,
    service_key_problems,
)
from ._context import ServerContext
from ._http import HttpResponse
from ._routing import Routed, Router
from ._values import (
    JSON,
    ApiError,
    check_storable,
    created,
    found,
    item,
    new_id,
    newest_first,
    no_content,
    page,
    timestamp,
)

__all__ = ["add_access_routes", "permission_error"]

_DELETING = DomainStatus.PENDING_DELETION.value
# verify_domain's explanation of a verified domain's status, read again (of
# those the emulator reaches: it provisions no routing).
_VERIFIED_MESSAGES = {
    DomainStatus.VALIDATED.value: "Validated. Domain routing will be provisioned automatically.",
    DomainStatus.PENDING_DELETION.value: "Domain is being deleted.",
}

# crates/hot/src/db/session.rs DEFAULT_TTL_SECS: a session without expires_in.
SESSION_LIFETIME_S = 3600


def permission_error(permissions: Any, *, service_key: bool = False) -> str | None:
    """The server's 400 message for `permissions`, or None when it accepts them.

    crates/hot_api/src/handlers/sessions.rs and service_keys.rs parse the map
    (a JSON object of string arrays), validate it (crates/hot/src/permission.rs)
    and, for service keys, its resource types, answering the first problem
    found. The rules are the client's own (`Permissions`).
    """
    try:
        parsed = Permissions.model_validate(permissions)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        # A NUL character is the database's to refuse, once the rules pass.
        shape = [
            e
            for e in errors
            if not e["type"].startswith("permission") and e["type"] != "stored_nul"
        ]
        if shape:
            return f"Invalid permissions: Permission JSON error: {shape[0]['msg']}"
        # The map is well formed: the problems are the rules'; the first is answered.
        problems = permission_problems(permissions)
        if not problems and service_key:
            problems = service_key_problems(permissions)
    else:
        problems = service_key_problems(parsed.root) if service_key else []
    return f"Invalid permissions: {problems[0].message}" if problems else None


def _permissions(body: JSON, *, service_key: bool) -> Any:
    permissions = body.get("permissions")
    problem = permission_error(permissions, service_key=service_key)
    if problem is not None:
        raise ApiError.bad_request(problem)
    return permissions


def _within(permissions: Any, held: Any) -> None:
    """crates/hot_api/src/handlers/sessions.rs and service_keys.rs: what a
    credential asks for must be held by the API key creating it."""
    exceeded = escalation(permissions, held)
    if exceeded is not None:
        resource, action = exceeded
        raise ApiError(
            403,
            "permission_escalation",
            "Requested permissions exceed API key permissions: Permission escalation: "
            f"action '{action}' on resource '{resource}' exceeds parent permissions",
        )


def _expires_in(body: JSON, longest: int | None) -> int | None:
    value: int | None = body.get("expires_in")
    problem = None if value is None else expiry_problem(value, longest)
    if problem is not None:
        raise ApiError.bad_request(problem)
    return value


def _in(seconds: int) -> str:
    return timestamp(time.time_ns() + seconds * 1_000_000_000)


def _public(record: JSON) -> JSON:
    """A credential as listed: never its token."""
    return {key: value for key, value in record.items() if key != "token"}


def add_access_routes(router: Router, ctx: ServerContext) -> None:
    store = ctx.store
    config = ctx.config

    def issue(prefix: str, record_id: str) -> str:
        token = f"{prefix}_{secrets.token_urlsafe(24)}"
        store.tokens[token] = record_id
        return token

    def retire(record_id: str) -> None:
        """Stop accepting the token issued for credential `record_id`."""
        for token in [t for t, owner in store.tokens.items() if owner == record_id]:
            del store.tokens[token]

    # Sessions -------------------------------------------------------------

    def active_sessions() -> list[JSON]:
        """The sessions neither revoked nor expired, newest first: what the list
        shows and counts, revoking all revokes, and the limit counts
        (crates/hot/src/db/session.rs `list_by_api_key`, `count_active_by_api_key`,
        `revoke_all_by_api_key`: `revoked_at IS NULL AND expires_at > now()`)."""
        # Timestamps of one fixed width, in UTC, sort as the instants they name.
        now = timestamp()
        return newest_first(s for s in store.sessions.values() if s["expires_at"] > now)

    @router.add("POST", "/sessions")
    def create_session(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/sessions.rs, create_session, in its order.
        body = routed.body(SessionCreate, untyped={"permissions"})
        ctx.require_api_key(
            routed,
            "Only API keys can create sessions. Sessions and service keys cannot create sessions.",
        )
        permissions = _permissions(body, service_key=False)
        _within(permissions, config.api_key_permissions)
        lifetime = _expires_in(body, SESSION_MAX_TTL) or SESSION_LIFETIME_S
        with store.lock:
            if len(active_sessions()) >= MAX_ACTIVE_SESSIONS:
                raise ApiError(
                    429,
                    "session_limit_exceeded",
                    f"Maximum active sessions ({MAX_ACTIVE_SESSIONS}) exceeded for this "
                    "API key. Revoke existing sessions first.",
                )
            # crates/hot/src/db/session.rs: permissions and metadata are jsonb.
            check_storable(permissions, body.get("metadata"))
            session_id = new_id()
            session: JSON = {
                "session_id": session_id,
                "token": issue("hot_sess", session_id),
                "permissions": permissions,
            }
            if body.get("metadata") is not None:
                session["metadata"] = body["metadata"]
            session.update(expires_at=_in(lifetime), created_at=timestamp())
            store.sessions[session_id] = _public(session)
            return created(session)

    @router.add("GET", "/sessions")
    def list_sessions(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can list sessions. Sessions and service keys cannot list sessions.",
        )
        with store.lock:
            return page([dict(s) for s in active_sessions()], routed.query)

    @router.add("DELETE", "/sessions")
    def revoke_sessions(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can revoke sessions. Sessions and service keys cannot revoke sessions.",
        )
        with store.lock:
            revoked = active_sessions()
            for session in revoked:
                end_session(session["session_id"])
        return item({"revoked_count": len(revoked)})

    @router.add("DELETE", "/sessions/{session_id}")
    def revoke_session(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can revoke sessions. Sessions and service keys cannot revoke sessions.",
        )
        session_id = routed.params["session_id"]
        with store.lock:
            # sessions.rs revoke_session: found revoked or not (`get_session`),
            # then `revoke`, which changes only one not yet revoked.
            if session_id in store.sessions:
                end_session(session_id)
            elif session_id not in store.revoked_sessions:
                raise ApiError.not_found("Session")
        return no_content()

    def end_session(session_id: str) -> None:
        store.revoked_sessions[session_id] = store.sessions.pop(session_id)
        retire(session_id)

    # Service keys -----------------------------------------------------------

    def key_of(routed: Routed) -> JSON:
        return found(store.service_keys, routed.params["service_key_id"], "Service key")

    @router.add("POST", "/service-keys")
    def create_key(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/service_keys.rs, create_service_key, in its order.
        body = routed.body(ServiceKeyCreate, untyped={"permissions"})
        if not config.service_keys_enabled:
            raise ApiError(
                403,
                "plan_required",
                "Service keys require a Pro or Scale plan. Upgrade at https://hot.dev/pricing",
            )
        ctx.require_api_key(
            routed,
            "Only API keys can create service keys. "
            "Sessions and service keys cannot create service keys.",
        )
        permissions = _permissions(body, service_key=True)
        _within(permissions, config.api_key_permissions)
        lifetime = _expires_in(body, None)
        # crates/hot/src/db/service_key.rs: name and description are text,
        # permissions jsonb; metadata is stored encrypted.
        check_storable(body.get("name"), body.get("description"), permissions)
        with store.lock:
            key_id = new_id()
            key: JSON = {
                "service_key_id": key_id,
                "name": body.get("name"),
                "description": body.get("description"),
                "token": issue("hot_sk", key_id),
                "permissions": permissions,
            }
            if body.get("metadata") is not None:
                key["metadata"] = body["metadata"]
            if lifetime is not None:
                key["expires_at"] = _in(lifetime)
            key["created_at"] = timestamp()
            store.service_keys[key_id] = _public(key)
            return created(key)

    @router.add("GET", "/service-keys")
    def list_keys(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can list service keys. "
            "Sessions and service keys cannot list service keys.",
        )
        with store.lock:
            # crates/hot/src/db/service_key.rs: `ORDER BY created_at DESC`.
            keys = [dict(k) for k in newest_first(store.service_keys.values())]
        # crates/hot_api/src/handlers/service_keys.rs: `total` is the length of
        # the page fetched, so `has_more` is never true.
        return page(keys, routed.query, total_is_page_length=True)

    @router.add("DELETE", "/service-keys")
    def revoke_keys(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can revoke service keys. "
            "Sessions and service keys cannot revoke service keys.",
        )
        with store.lock:
            live = [k for k in store.service_keys.values() if "revoked_at" not in k]
            for key in live:
                revoke(key)
        return item({"revoked_count": len(live)})

    def revoke(key: JSON) -> None:
        retire(key["service_key_id"])
        # In `ServiceKeyResponse`'s field order: before `created_at` and
        # `last_used_at`.
        later = {name: key.pop(name) for name in ("created_at", "last_used_at") if name in key}
        key.update(revoked_at=timestamp(), **later)

    @router.add("GET", "/service-keys/{service_key_id}")
    def get_key(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can read service keys. "
            "Sessions and service keys cannot read service keys.",
        )
        with store.lock:
            return item(dict(key_of(routed)))

    @router.add("PATCH", "/service-keys/{service_key_id}")
    def update_key(routed: Routed) -> HttpResponse:
        body = routed.body(ServiceKeyUpdate)
        # After the body is read (an axum extractor), before the key is looked up.
        ctx.require_api_key(routed, "Only API keys can update service keys.")
        with store.lock:
            key = key_of(routed)
            # crates/hot_api/src/handlers/service_keys.rs, update_service_key.
            if "revoked_at" in key:
                raise ApiError(409, "revoked", "Cannot update a revoked service key")
            if body.get("metadata") is None:
                key.pop("metadata", None)
            else:
                key["metadata"] = body["metadata"]
            return item(dict(key))

    @router.add("DELETE", "/service-keys/{service_key_id}")
    def revoke_key(routed: Routed) -> HttpResponse:
        ctx.require_api_key(
            routed,
            "Only API keys can revoke service keys. "
            "Sessions and service keys cannot revoke service keys.",
        )
        with store.lock:
            key = key_of(routed)
            if "revoked_at" not in key:
                revoke(key)
        return no_content()

    # Domains ----------------------------------------------------------------

    def domain_of(routed: Routed) -> JSON:
        return found(store.domains, routed.params["domain_id"], "Domain")

    @router.add("POST", "/domains")
    def create_domain(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/domains.rs, create_domain: API keys only,
        # then the plan's gate and limit, then Domain::create, which refuses an
        # invalid name with 400 "Invalid domain name" and stores it trimmed,
        # lowercase.
        name = routed.body(DomainCreate)["domain"]
        ctx.require_api_key(routed, "Only API keys can create custom domains.")
        limit = config.custom_domain_limit
        if limit == 0:
            raise ApiError(
                403,
                "plan_required",
                "Custom domains require a Pro or Scale plan. Upgrade at https://hot.dev/pricing",
            )
        with store.lock:
            # crates/hot/src/db/domain.rs counts the domains not being deleted.
            kept = [d for d in store.domains.values() if d["status"] != _DELETING]
            if 0 < limit <= len(kept):
                raise ApiError(
                    403,
                    "domain_limit_reached",
                    f"Your plan allows up to {limit} custom domain{'' if limit == 1 else 's'}. "
                    "Delete an existing domain or upgrade your plan at https://hot.dev/pricing",
                )
        if domain_problem(name) is not None:
            raise ApiError.bad_request("Invalid domain name")
        sent, name = name, canonical_domain(name)
        with store.lock:
            same = [d for d in store.domains.values() if d["domain"] == name]
            if any(d["status"] == _DELETING for d in same):
                raise ApiError(
                    409,
                    "domain_pending_deletion",
                    f"Domain '{sent}' was recently removed and is still being cleaned up. "
                    "Please wait a few minutes and try again.",
                )
            if same:
                raise ApiError(409, "domain_exists", f"Domain '{sent}' is already registered")
            domain_id = new_id()
            # A provider certificate is requested at once; its validation CNAME
            # is the one record until routing is provisioned, which adds the
            # `traffic` one (domains.rs `domain_to_response`). The emulator's
            # provider has loopback names of its own.
            token = uuid.UUID(domain_id).hex
            domain: JSON = {
                "domain_id": domain_id,
                "env_id": store.env_id,
                "domain": name,
                "status": DomainStatus.PENDING_VALIDATION.value,
                "dns_records": [
                    {
                        "type": "CNAME",
                        "name": f"_{token}.{name}.",
                        "value": f"_{token[::-1]}.validations.hot.localhost.",
                        "purpose": DnsRecordPurpose.CERTIFICATE_VALIDATION.value,
                    }
                ],
                "created_at": timestamp(),
            }
            store.domains[domain["domain_id"]] = domain
            return created(dict(domain))

    @router.add("GET", "/domains")
    def list_domains(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list custom domains.")
        with store.lock:
            # crates/hot/src/db/domain.rs: `ORDER BY created_at DESC`.
            return page([dict(d) for d in newest_first(store.domains.values())], routed.query)

    @router.add("GET", "/domains/{domain_id}")
    def get_domain(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read custom domains.")
        with store.lock:
            return item(dict(domain_of(routed)))

    @router.add("DELETE", "/domains/{domain_id}")
    def delete_domain(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can delete custom domains.")
        # crates/hot/src/db/domain.rs `soft_delete`: marked, still read and
        # listed as `pending_deletion`, its name held, until a worker has
        # cleaned up the provider's side (the emulator has none: it stays).
        with store.lock:
            domain_of(routed)["status"] = _DELETING
        return no_content()

    @router.add("POST", "/domains/{domain_id}/verify")
    def verify_domain(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can verify custom domains.")
        # crates/hot_api/src/handlers/domains.rs, verify_domain: a certificate
        # not yet verified is checked with the provider (the emulator's issues
        # it at the first check: loopback has no DNS to wait for), and answered
        # `validated` even for a domain being deleted; otherwise the domain is
        # read again and its status explained.
        with store.lock:
            domain = domain_of(routed)
            if "verified_at" not in domain:
                domain["verified_at"] = timestamp()
                if domain["status"] != _DELETING:
                    domain["status"] = DomainStatus.VALIDATED.value
                status = DomainStatus.VALIDATED.value
                message = (
                    "Certificate validated! Domain routing will be provisioned automatically."
                )
            else:
                status = domain["status"]
                message = _VERIFIED_MESSAGES[status]
            return item(
                {
                    "domain_id": domain["domain_id"],
                    "domain": domain["domain"],
                    "status": status,
                    "message": message,
                }
            )
