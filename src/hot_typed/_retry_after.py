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

Anything negative, not finite (a number past a float's range included) or
unreadable is ignored: no wait is better than a wrong one. A wait longer than
`MAX_WAIT` (a day) is taken as a day: a follow waits a server's wait in full,
bounded only by its caller's timeout, which may be none; no server asks for
more, and a longer one (a date centuries away) would overflow `time.sleep`.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from typing import Any

import httpx

__all__ = ["MAX_WAIT", "retry_after_seconds"]

#: The longest wait an answer is taken to ask for, in seconds: a day.
MAX_WAIT = 86_400.0


def _wait(value: float) -> float | None:
    """`value` as a wait: None when negative or not finite, else at most `MAX_WAIT`."""
    return min(value, MAX_WAIT) if math.isfinite(value) and value >= 0 else None


def _seconds(text: str, scale: float = 1.0) -> float | None:
    try:
        value = float(text.strip()) * scale
    except ValueError:
        return None
    return _wait(value)


def _number(value: Any) -> float | None:
    """The envelope's `retry_after` as a wait: a JSON number, never a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return _wait(float(value))
    except OverflowError:  # an integer past a float's range: not finite
        return None


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
    return _wait(max(0.0, when.timestamp() - now))


def retry_after_seconds(body_value: Any, headers: httpx.Headers) -> float | None:
    """Seconds to wait, from the headers and the envelope's `retry_after` (`body_value`),
    or None when the answer says nothing usable."""
    millis = headers.get("retry-after-ms")
    if millis is not None and (found := _seconds(millis, 0.001)) is not None:
        return found
    if (found := _number(body_value)) is not None:
        return found
    header = headers.get("retry-after")
    if header is None:
        return None
    found = _seconds(header)
    return found if found is not None else _date(header, headers)
