"""What can be uploaded: bytes, a path or a binary file object, read a range at a time."""

from __future__ import annotations

import io
import os
import threading
from typing import IO, Any

__all__ = ["Source", "UploadSource", "file_field", "open_source"]

UploadSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A filesystem path, a binary file object (read from its current position) or bytes."""


class Source:
    """The bytes to upload, read one range at a time. Thread-safe."""

    size: int

    def read(self, offset: int, length: int) -> bytes | memoryview:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the source opened itself (never a caller's file object)."""


class _BytesSource(Source):
    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = self._view.nbytes

    def read(self, offset: int, length: int) -> memoryview:
        return self._view[offset : offset + length]


class _FileSource(Source):
    """A seekable binary file, from the position it was at when opened."""

    def __init__(self, file: IO[bytes], *, owned: bool) -> None:
        if isinstance(file, io.TextIOBase):
            raise TypeError("source must be opened in binary mode ('rb'), not text mode")
        if not file.seekable():
            raise TypeError(
                "source file object must be seekable (its size is needed up front); "
                "pass its bytes or a path instead"
            )
        self._file = file
        self._owned = owned
        self._lock = threading.Lock()
        self._start = file.tell()
        self.size = file.seek(0, os.SEEK_END) - self._start

    def read(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._file.seek(self._start + offset)
            data = self._file.read(length)
        if len(data) != length:
            raise OSError(
                f"the source ended early: read {len(data)} of {length} bytes at offset {offset}"
            )
        return data

    def close(self) -> None:
        if self._owned:
            self._file.close()


def open_source(source: UploadSource) -> Source:
    """The readable view of `source`; a path is opened here and closed by `close()`."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _BytesSource(source)
    if isinstance(source, str | os.PathLike):
        file = open(os.fspath(source), "rb")  # noqa: SIM115 (closed by the source)
        try:
            return _FileSource(file, owned=True)
        except BaseException:
            file.close()
            raise
    if hasattr(source, "read") and hasattr(source, "seek"):
        return _FileSource(source, owned=False)
    raise TypeError(
        f"source must be a path, a binary file object or bytes, got {type(source).__name__}"
    )


# ---------------------------------------------------------------- multipart form files


class _PathReader:
    """A file named by path, opened on the first read and closed at its end.

    httpx streams a form file from anything with `read`; its length comes from
    `seek`/`tell`, so the request still carries a Content-Length.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = os.fspath(path)
        self._size = os.stat(self.name).st_size
        self._file: IO[bytes] | None = None
        self._position = 0

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = base + offset
        if self._file is not None:
            self._file.seek(self._position)
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._file is None:
            self._file = open(self.name, "rb")  # noqa: SIM115 (closed at the end of the data)
            self._file.seek(self._position)
        data = self._file.read(size)
        self._position += len(data)
        if not data or size < 0:
            self.close()
        return data

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def file_field(source: UploadSource) -> Any:
    """What httpx sends as a multipart form file for `source`, streamed from disk
    for a path or a file object (bytes go as they are)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        return _PathReader(source)
    if isinstance(source, io.TextIOBase):
        raise TypeError("file must be opened in binary mode ('rb'), not text mode")
    if hasattr(source, "read"):
        return source
    raise TypeError(
        f"file must be a path, a binary file object or bytes, got {type(source).__name__}"
    )
