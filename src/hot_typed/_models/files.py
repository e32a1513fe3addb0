"""Stored files and multipart uploads."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, TypeAdapter, field_validator
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from ._base import I64_MAX, RequestModel, StoredText, WireModel
from ._common import Id

__all__ = [
    "MAX_UPLOAD_PARTS",
    "File",
    "InitiateUpload",
    "UploadCreate",
    "UploadCreateParams",
    "UploadPart",
]

# crates/hot/src/file_storage.rs MAX_UPLOAD_PARTS, checked by validate_part_number.
#: The highest part number of a multipart upload.
MAX_UPLOAD_PARTS = 10_000


# crates/hot_api/src/handlers/files.rs (upload_part_handler, complete_upload,
# abort_upload): an upload no longer pending is refused with 409 and this code,
# the message naming its status; crates/hot/src/db/file_upload.rs sets it to
# `completed` only once `complete` has stored the file, `aborted` once discarded.
#: The error code of a part, `complete` or abort sent to an upload no longer pending.
UPLOAD_NOT_PENDING = "upload_not_pending"
UPLOAD_PENDING = "pending"
UPLOAD_COMPLETED = "completed"
UPLOAD_ABORTED = "aborted"
_NOT_PENDING = re.compile(r"Upload is in '([a-z_]+)' status, not 'pending'")


def upload_not_pending(status: str) -> str:
    """The server's message refusing a request to an upload in `status`."""
    return f"Upload is in '{status}' status, not 'pending'"


def upload_status(message: str) -> str | None:
    """The status an `upload_not_pending` refusal names; None for another message."""
    match = _NOT_PENDING.fullmatch(message)
    return None if match is None else match.group(1)


def normalize_file_path(path: str) -> str:
    """The path the server stores a file sent as `path` under, or `ValueError`
    with the server's reason when it refuses it.

    crates/hot/src/file_storage.rs: normalize_path drops a `hot://` scheme,
    leading slashes, empty and `.` segments and resolves `..` (an escape above
    the root, or nothing left, is refused); validate_path_security then refuses
    any `..` left in the result and NUL bytes.
    """
    remainder = path.removeprefix("hot://").lstrip("/")
    segments: list[str] = []
    for segment in remainder.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                raise ValueError("Path escapes storage root")
            segments.pop()
        else:
            segments.append(segment)
    if not segments:
        raise ValueError("Empty path after normalization")
    normalized = "/".join(segments)
    if ".." in normalized:
        raise ValueError("Path contains '..' which is not allowed")
    if "\0" in normalized:
        raise ValueError("Path contains null bytes")
    return normalized


def _stored_as_sent(path: str) -> str:
    try:
        normalized = normalize_file_path(path)
    except ValueError as refused:
        raise PydanticCustomError(
            "file_path", "the server refuses this path: {reason}", {"reason": str(refused)}
        ) from None
    if normalized != path:
        # The server would store the file elsewhere than the path sent (and
        # answer with that path): the call would not mean what it says.
        raise PydanticCustomError(
            "file_path_canonical",
            "the server stores this path as '{normalized}': send that",
            {"normalized": normalized},
        )
    return path


# Segments that are neither empty nor `.`, no `..` anywhere, no scheme.
_SEGMENT = r"(?!\.(?:/|$))[^/\x00]+"
_PATH_PATTERN = rf"^(?!hot://)(?!.*\.\.){_SEGMENT}(?:/{_SEGMENT})*$"

#: A file path as the server stores it: slash-separated segments, none empty,
#: `.` or containing `..`, no leading slash, no NUL (crates/hot/src/file_storage.rs).
FilePath = Annotated[
    str,
    AfterValidator(_stored_as_sent),
    Field(json_schema_extra={"pattern": _PATH_PATTERN}),
]
FILE_PATH: TypeAdapter[str] = TypeAdapter(FilePath)


def _part_in_range(number: int) -> int:
    # crates/hot/src/file_storage.rs validate_part_number (400 from handlers/files.rs).
    if not 1 <= number <= MAX_UPLOAD_PARTS:
        raise PydanticCustomError(
            "part_number",
            "Part number must be between 1 and {most}, got {number}",
            {"most": MAX_UPLOAD_PARTS, "number": number},
        )
    return number


#: A multipart upload's part number: 1 to `MAX_UPLOAD_PARTS`.
PartNumber = Annotated[
    int,
    AfterValidator(_part_in_range),
    Field(json_schema_extra={"minimum": 1, "maximum": MAX_UPLOAD_PARTS}),
]
PART_NUMBER: TypeAdapter[int] = TypeAdapter(PartNumber)


class File(WireModel):
    """A stored file's record: its path, size and type, and the runs that created
    and last updated it (None when not written by a run).
    """

    file_id: Id
    path: str
    size: int
    etag: str | None
    content_type: str | None
    storage_backend: str
    created_by_run_id: Id | None
    updated_by_run_id: Id | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class InitiateUpload(WireModel):
    """A multipart upload in progress; send parts of `part_size` bytes."""

    upload_id: Id
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
    """Body of `POST /v1/files/uploads`: `path` as the server stores it (see
    `FilePath`), `expected_size` in bytes and positive when given."""

    path: FilePath
    expected_size: int | None = Field(default=None, le=I64_MAX, json_schema_extra={"minimum": 1})
    content_type: StoredText | None = None

    @field_validator("expected_size")
    @classmethod
    def _positive(cls, size: int | None) -> int | None:
        # crates/hot_api/src/handlers/files.rs, initiate_upload (400).
        if size is not None and size <= 0:
            raise PydanticCustomError("expected_size", "expected_size must be greater than zero")
        return size


class _UploadCreateRequired(TypedDict):
    path: str


class UploadCreateParams(_UploadCreateRequired, total=False):
    """`UploadCreate` as a dict."""

    expected_size: int | None
    content_type: str | None
