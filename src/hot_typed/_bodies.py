"""Response bodies filtered as they are read, so that what is kept stays bounded.

httpx decodes a `Content-Encoding` itself, one received chunk at a time: a
64 KiB chunk of gzip can inflate to tens of megabytes before any bound sees it.
Where the client bounds what it keeps (an event stream's frames, an error's
body), it decodes gzip and deflate itself, never more than `_PIECE` bytes of
output at a time, and tells httpx the body is plain. The filters then see the
decoded bytes, one bounded piece after another.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Protocol

import httpx

__all__ = ["BodyEnd", "Filter", "FilteredStream", "Truncate", "take_encoding"]

# Largest piece of decoded output produced from one piece of input.
_PIECE = 64 * 1024


class BodyEnd(Exception):
    """Raised by a filter that has received all it wants: the body ends there."""


class Filter(Protocol):
    """One stage of a body: takes pieces of bytes, gives pieces of bytes."""

    def feed(self, chunk: bytes) -> Iterable[bytes]: ...

    def end(self) -> Iterable[bytes]: ...


class _Inflate:
    """A gzip or deflate body decoded in pieces of at most `_PIECE` bytes."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        # gzip has its header; "deflate" is meant to be zlib-wrapped, but some
        # servers send raw deflate: tried if the first bytes are not zlib.
        wbits = zlib.MAX_WBITS | 16 if "gzip" in encoding else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        data = chunk
        while True:
            try:
                out = self._zlib.decompress(data, _PIECE)
            except zlib.error as error:
                if self._encoding == "deflate" and not self._started:
                    self._started = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(f"invalid {self._encoding} body: {error}") from error
            self._started = True
            if out:
                yield out
            data = self._zlib.unconsumed_tail
            # A full piece may have more behind it even when all input is consumed.
            if not data and len(out) < _PIECE:
                return

    def end(self) -> Iterator[bytes]:
        # Little is left by now: `feed` drained all output of the input it had.
        rest = self._zlib.flush()
        if rest:
            yield rest


_INFLATED = frozenset({"gzip", "x-gzip", "deflate"})


def take_encoding(response: httpx.Response) -> list[Filter] | None:
    """The filters decoding `response`'s content encodings with bounded output, the
    `Content-Encoding` header removed so httpx passes the bytes through as they are.

    `[]` when the body is not encoded; None (and the response left alone) when an
    encoding other than gzip or deflate is used. Call it before reading the body.
    """
    encodings = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
    ]
    encodings = [value for value in encodings if value and value != "identity"]
    if not encodings:
        return []
    if any(value not in _INFLATED for value in encodings):
        return None
    del response.headers["content-encoding"]
    # Applied in the reverse order of the header, which lists them as applied.
    return [_Inflate(value) for value in reversed(encodings)]


class Truncate:
    """Passes the first `max_bytes` bytes of a body, then ends it (`BodyEnd`)."""

    def __init__(self, max_bytes: int) -> None:
        self._left = max_bytes

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._left <= 0:
            raise BodyEnd
        piece = chunk[: self._left]
        self._left -= len(piece)
        if piece:
            yield piece

    def end(self) -> Iterator[bytes]:
        return iter(())


def _through(filters: Sequence[Filter], pieces: Iterable[bytes]) -> Iterable[bytes]:
    # Lazily chained: one piece travels through every filter before the next
    # is produced, so no stage holds more than its own piece.
    for stage in filters:
        pieces = _fed(stage, pieces)
    return pieces


def _fed(stage: Filter, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)


def _ended(filters: Sequence[Filter]) -> Iterator[bytes]:
    for i, stage in enumerate(filters):
        yield from _through(filters[i + 1 :], stage.end())


class FilteredStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body read through `filters`, in order. A filter raising `BodyEnd`
    ends the body there; closing closes the body received."""

    def __init__(
        self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, filters: Sequence[Filter]
    ) -> None:
        self._stream = stream
        self._filters = tuple(filters)

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._stream, httpx.SyncByteStream)
        try:
            for chunk in self._stream:
                yield from _through(self._filters, (chunk,))
            yield from _ended(self._filters)
        except BodyEnd:
            return

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        try:
            async for chunk in self._stream:
                for piece in _through(self._filters, (chunk,)):
                    yield piece
            for piece in _ended(self._filters):
                yield piece
        except BodyEnd:
            return

    def close(self) -> None:
        assert isinstance(self._stream, httpx.SyncByteStream)
        self._stream.close()

    async def aclose(self) -> None:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        await self._stream.aclose()
