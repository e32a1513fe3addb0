"""An emulator handler that holds its run until the test lets it go."""

from __future__ import annotations

import threading
from typing import Any

from hot_typed.testing import HandlerEvent, RunContext


class HeldRun:
    """A handler whose run stays `running` until `release()`, then returns `value`."""

    def __init__(self, value: Any = None) -> None:
        self._value = value
        self._started = threading.Event()
        self._released = threading.Event()
        self._run_ids: list[str] = []

    def __call__(self, event: HandlerEvent, ctx: RunContext) -> Any:
        self._run_ids.append(ctx.run_id)
        self._started.set()
        self._released.wait(10)
        return self._value

    def running(self) -> str:
        """The id of the held run, once it has started."""
        assert self._started.wait(10), "the held run never started"
        return self._run_ids[0]

    def release(self) -> None:
        self._released.set()
