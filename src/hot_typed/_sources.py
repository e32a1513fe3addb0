"""What can be uploaded: bytes, a path or a binary file object, read a range at a time."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
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
    """A seekable binary file, from the position it was at when opened.

    `name` is the argument's name, for the messages refusing `file`."""

    def __init__(self, file: IO[bytes], *, owned: bool, name: str = "source") -> None:
        if isinstance(file, io.TextIOBase):
            raise TypeError(f"{name} must be opened in binary mode ('rb'), not text mode")
        seekable = getattr(file, "seekable", None)
        if seekable is None or not seekable():
            # A pipe or a stream can be read once: its size is unknown up front, and
            # nothing read can be read again to repeat a part or a refused request.
            raise TypeError(
                f"{name} must be seekable (its size is needed up front); "
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


def open_source(source: UploadSource, name: str = "source") -> Source:
    """The readable view of `source`; a path is opened here and closed by `close()`.

    `name` is the argument's name, for the messages refusing `source`."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _BytesSource(source)
    if isinstance(source, str | os.PathLike):
        file = open(os.fspath(source), "rb")  # noqa: SIM115 (closed by the source)
        try:
            return _FileSource(file, owned=True, name=name)
        except BaseException:
            file.close()
            raise
    if hasattr(source, "read"):
        return _FileSource(source, owned=False, name=name)
    raise TypeError(
        f"{name} must be a path, a binary file object or bytes, got {type(source).__name__}"
    )


# ---------------------------------------------------------------- multipart form files


class _FormFile:
    """A source as httpx streams a multipart form file: anything with `read`.

    Its length comes from `seek`/`tell`, so the request still carries a
    Content-Length; httpx seeks to 0 before sending (a repeat after a 429 too),
    which is the source's start: a file object's position when it was given,
    as `UploadSource` promises. The source is opened on the first read and
    closed at the end of the data (a path's file is not held open meanwhile).
    """

    def __init__(self, name: str, size: int, opener: Callable[[], Source]) -> None:
        self.name = name
        self._size = size
        self._open = opener
        self._source: Source | None = None
        self._position = 0

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def read(self, size: int = -1) -> bytes:
        left = max(0, self._size - self._position)
        length = left if size < 0 else min(size, left)
        if not length:
            return b""
        if self._source is None:
            self._source = self._open()
        data = bytes(self._source.read(self._position, length))
        self._position += len(data)
        if self._position >= self._size:
            self.close()
        return data

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None


def file_field(source: UploadSource) -> Any:
    """What httpx sends as a multipart form file for `source` (the argument `file`),
    streamed from disk for a path or a file object (bytes go as they are).

    A file object, or the file a path opens, must be seekable (`open_source`'s
    rule, else `TypeError` before anything is sent): a refused request is sent
    again from its start, and httpx needs the length up front.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        # Opened here once, as `upload_file` opens a path, so that what cannot be read
        # again (a named pipe, which `stat` sizes as 0) is refused before anything is
        # sent; then closed: the form file opens the path again when httpx reads it.
        checked = open_source(path, "file")
        checked.close()
        return _FormFile(path, checked.size, lambda: open_source(path, "file"))
    opened = open_source(source, "file")
    return _FormFile(str(getattr(source, "name", "upload")), opened.size, lambda: opened)
