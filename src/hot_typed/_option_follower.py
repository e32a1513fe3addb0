"""A follower whose every connection carries per-request options.

Kept apart from `_options.py` so that clients which never follow a stream do
not load the stream models `_streaming.py` brings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from ._streaming import Follower

if TYPE_CHECKING:
    from ._errors import HotError
    from ._options import Options
    from ._request import StreamCall

__all__ = ["OptionFollower"]

E = TypeVar("E")
R = TypeVar("R")


class OptionFollower(Follower[E, R]):
    """`follower`, with `options` applied to the request of each connection it opens.

    Every decision (what to connect to, what to emit, when to reconnect) stays
    the wrapped follower's: this only changes the requests it describes.
    """

    def __init__(self, follower: Follower[E, R], options: Options) -> None:
        # No Follower.__init__: all state is the wrapped follower's.
        self._follower = follower
        self._options = options

    @property
    def done(self) -> bool:
        return self._follower.done

    @done.setter
    def done(self, value: bool) -> None:
        self._follower.done = value

    @property
    def deadline(self) -> float | None:
        return self._follower.deadline

    def connect(self, now: float) -> StreamCall[E]:
        return self._follower.connect(now).with_options(self._options)

    def receive(self, event: E, now: float) -> bool:
        return self._follower.receive(event, now)

    def ended(self, error: HotError | None, now: float) -> float | None:
        return self._follower.ended(error, now)

    def result(self) -> R:
        return self._follower.result()
