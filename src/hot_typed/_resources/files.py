"""`files`: stored files, simple and multipart uploads, downloads."""

from __future__ import annotations

import os
from functools import partial
from typing import Any, cast
from uuid import UUID

import httpx
from typing_extensions import Unpack

from .._downloads import DownloadTo
from .._models.files import (
    FILE_PATH,
    PART_NUMBER,
    File,
    InitiateUpload,
    UploadCreate,
    UploadCreateParams,
    UploadPart,
)
from .._options import CallOptions, StreamOptions
from .._request import Call, ListCall, Request, path, path_segments
from .._resource import ModeT, Resource, endpoint, job_endpoint, list_endpoint
from .._sources import UploadSource
from .._uploads import UploadCalls, UploadFile
from .._wire import item_parser, list_parser, no_content, query, raw_response, request_body
from ..progress import ProgressCallback
from ._params import MAX_LIST_LIMIT, FileListQuery

__all__ = ["Files"]

_OCTET_STREAM = "application/octet-stream"


def _require_bytes(content: Any) -> bytes:
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"content must be bytes, got {type(content).__name__}")
    return bytes(cast("bytes | bytearray | memoryview", content))


def _content_bytes(content: Any) -> bytes:
    """`content` as sent: bytes as they are, a `str` as its UTF-8 encoding."""
    return content.encode() if isinstance(content, str) else _require_bytes(content)


# Request builders shared by the single-request endpoints and `upload_file`,
# which sends its bodies as chunk streams rather than bytes.


def _simple_upload(file_path: str, content_type: str | None, content: Any) -> Call[File]:
    request = Request(
        "PUT",
        "/files/upload/" + path_segments(FILE_PATH.validate_python(file_path)),
        content=content,
        content_type=content_type or _OCTET_STREAM,
    )
    return Call(request, item_parser(File))


def _initiate(body: UploadCreate | UploadCreateParams) -> Call[InitiateUpload]:
    content = request_body(UploadCreate, body)
    request = Request("POST", "/files/uploads", json=content, retryable=False)
    return Call(request, item_parser(InitiateUpload))


def _upload_part(upload_id: str | UUID, part_number: int, content: Any) -> Call[UploadPart]:
    request = Request(
        "PUT",
        path(
            "/files/uploads/{upload_id}/{part_number}",
            upload_id,
            PART_NUMBER.validate_python(part_number),
        ),
        content=content,
        content_type=_OCTET_STREAM,
    )
    return Call(request, item_parser(UploadPart))


def _complete(upload_id: str | UUID) -> Call[File]:
    request = Request("POST", path("/files/uploads/{upload_id}/complete", upload_id))
    return Call(request, item_parser(File))


def _abort(upload_id: str | UUID) -> Call[None]:
    return Call(Request("DELETE", path("/files/uploads/{upload_id}", upload_id)), no_content)


def _list(
    prefix: str | None, limit: int | None = None, offset: int | None = None
) -> ListCall[File]:
    params = query(FileListQuery, prefix=prefix, limit=limit, offset=offset)
    return ListCall(Request("GET", "/files", params=params), list_parser(File))


def _download(file_id: str | UUID) -> Request:
    return Request("GET", path("/files/{file_id}/download", file_id), accept="*/*")


