"""Passing an upstream SSE answer on, frame by frame, as it arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from .._errors import HotConnectionError, HotTimeoutError

__all__ = ["Frame", "frames"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One whole SSE frame: the bytes to forward, and its data (None when the
    frame carries none, as a keep-alive comment does)."""

    wire: bytes
    data: str | None


async def frames(response: httpx.Response) -> AsyncIterator[Frame]:
    """The frames of an open SSE response, each as soon as its blank line arrives.

    A frame is forwarded whole and as received, line ends normalized to LF:
    comments (the server's keep-alives, crates/hot_api/src/handlers/streams.rs:
    `KeepAlive`) included. Transport failures raise `HotConnectionError` or
    `HotTimeoutError`.
    """
    lines: list[str] = []
    try:
        async for line in response.aiter_lines():
            if line:
                lines.append(line)
            elif lines:
                yield Frame(("\n".join(lines) + "\n\n").encode(), _data(lines))
                lines = []
    except httpx.TimeoutException as error:
        raise HotTimeoutError("the upstream event stream timed out while reading") from error
    except httpx.HTTPError as error:
        raise HotConnectionError(f"the upstream event stream was cut: {error}") from error


def _data(lines: list[str]) -> str | None:
    """The frame's `data` field: its `data:` lines joined by LF (html.spec.whatwg.org,
    server-sent events: one leading space of a value is dropped)."""
    values: list[str] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if name == "data":
            values.append(value[1:] if colon and value.startswith(" ") else value)
    return "\n".join(values) if values else None
