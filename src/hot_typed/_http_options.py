"""Options of the httpx client a Hot client creates for itself: HTTP/2, a proxy,
and event hooks (the place to attach tracing).

They configure a connection pool, so they only apply to a client hot-typed
creates: with `client=` given, that client is configured by its owner, and
passing them too raises `ValueError` rather than ignoring them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["EventHooks", "HttpOptions", "ProxyTypes"]

EventHooks = Mapping[str, list[Callable[..., Any]]]
"""httpx's `event_hooks`: `{"request": [...], "response": [...]}`, each hook called
with the `httpx.Request` / `httpx.Response` (coroutine functions on the async client)."""

ProxyTypes = str | httpx.URL | httpx.Proxy
"""What httpx takes as `proxy=`: a URL (`http://proxy:3128`) or an `httpx.Proxy`."""


@dataclass(frozen=True, slots=True)
class HttpOptions:
    http2: bool = False
    proxy: ProxyTypes | None = None
    event_hooks: EventHooks | None = None

    def __post_init__(self) -> None:
        for name in self.event_hooks or {}:
            if name not in {"request", "response"}:
                raise ValueError(f"event_hooks takes 'request' and 'response', not {name!r}")

    @property
    def given(self) -> bool:
        return self.http2 or self.proxy is not None or bool(self.event_hooks)

    def check_for(self, client: httpx.Client | httpx.AsyncClient | None) -> None:
        """Refuse these options beside a client the user configures."""
        if client is not None and self.given:
            raise ValueError(
                "http2, proxy and event_hooks configure the httpx client hot-typed creates; "
                "with client=..., set them on that client"
            )

    def keywords(self) -> dict[str, Any]:
        """The keyword arguments of `httpx.Client` / `httpx.AsyncClient` for these options.

        `http2=True` needs the `h2` package (`pip install "hot-typed[http2]"`); httpx
        raises `ImportError` saying so when it is missing.
        """
        keywords: dict[str, Any] = {}
        if self.http2:
            keywords["http2"] = True
        if self.proxy is not None:
            keywords["proxy"] = self.proxy
        if self.event_hooks:
            keywords["event_hooks"] = {k: list(hooks) for k, hooks in self.event_hooks.items()}
        return keywords
