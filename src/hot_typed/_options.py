"""Per-request options: what a caller may add to one call, and how it changes the request.

Every operation takes them as keyword arguments (`extra_headers`, `extra_query`,
`extra_body`, `timeout`). The descriptors of `_resource.py` take them off the
call before the operation builds its description, then apply them to the
request(s) of that description here; `with_options` clients hold defaults
that per-call options are laid over.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict

import httpx

from ._http_options import EventHooks, ProxyTypes
from ._request import Request, check_header

__all__ = [
    "CallOptions",
    "ClientOptions",
    "Options",
    "QueryValue",
    "StreamOptions",
    "WaitOptions",
]

QueryValue = str | int | float | bool | None
"""A query parameter value; None leaves the parameter out."""

# Credentials are the client's: a call that could swap them silently would send
# one token's work under another. The body's type is the operation's.
_REFUSED_HEADERS = frozenset({"authorization", "content-type"})


class ClientOptions(TypedDict, total=False):
    """The settings of a `HotClient` or `AsyncHotClient` but its token, base URL
    and httpx client, as keyword arguments (`HotEmulator.client(**options)`);
    each means what the client's parameter of that name does."""

    timeout: float | httpx.Timeout | None
    """The timeout of each request (None: the client's default)."""
    max_retries: int
    """How many times a failed request is sent again."""
    retry_non_idempotent: bool
    """Whether POST and PATCH are sent again after a failure that may have reached the server."""
    max_sse_frame_bytes: int
    """The longest event-stream frame read."""
    http2: bool
    """Whether to speak HTTP/2 (the `hot-typed[http2]` extra)."""
    proxy: ProxyTypes | None
    """The proxy every request goes through."""
    event_hooks: EventHooks | None
    """httpx event hooks, for tracing."""


class WaitOptions(TypedDict, total=False):
    """Options of operations that wait across reconnects (their own `timeout`
    bounds the whole wait)."""

    extra_headers: Mapping[str, str] | None
    """Headers added to every request of the call."""
    extra_query: Mapping[str, QueryValue] | None
    """Query parameters added to every request of the call (None drops one)."""


class StreamOptions(WaitOptions, total=False):
    """Options of streams followed across reconnects and of transfers."""

    timeout: float | httpx.Timeout | None
    """The timeout of each request of this call, in place of the client's."""


class CallOptions(StreamOptions, total=False):
    """Options of operations sending one request."""

    extra_body: Mapping[str, Any] | None
    """Fields merged into the JSON body after it was validated, so that fields
    this version does not know yet can be sent; refused for other bodies."""


def checked_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    """`timeout` as httpx's, each phase a number of seconds > 0 or None (no limit).

    An infinite phase is no limit too: the socket layer has no infinite wait (it
    raises OverflowError). Zero, a negative or NaN raise `ValueError` and what is
    no number `TypeError`, before anything is sent: the socket layer would fail
    while connecting, zero as a connection error (it does not wait to connect).
    """
    given = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    phases = {
        "connect": given.connect,
        "read": given.read,
        "write": given.write,
        "pool": given.pool,
    }
    return httpx.Timeout(**{name: _seconds(name, value) for name, value in phases.items()})


def _seconds(phase: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"timeout ({phase}) must be a number of seconds or None, got {value!r}")
    if not value > 0:  # NaN too
        raise ValueError(f"timeout ({phase}) must be > 0 seconds (None for no limit), got {value}")
    return None if math.isinf(value) else float(value)


@dataclass(frozen=True, slots=True)
class Options:
    """Options taken off one call (or a client's defaults), checked."""

    headers: Mapping[str, str] | None = None
    query: Mapping[str, QueryValue] | None = None
    body: Mapping[str, Any] | None = None
    timeout: float | httpx.Timeout | None = None

    def __post_init__(self) -> None:
        if self.timeout is not None:
            object.__setattr__(self, "timeout", checked_timeout(self.timeout))
        for name, value in (self.headers or {}).items():
            check_header(name, value)
            if name.lower() in _REFUSED_HEADERS:
                raise ValueError(
                    f"extra_headers must not set {name!r}: it is the client's own "
                    "(use a client with another token, or request_raw for another body)"
                )

    @classmethod
    def take(cls, kwargs: dict[str, Any], names: frozenset[str]) -> Options | None:
        """Remove the option keywords in `names` from `kwargs`; None when there were none."""
        if kwargs.keys().isdisjoint(names):
            return None
        taken = {name: kwargs.pop(name) for name in names & kwargs.keys()}
        return cls(
            taken.get("extra_headers"),
            taken.get("extra_query"),
            taken.get("extra_body"),
            taken.get("timeout"),
        )

    def over(self, defaults: Options | None) -> Options:
        """These options laid over `defaults`: headers and query merged, the rest replaced."""
        if defaults is None:
            return self
        return Options(
            _merged_headers(defaults.headers, self.headers),
            _merged(defaults.query, self.query),
            self.body if self.body is not None else defaults.body,
            self.timeout if self.timeout is not None else defaults.timeout,
        )

    def apply(self, request: Request) -> Request:
        """`request` with these options; `extra_body` without a JSON object body raises."""
        changes: dict[str, Any] = {}
        if self.headers:
            changes["headers"] = _merged_headers(request.headers, self.headers)
        if self.query:
            params = _merged(request.params, self.query)
            changes["params"] = {k: v for k, v in params.items() if v is not None}
        if self.body is not None:
            changes["json"] = _merged_body(request, self.body)
        if self.timeout is not None:
            changes["call_timeout"] = self.timeout
        return replace(request, **changes) if changes else request


def _merged(base: Mapping[str, Any] | None, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**(base or {}), **(extra or {})}


def _merged_headers(
    base: Mapping[str, str] | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    """`extra` over `base`, header names compared without case (one line per name)."""
    replaced = {name.lower() for name in extra or {}}
    kept = {k: v for k, v in (base or {}).items() if k.lower() not in replaced}
    return {**kept, **(extra or {})}


def _merged_body(request: Request, extra: Mapping[str, Any]) -> bytes:
    # Imported here: the serialization layer is loaded by the first operation anyway.
    from ._wire import json_bytes

    body = None if request.json is None else json.loads(request.json)
    if not isinstance(body, dict):
        raise ValueError(
            f"extra_body needs a JSON object body; {request.method} {request.path} "
            "sends none (use extra_query or request_raw)"
        )
    # After validation, by design: the point is sending fields the models do not know.
    return json_bytes({**body, **extra})
