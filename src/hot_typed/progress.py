"""Progress reporting for `files.upload_file` and `files.download_to`.

`on_progress(done_bytes, total_bytes)` is called with a count that only grows
and ends at the total; `total_bytes` is None only for a download whose server
announced no length (its last call then reports the count reached as total).

Ready-made bars for the two usual libraries, imported only when asked for
(`pip install "hot-typed[progress]"` brings tqdm):

    with tqdm_progress("backup.tar") as progress:
        hot.files.upload_file("backups/backup.tar", "backup.tar", on_progress=progress)

Each adapter closes its bar when the total is reached, or on leaving the
`with` block (a failed transfer leaves the bar where it stopped).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["ProgressCallback", "RichProgress", "TqdmProgress", "rich_progress", "tqdm_progress"]

ProgressCallback = Callable[[int, int | None], None]
"""`on_progress(done_bytes, total_bytes)`; total is None when not known yet."""


def _require(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"this progress bar needs {package}: pip install {package} "
            f"(or pip install 'hot-typed[progress]' for tqdm)"
        ) from error


class _Bar:
    """A progress callback that is also a context manager closing its display."""

    _closed = False

    def __call__(self, done: int, total: int | None) -> None:
        if self._closed:
            return
        self._update(done, total)
        if total is not None and done >= total:
            self.close()

    def _update(self, done: int, total: int | None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class TqdmProgress(_Bar):
    """A tqdm bar in bytes. `options` go to `tqdm.auto.tqdm` (`file=`, `leave=`, ...)."""

    def __init__(self, description: str | None = None, **options: Any) -> None:
        tqdm = _require("tqdm.auto", "tqdm").tqdm
        settings: dict[str, Any] = {
            "unit": "B",
            "unit_scale": True,
            "unit_divisor": 1024,
            "desc": description,
            **options,
        }
        self.bar: Any = tqdm(total=None, **settings)

    def _update(self, done: int, total: int | None) -> None:
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if not self._closed:
            self.bar.close()
        super().close()


class RichProgress(_Bar):
    """A rich progress bar in bytes, with speed and time left, live until closed."""

    def __init__(
        self, description: str = "", *, console: Console | None = None, transient: bool = False
    ) -> None:
        columns = _require("rich.progress", "rich")
        self.progress: Any = columns.Progress(
            columns.TextColumn("[progress.description]{task.description}"),
            columns.BarColumn(),
            columns.DownloadColumn(),
            columns.TransferSpeedColumn(),
            columns.TimeRemainingColumn(),
            console=console,
            transient=transient,
        )
        self.task: Any = self.progress.add_task(description, total=None)
        self.progress.start()

    def _update(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if not self._closed:
            self.progress.stop()
        super().close()


def tqdm_progress(description: str | None = None, **options: Any) -> TqdmProgress:
    """A tqdm byte bar to pass as `on_progress` (needs tqdm installed)."""
    return TqdmProgress(description, **options)


def rich_progress(
    description: str = "", *, console: Console | None = None, transient: bool = False
) -> RichProgress:
    """A rich byte bar to pass as `on_progress` (needs rich installed)."""
    return RichProgress(description, console=console, transient=transient)
