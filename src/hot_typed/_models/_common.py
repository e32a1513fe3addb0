"""Envelope pieces shared by every response."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from ._base import WireModel

__all__ = ["Meta", "Pagination"]


class Meta(WireModel):
    """The `meta` object of every envelope."""

    request_id: UUID
    timestamp: AwareDatetime


class Pagination(WireModel):
    """The `pagination` object of a list envelope; `has_more = offset + limit < total`."""

    total: int
    limit: int
    offset: int
    has_more: bool
