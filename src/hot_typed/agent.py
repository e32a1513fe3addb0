"""Hot AI agent conventions, typed: stream labels, event data, slash commands, replies.

Agents built on Hot's `hot-ai-agent` package stream their replies as
`stream:data` events whose `data_type` is a label scoped to the agent
(`team-agent:reply:delta`) and whose payload is a small JSON object. This
module reads those events into typed `AgentEvent`s, builds the `event_data`
agents expect, maps chat text to agent events (`parse_slash_command`) and folds
a reply's deltas into the final reply (`ReplyAccumulator`), for the blocking
and the asyncio clients alike::

    from hot_typed.agent import ReplyAccumulator, build_agent_event_data

    data = build_agent_event_data(session_id="web:chat:42", user_id="u1",
                                  payload={"text": "Hello"})
    reply = ReplyAccumulator("team-agent").collect(
        hot.streams.subscribe_with_event({"event_type": "team-agent:ask", "event_data": data})
    )
    print(reply.text)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import Field, TypeAdapter
from typing_extensions import TypeIs

from ._models._base import WIRE_CONTEXT, WireModel
from ._models.runs import RunStatus
from ._models.stream_events import (
    EventPublished,
    RunCancel,
    RunFail,
    RunStart,
    RunStop,
    StreamData,
    StreamEvent,
)
from ._path_ids import canonical_id
from ._streaming import RunAttribution

__all__ = [
    "AgentEvent",
    "AgentReply",
    "CommandSpec",
    "MemoryEnd",
    "MemoryFailed",
    "MemoryPayload",
    "MemoryStart",
    "ParsedCommand",
    "ReplyAccumulator",
    "ReplyDelta",
    "ReplyEnd",
    "ReplyError",
    "ReplyPayload",
    "ReplySources",
    "ReplyStart",
    "ReplyVerb",
    "WebMessageIds",
    "agent_event",
    "bare_id",
    "build_agent_event_data",
    "build_web_message_ids",
    "memory_label",
    "parse_slash_command",
    "reply_label",
]

# ---------------------------------------------------------------- labels
# hot/pkg/hot-ai-agent/src/ai/agent/stream.hot: `label(agent, topic, verb)` is
# `${agent}:${topic}:${verb}`; replies use topic `reply` with the verbs below,
# memory operations topic `memory` with verb `${action}:start|end|error`. Agent
# names may themselves hold colons (the package's own is `ai:agent`), so labels
# are read from their end.

ReplyVerb = Literal["start", "delta", "sources", "end", "error"]
"""The verbs of `<agent>:reply:<verb>` (stream.hot `emit-reply-*`)."""

MemoryPhase = Literal["start", "end", "error"]
"""The phases of `<agent>:memory:<action>:<phase>` (stream.hot `emit-memory-*`)."""

_REPLY_VERBS: frozenset[str] = frozenset(get_args(ReplyVerb))
_MEMORY_PHASES: frozenset[str] = frozenset(get_args(MemoryPhase))


def reply_label(agent: str, verb: ReplyVerb) -> str:
    """The `data_type` of an agent's reply events: `reply_label("team-agent", "delta")`
    is `"team-agent:reply:delta"`."""
    return f"{agent}:reply:{verb}"


def memory_label(agent: str, action: str, phase: MemoryPhase) -> str:
    """The `data_type` of an agent's memory operation events:
    `memory_label("team-agent", "forget", "end")` is `"team-agent:memory:forget:end"`."""
    return f"{agent}:memory:{action}:{phase}"


# ---------------------------------------------------------------- payloads
# Every payload is a JSON object the agent builds; these models name the fields
# the package's emitters put there and keep every other field (`.raw`, extras).


class ReplyPayload(WireModel):
    """Fields every reply event carries: chat-turn.hot `reply-payload` forwards
    `{session_id, message_id}` onto each of `reply:start|delta|end` so a client
    can tell which question an answer belongs to."""

    session_id: str | None = None
    message_id: str | None = None


class ReplyStart(ReplyPayload):
    """`<agent>:reply:start`: the agent began answering (chat-turn.hot `run-chat-turn`)."""


class ReplyDelta(ReplyPayload):
    """`<agent>:reply:delta`: the next piece of the answer. chat-turn.hot `stream-llm`
    sends it as `delta`; some agents send `text` (`chunk` reads either)."""

    delta: str | None = None
    text: str | None = None

    @property
    def chunk(self) -> str:
        """The piece of the answer: `delta`, else `text`, else empty."""
        return self.delta if self.delta is not None else self.text or ""


class ReplySources(ReplyPayload):
    """`<agent>:reply:sources`: what the answer is grounded on (stream.hot
    `emit-reply-sources`; the package leaves its shape to the agent, so `sources`
    is any JSON list and other fields are kept)."""

    sources: list[Any] = Field(default_factory=list)


class ReplyEnd(ReplyPayload):
    """`<agent>:reply:end`: the answer is complete; `text` is the whole of it
    (chat-turn.hot emits `{..., text: final-text}`), None when the agent left it out."""

    text: str | None = None


class ReplyError(ReplyPayload):
    """`<agent>:reply:error`: the agent could not answer (stream.hot `emit-reply-error`)."""

    message: str | None = None
    error: str | None = None

    @property
    def reason(self) -> str:
        """What went wrong: `message`, else `error`, else a generic sentence."""
        return self.message or self.error or "the agent reported an error"


class MemoryPayload(WireModel):
    """A memory operation's payload (`forget`, `compact`, `export`). Agents send the
    session as `session-id` (hot/src/team-agent/agent.hot) or `session_id`."""

    # Read as `session-id` or, by name, `session_id` (the wire config allows both).
    session_id: str | None = Field(default=None, alias="session-id")


class MemoryStart(MemoryPayload):
    """`<agent>:memory:<action>:start`: a memory operation began."""


class MemoryEnd(MemoryPayload):
    """`<agent>:memory:<action>:end`: a memory operation finished (its figures are extras)."""


class MemoryFailed(MemoryPayload):
    """`<agent>:memory:<action>:error`: a memory operation failed; `error` says why."""

    error: Any = None


AgentPayload = (
    ReplyStart
    | ReplyDelta
    | ReplySources
    | ReplyEnd
    | ReplyError
    | MemoryStart
    | MemoryEnd
    | MemoryFailed
)

_REPLY_MODELS: dict[str, type[ReplyPayload]] = {
    "start": ReplyStart,
    "delta": ReplyDelta,
    "sources": ReplySources,
    "end": ReplyEnd,
    "error": ReplyError,
}
_MEMORY_MODELS: dict[str, type[MemoryPayload]] = {
    "start": MemoryStart,
    "end": MemoryEnd,
    "error": MemoryFailed,
}


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """A `stream:data` event of an agent, typed.

    `agent` is the agent's name, `topic` `"reply"` or `"memory"`, `verb` the
    reply verb or the memory phase, `action` the memory action (None for
    replies); `payload` is the typed payload and `data` the event received.
    """

    agent: str
    topic: Literal["reply", "memory"]
    verb: str
    action: str | None
    payload: AgentPayload
    data: StreamData[Any]

    @property
    def run_id(self) -> str:
        """The run that emitted the event."""
        return self.data.run_id


def _split_label(data_type: str) -> tuple[str, Literal["reply", "memory"], str | None, str] | None:
    parts = data_type.rsplit(":", 3)
    if len(parts) == 4 and parts[1] == "memory" and parts[3] in _MEMORY_PHASES and parts[2]:
        return parts[0], "memory", parts[2], parts[3]
    parts = data_type.rsplit(":", 2)
    if len(parts) == 3 and parts[1] == "reply" and parts[2] in _REPLY_VERBS and parts[0]:
        return parts[0], "reply", None, parts[2]
    return None


def agent_event(event: object, agent: str | None = None) -> AgentEvent | None:
    """`event` read as an agent event, or None when it is not one.

    `event` is any stream event; only `stream:data` whose `data_type` is an
    agent label counts (of `agent`, when given). A payload that is not a JSON
    object, or whose known fields have the wrong type, raises pydantic's
    `ValidationError`.
    """
    if not _is_stream_data(event):
        return None
    split = _split_label(event.data_type)
    if split is None or (agent is not None and split[0] != agent):
        return None
    name, topic, action, verb = split
    model = _REPLY_MODELS[verb] if topic == "reply" else _MEMORY_MODELS[verb]
    payload = model.model_validate(event.payload or {}, context=WIRE_CONTEXT)
    return AgentEvent(name, topic, verb, action, payload, event)  # type: ignore[arg-type]


def _is_stream_data(value: object) -> TypeIs[StreamData[Any]]:
    """Whether `value` is a `stream:data` event (its payload user JSON, any type)."""
    return isinstance(value, StreamData)


# ---------------------------------------------------------------- asking an agent


def bare_id(value: str) -> str:
    """`value` without its first `prefix:` (`"web:abc"` -> `"abc"`; `"abc"` stays)."""
    return re.sub(r"^[^:]+:", "", value, count=1)


@dataclass(frozen=True, slots=True)
class WebMessageIds:
    """The ids of one message from a web chat: see `build_web_message_ids`."""

    user_bare: str
    chat_bare: str
    session_id: str
    message_id: str


def build_web_message_ids(
    *,
    user_id: str,
    chat_id: str,
    session_mode: Literal["chat", "person"],
    message_id_prefix: str = "web",
    now_ms: int | None = None,
) -> WebMessageIds:
    """Session and message ids for a message typed in a web chat.

    With `session_mode="chat"` the agent's memory is per chat
    (`web:chat:<chat>`), with `"person"` per user (`person:<user>`); ids given
    with a transport prefix lose it first (`bare_id`). Web sessions are
    `web:`-prefixed as hot/src/team-agent/web_adapter.hot `session-from-id`
    prefixes them. The message id is `<prefix>:<chat>:<now_ms>` (milliseconds
    since the epoch, now unless given), unique per chat and sortable.
    """
    user_bare = bare_id(user_id)
    chat_bare = bare_id(chat_id)
    stamp = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    session_id = f"web:chat:{chat_bare}" if session_mode == "chat" else f"person:{user_bare}"
    message_id = f"{message_id_prefix}:{chat_bare}:{stamp}"
    return WebMessageIds(user_bare, chat_bare, session_id, message_id)


def build_agent_event_data(
    *,
    session_id: str,
    user_id: str,
    user_name: str = "User",
    message_id: str | None = None,
    timestamp: int | None = None,
    attachments: Sequence[Mapping[str, Any]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `event_data` an agent's handler reads for one message.

    The identity fields are the ones hot/src/team-agent/web_adapter.hot
    `to-incoming` reads (`session_id`, `user_id`, `user_name`, `message_id`,
    `timestamp` in epoch seconds); `message_id` defaults to `web:<epoch ms>`
    and `timestamp` to now. `payload` (the command's own fields: `text`,
    `question`, ...) is merged in last and wins over the identity fields;
    `metadata` and `attachments` are added only when not empty. chat-turn.hot
    forwards `session_id` and `message_id` onto every reply event, which is
    how `ReplyAccumulator` matches a reply to its question.
    """
    now_ns = time.time_ns()
    data: dict[str, Any] = {
        "session_id": session_id,
        "user_id": user_id,
        "user_name": user_name,
        "message_id": f"web:{now_ns // 1_000_000}" if message_id is None else message_id,
        "timestamp": now_ns // 1_000_000_000 if timestamp is None else timestamp,
        **(payload or {}),
    }
    if metadata:
        data["metadata"] = dict(metadata)
    if attachments:
        data["attachments"] = [dict(a) for a in attachments]
    return data


