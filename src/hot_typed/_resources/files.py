"""`files`: stored files, simple and multipart uploads, downloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import httpx

from .._models.files import File, InitiateUpload, UploadCreate, UploadPart
from .._request import Call, ListCall, Request, path, path_segments
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._wire import item_parser, list_parser, no_content, query, raw_response, request_body
from ._params import FileListQuery

__all__ = ["Files"]

_OCTET_STREAM = "application/octet-stream"


class Files(Resource[ModeT]):
    @list_endpoint
    def list(
        self,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> ListCall[File]:
        """Files whose path starts with `prefix` (all files when None)."""
        params = query(FileListQuery, prefix=prefix, limit=limit, offset=offset)
        return ListCall(Request("GET", "/files", params=params), list_parser(File))

    @endpoint
    def get(self, file_id: str | UUID) -> Call[File]:
        return Call(Request("GET", path("/files/{}", file_id)), item_parser(File))

    @endpoint
    def delete(self, file_id: str | UUID) -> Call[None]:
        return Call(Request("DELETE", path("/files/{}", file_id)), no_content)

    @endpoint
    def download(self, file_id: str | UUID) -> Call[httpx.Response]:
        """The file's content as the response; `.content` is the bytes, untouched."""
        request = Request("GET", path("/files/{}/download", file_id), accept="*/*")
        return Call(request, raw_response)

    @endpoint
    def upload(
        self, path: str, content: bytes, *, content_type: str | None = None
    ) -> Call[File]:
        """Store `content` at the slash-separated `path`, replacing any file there."""
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError(f"content must be bytes, got {type(content).__name__}")
        request = Request(
            "PUT",
            "/files/upload/" + path_segments(path),
            content=bytes(content),
            content_type=content_type or _OCTET_STREAM,
        )
        return Call(request, item_parser(File))

    @endpoint
    def initiate_upload(self, body: UploadCreate | Mapping[str, Any]) -> Call[InitiateUpload]:
        """Start a multipart upload; send parts of the answer's `part_size` bytes."""
        content = request_body(UploadCreate, body)
        request = Request("POST", "/files/uploads", json=content, retryable=False)
        return Call(request, item_parser(InitiateUpload))

    @endpoint
    def upload_part(
        self, upload_id: str | UUID, part_number: int, content: bytes
    ) -> Call[UploadPart]:
        """Send part `part_number` (from 1) of a multipart upload."""
        if part_number < 1:
            raise ValueError(f"part_number starts at 1, got {part_number}")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError(f"content must be bytes, got {type(content).__name__}")
        request = Request(
            "PUT",
            path("/files/uploads/{}/{}", upload_id, part_number),
            content=bytes(content),
            content_type=_OCTET_STREAM,
        )
        return Call(request, item_parser(UploadPart))

    @endpoint
    def complete_upload(self, upload_id: str | UUID) -> Call[File]:
        request = Request("POST", path("/files/uploads/{}/complete", upload_id))
        return Call(request, item_parser(File))

    @endpoint
    def abort_upload(self, upload_id: str | UUID) -> Call[None]:
        """Cancel a multipart upload; the parts sent so far are discarded."""
        return Call(Request("DELETE", path("/files/uploads/{}", upload_id)), no_content)
