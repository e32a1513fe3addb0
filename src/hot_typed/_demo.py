"""`python -m hot_typed demo`: hot-typed at work, against the built-in emulator.

The tour publishes a typed event, streams a reply token by token, calls a
function, waits on a run and on a background task, lists runs, moves a file
up and back, and shows the two kinds of failure a typed client separates: an
error the API answered, and a payload refused before anything was sent.

Given a base URL and a token it runs only its read-only part, against a real
Hot: nothing is published or changed there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel, Field, ValidationError

from ._client import HotClient
from ._errors import HotApiError
from ._models.events import EventCreate, EventCreateParams
from ._models.runs import Run
from ._models.stream_events import EventPublished, RunStart, RunStop, StreamData

if TYPE_CHECKING:
    from .testing import HandlerEvent, HotEmulator, RunContext

__all__ = ["run_demo", "run_read_only"]

ANSWER = "Typed events, typed streams, and nothing sent that the server would refuse."


class Signup(BaseModel):
    """The demo's own payload type: what `user:signup` events carry."""

    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    plan: str


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0

    def section(self, title: str) -> None:
        self.step += 1
        self.out.write(f"\n{self.step}. {title}\n")

    def line(self, text: str = "") -> None:
        self.out.write(f"   {text}\n")

    def inline(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def install_handlers(emulator: HotEmulator) -> None:
    """Python stand-ins for the Hot code a real project would deploy."""

    @emulator.on_event("user:signup")
    def welcome(event: HandlerEvent, ctx: RunContext) -> Any:
        return {"welcomed": event.data["email"]}

    @emulator.on_event("assistant:ask")
    def answer(event: HandlerEvent, ctx: RunContext) -> Any:
        for word in ANSWER.split(" "):
            ctx.emit_text(word + " ")
            time.sleep(0.01)
        return {"answer": ANSWER}

    @emulator.on_call("::demo::math/add")
    def add(event: HandlerEvent, ctx: RunContext) -> Any:
        return sum(event.args)

    @emulator.on_event("report:requested")
    def report(event: HandlerEvent, ctx: RunContext) -> Any:
        task = ctx.start_task("::demo::reports/build")
        # The task outlives the run that started it, as background tasks do.
        threading.Timer(0.2, task.complete, kwargs={"result": {"rows": 42}}).start()
        return {"task_id": task.task_id}


def _short(value: object) -> str:
    return str(value)[:8]


def _runs_table(runs: list[Run]) -> list[str]:
    rows = [("run", "type", "status", "started", "result")]
    for run in runs:
        result = "" if run.result is None else str(run.result)
        rows.append(
            (
                _short(run.run_id),
                str(run.run_type),
                str(run.status),
                run.start_time.strftime("%H:%M:%S.%f")[:-3],
                result if len(result) <= 32 else result[:29] + "...",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]


def _show_api_error(hot: HotClient, show: _Printer, missing_project: str) -> None:
    show.section("A typed API error")
    try:
        hot.projects.get(missing_project)
    except HotApiError as error:
        show.line(f"{type(error).__name__}: status={error.status_code} code={error.code}")
        show.line(f"message={error.message!r} request_id={_short(error.request_id)}")


def _tour(hot: HotClient, show: _Printer, sent_requests: Callable[[], int]) -> None:
    show.section("Publish a typed event (a pydantic model as event_data)")
    signup = Signup(email="ada@example.com", plan="pro")
    event = hot.events.publish(EventCreate(event_type="user:signup", event_data=signup))
    show.line(f"Event {_short(event.event_id)}: {event.event_type} {event.event_data}")
    show.line(f"created_at is a {type(event.created_at).__name__}: {event.created_at.isoformat()}")

    show.section("Stream a reply token by token (subscribe_with_event)")
    question: EventCreateParams = {
        "event_type": "assistant:ask",
        "event_data": {"question": "Why typed?"},
    }
    for message in hot.streams.subscribe_with_event(question):
        if isinstance(message, EventPublished):
            show.line(f"published {_short(message.event_id)} on stream {_short(message.stream_id)}")
            show.inline("   > ")
        elif isinstance(message, StreamData) and message.data_type == "ai:delta":
            show.inline(message.payload["text"])
        elif isinstance(message, RunStart):
            continue
        elif isinstance(message, RunStop):
            show.inline("\n")
            show.line(f"run {_short(message.run.run_id)} {message.run.status}")

    show.section("Call a Hot function (call_hot, result validated as int)")
    total = hot.events.call_hot("::demo::math/add", [2, 3], result_type=int)
    show.line(f"::demo::math/add(2, 3) = {total!r}")

    show.section("Wait on a run, then on a background task")
    run_id = hot.events.get_runs(event.event_id).data[0].run_id
    run = hot.runs.wait(run_id, timeout=10)
    show.line(f"run {_short(run.run_id)} {run.status}: {run.result}")
    task_id = None
    for message in hot.streams.subscribe_with_event({"event_type": "report:requested"}):
        if isinstance(message, RunStop):
            task_id = message.run.result["task_id"]
    if task_id is None:
        raise RuntimeError("the report run ended without a task id")
    task = hot.tasks.wait(task_id, timeout=10)
    show.line(f"task {_short(task.task_id)} {task.function_name} {task.status}: {task.result}")

    show.section("List runs (a typed page)")
    page = hot.runs.list(limit=10)
    for row in _runs_table(page.data):
        show.line(row)
    show.line(f"{len(page)} of {page.pagination.total} runs; has_more={page.pagination.has_more}")

    show.section("Upload a file and download it again")
    content = b"name,plan\nada,pro\n"
    stored = hot.files.upload("demo/signups.csv", content, content_type="text/csv")
    show.line(f"stored {stored.path} ({stored.size} bytes, {stored.content_type})")
    downloaded = hot.files.download(stored.file_id).content
    show.line(f"downloaded {len(downloaded)} bytes, identical: {downloaded == content}")

    _show_api_error(hot, show, "no-such-project")

    show.section("A payload refused before sending")
    before = sent_requests()
    try:
        hot.events.publish({"event_type": "hot:internal", "event_data": {"x": float("nan")}})
    except ValidationError as error:
        for problem in error.errors(include_url=False):
            where = ".".join(str(part) for part in problem["loc"])
            show.line(f"{where}: {problem['msg']}")
    show.line(f"requests sent for it: {sent_requests() - before}")


def run_demo(out: TextIO) -> None:
    """The whole tour against a fresh emulator on loopback."""
    from .testing import HotEmulator

    show = _Printer(out)
    with HotEmulator() as emulator:
        install_handlers(emulator)
        out.write(f"hot-typed demo: a Hot API emulator is serving {emulator.base_url}\n")
        with emulator.client() as hot:
            _tour(hot, show, lambda: len(emulator.requests))
    out.write("\nDone: every answer above was a validated model.\n")


def run_read_only(hot: HotClient, out: TextIO) -> None:
    """The read-only part of the tour, for a real Hot: nothing is changed there."""
    show = _Printer(out)
    out.write(f"hot-typed demo (read-only) against {hot.api_base_url}\n")
    show.section("The environment this token belongs to")
    env = hot.env.get()
    show.line(f"{env.name} ({_short(env.env_id)}), active={env.active}")
    show.section("Run statistics")
    stats = hot.runs.stats()
    show.line(
        f"total={stats.total_runs} running={stats.running} succeeded={stats.succeeded} "
        f"failed={stats.failed} cancelled={stats.cancelled}"
    )
    show.section("Latest runs")
    for row in _runs_table(hot.runs.list(limit=5).data):
        show.line(row)
    show.section("Projects")
    for project in hot.projects.list(limit=10):
        show.line(f"{project.name} active={project.active}")
    _show_api_error(hot, show, "hot-typed-demo-no-such-project")
    out.write("\nDone.\n")
