"""What every endpoint module works with: the settings, the state, the handlers
and the faults of one emulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._models.permissions import grants
from .._uploads import MIN_PART_SIZE
from ._faults import Faults
from ._handlers import Handlers
from ._http import HttpRequest, HttpResponse
from ._routing import Routed
from ._sse import SseSettings, Subscription, sse_response
from ._store import SseEvent, Store
from ._values import JSON, ApiError

__all__ = ["ALL_PERMISSIONS", "EmulatorConfig", "ServerContext", "bearer_token"]

MIB = 1024 * 1024

# crates/hot/src/db/features.rs `keys::MAX_FILE_UPLOAD_BYTES`.
#: The largest file the server takes whatever the plan.
MAX_FILE_UPLOAD_BYTES = 50 * 1024 * MIB

#: Every action on every resource: what an API key holds unless told otherwise.
ALL_PERMISSIONS: Mapping[str, Sequence[str]] = MappingProxyType({"*:*": ("*",)})


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of an emulator; the defaults are the Hot server's.

    - `api_key`: the token clients must send (session and service-key tokens
      the emulator issued are accepted too); None accepts any bearer token.
    - `stream_time_limit`: seconds a stream or environment subscription
      stays open before the server ends it (`stream:complete` on run
      streams); a run's or a task's own subscription has no time limit.
    - `keepalive_interval`: seconds of quiet before a keep-alive comment.
    - `late_run_start`: run streams send a run's live `run:start` as the
      server's database poll does: after a quiet second, the runs it finds
      newest first, even after their `stream:data` and terminal events on a
      stream whose pushed messages kept putting the poll off. Off by
      default: `run:start` first.
    - `part_size`: the part size multipart uploads are told to use.
    - `min_part_size`: the smallest non-final part accepted (S3's 5 MiB).
    - `api_key_permissions`: what the API key holds (the server's permission
      map; every action on everything by default). Sessions and service keys
      asking for more are refused, as the server refuses them; events,
      streams and tasks answer 403 to a credential without the permission
      the server checks there.
    - `features`: the org's plan features, as the server's plan JSON names
      them (crates/hot/src/db/features.rs); None is an org without a plan
      (self-hosted, local development), for which everything is enabled. Of
      a map, the emulator reads `service_keys` (a bool), `custom_domains`
      (how many; -1 for no limit), `storage_bytes` (all files together; -1
      for no limit) and `file_upload_max_bytes` (one file; -1 for the
      server's 50 GiB), missing keys being the server's cloud defaults
      (false, 0, 0 and 100 MiB), and reports the other limits `org.usage`
      shows (`runs_per_month`, `team_members`, ...: missing, the server's
      cloud defaults too).
    """

    api_key: str | None = None
    stream_time_limit: float = 300.0
    keepalive_interval: float = 15.0
    late_run_start: bool = False
    part_size: int = 64 * MIB
    min_part_size: int = MIN_PART_SIZE
    api_key_permissions: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: ALL_PERMISSIONS
    )
    features: Mapping[str, Any] | None = None

    def plan_limit(self, key: str, cloud_default: int) -> int:
        """The plan's numeric feature `key`, `cloud_default` when the plan does
        not name it (`Features::cloud_defaults`); -1 (no limit) without a plan."""
        if self.features is None:
            return -1
        value = self.features.get(key, cloud_default)
        return value if isinstance(value, int) and not isinstance(value, bool) else cloud_default

    @property
    def storage_limit(self) -> int:
        """How many bytes all files may take together; -1 for no limit
        (`Features::storage_bytes`)."""
        return self.plan_limit("storage_bytes", 0)

    @property
    def file_size_limit(self) -> int:
        """How large one file may be (`Features::file_upload_max_bytes`: a
        plan's -1, or no plan, is the server's 50 GiB ceiling)."""
        limit = self.plan_limit("file_upload_max_bytes", 100 * MIB)
        return MAX_FILE_UPLOAD_BYTES if limit < 0 else limit

    @property
    def service_keys_enabled(self) -> bool:
        """Whether the plan allows service keys (`Features::has_service_keys`)."""
        return self.features is None or self.features.get("service_keys") is True

    @property
    def custom_domain_limit(self) -> int:
        """How many custom domains the plan allows: -1 for no limit, 0 for none
        (`Features::max_custom_domains`)."""
        return self.plan_limit("custom_domains", 0)

    def __post_init__(self) -> None:
        if self.stream_time_limit <= 0 or self.keepalive_interval <= 0:
            raise ValueError("stream_time_limit and keepalive_interval must be positive")
        if not 0 < self.min_part_size <= self.part_size:
            raise ValueError("need 0 < min_part_size <= part_size")


@dataclass(frozen=True)
class ServerContext:
    config: EmulatorConfig
    store: Store
    handlers: Handlers
    faults: Faults

    def sse(
        self,
        routed: Routed,
        subscription: Subscription,
        on_limit: Callable[[], SseEvent] | None = None,
        *,
        time_limited: bool = True,
        keepalive_text: str = "",
    ) -> HttpResponse:
        """Stream `subscription` with this emulator's limits and any armed drop;
        without `time_limited`, open until the subscription is done. Quiet is
        broken by a comment of `keepalive_text` (the endpoint's `KeepAlive`)."""
        settings = SseSettings(
            time_limit=self.config.stream_time_limit if time_limited else None,
            keepalive=self.config.keepalive_interval,
            keepalive_text=keepalive_text,
            drop_after=self.faults.take_drop(routed.request.method, api_path(routed.request.path)),
        )
        return sse_response(self.store, subscription, settings, on_limit)

    def credential(self, request: HttpRequest) -> JSON | None:
        """The session or service key the emulator issued the token `request`
        carries; None for the API key's, or a token it never issued."""
        with self.store.lock:
            owner = self.store.tokens.get(bearer_token(request) or "", "")
            return self.store.sessions.get(owner) or self.store.service_keys.get(owner)

    def require_api_key(self, routed: Routed, message: str) -> None:
        """crates/hot_api/src/handlers/mod.rs `require_api_key`: 403
        `forbidden` with `message` to a session or a service key."""
        if self.credential(routed.request) is not None:
            raise ApiError(403, "forbidden", message)

    def held_by(self, request: HttpRequest) -> Mapping[str, Sequence[str]]:
        """The permissions of the credential `request` carries: a session's or a
        service key's the emulator issued, else the API key's."""
        record = self.credential(request)
        return self.config.api_key_permissions if record is None else record["permissions"]

    def require(self, routed: Routed, resource: str, action: str, message: str) -> None:
        """crates/hot_api/src/handlers/mod.rs `require_permission`: 403
        `forbidden` with `message` unless the request's credential holds
        `action` on `resource`."""
        if not grants(self.held_by(routed.request), resource, action):
            raise ApiError(403, "forbidden", message)


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an `Authorization` header spelt exactly `Bearer <token>`, as
    sent (crates/hot_api/src/auth.rs: `starts_with("Bearer ")`, then the rest)."""
    header = request.headers.get("authorization", "")
    return header[len("Bearer ") :] if header.startswith("Bearer ") else None


def api_path(path: str) -> str:
    """A request path relative to `/v1` (still percent-encoded)."""
    return path[len("/v1") :] if path.startswith("/v1/") else path
