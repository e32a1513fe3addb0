"""Operations made of several exchanges, described once and performed by either runner.

An endpoint is one request; a `Job` is a whole procedure (a multipart upload,
a download to disk). Its planning lives in pure code; `run` drives it with the
blocking runner (threads where it needs concurrency) and `arun` with the async
runner (tasks).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from ._options import Options
    from ._runner import AsyncRunner, SyncRunner

__all__ = ["Job"]

T_co = TypeVar("T_co", covariant=True)


class Job(Protocol[T_co]):
    def run(self, runner: SyncRunner) -> T_co: ...

    def arun(self, runner: AsyncRunner) -> Coroutine[Any, Any, T_co]: ...

    def with_options(self, options: Options) -> Job[T_co]:
        """This job with per-request `options` applied to every request it sends."""
        ...
