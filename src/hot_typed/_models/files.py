"""Stored files and multipart uploads."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from ._base import RequestModel, WireModel

__all__ = ["File", "InitiateUpload", "UploadCreate", "UploadCreateParams", "UploadPart"]


class File(WireModel):
    """A stored file's record: its path, size and type, and the runs that created
    and last updated it (None when not written by a run).
    """

    file_id: UUID
    path: str
    size: int
    etag: str | None
    content_type: str | None
    storage_backend: str
    created_by_run_id: UUID | None
    updated_by_run_id: UUID | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class InitiateUpload(WireModel):
    """A multipart upload in progress; send parts of `part_size` bytes."""

    upload_id: UUID
    path: str
    part_size: int
    parts_expected: int | None = None
    expires_at: AwareDatetime


class UploadPart(WireModel):
    """A part of a multipart upload, as stored."""

    part_number: int
    size: int
    etag: str


class UploadCreate(RequestModel):
    """Body of `POST /v1/files/uploads`."""

    path: str = Field(min_length=1)
    expected_size: int | None = Field(default=None, ge=0)
    content_type: str | None = None


class _UploadCreateRequired(TypedDict):
    path: str


class UploadCreateParams(_UploadCreateRequired, total=False):
    """`UploadCreate` as a dict."""

    expected_size: int | None
    content_type: str | None
