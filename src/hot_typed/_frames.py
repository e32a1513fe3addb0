"""The bytes of an event stream before httpx-sse parses them: decoded in bounded
pieces when a proxy compressed them, a leading byte order mark dropped, and every
frame measured against the client's limit."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx

from ._bodies import FilteredStream, take_encoding
from ._errors import HotFrameTooLargeError, HotResponseValidationError

__all__ = ["DEFAULT_MAX_FRAME_BYTES", "is_event_stream", "limit_frames"]

#: Largest SSE frame accepted by default. A run's result or streamed payload
#: travels in one frame, so the bound is generous; it exists so that a server
#: that never ends a frame cannot make the client buffer without limit.
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

# Two line ends in a row (CRLF counting as one) end a frame. Every such pair
# contains one of these: LF LF, CR CR, or LF CR (which covers CRLF CRLF). The
# lookahead finds overlapping pairs too (a run of blank lines).
_FRAME_END = re.compile(b"(?=\n\n|\r\r|\n\r)")
_CR, _LF = ord("\r"), ord("\n")
_BOM = b"\xef\xbb\xbf"


class _SkipBom:
    """Drops a UTF-8 byte order mark at the very start of the stream, as the SSE
    specification says a client must (httpx decodes UTF-8 without removing it)."""

    def __init__(self) -> None:
        self._head: bytes | None = b""

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._head is None:
            yield chunk
            return
        head = self._head + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head  # maybe a BOM arriving a byte at a time
            return
        self._head = None
        body = head[len(_BOM) :] if head.startswith(_BOM) else head
        if body:
            yield body

    def end(self) -> Iterator[bytes]:
        if self._head:
            yield self._head


class _FrameLimit:
    """Refuses a frame longer than `max_bytes`, wherever reads cut the stream.

    A frame's length is that of its lines with their line ends; the blank line
    that ends it is not counted. Every frame is measured, however many one read
    holds, and the current one as soon as it grows; the frames before one found
    too long are passed on first. Only about the first `max_bytes` of the current
    frame are held, for the error. It only finds where frames end: parsing them
    stays httpx-sse's job.
    """

    def __init__(self, max_bytes: int, where: str) -> None:
        self._max_bytes = max_bytes
        self._where = where
        self._length = 0  # bytes of the current frame so far
        self._start: list[bytes] = []  # its first bytes (about `max_bytes`), for the error
        self._held = 0
        # The previous read's last byte: it may pair with the next. The stream starts
        # as after a line end, so a blank line opening it ends an (empty) frame, as
        # the SSE parser reads it, rather than counting into the first frame.
        self._last = b"\n"
        self._skip_lf = False  # a blank line's CR ended the previous read; its LF may follow

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._length + len(chunk) <= self._max_bytes:
            # No frame ending in this read, nor the one going on, can be too long:
            # only where the current frame starts is needed. Nearly every read.
            self._follow(chunk)
            yield chunk
        else:
            yield from self._measure(chunk)
        self._last = chunk[-1:]

    def _follow(self, chunk: bytes) -> None:
        window = self._last + chunk
        end = max(window.rfind(b"\n\n"), window.rfind(b"\r\r"), window.rfind(b"\n\r"))
        if end < 0:
            lf = self._skip_lf and chunk[:1] == b"\n"
            self._skip_lf = False
            self._length += len(chunk) - lf
            self._hold(chunk[lf:])
            return
        start = self._after(window, end)
        self._length = len(window) - start
        self._start, self._held = [], 0
        self._hold(window[start:])

    def _after(self, window: bytes, end: int) -> int:
        """Where the frame after the frame end at `end` starts."""
        start = end + 2
        self._skip_lf = False
        # A blank line ended by CR may be a CRLF: its LF is not the next frame's.
        if window[end + 1] == _CR:
            if start == len(window):
                self._skip_lf = True
            elif window[start] == _LF:
                start += 1
        return start

    def _measure(self, chunk: bytes) -> Iterator[bytes]:
        window = self._last + chunk
        offset = len(self._last)  # where `chunk` starts in `window`
        counted = offset  # window bytes already counted
        frame = offset  # where the current frame starts in `window` (or before it)
        if self._skip_lf and chunk[:1] == b"\n":
            counted = frame = offset + 1
        self._skip_lf = False
        for match in _FRAME_END.finditer(window):
            content_end = match.start() + 1
            if content_end > counted and self._grow(window[counted:content_end]):
                break
            counted = max(counted, self._after(window, match.start()))
            frame = counted
            self._length, self._start, self._held = 0, [], 0
        else:
            if counted >= len(window) or not self._grow(window[counted:]):
                yield chunk
                return
        # The frames before the one too long; after a CR, with the next byte,
        # which tells the parser it is no CRLF.
        upto = frame - offset + (frame > 0 and window[frame - 1] == _CR)
        if upto > 0:
            yield chunk[:upto]
        raise HotFrameTooLargeError(
            f"event stream {self._where} sent a frame longer than "
            f"{self._max_bytes} bytes (max_sse_frame_bytes); the stream was closed",
            raw=b"".join(self._start)[: self._max_bytes].decode("utf-8", "replace"),
            max_bytes=self._max_bytes,
        )

    def _grow(self, piece: bytes) -> bool:
        """Count `piece` into the current frame; True when that makes it too long."""
        self._length += len(piece)
        self._hold(piece)
        return self._length > self._max_bytes

    def _hold(self, piece: bytes) -> None:
        if self._held < self._max_bytes and piece:
            self._start.append(piece)
            self._held += len(piece)

    def end(self) -> Iterator[bytes]:
        return iter(())


def limit_frames(response: httpx.Response, max_bytes: int) -> None:
    """Make reading `response` raise `HotFrameTooLargeError` on a frame over `max_bytes`.

    Call it before anything is read. A response that is not an event stream is
    left alone (`iter_events` refuses it). The bytes counted are the decoded
    ones: a gzip or deflate body (which a proxy may send although the request
    asked for none) is decoded here in bounded pieces; any other encoding cannot
    be bounded, and raises `HotResponseValidationError`. A UTF-8 byte order mark
    starting the stream is dropped.
    """
    if not is_event_stream(response):
        return
    where = f"{response.request.method} {response.request.url.path}"
    decoders = take_encoding(response)
    if decoders is None:
        raise HotResponseValidationError(
            f"event stream {where} came with Content-Encoding "
            f"{response.headers.get('content-encoding')!r}, which was not asked for and "
            "cannot be decoded within max_sse_frame_bytes",
            raw=None,
        )
    response.stream = FilteredStream(
        response.stream, [*decoders, _SkipBom(), _FrameLimit(max_bytes, where)]
    )


def is_event_stream(response: httpx.Response) -> bool:
    # In lower case only: httpx-sse, which parses the frames, takes any other
    # for a transport failure (a follower would reconnect after it for ever),
    # where this refuses it as no event stream.
    content_type: str = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip() == "text/event-stream"
