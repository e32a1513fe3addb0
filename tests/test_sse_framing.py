"""SSE framing at the byte level: frames that are no events, a byte order mark, the exact
frame size bound however reads cut the stream, and the bound on decoded bytes when a
proxy compresses the stream anyway."""

from __future__ import annotations

import asyncio
import gzip
import logging
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, cast
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    EventStream,
    HotClient,
    HotConnectionError,
    HotFrameTooLargeError,
    HotResponseValidationError,
    RunStart,
    UnknownStreamEvent,
)
from hot_typed.testing import HttpResponse

from .sse_script import (
    SseScript,
    close,
    collect,
    comment,
    event,
    make_client,
    reading,
    run,
    scripted,
    split,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

STREAM = str(uuid4())
START = {"type": "run:start", "run": run(str(uuid4()))}


async def events_of(mode: str, answer: HttpResponse) -> list[Any]:
    """Every event `streams.subscribe(STREAM)` gives against a server answering `answer`."""
    events, _ = await scripted(mode, [answer], reading(STREAM))
    return cast("list[Any]", events)


async def test_frames_with_only_id_or_retry_or_empty_data_are_no_events_and_log_nothing(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    wire = (
        b"id: 7\n\n"
        + comment()
        + b"retry: 1000\n\n"
        + comment()
        + b"event: run:start\ndata:\n\n"
        + b"id: 8\nevent: keepalive\n\n"
        + event(START)
        + comment()
        + comment()
    )
    with SseScript([wire]) as server:
        client = make_client(server, mode)
        try:
            with caplog.at_level(logging.DEBUG, logger="hot_typed"):
                events = await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)

    assert [e.raw for e in events] == [START]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("size", [1, 2, 1000])
async def test_a_byte_order_mark_starting_the_stream_is_ignored(mode: str, size: int) -> None:
    # The first line is a `data:` field: were the mark kept, its name would be
    # "\ufeffdata", an unknown field, and the event would be lost.
    wire = b"\xef\xbb\xbf" + b"data:" + event(START).split(b"data:", 1)[1]
    with SseScript(split(wire, size)) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)

    assert [type(e) for e in events] == [RunStart]
    assert events[0].raw == START


@pytest.mark.parametrize(
    ("body", "encodings"),
    [(b"\xef\xbb", []), (gzip.compress(b"\xef\xbb"), ["gzip"])],
    ids=["plain", "gzip"],
)
async def test_bytes_held_for_a_byte_order_mark_at_the_streams_end_are_bounded_too(
    mode: str, body: bytes, encodings: list[str]
) -> None:
    # Two bytes that may start a mark are held until the stream ends; then they
    # are the start of a frame like any other, over a bound of one byte.
    client = over_transport(mode, [body], encodings=encodings, max_sse_frame_bytes=1)
    try:
        with pytest.raises(HotFrameTooLargeError):
            await collect(client.streams.subscribe(STREAM))
    finally:
        await close(client)


# ---------------------------------------------------------------- the exact frame bound

LIMIT = 120


def frame(length: int, eol: bytes) -> bytes:
    """A frame whose lines with their line ends are `length` bytes, then the blank line."""
    head, tail = b'data: {"type":"x:pad","p":"', b'"}' + eol
    return head + b"a" * (length - len(head) - len(tail)) + tail + eol


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered in exactly the given reads."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def over_transport(
    mode: str, chunks: list[bytes], *, encodings: Sequence[str] = (), **options: Any
) -> HotClient | AsyncHotClient:
    """A client whose every answer is an event stream read in exactly `chunks`, with a
    `Content-Encoding` header line for each of `encodings`."""

    def answer(request: httpx.Request) -> httpx.Response:
        headers = [("Content-Type", "text/event-stream")]
        headers += [("Content-Encoding", encoding) for encoding in encodings]
        return httpx.Response(200, headers=headers, stream=_Chunks(chunks))

    transport = httpx.MockTransport(answer)
    if mode == "sync":
        sync = httpx.Client(transport=transport)
        return HotClient("t", base_url="http://127.0.0.1", client=sync, **options)
    return AsyncHotClient(
        "t", base_url="http://127.0.0.1", client=httpx.AsyncClient(transport=transport), **options
    )


