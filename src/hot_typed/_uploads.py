"""Uploading a file of any size: one request when it fits in a part, multipart beyond.

The plan is written once and without I/O: which byte ranges make the parts,
which part a worker takes next, when a failed part is sent again, how much
progress to report. `UploadFile.run` drives it with threads and
`UploadFile.arun` with asyncio tasks; both keep at most `concurrency` parts in
memory, so memory stays O(part_size x concurrency) whatever the file size.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from typing_extensions import Self

from ._errors import HotApiError, HotError, HotUploadError

# File at run time: it is what `UploadFile.run` answers, read by the client's
# method signature (`_signature.py`).
from ._models.files import (
    MAX_UPLOAD_PARTS,
    UPLOAD_ABORTED,
    UPLOAD_COMPLETED,
    UPLOAD_NOT_PENDING,
    File,
    upload_status,
)
from ._sources import Source, UploadSource, open_source
from ._transfer import ProgressMeter, opened_in_thread

if TYPE_CHECKING:
    from ._models.files import InitiateUpload, UploadPart
    from ._options import Options
    from ._request import Call, ListCall
    from ._runner import AsyncRunner, SyncRunner
    from .progress import ProgressCallback

__all__ = [
    "DEFAULT_PART_SIZE",
    "MIN_PART_SIZE",
    "Part",
    "PartSchedule",
    "UploadCalls",
    "UploadFile",
    "plan_parts",
]

logger = logging.getLogger("hot_typed")

R = TypeVar("R")

DEFAULT_PART_SIZE = 64 * 1024 * 1024
"""The smallest part size the server negotiates: a source this size or less is one part."""

# crates/hot/src/file_storage.rs S3_MIN_PART_SIZE ("hard constraint from AWS"):
# object storage assembles no upload whose parts before the last are smaller.
# crates/hot_api/src/handlers/files.rs upload_part_handler refuses such a part
# (400 part_too_small) only when the upload announced expected_size, which an
# upload in parts of the caller's size does not, so `complete` fails instead.
MIN_PART_SIZE = 5 * 1024 * 1024
"""The smallest part but the last of a multipart upload the server can assemble."""

CHUNK_SIZE = 64 * 1024
"""Bodies go out in chunks of this size, so progress moves while a part is on the wire."""


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Part:
    """Part `number` (from 1): `size` bytes of the source starting at `offset`."""

    number: int
    offset: int
    size: int


def plan_parts(size: int, part_size: int) -> tuple[Part, ...]:
    """Cut `size` bytes into parts of `part_size` (the last one shorter)."""
    if part_size < 1:
        raise ValueError(f"part_size must be positive, got {part_size}")
    count = max(1, -(-size // part_size))
    if count > MAX_UPLOAD_PARTS:
        raise ValueError(
            f"{size} bytes in parts of {part_size} would take {count} parts; "
            f"the server accepts at most {MAX_UPLOAD_PARTS}"
        )
    return tuple(
        Part(n + 1, n * part_size, min(part_size, size - n * part_size)) for n in range(count)
    )


def _sent_once(call: Call[R]) -> Call[R]:
    """`call`, never repeated by the transport.

    A part's body is a stream read once, so only the part loop, which reads
    the part again from the source, may repeat it: with the client's one
    `RetryPolicy` and its `max_retries`, so part attempts never multiply with
    transport retries.
    """
    return replace(call, request=replace(call.request, retry=False))


class PartSchedule:
    """Which part a worker takes next, and the first part to fail for good.

    Workers call `next()` until it answers None: when every part has been
    handed out, or as soon as one has failed for good (the others stop taking
    new parts; parts already on the wire finish). Thread-safe.
    """

    def __init__(self, parts: tuple[Part, ...]) -> None:
        self.parts = parts
        self._pending = iter(parts)
        self._lock = threading.Lock()
        self.failure: tuple[Part, int, BaseException] | None = None

    def next(self) -> Part | None:
        with self._lock:
            if self.failure is not None:
                return None
            return next(self._pending, None)

    def failed(self, part: Part, attempts: int, error: BaseException) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = (part, attempts, error)

    def stop(self) -> None:
        """Hand out no more parts (the caller is giving up, e.g. on an interrupt)."""
        with self._lock:
            self._pending = iter(())


# ---------------------------------------------------------------- request bodies


class _Body:
    """A part's bytes as request content, handed out in chunks that advance the meter.

    Iterating again starts the part over (the transport repeats a request
    after a dropped connection); the meter then counts it from zero. Leaving
    its `with` block lets go of the bytes: httpx responses sit in reference
    cycles with their request, so without that each part sent would stay in
    memory until the next garbage collection.
    """

    def __init__(self, data: bytes | memoryview, part: int, meter: ProgressMeter) -> None:
        self._data = memoryview(data)
        self._part = part
        self._meter = meter

    def _chunks(self) -> Iterator[bytes]:
        self._meter.restart(self._part)
        for start in range(0, self._data.nbytes, CHUNK_SIZE):
            chunk = bytes(self._data[start : start + CHUNK_SIZE])
            yield chunk
            self._meter.advance(self._part, len(chunk))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._data = memoryview(b"")


class _SyncBody(_Body):
    def __iter__(self) -> Iterator[bytes]:
        return self._chunks()


class _AsyncBody(_Body):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks():
            yield chunk


# ---------------------------------------------------------------- the job


class _GaveUp(Exception):
    """A part failed on its last allowed attempt; carries the failure to the driver."""

    def __init__(self, attempts: int, error: Exception) -> None:
        super().__init__(attempts, error)
        self.attempts = attempts
        self.error = error


class _Described(Protocol):
    def with_options(self, options: Options) -> Self: ...


D = TypeVar("D", bound=_Described)


class _Ending(Enum):
    """What the server answered when asked to abort an upload."""

    ABORTED = "discarded: nothing was stored"
    COMPLETED = "an earlier `complete` stored the file, though its answer was lost"
    UNKNOWN = "the abort failed: the upload may still be pending"


def _ending(refusal: HotError) -> _Ending:
    """How an upload ended, from the failure of the request aborting it.

    crates/hot_api/src/handlers/files.rs abort_upload refuses an upload no longer
    pending with 409 `upload_not_pending`, naming its status: `completed` when a
    `complete` whose answer never arrived did store the file, `aborted` when an
    earlier abort (a repeat's first attempt) discarded it.
    """
    if isinstance(refusal, HotApiError) and refusal.code == UPLOAD_NOT_PENDING:
        status = upload_status(refusal.message)
        if status == UPLOAD_COMPLETED:
            return _Ending.COMPLETED
        if status == UPLOAD_ABORTED:
            return _Ending.ABORTED
    return _Ending.UNKNOWN


def _abort_refused(upload_id: str, refusal: HotError) -> _Ending:
    """`_ending(refusal)`, logged: a warning when the upload may still be pending."""
    ending = _ending(refusal)
    if ending is _Ending.UNKNOWN:
        logger.warning("could not abort upload %s: %s", upload_id, refusal)
    else:
        logger.info("aborting upload %s: %s (%s)", upload_id, ending.value, refusal)
    return ending


def _search_term(path: str) -> str:
    """A `files.list` search that selects the file at `path`, among others.

    The server reads a search term that parses as a UUID as a run id
    (crates/hot/src/db/file.rs list_files_by_env); any other term matches
    paths containing it, so a UUID-shaped path is searched without its last
    character.
    """
    try:
        UUID(path)
    except ValueError:
        return path
    return path[:-1]


def _at(path: str, files: Iterable[File]) -> File | None:
    return next((file for file in files if file.path == path), None)


@dataclass(frozen=True, slots=True)
class UploadCalls:
    """The descriptions of the file endpoints an upload uses (built by `files`)."""

    simple: Callable[[Any], Call[File]]
    initiate: Callable[[int | None], Call[InitiateUpload]]
    part: Callable[[str, int, Any], Call[UploadPart]]
    complete: Callable[[str], Call[File]]
    abort: Callable[[str], Call[None]]
    search: Callable[[str], ListCall[File]]

    def with_options(self, options: Options) -> UploadCalls:
        """These descriptions with per-request `options` applied to each."""

        def applied(describe: Callable[..., D]) -> Callable[..., D]:
            return lambda *args: describe(*args).with_options(options)

        return UploadCalls(
            applied(self.simple),
            applied(self.initiate),
            applied(self.part),
            applied(self.complete),
            applied(self.abort),
            applied(self.search),
        )


@dataclass(frozen=True, slots=True)
class UploadFile:
    """`files.upload_file`: store `source` at `path`, in parts when it is large."""

    calls: UploadCalls
    path: str
    source: UploadSource
    part_size: int | None
    concurrency: int
    on_progress: ProgressCallback | None

    def with_options(self, options: Options) -> UploadFile:
        return replace(self, calls=self.calls.with_options(options))

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.part_size is not None and self.part_size < 1:
            raise ValueError(f"part_size must be positive, got {self.part_size}")

    # -- pure decisions

    def _single_request(self, size: int) -> bool:
        """Whether `size` bytes go in one request. Parts of the caller's size too
        small to be assembled are refused here, before anything is sent."""
        if size <= (self.part_size or DEFAULT_PART_SIZE):
            return True
        if self.part_size is not None and self.part_size < MIN_PART_SIZE:
            raise ValueError(
                f"part_size {self.part_size} is below the minimum of {MIN_PART_SIZE} bytes "
                f"for every part but the last, and {size} bytes take more than one part: "
                f"pass a part_size of at least {MIN_PART_SIZE}, or none (the server's)"
            )
        return False

    def _expected_size(self, size: int) -> int | None:
        # The server derives the number of parts it expects from expected_size
        # and its own part size; parts of a caller-chosen size would not add up
        # to that count, so then the size is not announced.
        return size if self.part_size is None else None

    def _parts(self, size: int, started: InitiateUpload) -> tuple[Part, ...]:
        part_size = self.part_size or started.part_size
        if part_size > started.part_size:
            raise ValueError(
                f"part_size {part_size} exceeds the {started.part_size} bytes "
                "the server accepts per part"
            )
        return plan_parts(size, part_size)

    def _failed(
        self,
        message: str,
        cause: BaseException,
        upload_id: str | None = None,
        part: Part | None = None,
        aborted: bool = False,
        completed: bool = False,
    ) -> HotUploadError:
        error = HotUploadError(
            f"uploading {self.path!r} failed: {message}: {type(cause).__name__}: {cause}",
            path=self.path,
            upload_id=upload_id,
            part_number=None if part is None else part.number,
            aborted=aborted,
            completed=completed,
        )
        error.__cause__ = cause
        return error

    def _part_failed(
        self, schedule: PartSchedule, upload_id: str, ending: _Ending
    ) -> HotUploadError:
        assert schedule.failure is not None
        part, attempts, cause = schedule.failure
        return self._failed(
            f"part {part.number} of {len(schedule.parts)} (bytes {part.offset}-"
            f"{part.offset + part.size - 1}) failed after {attempts} attempt(s)",
            cause,
            upload_id,
            part,
            ending is _Ending.ABORTED,
        )

    def _unfinished(self, error: Exception, upload_id: str, ending: _Ending) -> HotUploadError:
        return self._failed(
            "the multipart upload did not finish",
            error,
            upload_id,
            aborted=ending is _Ending.ABORTED,
        )

    def _unread(self, error: Exception, upload_id: str) -> HotUploadError:
        return self._failed(
            "the server says the upload completed, so the file is stored, but its "
            "record could not be read",
            error,
            upload_id,
            completed=True,
        )

    # -- blocking driver

    def run(self, runner: SyncRunner) -> File:
        source = open_source(self.source)
        try:
            meter = ProgressMeter(source.size, self.on_progress)
            meter.start()
            if self._single_request(source.size):
                try:
                    stored = self._send(
                        runner, source, meter, Part(1, 0, source.size), self.calls.simple
                    )
                except _GaveUp as gave_up:
                    raise self._failed(
                        f"after {gave_up.attempts} attempt(s)", gave_up.error
                    ) from gave_up.error
            else:
                stored = self._run_multipart(runner, source, meter)
        finally:
            source.close()
        meter.finish()
        return stored

    def _run_multipart(self, runner: SyncRunner, source: Source, meter: ProgressMeter) -> File:
        try:
            started = runner.call(self.calls.initiate(self._expected_size(source.size)))
        except Exception as error:
            raise self._failed("starting the multipart upload", error) from error
        upload_id = started.upload_id
        try:
            schedule = PartSchedule(self._parts(source.size, started))

            def work() -> None:
                while (part := schedule.next()) is not None:
                    try:
                        send = partial(self.calls.part, upload_id, part.number)
                        self._send(runner, source, meter, part, send)
                    except _GaveUp as gave_up:
                        schedule.failed(part, gave_up.attempts, gave_up.error)

            with ThreadPoolExecutor(self.concurrency, "hot-typed-upload") as pool:
                workers = [pool.submit(work) for _ in range(self.concurrency)]
                try:
                    for worker in workers:
                        worker.result()
                except BaseException:
                    schedule.stop()
                    raise
            if schedule.failure is not None:
                raise self._part_failed(schedule, upload_id, self._abort(runner, upload_id))
            return runner.call(self.calls.complete(upload_id))
        except HotUploadError:
            raise
        except BaseException as error:
            ending = self._abort(runner, upload_id)
            if not isinstance(error, Exception):
                raise
            if ending is _Ending.COMPLETED:
                return self._stored(runner, started.path, upload_id, error)
            raise self._unfinished(error, upload_id, ending) from error

    def _send(
        self,
        runner: SyncRunner,
        source: Source,
        meter: ProgressMeter,
        part: Part,
        call: Callable[[Any], Call[R]],
    ) -> R:
        """Send `part` as the body of `call`, again after each failure the client's
        retry policy allows (`RetryPolicy.after_failure`)."""
        policy = runner.transport.settings.policy
        attempt = 0
        while True:
            attempt += 1
            try:
                data = source.read(part.offset, part.size)
                with _SyncBody(data, part.number, meter) as body:
                    del data
                    result = runner.call(_sent_once(call(body)))
            except Exception as error:
                delay = policy.after_failure(attempt - 1, error)
                if delay is None:
                    raise _GaveUp(attempt, error) from error
                logger.info("sending part %d again: %s", part.number, error)
                time.sleep(delay)
                continue
            meter.part_done(part.number, part.size)
            return result

    def _abort(self, runner: SyncRunner, upload_id: str) -> _Ending:
        try:
            runner.call(self.calls.abort(upload_id))
        except HotError as error:
            return _abort_refused(upload_id, error)
        return _Ending.ABORTED

    def _stored(self, runner: SyncRunner, path: str, upload_id: str, error: Exception) -> File:
        """The record of the file at `path`, which the upload stored though the
        answer to its `complete` (`error`) never arrived."""
        try:
            for page in runner.page(self.calls.search(_search_term(path))).iter_pages():
                if (stored := _at(path, page)) is not None:
                    return stored
        except HotError as lookup:
            raise self._unread(lookup, upload_id) from lookup
        raise self._unread(error, upload_id) from error

    # -- async driver

    async def arun(self, runner: AsyncRunner) -> File:
        source = await opened_in_thread(partial(open_source, self.source), lambda s: s.close())
        try:
            meter = ProgressMeter(source.size, self.on_progress)
            meter.start()
            if self._single_request(source.size):
                try:
                    stored = await self._asend(
                        runner, source, meter, Part(1, 0, source.size), self.calls.simple
                    )
                except _GaveUp as gave_up:
                    raise self._failed(
                        f"after {gave_up.attempts} attempt(s)", gave_up.error
                    ) from gave_up.error
            else:
                stored = await self._arun_multipart(runner, source, meter)
        finally:
            await asyncio.to_thread(source.close)
        meter.finish()
        return stored

    async def _arun_multipart(
        self, runner: AsyncRunner, source: Source, meter: ProgressMeter
    ) -> File:
        try:
            started = await runner.call(self.calls.initiate(self._expected_size(source.size)))
        except Exception as error:
            raise self._failed("starting the multipart upload", error) from error
        upload_id = started.upload_id
        try:
            schedule = PartSchedule(self._parts(source.size, started))

            async def work() -> None:
                while (part := schedule.next()) is not None:
                    try:
                        send = partial(self.calls.part, upload_id, part.number)
                        await self._asend(runner, source, meter, part, send)
                    except _GaveUp as gave_up:
                        schedule.failed(part, gave_up.attempts, gave_up.error)

            await asyncio.gather(*(work() for _ in range(self.concurrency)))
            if schedule.failure is not None:
                raise self._part_failed(schedule, upload_id, await self._aabort(runner, upload_id))
            return await runner.call(self.calls.complete(upload_id))
        except HotUploadError:
            raise
        except BaseException as error:
            ending = await self._aabort(runner, upload_id)
            if not isinstance(error, Exception):
                raise
            if ending is _Ending.COMPLETED:
                return await self._astored(runner, started.path, upload_id, error)
            raise self._unfinished(error, upload_id, ending) from error

    async def _asend(
        self,
        runner: AsyncRunner,
        source: Source,
        meter: ProgressMeter,
        part: Part,
        call: Callable[[Any], Call[R]],
    ) -> R:
        policy = runner.transport.settings.policy
        attempt = 0
        while True:
            attempt += 1
            try:
                data = await asyncio.to_thread(source.read, part.offset, part.size)
                with _AsyncBody(data, part.number, meter) as body:
                    del data
                    result = await runner.call(_sent_once(call(body)))
            except Exception as error:
                delay = policy.after_failure(attempt - 1, error)
                if delay is None:
                    raise _GaveUp(attempt, error) from error
                logger.info("sending part %d again: %s", part.number, error)
                await asyncio.sleep(delay)
                continue
            meter.part_done(part.number, part.size)
            return result

    async def _aabort(self, runner: AsyncRunner, upload_id: str) -> _Ending:
        try:
            await runner.call(self.calls.abort(upload_id))
        except HotError as error:
            return _abort_refused(upload_id, error)
        return _Ending.ABORTED

    async def _astored(
        self, runner: AsyncRunner, path: str, upload_id: str, error: Exception
    ) -> File:
        try:
            first = await runner.page(self.calls.search(_search_term(path)))
            async for page in first.iter_pages():
                if (stored := _at(path, page)) is not None:
                    return stored
        except HotError as lookup:
            raise self._unread(lookup, upload_id) from lookup
        raise self._unread(error, upload_id) from error
