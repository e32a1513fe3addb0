"""`blobs`: the content behind blob references."""

from __future__ import annotations

import os
from uuid import UUID

import httpx
from typing_extensions import Unpack

from .._downloads import DownloadTo
from .._models.blobs import BlobRef
from .._options import CallOptions, StreamOptions
from .._request import Call, Request, path
from .._resource import ModeT, Resource, endpoint, job_endpoint
from ..progress import ProgressCallback

__all__ = ["Blobs"]


def _download(blob: BlobRef | str | UUID) -> Request:
    blob_id = blob.id if isinstance(blob, BlobRef) else blob
    # crates/hot_api/src/handlers/blobs.rs: GET /v1/blobs/{blob_ref_id}/download
    # answers the raw bytes with the blob's own content type.
    return Request("GET", path("/blobs/{blob_ref_id}/download", blob_id), accept="*/*")


def _content(response: httpx.Response) -> bytes:
    return response.content


class Blobs(Resource[ModeT]):
    @endpoint
    def download(self, blob: BlobRef | str | UUID, **options: Unpack[CallOptions]) -> Call[bytes]:
        """The bytes of the value behind `blob` (a `BlobRef`, or its `id`).

        A string value comes back as its UTF-8 bytes (`blob.encoding` is
        `"string"`). The whole value is held in memory: for large ones use
        `download_to`. Only API keys may download blobs; an unknown, inactive
        or foreign reference is `NotFoundError`.
        """
        return Call(_download(blob), _content)

    @job_endpoint
    def download_to(
        self,
        blob: BlobRef | str | UUID,
        destination: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[StreamOptions],
    ) -> DownloadTo:
        """Stream the value behind `blob` into the file `destination`; returns its
        `Path`. As `files.download_to`: no partial file is ever left."""
        return DownloadTo(_download(blob), destination, on_progress)