async def drain(stream: EventStream[Any] | AsyncEventStream[Any], into: list[Any]) -> None:
    """Every event of `stream` into `into`, kept when the stream then raises."""
    if isinstance(stream, AsyncEventStream):
        async for item in stream:
            into.append(item)
    else:
        into.extend(stream)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("read", [1, 2, 7, 100_000], ids=["1", "2", "7", "whole"])
async def test_a_frame_of_the_limit_passes_and_one_byte_more_always_raises(
    mode: str, eol: bytes, read: int
) -> None:
    frames = [frame(LIMIT, eol), frame(LIMIT + 1, eol), frame(40, eol)]
    wire = comment().replace(b"\n", eol) + b"".join(frames)
    client = over_transport(mode, chunked(wire, read), max_sse_frame_bytes=LIMIT)
    received: list[Any] = []
    try:
        with pytest.raises(HotFrameTooLargeError) as error:
            await drain(client.streams.subscribe(STREAM), received)
    finally:
        await close(client)

    assert [type(e) for e in received] == [UnknownStreamEvent]
    assert received[0].raw["p"] == "a" * (LIMIT - 29 - len(eol))
    assert error.value.max_bytes == LIMIT
    assert error.value.raw == frame(LIMIT + 1, eol)[:LIMIT].decode()


async def test_a_frame_over_the_limit_inside_one_read_with_more_frames_after_it_raises(
    mode: str,
) -> None:
    wire = frame(10 * LIMIT, b"\n") + event(START) * 3
    client = over_transport(mode, [wire], max_sse_frame_bytes=LIMIT)
    try:
        with pytest.raises(HotFrameTooLargeError):
            await collect(client.streams.subscribe(STREAM))
    finally:
        await close(client)


@pytest.mark.parametrize("lead", [b"\n", b"\r\n", b"\r", b"\n\n"], ids=["lf", "crlf", "cr", "two"])
@pytest.mark.parametrize("apart", [False, True], ids=["one read", "own read"])
async def test_blank_lines_opening_the_stream_count_into_no_frame(
    mode: str, lead: bytes, apart: bool
) -> None:
    # Each blank line ends an empty frame: the first event's frame is bounded alone.
    outcomes: list[tuple[list[Any], bool]] = []
    for length in (LIMIT, LIMIT + 1):
        wire = frame(length, b"\n")
        client = over_transport(
            mode, [lead, wire] if apart else [lead + wire], max_sse_frame_bytes=LIMIT
        )
        received: list[Any] = []
        try:
            await drain(client.streams.subscribe(STREAM), received)
            outcomes.append((received, False))
        except HotFrameTooLargeError:
            outcomes.append((received, True))
        finally:
            await close(client)

    (fits, fit_raised), (over, over_raised) = outcomes
    assert not fit_raised
    assert [len(e.raw["p"]) for e in fits] == [LIMIT - 30]
    assert over_raised
    assert over == []


def _cut_after(body: bytes, at: bytes) -> list[bytes]:
    """`body` in two reads, the first ending right after the first `at`."""
    cut = body.index(at) + len(at)
    return [body[:cut], body[cut:]]


