"""What every endpoint module works with: the settings, the state, the handlers
and the faults of one emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._faults import Faults
from ._handlers import Handlers
from ._http import HttpResponse
from ._routing import Routed
from ._sse import SseSettings, Subscription, sse_response
from ._store import SseEvent, Store

__all__ = ["EmulatorConfig", "ServerContext"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of an emulator; the defaults are the Hot server's.

    - `api_key`: the token clients must send (session and service-key tokens
      the emulator issued are accepted too); None accepts any bearer token.
    - `stream_time_limit`: seconds a subscription stays open before the
      server ends it (`stream:complete` on run streams).
    - `keepalive_interval`: seconds of quiet before a `: keepalive` comment.
    - `part_size`: the part size multipart uploads are told to use.
    - `min_part_size`: the smallest non-final part accepted (S3's 5 MiB).
    """

    api_key: str | None = None
    stream_time_limit: float = 300.0
    keepalive_interval: float = 15.0
    part_size: int = 64 * MIB
    min_part_size: int = 5 * MIB

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
    ) -> HttpResponse:
        """Stream `subscription` with this emulator's limits and any armed drop."""
        settings = SseSettings(
            time_limit=self.config.stream_time_limit,
            keepalive=self.config.keepalive_interval,
            drop_after=self.faults.take_drop(
                routed.request.method, api_path(routed.request.path)
            ),
        )
        return sse_response(self.store, subscription, settings, on_limit)


def api_path(path: str) -> str:
    """A request path relative to `/v1` (still percent-encoded)."""
    return path[len("/v1") :] if path.startswith("/v1/") else path