# ---------------------------------------------------------------- slash commands


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What a slash command becomes: the agent `event` type to publish, and the
    `event_data` key its argument goes under (`arg_key`; None drops it)."""

    event: str
    arg_key: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """Chat text mapped to an agent event: publish `event` with `payload` (merged
    into the event data). `command` is the command's name when `is_command`."""

    event: str
    payload: dict[str, Any]
    command: str | None = None

    @property
    def is_command(self) -> bool:
        """Whether the text was a known slash command."""
        return self.command is not None


# The first word (up to any whitespace, a newline included), then the argument.
_SLASH_COMMAND = re.compile(r"/(?P<word>\S*)(?:\s+(?P<argument>.*))?", re.DOTALL)


def parse_slash_command(
    text: str,
    commands: Mapping[str, CommandSpec],
    *,
    fallback_event: str,
    fallback_key: str = "text",
) -> ParsedCommand:
    """Map chat `text` to the agent event it asks for.

    `/name rest` is a command as hot/pkg/hot-ai-agent/src/ai/agent/command.hot
    `parse` reads it: the text trimmed, the first word (up to any whitespace)
    without its slash and any bot suffix (`/ask@TeamBot` is `ask`), lowercased,
    is the name; the rest, trimmed, is the argument. A name found in `commands`
    (keys lowercase) gives that command's event with payload
    `{"command": name, arg_key: argument}`.
    Anything else, unknown commands included, is a plain message:
    `fallback_event` with `{fallback_key: trimmed text}`.
    """
    cleaned = text.strip()
    command = _SLASH_COMMAND.fullmatch(cleaned)
    if command is not None:
        name = command["word"].split("@", 1)[0].lower()
        spec = commands.get(name) if name else None
        if spec is not None:
            payload: dict[str, Any] = {"command": name}
            if spec.arg_key is not None:
                payload[spec.arg_key] = (command["argument"] or "").strip()
            return ParsedCommand(spec.event, payload, name)
    return ParsedCommand(fallback_event, {fallback_key: cleaned})