SHORT_LF, SHORT_CR, SHORT_CRLF = frame(40, b"\n"), frame(40, b"\r"), frame(40, b"\r\n")
# Reads cut where frames end (the reads the property below rarely draws): the blank
# line's CRLF cut between CR and LF (its LF is no byte of the next frame, and only
# that LF is skipped), a frame one line end short of too long until its last read,
# a short read holding two frame ends (the frame going on starts after the last),
# short reads holding a frame's end and the next frame's start (all of which the
# error holds), a blank line's lone CR ending one read (only the next byte tells the parser it
# is no CRLF, so that byte is passed on before the error), and a frame whose LF
# line end is followed by a CR blank line.
CUT_FRAME_ENDS = {
    "crlf cut before its lf, then a frame of the limit": (
        _cut_after(SHORT_CRLF + frame(LIMIT, b"\r\n") + SHORT_CRLF, b"\r\n\r"),
        [SHORT_CRLF, frame(LIMIT, b"\r\n"), SHORT_CRLF],
        False,
    ),
    "crlf cut before its lf, then a frame one byte over": (
        _cut_after(SHORT_CRLF + frame(LIMIT + 1, b"\r\n") + SHORT_CRLF, b"\r\n\r"),
        [SHORT_CRLF],
        True,
    ),
    "a frame of the limit but its line end, which comes alone": (
        [SHORT_LF + frame(LIMIT + 1, b"\n")[:-2], b"\n\n"],
        [SHORT_LF],
        True,
    ),
    "crlf cut before its lf, then a frame of the limit but its last lf": (
        [
            SHORT_CRLF[:-1],
            b"\n" + frame(LIMIT + 1, b"\r\n")[:LIMIT],
            frame(LIMIT + 1, b"\r\n")[LIMIT:],
        ],
        [SHORT_CRLF],
        True,
    ),
    "two lf frame ends in a short read, then a frame of the limit": (
        [comment() * 2 + frame(LIMIT, b"\n")[:10], frame(LIMIT, b"\n")[10:]],
        [frame(LIMIT, b"\n")],
        False,
    ),
    "two crlf frame ends in a short read, then a frame of the limit": (
        [
            comment().replace(b"\n", b"\r\n") * 2 + frame(LIMIT, b"\r\n")[:10],
            frame(LIMIT, b"\r\n")[10:],
        ],
        [frame(LIMIT, b"\r\n")],
        False,
    ),
    "crlf cut before its lf, then a short read, then the rest of a frame of the limit": (
        [
            SHORT_CRLF[:-1],
            b"\n" + frame(LIMIT, b"\r\n")[:10],
            frame(LIMIT, b"\r\n")[10:],
        ],
        [SHORT_CRLF, frame(LIMIT, b"\r\n")],
        False,
    ),
    "one byte over from the stream's start, a byte a read": (
        chunked(frame(LIMIT + 1, b"\n"), 1),
        [],
        True,
    ),
    "a short frame then one byte over, a byte a read": (
        chunked(SHORT_LF + frame(LIMIT + 1, b"\n"), 1),
        [SHORT_LF],
        True,
    ),
    "a short frame then one byte over, seven bytes a read": (
        chunked(SHORT_LF + frame(LIMIT + 1, b"\n"), 7),
        [SHORT_LF],
        True,
    ),
    "a lone cr ending a read before a frame one byte over": (
        [SHORT_CR, frame(LIMIT + 1, b"\r")],
        [SHORT_CR],
        True,
    ),
    "an lf line end then a cr blank line before a frame one byte over": (
        [SHORT_LF[:-1] + b"\r" + frame(LIMIT + 1, b"\n")],
        [SHORT_LF],
        True,
    ),
}


@pytest.mark.parametrize(
    ("reads", "delivered", "too_long"), CUT_FRAME_ENDS.values(), ids=CUT_FRAME_ENDS.keys()
)
async def test_a_frame_end_cut_across_reads_is_counted_once_and_what_came_before_arrives(
    mode: str, reads: list[bytes], delivered: list[bytes], too_long: bool
) -> None:
    client = over_transport(mode, reads, max_sse_frame_bytes=LIMIT)
    received: list[Any] = []
    try:
        if too_long:
            with pytest.raises(HotFrameTooLargeError) as error:
                await drain(client.streams.subscribe(STREAM), received)
            # The error holds the start of the frame after those delivered.
            start = sum(len(f) for f in delivered)
            assert error.value.raw == b"".join(reads)[start : start + LIMIT].decode()
        else:
            await drain(client.streams.subscribe(STREAM), received)
    finally:
        await close(client)

    # Each frame's padding: its length less its line end, the blank line and the rest.
    assert [len(e.raw["p"]) for e in received] == [
        len(f.rstrip(b"\r\n")) - 29 for f in delivered
    ]


