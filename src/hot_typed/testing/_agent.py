"""A handler playing an agent built on Hot's `hot-ai-agent` package."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._models._json import is_json_object
from ..agent import reply_label
from ._handlers import Handler, HandlerEvent, RunContext

__all__ = ["Answer", "agent_handler"]

Answer = str | Callable[[HandlerEvent], str | Iterable[str]]
"""The reply: a text (streamed word by word), or a function of the event
returning the text or the pieces to stream."""

_WORDS = re.compile(r"\s*\S+\s*|\s+")


def agent_handler(
    agent: str,
    answer: Answer,
    *,
    sources: Sequence[Any] | None = None,
    fail: str | None = None,
) -> Handler:
    """A handler that answers as a `hot-ai-agent` chat turn streams its answer.

    As hot/pkg/hot-ai-agent/src/ai/agent/chat-turn.hot `run-chat-turn` does, it
    emits `<agent>:reply:start` with `{session_id, message_id}` taken from the
    event data (`reply-payload`), one `<agent>:reply:delta` `{..., delta}` per
    piece, then `<agent>:reply:end` `{..., text}` with the whole reply, and
    returns `{"ok": True, "text": text}`. With `sources`,
    `<agent>:reply:sources` `{..., sources}` comes before the end. With `fail`,
    it emits `<agent>:reply:error` `{..., error: fail}` after the start and
    raises, so the run fails.
    """

    def handle(event: HandlerEvent, ctx: RunContext) -> Any:
        data: dict[str, Any] = event.data if is_json_object(event.data) else {}
        payload = {
            "session_id": str(data.get("session_id") or ""),
            "message_id": str(data.get("message_id") or ""),
        }
        ctx.emit(payload, data_type=reply_label(agent, "start"))
        if fail is not None:
            ctx.emit({**payload, "error": fail}, data_type=reply_label(agent, "error"))
            raise RuntimeError(fail)
        produced = answer(event) if callable(answer) else answer
        pieces = _WORDS.findall(produced) if isinstance(produced, str) else list(produced)
        for piece in pieces:
            ctx.emit({**payload, "delta": piece}, data_type=reply_label(agent, "delta"))
        text = "".join(pieces)
        if sources is not None:
            ctx.emit({**payload, "sources": list(sources)}, data_type=reply_label(agent, "sources"))
        ctx.emit({**payload, "text": text}, data_type=reply_label(agent, "end"))
        return {"ok": True, "text": text}

    return handle
