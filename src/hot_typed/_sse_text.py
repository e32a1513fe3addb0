"""Event-stream text into events: the parsing rules of the SSE specification
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
a block at a time.

A stream is mostly complete events of two lines each (`event:` and `data:`).
Cutting the text at blank lines first and reading each block's few lines costs
a handful of string operations per event, where feeding a decoder line by line
costs several Python calls per line. Only what a subscriber uses is kept: the
event's name and its data (`id:` and `retry:` set nothing the client reads).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

__all__ = ["Event", "aiter_sse", "iter_sse"]

#: An event's name (`message` when the block names none or an empty one) and its data: its `data:`
#: lines joined by newlines. A block whose data is empty dispatches nothing.
Event = tuple[str, str]


class _Blocks:
    """Text in, the events of the blocks it completes out. A block ends at a
    blank line; `\\r\\n`, `\\r` and `\\n` all end a line (one `\\r\\n` split
    between two pieces of text included). An unfinished block at the end of the
    stream is dropped, as the specification says."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        # The unfinished block, in pieces: a long frame arriving in many pieces
        # is joined once, when it ends, not once per piece.
        self._pending: list[str] = []

    def feed(self, text: str) -> list[Event]:
        if not text:
            return []
        pending = self._pending
        if pending:
            last = pending[-1][-1]
            if (
                "\n\n" not in text
                and "\r" not in text
                and last != "\r"
                and not (last == "\n" and text[0] == "\n")
            ):
                pending.append(text)
                return []
            pending.append(text)
            text = "".join(pending)
            pending.clear()
        if "\r" in text:
            # A last `\r` may be the first half of a `\r\n`: it waits for the next piece.
            held = text.endswith("\r")
            if held:
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if held:
                text += "\r"
        blocks = text.split("\n\n")
        rest = blocks.pop()
        if rest:
            pending.append(rest)
        return [event for block in blocks if (event := _event(block)) is not None]

    def end(self) -> list[Event]:
        """The events the end of the stream completes: a block can end with its last
        character only when that is the `\r` held back for a `\n` that never came."""
        text = "".join(self._pending)
        self._pending.clear()
        return self.feed(text[:-1] + "\n") if text.endswith("\r") else []


def _event(block: str) -> Event | None:
    name = ""
    data: list[str] = []
    for line in block.split("\n"):
        # An empty line here is a blank line the split left at the block's start
        # (three or more line ends in a row): it ends an empty block.
        if not line or line[0] == ":":
            continue
        field, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
    joined = data[0] if len(data) == 1 else "\n".join(data)
    return (name or "message", joined) if joined else None


def iter_sse(texts: Iterable[str]) -> Iterator[Event]:
    """The events of a stream read as pieces of text."""
    blocks = _Blocks()
    for text in texts:
        yield from blocks.feed(text)
    yield from blocks.end()


async def aiter_sse(texts: AsyncIterable[str]) -> AsyncIterator[Event]:
    """Async twin of `iter_sse`."""
    blocks = _Blocks()
    async for text in texts:
        for event in blocks.feed(text):
            yield event
    for event in blocks.end():
        yield event