async def test_a_frame_too_long_is_reported_with_its_start_a_character_cut_there_replaced(
    mode: str,
) -> None:
    head = b'data: {"type":"x:pad","p":"'
    # A two-byte character straddles the limit: the error keeps the first LIMIT bytes.
    line = head + b"a" * (LIMIT - 1 - len(head)) + "\u00e9".encode() + b'a"}\n\n'
    client = over_transport(mode, [line], max_sse_frame_bytes=LIMIT)
    try:
        with pytest.raises(HotFrameTooLargeError) as error:
            await collect(client.streams.subscribe(STREAM))
    finally:
        await close(client)

    assert error.value.raw == line[: LIMIT - 1].decode() + "\ufffd"
    assert str(error.value) == (
        f"event stream GET /v1/streams/{STREAM}/subscribe sent a frame longer than "
        f"{LIMIT} bytes (max_sse_frame_bytes); the stream was closed"
    )


# ---------------------------------------------------------------- compressed despite identity


def compressed(encoding: str, data: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "raw deflate":  # what some servers send as "deflate"
        raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return raw.compress(data) + raw.flush()
    return zlib.compress(data)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate"])
async def test_a_compressed_stream_is_decoded_and_its_events_arrive(
    mode: str, encoding: str
) -> None:
    body = compressed(encoding, comment() + event(START) * 2)
    answer = HttpResponse(
        200,
        chunked(body, 5),
        {"Content-Type": "text/event-stream", "Content-Encoding": encoding.split()[-1]},
    )
    events = await events_of(mode, answer)

    assert [e.raw for e in events] == [START, START]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_the_frame_bound_counts_decoded_bytes_of_a_compressed_bomb(
    mode: str, encoding: str
) -> None:
    # 64 MiB of one frame compresses to about 64 KiB: decoded whole, it would
    # cost the memory the bound exists to protect.
    bomb = compressed(encoding, b"data: " + b"a" * (64 * 1024 * 1024))
    answer = HttpResponse(
        200, [bomb], {"Content-Type": "text/event-stream", "Content-Encoding": encoding}
    )
    with SseScript(answer) as server:
        client = make_client(server, mode, max_sse_frame_bytes=1000)
        tracemalloc.start()
        try:
            with pytest.raises(HotFrameTooLargeError) as error:
                await collect(client.streams.subscribe(STREAM))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await close(client)

    assert error.value.raw == ("data: " + "a" * 994)
    assert peak < 4 * 1024 * 1024


def gzipped_deflate(data: bytes) -> bytes:
    return gzip.compress(zlib.compress(data))


@pytest.mark.parametrize(
    ("encodings", "encode"),
    [
        (["GZIP"], gzip.compress),
        (["gzip, identity"], gzip.compress),
        (["identity, gzip"], gzip.compress),
        (["gzip,"], gzip.compress),
        (["deflate, gzip"], gzipped_deflate),  # listed in the order applied
        (["deflate", "gzip"], gzipped_deflate),  # one header line each
    ],
    ids=["upper-case", "then-identity", "identity-first", "empty-item", "two", "two-lines"],
)
async def test_a_stream_is_decoded_however_its_encodings_are_listed(
    mode: str, encodings: list[str], encode: Callable[[bytes], bytes]
) -> None:
    body = encode(event(START) * 2)
    client = over_transport(mode, chunked(body, 7), encodings=encodings)
    try:
        events = await collect(client.streams.subscribe(STREAM))
    finally:
        await close(client)

    assert [e.raw for e in events] == [START, START]


@pytest.mark.parametrize(
    ("encoding", "reads", "reason"),
    [
        # gzip is never tried as raw deflate: only "deflate" has that ambiguity.
        ("gzip", [compressed("raw deflate", event(START))], "invalid gzip body: "
         "Error -3 while decompressing data: incorrect header check"),
        # Neither zlib-wrapped nor raw deflate: refused once both were tried.
        ("deflate", [b"\xff\xff\xff\xff"], "invalid deflate body: "
         "Error -3 while decompressing data: invalid block type"),
        # Begun as zlib, so a later fault is no reason to try raw deflate.
        ("deflate", [zlib.compress(event(START))[:-4], b"\x00\x00\x00\xff"],
         "invalid deflate body: Error -3 while decompressing data: incorrect data check"),
    ],
    ids=["gzip-of-raw-deflate", "deflate-of-neither", "deflate-bad-check"],
)
async def test_a_body_its_encoding_cannot_decode_cuts_the_stream_with_the_reason(
    mode: str, encoding: str, reads: list[bytes], reason: str
) -> None:
    client = over_transport(mode, reads, encodings=[encoding], max_retries=0)
    try:
        with pytest.raises(HotConnectionError) as error:
            await collect(client.streams.subscribe(STREAM))
    finally:
        await close(client)

    assert str(error.value).endswith(f"/subscribe was cut: DecodingError: {reason}")


async def test_an_encoding_that_cannot_be_bounded_is_refused(mode: str) -> None:
    answer = HttpResponse(
        200, [b"\x0b\x02\x80"], {"Content-Type": "text/event-stream", "Content-Encoding": "br"}
    )
    with pytest.raises(HotResponseValidationError) as error:
        await scripted(mode, [answer], reading(STREAM))

    assert str(error.value) == (
        f"event stream GET /v1/streams/{STREAM}/subscribe came with Content-Encoding 'br', "
        "which was not asked for and cannot be decoded within max_sse_frame_bytes"
    )


@pytest.mark.parametrize(
    "content_type", ["text/event-stream; charset=utf-8", " text/event-stream ;x=1"]
)
async def test_an_event_stream_whose_content_type_has_parameters_is_read(
    mode: str, content_type: str
) -> None:
    answer = HttpResponse(200, [event(START)], {"Content-Type": content_type})
    events = await events_of(mode, answer)

    assert [e.raw for e in events] == [START]


async def test_an_event_stream_type_in_other_letters_is_refused_as_no_event_stream(
    mode: str,
) -> None:
    # httpx-sse, which parses the frames, reads only the lower-case type and takes
    # any other for a transport failure, which a follower would reconnect after
    # for ever. The Hot server sends it in lower case.
    answer = HttpResponse(200, [event(START)], {"Content-Type": "Text/Event-Stream"})
    with pytest.raises(HotResponseValidationError) as error:
        await scripted(mode, [answer], reading(STREAM))

    assert str(error.value) == (
        f"GET /v1/streams/{STREAM}/subscribe answered 200 with content type "
        "'Text/Event-Stream', not an event stream"
    )


# ---------------------------------------------------------------- property: exact, however cut

FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _received(mode: str, reads: list[bytes], limit: int) -> tuple[list[Any], bool]:
    """The events delivered, and whether the stream then raised `HotFrameTooLargeError`."""
    events: list[Any] = []

    async def drain_all() -> bool:
        client = over_transport(mode, reads, max_sse_frame_bytes=limit)
        try:
            await drain(client.streams.subscribe(STREAM), events)
        except HotFrameTooLargeError:
            return True
        finally:
            await close(client)
        return False

    return events, asyncio.run(drain_all())


@st.composite
def _cut_streams(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], int]:
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    frames = [
        comment().replace(b"\n", eol)
        if draw(st.booleans())
        else frame(draw(st.integers(32, 90)), eol)
        for _ in range(draw(st.integers(1, 6)))
    ]
    body = b"".join(frames)
    cuts = sorted(set(draw(st.lists(st.integers(1, len(body) - 1), max_size=8))))
    reads = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return frames, reads, draw(st.integers(10, 95))


def test_the_frame_bound_is_exact_however_reads_cut_the_stream(mode: str) -> None:
    @FEW
    @given(case=_cut_streams())
    def check(case: tuple[list[bytes], list[bytes], int]) -> None:
        frames, reads, limit = case
        eol = b"\r\n" if frames[0].endswith(b"\r\n\r\n") else frames[0][-1:]
        lengths = [len(f) - len(eol) for f in frames]
        too_long = next((i for i, n in enumerate(lengths) if n > limit), None)
        before = frames if too_long is None else frames[:too_long]
        expected = [f for f in before if f.startswith(b"data:")]

        events, raised = _received(mode, reads, limit)

        assert raised == (too_long is not None)
        # Each frame's padding: its length less the blank line, the line end and the rest.
        assert [len(e.raw["p"]) for e in events] == [len(f) - 2 * len(eol) - 29 for f in expected]

    check()