# ---------------------------------------------------------------- folding replies


@dataclass(frozen=True, slots=True)
class AgentReply:
    """A reply as folded by `ReplyAccumulator`.

    `status` is `"ok"` when the agent answered, `"error"` when it reported an
    error or its run failed or was cancelled (`error` says why). `text` is the
    reply: the `reply:end` text when the agent sent one, else the deltas joined.
    `sources` are the `reply:sources` payloads received, in order.
    """

    text: str
    status: Literal["ok", "error"]
    error: str | None = None
    sources: tuple[ReplySources, ...] = ()
    session_id: str | None = None
    message_id: str | None = None
    stream_id: str | None = None
    event_id: str | None = None
    run_id: str | None = None


_STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent)

_RUN_FAILURES = {
    RunStatus.FAILED: "the agent's run failed",
    RunStatus.CANCELLED: "the agent's run was cancelled",
}


def _typed(event: StreamEvent | Mapping[str, Any]) -> StreamEvent:
    if isinstance(event, Mapping):
        typed: StreamEvent = _STREAM_EVENT.validate_python(event, context=WIRE_CONTEXT)
        return typed
    return event


@dataclass
class _Delta:
    order: UUID | None
    """The delta's `stream_data_id` when it is a time-ordered (v7) UUID."""
    text: str


