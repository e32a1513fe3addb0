"""The server's own health answer, outside the API's envelopes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from ._base import WireModel

__all__ = ["ServerStatus"]


class ServerStatus(WireModel):
    """`GET /status` (crates/hot_api/src/handlers/health.rs): public, no token needed.

    `git_sha` is the build's short commit; `start_time` is when the server
    started, `"unknown"` when the server could not tell.
    """

    status: str
    service: str
    version: str
    git_sha: str
    start_time: AwareDatetime | Literal["unknown"]
