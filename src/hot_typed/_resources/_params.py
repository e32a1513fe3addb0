"""Query parameter models: list filters are validated before anything is sent."""

from __future__ import annotations

from pydantic import Field

from .._models._base import RequestModel
from .._models.runs import RunStatus, RunType

__all__ = ["FileListQuery", "ListQuery", "RunListQuery"]

# An ISO 8601 duration such as P7D or PT12H: at least one component.
_ISO_DURATION = r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$"


class ListQuery(RequestModel):
    """`limit` (1 to 500; the server's default is 20) and `offset`, taken by every list."""

    limit: int | None = Field(default=None, ge=1, le=500)
    offset: int | None = Field(default=None, ge=0)


class FileListQuery(ListQuery):
    prefix: str | None = None


class RunListQuery(ListQuery):
    status: RunStatus | None = None
    type: RunType | None = None
    time_range: str | None = Field(default=None, pattern=_ISO_DURATION, min_length=3)