class Files(Resource[ModeT]):
    @list_endpoint
    def list(
        self,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[File]:
        """Files, most recently updated first. Despite its name, the server reads
        `prefix` as a search (crates/hot/src/db/file.rs): a path containing it,
        case-insensitively, with `%` and `_` as wildcards; a run id lists the
        files that run created or updated. All files when None."""
        return _list(prefix, limit, offset)

    @endpoint
    def get(self, file_id: str | UUID, **options: Unpack[CallOptions]) -> Call[File]:
        """A stored file's record (its content: `download`); `NotFoundError` when there is none."""
        return Call(Request("GET", path("/files/{file_id}", file_id)), item_parser(File))

    @endpoint
    def delete(self, file_id: str | UUID, **options: Unpack[CallOptions]) -> Call[None]:
        """Delete a stored file; returns None. `NotFoundError` when there is none
        (but a retry's 404, after an attempt that may have deleted it, returns None)."""
        return Call(Request("DELETE", path("/files/{file_id}", file_id)), no_content)

    @endpoint
    def download(self, file_id: str | UUID, **options: Unpack[CallOptions]) -> Call[httpx.Response]:
        """The file's content as the response; `.content` is the bytes, untouched.

        The whole file is held in memory: for large files use `download_to`."""
        return Call(_download(file_id), raw_response)

    @job_endpoint
    def download_to(
        self,
        file_id: str | UUID,
        destination: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[StreamOptions],
    ) -> DownloadTo:
        """Stream the file's content into the file `destination`; returns its `Path`.

        The body is written in chunks to a temporary file in the destination's
        directory and renamed onto `destination` once complete: on any failure
        (a cut connection, an error status, an interrupt) no partial file is
        left and an existing `destination` is untouched.
        """
        return DownloadTo(_download(file_id), destination, on_progress)

    @endpoint
    def upload(
        self,
        path: str,
        content: bytes | str,
        *,
        content_type: str | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[File]:
        """Store `content` (bytes, or a `str` sent as UTF-8) at the slash-separated
        `path`, replacing any file there.

        The server types the file by `path`'s extension and ignores the request's
        type, so `content_type` changes nothing it stores; it is accepted for
        parity with the official SDK (crates/hot_api/src/handlers/files.rs: the
        single-request upload calls `detect_content_type(path)`).
        """
        return _simple_upload(path, content_type, _content_bytes(content))

    @job_endpoint
    def upload_file(
        self,
        path: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        part_size: int | None = None,
        concurrency: int = 4,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[StreamOptions],
    ) -> UploadFile:
        """Store `source` (a path, a binary file object or bytes) at `path`, at any size.

        A source of at most one part goes in one request; a larger one as a
        multipart upload, `concurrency` parts at a time, in parts of the size
        the server answers (or `part_size`, which must not exceed it, nor be
        under 5 MiB when the source takes more than one part: object storage
        assembles no smaller part but the last, so a smaller one raises
        `ValueError` before anything is sent). At most
        `concurrency` parts are in memory at once, whatever the file's size. A
        file object is read from its current position and must be seekable.

        A part that fails on a 5xx, a 429, a timeout or a cut connection is
        sent again (a few times, with backoff). If the upload cannot finish it
        is aborted on the server and `HotUploadError` is raised, naming the
        part that failed, with the failure as its `__cause__`. If the answer to
        completing it is lost but the server stored the file (it then refuses
        the abort), the file's record is returned, found by its path.

        `content_type` is stored with a multipart upload (its initiation carries
        it); a single-request upload is typed by the server from `path`'s
        extension, as with `upload`.
        """
        calls = UploadCalls(
            simple=partial(_simple_upload, path, content_type),
            initiate=lambda size: _initiate(
                UploadCreate(path=path, expected_size=size, content_type=content_type)
            ),
            part=_upload_part,
            complete=_complete,
            abort=_abort,
            search=lambda term: _list(term, MAX_LIST_LIMIT),
        )
        FILE_PATH.validate_python(path)  # an invalid path fails here, before any byte is read
        return UploadFile(calls, path, source, part_size, concurrency, on_progress)

    @endpoint
    def initiate_upload(
        self, body: UploadCreate | UploadCreateParams, **options: Unpack[CallOptions]
    ) -> Call[InitiateUpload]:
        """Start a multipart upload; send parts of the answer's `part_size` bytes."""
        return _initiate(body)

    @endpoint
    def upload_part(
        self,
        upload_id: str | UUID,
        part_number: int,
        content: bytes,
        **options: Unpack[CallOptions],
    ) -> Call[UploadPart]:
        """Send part `part_number` (from 1) of a multipart upload."""
        return _upload_part(upload_id, part_number, _require_bytes(content))

    @endpoint
    def complete_upload(self, upload_id: str | UUID, **options: Unpack[CallOptions]) -> Call[File]:
        """Finish a multipart upload once all its parts are sent; returns the stored `File`.

        Raises `NotFoundError` for an unknown upload, and `ConflictError` when it
        is no longer pending or parts or bytes are missing.
        """
        return _complete(upload_id)

    @endpoint
    def abort_upload(self, upload_id: str | UUID, **options: Unpack[CallOptions]) -> Call[None]:
        """Cancel a multipart upload; the parts sent so far are discarded."""
        return _abort(upload_id)
