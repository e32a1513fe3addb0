"""Downloading to disk: streamed in chunks, made visible only once complete.

The body goes to a temporary file beside the destination, which is renamed
over the destination when every byte has arrived. On any failure, a dropped
connection or an interrupt included, the temporary file is removed: the
destination is either the whole new file or untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx

from ._errors import HotConnectionError, HotTimeoutError
from ._failures import failed_request
from ._failures import where as _where
from ._transfer import ProgressMeter, opened_in_thread

if TYPE_CHECKING:
    from ._options import Options
    from ._request import Request
    from ._runner import AsyncRunner, SyncRunner
    from .progress import ProgressCallback

__all__ = ["DownloadTo"]


class _Staging:
    """A temporary file in the destination's directory, renamed onto it by `commit()`."""

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        # Not tempfile.mkstemp: its 0600 mode would become the file's mode after
        # the rename; created like this, the file gets the usual umask mode.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            self._path = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}.part")
            try:
                fd = os.open(self._path, flags, 0o666)
            except FileExistsError:
                continue
            break
        self._file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def commit(self) -> Path:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._path, self.destination)
        return self.destination

    def discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()


def _expected_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _cut(error: httpx.HTTPError, request: Request) -> Exception:
    where = _where(request.method, request.path, error)
    sent = failed_request(error)
    if isinstance(error, httpx.TimeoutException):
        return HotTimeoutError(f"download {where} timed out while reading the body", request=sent)
    return HotConnectionError(
        f"download {where} was cut: {type(error).__name__}: {error}", request=sent
    )


@dataclass(frozen=True, slots=True)
class DownloadTo:
    """`download_to`: stream `request`'s body into the file `destination`.

    Progress counts bytes as received on the wire, against the announced
    Content-Length (None when the server announces none).
    """

    request: Request
    destination: str | os.PathLike[str]
    on_progress: ProgressCallback | None

    def with_options(self, options: Options) -> DownloadTo:
        return replace(self, request=options.apply(self.request))

    def _target(self) -> Path:
        target = Path(os.fspath(self.destination))
        if target.is_dir():
            raise IsADirectoryError(f"destination {str(target)!r} is a directory")
        return target

    def run(self, runner: SyncRunner) -> Path:
        target = self._target()
        with runner.transport.stream(self.request) as response:
            staging = _Staging(target)
            try:
                meter = ProgressMeter(_expected_length(response), self.on_progress)
                meter.start()
                try:
                    for chunk in response.iter_bytes():
                        staging.write(chunk)
                        meter.reach(0, response.num_bytes_downloaded)
                except httpx.HTTPError as error:
                    raise _cut(error, self.request) from error
                path = staging.commit()
            except BaseException:
                staging.discard()
                raise
        meter.finish()
        return path

    async def arun(self, runner: AsyncRunner) -> Path:
        target = self._target()
        async with runner.transport.stream(self.request) as response:
            staging = await opened_in_thread(partial(_Staging, target), _Staging.discard)
            try:
                meter = ProgressMeter(_expected_length(response), self.on_progress)
                meter.start()
                try:
                    async for chunk in response.aiter_bytes():
                        await asyncio.to_thread(staging.write, chunk)
                        meter.reach(0, response.num_bytes_downloaded)
                except httpx.HTTPError as error:
                    raise _cut(error, self.request) from error
                path = await asyncio.to_thread(staging.commit)
            except BaseException:
                staging.discard()
                raise
        meter.finish()
        return path
