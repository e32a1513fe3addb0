"""Endpoints of files: simple and multipart uploads, listing, download."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

from pydantic import ValidationError

from .._models.files import (
    MAX_UPLOAD_PARTS,
    PART_NUMBER,
    UPLOAD_ABORTED,
    UPLOAD_COMPLETED,
    UPLOAD_NOT_PENDING,
    UPLOAD_PENDING,
    UploadCreate,
    normalize_file_path,
    upload_not_pending,
)
from .._path_ids import canonical_id
from ._context import ServerContext
from ._http import HttpResponse
from ._routing import Routed, Router
from ._store import Upload
from ._values import (
    JSON,
    ROW_NOT_FOUND,
    ApiError,
    check_storable,
    created,
    found,
    item,
    new_id,
    no_content,
    page,
    rust_int,
    timestamp,
)

__all__ = ["add_file_routes"]

# crates/hot/src/file_storage.rs `detect_content_type`: by the extension alone,
# lowercased; one not listed is octet-stream.
_CONTENT_TYPES = {
    "txt": "text/plain",
    "html": "text/html",
    "htm": "text/html",
    "css": "text/css",
    "js": "application/javascript",
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "tar": "application/x-tar",
    "gz": "application/gzip",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "csv": "text/csv",
    "md": "text/markdown",
    "hot": "text/x-hot",
}


def detected_content_type(path: str) -> str | None:
    """The content type the server gives a file stored at `path` without one:
    by its extension as Rust's `Path::extension` reads it (after the file
    name's last dot; none when the name has no dot, or only the one it starts
    with), None without an extension."""
    name = path.rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return None
    return _CONTENT_TYPES.get(extension.lower(), "application/octet-stream")

UPLOAD_LIFETIME_NS = 24 * 3600 * 1_000_000_000
# crates/hot_api/src/handlers/files.rs initiate_upload: the configured
# `file.multipart.max-pending-uploads` (16 by default), and what an upload
# announced without `expected_size` reserves (at most 256 MiB).
MAX_PENDING_UPLOADS = 16
UNANNOUNCED_RESERVATION = 256 * 1024 * 1024
# crates/hot_api/src/handlers/files.rs, upload_part_handler: MAX_PART_SIZE.
MAX_PART_BYTES = 256 * 1024 * 1024


def _like(term: str) -> str:
    """A regular expression for LIKE's pattern `term`: `%` any run, `_` any one
    character, a backslash making the next character literal."""
    parts: list[str] = []
    chars = iter(term)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        else:
            parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return "".join(parts)


def _search(term: str | None) -> Callable[[JSON], bool]:
    """Which files the `prefix` query selects, as crates/hot/src/db/file.rs
    (list_files_by_env) does: a UUID selects the files a run created or
    updated; other text is a case-insensitive LIKE '%text%' on the path (so it
    matches anywhere, `%` and `_` being wildcards)."""
    if term is None:
        return lambda record: True
    try:
        run_id = canonical_id(term)
    except ValueError:
        pattern = re.compile(_like(term), re.IGNORECASE | re.DOTALL)
        return lambda record: pattern.search(record["path"]) is not None
    return lambda record: run_id in (record["created_by_run_id"], record["updated_by_run_id"])


def add_file_routes(router: Router, ctx: ServerContext) -> None:
    store = ctx.store

    def write(path: str, content: bytes, content_type: str | None) -> JSON:
        """Store `content` at `path`, replacing the file there (same id)."""
        with store.lock:
            now = timestamp()
            old = next((f for f in store.files.values() if f["path"] == path), None)
            record: JSON = {
                "file_id": new_id() if old is None else old["file_id"],
                "path": path,
                "size": len(content),
                "etag": hashlib.md5(content).hexdigest(),
                "content_type": content_type or detected_content_type(path),
                "storage_backend": "memory",
                "created_by_run_id": None,
                "updated_by_run_id": None,
                "created_at": now if old is None else old["created_at"],
                "updated_at": now,
            }
            store.files[record["file_id"]] = record
            store.file_content[record["file_id"]] = content
            return dict(record)

    def storage_used() -> int:
        with store.lock:
            return sum(f["size"] for f in store.files.values())

    def check_storage(size: int, message: str) -> None:
        """crates/hot_api/src/handlers/files.rs: 413 `storage_quota_exceeded`
        when the plan's storage would not hold `size` more bytes."""
        limit = ctx.config.storage_limit
        used = storage_used()
        if limit >= 0 and used + size > limit:
            raise ApiError(
                413,
                "storage_quota_exceeded",
                f"{message}: current usage {used} + file {size} > limit {limit}",
            )

    def reserve(size: int) -> None:
        """crates/hot/src/db/file_upload.rs insert_upload: an upload is recorded
        only while the environment has fewer than `MAX_PENDING_UPLOADS` pending,
        and the sizes they reserve, with `size`, fit the plan's storage left (or
        `MAX_PENDING_UPLOADS` files of the largest size, without a storage
        limit). Otherwise the insert returns no row, which the handler answers 500."""
        pending = [u for u in store.uploads.values() if u.status == UPLOAD_PENDING]
        storage = ctx.config.storage_limit
        if storage >= 0:
            room = storage - storage_used()
        else:
            room = ctx.config.file_size_limit * MAX_PENDING_UPLOADS
        if len(pending) >= MAX_PENDING_UPLOADS or sum(u.reserved for u in pending) + size > room:
            raise ApiError.internal("Pending upload count or byte reservation limit exceeded")

    def check_file_size(size: int, what: str) -> None:
        """crates/hot_api/src/handlers/files.rs: 413 `payload_too_large` for a
        file larger than the plan allows."""
        limit = ctx.config.file_size_limit
        if size > limit:
            raise ApiError(
                413,
                "payload_too_large",
                f"{what} {size} bytes exceeds maximum allowed {limit} bytes",
            )

    def file_of(routed: Routed) -> JSON:
        # crates/hot_api/src/handlers/files.rs: `not_found(&format!("File: {}",
        # e))` around crates/hot/src/db/file.rs's "File not found: <sqlx error>".
        resource = f"File: File not found: {ROW_NOT_FOUND}"
        return found(store.files, routed.params["file_id"], resource)

    @router.add("GET", "/files")
    def list_files(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list files.")
        check_storable(routed.query.get("prefix"))
        matches = _search(routed.query.get("prefix"))
        with store.lock:
            found = [dict(f) for f in store.files.values() if matches(f)]
        # Newest first, as the server orders them (updated_at DESC).
        return page(sorted(found, key=lambda f: f["updated_at"], reverse=True), routed.query)

    @router.add("POST", "/files/uploads")
    def initiate(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/files.rs, initiate_upload: the path is
        # normalized (crates/hot/src/file_storage.rs) or refused, then the size.
        body = routed.body(UploadCreate)
        ctx.require_api_key(routed, "Only API keys can initiate file uploads.")
        try:
            path = normalize_file_path(body["path"])
        except ValueError as refused:
            raise ApiError.bad_request(f"Invalid path: {refused}") from None
        expected = body.get("expected_size")
        if expected is not None and expected <= 0:
            raise ApiError.bad_request("expected_size must be greater than zero")
        if expected is not None:
            check_file_size(expected, "Expected file size")
            check_storage(expected, "Storage quota would be exceeded")
        part_size = max(ctx.config.part_size, -(-(expected or 0) // MAX_UPLOAD_PARTS))
        # crates/hot/src/db/file_upload.rs, insert_upload: content_type is text.
        check_storable(body.get("content_type"))
        reserved = expected or min(ctx.config.file_size_limit, UNANNOUNCED_RESERVATION)
        upload = Upload(
            upload_id=new_id(),
            path=path,
            part_size=part_size,
            parts_expected=None if expected is None else -(-expected // part_size),
            content_type=body.get("content_type"),
            expires_at=timestamp(time.time_ns() + UPLOAD_LIFETIME_NS),
            expected_size=expected,
            reserved=reserved,
        )
        with store.lock:
            reserve(reserved)
            store.uploads[upload.upload_id] = upload
        answer: JSON = {"upload_id": upload.upload_id, "path": upload.path, "part_size": part_size}
        if upload.parts_expected is not None:
            answer["parts_expected"] = upload.parts_expected
        answer["expires_at"] = upload.expires_at
        return created(answer)

    def upload_of(routed: Routed) -> Upload:
        # The same, around crates/hot/src/db/file_upload.rs `get_upload`.
        resource = f"Upload: Upload not found: {ROW_NOT_FOUND}"
        return found(store.uploads, routed.params["upload_id"], resource)

    def require_pending(upload: Upload) -> None:
        # crates/hot_api/src/handlers/files.rs: parts, `complete` and abort
        # refuse an upload that is no longer pending.
        if upload.status != UPLOAD_PENDING:
            raise ApiError(409, UPLOAD_NOT_PENDING, upload_not_pending(upload.status))

    @router.add("PUT", "/files/uploads/{upload_id}/{part_number}")
    def upload_part(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can upload file parts.")
        raw = routed.params["part_number"]
        number = rust_int(raw, 32)
        if isinstance(number, str):
            # axum's Path extractor: the segment is not an i32.
            raise ApiError.rejection(400, f"Invalid URL: Cannot parse `{raw}` to a `i32`")
        try:
            PART_NUMBER.validate_python(number)
        except ValidationError as refused:
            # crates/hot_api/src/handlers/files.rs: validate_part_number (400).
            raise ApiError.bad_request(refused.errors()[0]["msg"]) from None
        # crates/hot_api/src/handlers/files.rs, upload_part_handler, in its order.
        content = routed.request.body
        if len(content) > MAX_PART_BYTES:
            raise ApiError(
                413,
                "part_too_large",
                f"Part size {len(content)} exceeds maximum of {MAX_PART_BYTES} bytes",
            )
        with store.lock:
            upload = upload_of(routed)
            expected = upload.parts_expected
            final = expected is not None and number >= expected
            if len(content) < ctx.config.min_part_size and expected is not None and not final:
                raise ApiError(
                    400,
                    "part_too_small",
                    f"Non-final part size {len(content)} is below the minimum of "
                    f"{ctx.config.min_part_size} bytes",
                )
            require_pending(upload)
            if expected is not None and number > expected:
                raise ApiError.bad_request("part number exceeds the expected part count")
            if len(content) > upload.part_size and not final:
                raise ApiError(
                    413,
                    "part_too_large",
                    f"Part exceeds negotiated size of {upload.part_size} bytes",
                )
            upload.parts[number] = content
        etag = hashlib.md5(content).hexdigest()
        return item({"part_number": number, "size": len(content), "etag": etag})

    @router.add("POST", "/files/uploads/{upload_id}/complete")
    def complete(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can complete file uploads.")
        with store.lock:
            upload = upload_of(routed)
            require_pending(upload)
            numbers = sorted(upload.parts)
            received = sum(len(part) for part in upload.parts.values())
            expected = upload.parts_expected
            # crates/hot_api/src/handlers/files.rs, complete_upload: an upload
            # announced with a size must have all its parts and bytes (409).
            if expected is not None and (
                len(numbers) != expected or received != upload.expected_size
            ):
                raise ApiError(
                    409,
                    "upload_incomplete",
                    f"Upload has {len(numbers)}/{expected} parts and "
                    f"{received}/{upload.expected_size} bytes",
                )
            check_storage(received, "Storage quota exceeded")
            # Object storage refuses to assemble nothing, or a small non-final
            # part; the handler reports its failure as a 500.
            if not numbers or any(
                len(upload.parts[n]) < ctx.config.min_part_size for n in numbers[:-1]
            ):
                raise ApiError.internal(
                    "Failed to complete upload: parts are missing or below the minimum size"
                )
            content = b"".join(upload.parts[n] for n in numbers)
            stored = write(upload.path, content, upload.content_type)
            upload.end(UPLOAD_COMPLETED)
        return item(stored)

    @router.add("DELETE", "/files/uploads/{upload_id}")
    def abort(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can abort file uploads.")
        with store.lock:
            upload = upload_of(routed)
            require_pending(upload)
            upload.end(UPLOAD_ABORTED)
        return no_content()

    @router.add("PUT", "/files/upload/{path*}")
    def upload_file(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can upload files.")
        # crates/hot_api/src/handlers/files.rs, upload_file: the plan's limits,
        # then the path, checked only when the storage writes it, a refusal
        # surfacing as a 500.
        content = routed.request.body
        check_file_size(len(content), "File size")
        check_storage(len(content), "Storage quota exceeded")
        try:
            path = normalize_file_path(routed.params["path"])
        except ValueError as refused:
            raise ApiError.internal(f"Failed to write file: {refused}") from None
        return item(write(path, content, None))

    @router.add("GET", "/files/{file_id}")
    def get_file(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read files.")
        with store.lock:
            return item(dict(file_of(routed)))

    @router.add("DELETE", "/files/{file_id}")
    def delete_file(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can delete files.")
        with store.lock:
            file_id = file_of(routed)["file_id"]
            del store.files[file_id]
            del store.file_content[file_id]
        return no_content()

    @router.add("GET", "/blobs/{blob_ref_id}/download")
    def download_blob(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/blobs.rs: the raw bytes with the blob's
        # content type (octet-stream when it has none), as an attachment; any
        # unknown reference is 404 `Blob`.
        ctx.require_api_key(routed, "Only API keys can download blobs.")
        blob_id = routed.params["blob_ref_id"]
        with store.lock:
            blob = store.blobs.get(blob_id)
        if blob is None:
            raise ApiError.not_found("Blob")
        content, content_type = blob
        headers = {
            "Content-Type": content_type or "application/octet-stream",
            "Content-Disposition": f'attachment; filename="blob-{blob_id}"',
        }
        return HttpResponse(200, content, headers)

    @router.add("GET", "/files/{file_id}/download")
    def download(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can download files.")
        with store.lock:
            record = file_of(routed)
            content = store.file_content[record["file_id"]]
        content_type = record["content_type"] or "application/octet-stream"
        return HttpResponse(200, content, {"Content-Type": content_type})
