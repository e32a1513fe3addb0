"""How long an answer asks the client to wait before trying again, in every form.

In order of precedence:

* `retry-after-ms`: milliseconds, fractions allowed (what API gateways send for
  waits shorter than a second);
* `retry_after` in the API's error envelope: whole seconds
  (crates/hot_api/src/models.rs `ApiError.retry_after`, set with the 429 of
  crates/hot_api/src/rate_limit.rs and the 503 of handlers/builds.rs);
* `Retry-After`: delay-seconds (RFC 9110 10.2.3; a decimal is accepted too), or
  an HTTP date, counted from now (from the answer's `Date` when it has one, so
  that a skewed local clock does not matter).

Anything negative, not finite or unreadable is ignored: no wait is better than
a wrong one.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from typing import Any

import httpx

__all__ = ["retry_after_seconds"]


def _seconds(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text.strip()) * scale
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _date(text: str, headers: httpx.Headers) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    now = time.time()
    sent = headers.get("date")
    if sent is not None:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            now = email.utils.parsedate_to_datetime(sent).timestamp()
    return max(0.0, when.timestamp() - now)


def retry_after_seconds(body_value: Any, headers: httpx.Headers) -> float | None:
    """Seconds to wait, from the headers and the envelope's `retry_after` (`body_value`),
    or None when the answer says nothing usable."""
    millis = headers.get("retry-after-ms")
    if millis is not None and (found := _seconds(millis, 0.001)) is not None:
        return found
    if (
        isinstance(body_value, int | float)
        and not isinstance(body_value, bool)
        and math.isfinite(body_value)
        and body_value >= 0
    ):
        return float(body_value)
    header = headers.get("retry-after")
    if header is None:
        return None
    found = _seconds(header)
    return found if found is not None else _date(header, headers)