def _time_order(data_id: str | None) -> UUID | None:
    """`data_id` as a UUID when it is a time-ordered (v7) one, else None."""
    try:
        order = None if data_id is None else UUID(data_id)
    except ValueError:
        return None
    return order if order is not None and order.version == 7 else None


def _held_size(event: AgentEvent) -> int:
    """What a reply event held counts towards `UNATTRIBUTED_TEXT_LIMIT`: the
    characters of its payload as JSON."""
    return len(json.dumps(event.data.payload, separators=(",", ":"), default=str))


@dataclass
class ReplyAccumulator:
    """Folds one agent reply out of a run stream's events.

    Push events with `feed(event)` (typed `StreamEvent`s, or their JSON objects
    as received), or let `follow`/`afollow` iterate a stream for you and
    `collect`/`acollect` return the reply. It reads the `reply:*` events of
    `agent` emitted by one run: the given `run_id`, else the run of the event
    published by `subscribe_with_event` (from its `event:published`, or the
    given `event_id`), else the first run seen. A retry of that run, as Hot's
    scheduler makes it (a run naming it as `origin_run_id`, of its run type,
    with `retry_attempt` >= 1: see `RetryChain`), replaces it and starts the
    reply over: the reply is the last attempt's. Other runs naming it as
    origin, such as a background task it started, are not followed.

    A run's reply events can come before its `run:start`, even after its end:
    the server sends `run:start` only from a database poll that a busy stream
    keeps putting off. They are held until a run event tells whether the run
    is followed (they are folded in then, and `follow` yields them) or not
    (they are dropped); at most `UNATTRIBUTED_TEXT_LIMIT` characters of their
    payloads are held, the oldest dropped past it (`RunAttribution`).

    Replays are harmless: a `stream:data` seen twice (same `stream_data_id`)
    counts once, and deltas are joined in the order of their `stream_data_id`,
    which the server makes time-ordered (crates/hot/src/stream/mod.rs:
    `Uuid::now_v7()`), whatever order they were fed in (in the order fed when
    an id is not a time-ordered UUID). The reply is `done` after `reply:end`
    or `reply:error`, or when the run ends with no retry to come (an end that
    schedules a retry, `pending_retry` or `failed` with its `retry_attempt`
    moved on, does not count); `finished` once the run has ended so (or the
    reply failed), so following a long-lived `subscribe(stream_id)` stops
    there.
    """

    agent: str
    run_id: str | None = None
    event_id: str | None = None
    stream_id: str | None = None
    done: bool = field(default=False, init=False)
    finished: bool = field(default=False, init=False)
    error: str | None = field(default=None, init=False)
    session_id: str | None = field(default=None, init=False)
    message_id: str | None = field(default=None, init=False)
    _final: str | None = field(default=None, init=False, repr=False)
    _deltas: list[_Delta] = field(default_factory=list[_Delta], init=False, repr=False)
    _sources: list[ReplySources] = field(default_factory=list[ReplySources], init=False, repr=False)
    _seen: set[str] = field(default_factory=set[str], init=False, repr=False)
    _runs: RunAttribution[AgentEvent] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Ids given in another spelling (upper case, braces, a `UUID`) are held
        # as the server writes them, to compare equal to the events' ids.
        for name in ("run_id", "event_id", "stream_id"):
            given = getattr(self, name)
            if given is not None:
                setattr(self, name, canonical_id(given))
        self._runs = RunAttribution(_held_size, root=self.run_id, event_id=self.event_id)

    # Feeding ------------------------------------------------------------------

    def feed(self, event: StreamEvent | Mapping[str, Any]) -> AgentEvent | None:
        """Take one stream event; the agent event it was for this reply, else None.

        `event` is a `StreamEvent` or its JSON object (validated as one). A
        reply event whose run is not known yet gives None: it is folded in
        when a run event shows it is this reply's.
        """
        event = _typed(event)
        folded = self._fold_in(event)
        return folded[0] if folded and isinstance(event, StreamData) else None

    def _fold_in(self, event: StreamEvent) -> list[AgentEvent]:
        """The agent events of this reply that `event` folded in: the event
        itself, or, for a run event, the held events of the run it attributes."""
        runs = self._runs
        if isinstance(event, EventPublished):
            self.event_id, self.stream_id = event.event_id, event.stream_id
            runs.event_id = event.event_id
        elif isinstance(event, RunStart | RunStop | RunFail | RunCancel):
            run = event.run
            self._first_seen(run.run_id)
            folded = self._attempt_folded(
                runs.started(run) if isinstance(event, RunStart) else runs.stopped(run)
            )
            # The last attempt's end, once no retry is to come (RetryChain.final).
            final = runs.chain.final()
            if final is not None:
                self._run_ended(final.status)
            return folded
        elif isinstance(event, StreamData):
            found = agent_event(event, self.agent)
            if found is not None and found.topic == "reply":
                self._first_seen(event.run_id)
                if runs.offer(event.run_id, found):
                    return self._attempt_folded([found])
        return []

    def _first_seen(self, run_id: str) -> None:
        if self._runs.root is None and self._runs.event_id is None:
            self._runs.root = run_id

    def _attempt_folded(self, events: list[AgentEvent]) -> list[AgentEvent]:
        """Fold `events` of the attempts in, after starting the reply over when
        the last attempt is a new one: only its events are the reply's."""
        attempts = self._runs.chain.attempts()
        if attempts and attempts[-1] != self.run_id:
            if self.run_id is not None:
                self._final, self.error, self.done, self.finished = None, None, False, False
                self._deltas.clear()
                self._sources.clear()
            self.run_id = attempts[-1]
        folded: list[AgentEvent] = []
        for event in events:
            if self.finished:
                break
            if event.run_id == self.run_id and self._fold(event):
                folded.append(event)
        return folded

    def _fold(self, event: AgentEvent) -> bool:
        data_id = event.data.stream_data_id
        if data_id is not None:
            if data_id in self._seen:
                return False
            self._seen.add(data_id)
        payload = event.payload
        assert isinstance(payload, ReplyPayload)
        self.session_id = payload.session_id or self.session_id
        self.message_id = payload.message_id or self.message_id
        if isinstance(payload, ReplyDelta):
            self._deltas.append(_Delta(_time_order(data_id), payload.chunk))
        elif isinstance(payload, ReplySources):
            self._sources.append(payload)
        elif isinstance(payload, ReplyEnd):
            self._final, self.done = payload.text, True
        elif isinstance(payload, ReplyError):
            self.error, self.done, self.finished = payload.reason, True, True
        return True

    def _run_ended(self, status: RunStatus) -> None:
        failure = _RUN_FAILURES.get(status)
        if (
            failure is not None
            and self.error is None
            and not (self.done and self._final is not None)
        ):
            self.error = failure
        self.done = self.finished = True

    # Reading -----------------------------------------------------------------

    @property
    def text(self) -> str:
        """The reply so far: the `reply:end` text once sent, else the deltas joined."""
        if self._final is not None:
            return self._final
        deltas = self._deltas
        # Only time-ordered (v7) ids tell the order they were made in; others
        # keep the order they arrived in.
        if all(d.order is not None for d in deltas):
            deltas = sorted(deltas, key=lambda d: d.order.bytes if d.order else b"")
        return "".join(d.text for d in deltas)

    @property
    def sources(self) -> tuple[ReplySources, ...]:
        """The `reply:sources` payloads received, in order."""
        return tuple(self._sources)

    def reply(self) -> AgentReply:
        """The reply as it stands (complete once `done`)."""
        return AgentReply(
            text=self.text,
            status="ok" if self.error is None else "error",
            error=self.error,
            sources=self.sources,
            session_id=self.session_id,
            message_id=self.message_id,
            stream_id=self.stream_id,
            event_id=self.event_id,
            run_id=self.run_id,
        )

    # Iterating ---------------------------------------------------------------

    def follow(self, events: Iterable[StreamEvent | Mapping[str, Any]]) -> Iterator[AgentEvent]:
        """Feed `events` (e.g. `hot.streams.subscribe_with_event(...)`), yielding this
        reply's agent events, until the stream ends or the reply is `finished`."""
        for event in events:
            yield from self._fold_in(_typed(event))
            if self.finished:
                return

    async def afollow(
        self, events: AsyncIterable[StreamEvent | Mapping[str, Any]]
    ) -> AsyncIterator[AgentEvent]:
        """`follow` over an async iterable (the `AsyncHotClient`'s streams)."""
        async for event in events:
            for found in self._fold_in(_typed(event)):
                yield found
            if self.finished:
                return

    def collect(self, events: Iterable[StreamEvent | Mapping[str, Any]]) -> AgentReply:
        """Follow `events` to the end and return the reply."""
        for _ in self.follow(events):
            pass
        return self.reply()

    async def acollect(self, events: AsyncIterable[StreamEvent | Mapping[str, Any]]) -> AgentReply:
        """`collect` over an async iterable."""
        async for _ in self.afollow(events):
            pass
        return self.reply()
