"""Configuration shared by both clients: where to send, how to authenticate, when to retry.

Nothing here sends or reads: the transports (`_transport.py`) use it to build
and send requests.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import os
import warnings
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ._errors import HotError
from ._frames import DEFAULT_MAX_FRAME_BYTES
from ._options import checked_timeout
from ._request import check_header_value
from ._retry import RetryPolicy
from ._user_agent import user_agent

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "USER_AGENT", "Settings"]

DEFAULT_BASE_URL = "https://api.hot.dev"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
USER_AGENT = user_agent()


def _check_token(token: str) -> str:
    # A token is a header value: anything but visible ASCII would either split
    # the header block or fail later, deep inside the HTTP library.
    check_header_value("token", token)
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("token must be visible ASCII characters without spaces")
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_base(base_url: str) -> str:
    check_header_value("base_url", base_url)
    base = base_url.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        warnings.warn(
            f"base_url {base!r} uses plain http to a non-loopback host: "
            "the API token would travel in clear text",
            stacklevel=4,
        )
    return base + "/v1"


def _shown(url: str) -> str:
    """`url` fit to show: credentials it embeds (`https://user:pass@host`) masked."""
    parts = urlsplit(url)
    _, at, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc="***@" + host)) if at else url


class Settings:
    """What both transports share: where to send, how to authenticate, when to retry.

    `shown_base` is `api_base` fit for reprs and messages (credentials masked);
    the token is never shown."""

    __slots__ = (
        "_authorization",
        "api_base",
        "max_sse_frame_bytes",
        "policy",
        "shown_base",
        "timeout",
    )

    def __init__(
        self,
        token: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        *,
        retry_non_idempotent: bool = False,
        max_sse_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        token = token if token is not None else os.environ.get("HOT_API_KEY")
        if not token:
            raise HotError(
                "no API token: pass token=... or set the HOT_API_KEY environment variable"
            )
        if max_sse_frame_bytes < 1:
            raise ValueError("max_sse_frame_bytes must be >= 1")
        self._authorization = f"Bearer {_check_token(token)}"
        base_url = base_url or os.environ.get("HOT_BASE_URL") or DEFAULT_BASE_URL
        self.api_base: str = _api_base(base_url)
        self.shown_base: str = _shown(self.api_base)
        self.timeout: httpx.Timeout = (
            DEFAULT_TIMEOUT if timeout is None else checked_timeout(timeout)
        )
        self.policy: RetryPolicy = RetryPolicy(
            max_retries=max_retries, retry_non_idempotent=retry_non_idempotent
        )
        self.max_sse_frame_bytes: int = max_sse_frame_bytes

    def __repr__(self) -> str:
        return f"Settings(api_base={self.shown_base!r})"

    @property
    def token(self) -> str:
        """The API token (in no repr, no log)."""
        return self._authorization[len("Bearer ") :]

    def configured(
        self,
        *,
        max_retries: int | None = None,
        retry_non_idempotent: bool | None = None,
        max_sse_frame_bytes: int | None = None,
    ) -> Settings:
        """A copy with the given settings changed (None keeps one as it is)."""
        clone = copy.copy(self)
        policy: dict[str, Any] = {}
        if max_retries is not None:
            policy["max_retries"] = max_retries
        if retry_non_idempotent is not None:
            policy["retry_non_idempotent"] = retry_non_idempotent
        clone.policy = dataclasses.replace(self.policy, **policy)
        if max_sse_frame_bytes is not None:
            if max_sse_frame_bytes < 1:
                raise ValueError("max_sse_frame_bytes must be >= 1")
            clone.max_sse_frame_bytes = max_sse_frame_bytes
        return clone

    def redact(self, text: str) -> str:
        """`text` with this client's token masked, for words that leave the process."""
        return text.replace(self._authorization[len("Bearer ") :], "[redacted]")

    def client_headers(self) -> dict[str, str]:
        """The headers every request carries, as defaults of a client created here."""
        return {
            "Authorization": self._authorization,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
