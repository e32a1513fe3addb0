"""Types for free? hot-typed side by side with the official SDK and with raw httpx.

    python bench/run.py            # the figures of bench/RESULTS.md
    python bench/run.py --smoke    # a tiny run that only proves the harness works

Contenders, all over the same loopback server (`bench/server.py`, its own
process, 64 KiB chunks):

* hot-typed: `HotClient` / `AsyncHotClient`, typed models;
* official: the `hot-dev` 1.2.0 SDK (`hot`), plain dicts: the cost of no types;
* raw: httpx + httpx-sse + `json.loads`: the practical limit;
* for pages only, "pydantic typed", "pydantic str" and "pydantic uuid": raw httpx and
  a plain pydantic model of the page, its values typed as hot-typed types them, all
  plain `str`, or typed with `uuid.UUID` ids, to split what typed models cost from
  what hot-typed adds.

Timed figures run the contenders interleaved, round after round (the order
rotates), after one untimed warm-up round, so drift on the machine hits every
contender alike. Each figure prints min and median and the ratios of hot-typed
to the others. A target is judged on the ratio of minimums: on a shared machine
other processes only ever add time, so the fastest of many rounds is the best
estimate of what each contender costs (the medians are printed beside them). Memory figures run
each contender in a fresh process so earlier figures cannot hide or add growth.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hot
import httpx
from httpx_sse import aconnect_sse, connect_sse
from pydantic import AwareDatetime, BaseModel

import hot_typed

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONTENDERS = ("hot-typed", "official", "raw")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Size:
    sse_events: int
    sse_rounds: int
    pages: int
    page_rounds: int
    import_reps: int
    memory_events: int
    memory_every: int
    subscriptions: int
    subscription_events: int
    subscription_rounds: int


FULL = Size(
    sse_events=20_000,
    sse_rounds=15,
    pages=100,
    page_rounds=40,
    import_reps=40,
    memory_events=1_000_000,
    memory_every=10_000,
    subscriptions=2000,
    subscription_events=200,
    subscription_rounds=3,
)
SMOKE = Size(
    sse_events=300,
    sse_rounds=2,
    pages=3,
    page_rounds=2,
    import_reps=2,
    memory_events=3_000,
    memory_every=1_000,
    subscriptions=5,
    subscription_events=20,
    subscription_rounds=1,
)


# ---------------------------------------------------------------- the server


@contextmanager
def serve() -> Iterator[str]:
    """Start `server.py` in its own process; yield its base URL."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stream_of(events: int) -> str:
    """The stream id the bench server answers with `events` events: the count
    as a UUID's number, as a stream id is a UUID."""
    return str(uuid.UUID(int=events))


# ---------------------------------------------------------------- one unit of work each


def stream_typed(client: hot_typed.HotClient, events: int) -> int:
    chars = 0
    for event in client.streams.subscribe(stream_of(events)):
        if isinstance(event, hot_typed.StreamData):
            chars += len(event.payload["text"])
    return chars


def stream_official(client: hot.HotClient, events: int) -> int:
    chars = 0
    for event in client.streams.subscribe(stream_of(events)):
        if event["type"] == "stream:data":
            chars += len(event["payload"]["text"])
    return chars


def stream_raw(client: httpx.Client, base: str, events: int) -> int:
    chars = 0
    url = f"{base}/v1/streams/{stream_of(events)}/subscribe"
    with connect_sse(client, "GET", url, headers=dict(AUTH)) as source:
        for sse in source.iter_sse():
            event = json.loads(sse.data)
            if event["type"] == "stream:data":
                chars += len(event["payload"]["text"])
    return chars


# Each run's id and status are read as an application would: the id kept (the text
# every contender gives), the status compared. The checksum counts the distinct ids
# and the runs that succeeded.


def pages_typed(client: hot_typed.HotClient, pages: int) -> int:
    ids: set[object] = set()
    succeeded = 0
    for page in range(pages):
        for run in client.runs.list(limit=100, offset=page * 100).data:
            ids.add(run.run_id)
            succeeded += run.status == "succeeded"
    return len(ids) * 1_000_000 + succeeded


def pages_official(client: hot.HotClient, pages: int) -> int:
    ids: set[object] = set()
    succeeded = 0
    for page in range(pages):
        for run in client.runs.list(limit=100, offset=page * 100)["data"]:
            ids.add(run["run_id"])
            succeeded += run["status"] == "succeeded"
    return len(ids) * 1_000_000 + succeeded


def pages_raw(client: httpx.Client, base: str, pages: int) -> int:
    ids: set[object] = set()
    succeeded = 0
    for page in range(pages):
        for run in json.loads(_page(client, base, page))["data"]:
            ids.add(run["run_id"])
            succeeded += run["status"] == "succeeded"
    return len(ids) * 1_000_000 + succeeded


def _page(client: httpx.Client, base: str, page: int) -> bytes:
    params = {"limit": 100, "offset": page * 100}
    response = client.get(f"{base}/v1/runs", params=params, headers=AUTH)
    response.raise_for_status()
    return response.content


# Three references for the pages figure, each raw httpx and a plain pydantic model
# of a run page, with no hot-typed code: one with the run's fields typed as
# hot-typed types them (text ids, aware datetimes, the status enums), one with
# every value a plain str, and one as the typed one but with `uuid.UUID` ids (as
# hot-typed had them until ids became text). Side by side they split hot-typed's
# cost over the official SDK into what building typed values costs and what
# hot-typed adds on top of pydantic, and show what UUID objects would cost.


class _TypedRun(BaseModel):
    run_id: str
    env_id: str
    stream_id: str
    build_id: str | None
    run_type: hot_typed.RunType
    status: hot_typed.RunStatus
    start_time: AwareDatetime
    stop_time: AwareDatetime | None
    origin_run_id: str | None
    event_id: str | None
    result: Any = None
    project_id: str | None = None
    project_name: str | None = None
    retry_attempt: int
    next_retry_at: AwareDatetime | None = None


class _UuidRun(_TypedRun):
    run_id: uuid.UUID  # type: ignore[assignment]
    env_id: uuid.UUID  # type: ignore[assignment]
    stream_id: uuid.UUID  # type: ignore[assignment]
    build_id: uuid.UUID | None  # type: ignore[assignment]
    origin_run_id: uuid.UUID | None  # type: ignore[assignment]
    event_id: uuid.UUID | None  # type: ignore[assignment]
    project_id: uuid.UUID | None = None  # type: ignore[assignment]


class _StrRun(BaseModel):
    run_id: str
    env_id: str
    stream_id: str
    build_id: str | None
    run_type: str
    status: str
    start_time: str
    stop_time: str | None
    origin_run_id: str | None
    event_id: str | None
    result: Any = None
    project_id: str | None = None
    project_name: str | None = None
    retry_attempt: int
    next_retry_at: str | None = None


class _Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    has_more: bool


class _TypedMeta(BaseModel):
    request_id: str
    timestamp: AwareDatetime


class _StrMeta(BaseModel):
    request_id: str
    timestamp: str


class _TypedPage(BaseModel):
    data: list[_TypedRun]
    pagination: _Pagination
    meta: _TypedMeta


class _StrPage(BaseModel):
    data: list[_StrRun]
    pagination: _Pagination
    meta: _StrMeta


class _UuidPage(BaseModel):
    data: list[_UuidRun]
    pagination: _Pagination
    meta: _TypedMeta


def pages_pydantic(
    page_model: type[_TypedPage | _StrPage | _UuidPage], client: httpx.Client, base: str, pages: int
) -> int:
    ids: set[object] = set()
    succeeded = 0
    for page in range(pages):
        for run in page_model.model_validate_json(_page(client, base, page)).data:
            ids.add(run.run_id)
            succeeded += run.status == "succeeded"
    return len(ids) * 1_000_000 + succeeded


# ---------------------------------------------------------------- measuring


@dataclass
class Figure:
    name: str
    unit: str
    samples: dict[str, list[float]]
    collecting: dict[str, list[float]] | None = None
    """Of each sample, the time CPython's cyclic garbage collector ran (timed figures)."""

    def line(self, contender: str) -> str:
        values = self.samples[contender]
        line = (
            f"  {contender:<14} min {min(values):10.3f} {self.unit:<3}"
            f" median {statistics.median(values):10.3f} {self.unit}  (n={len(values)})"
        )
        if self.collecting is not None:
            line += f"  gc median {statistics.median(self.collecting[contender]):7.3f} {self.unit}"
        return line

    def without_collector(self) -> Figure:
        """The same figure with each sample less the time the collector ran in it."""
        collecting = self.collecting
        assert collecting is not None
        samples = {
            contender: [t - c for t, c in zip(values, collecting[contender], strict=True)]
            for contender, values in self.samples.items()
        }
        return Figure(f"{self.name}, less the collector's time", self.unit, samples)

    def ratio(
        self, other: str, pick: Callable[[list[float]], float], of: str = "hot-typed"
    ) -> float:
        return pick(self.samples[of]) / pick(self.samples[other])

    def show(self) -> None:
        print(f"\n{self.name}")
        for contender in self.samples:
            print(self.line(contender))
        others = [other for other in self.samples if other != "hot-typed"]
        width = max(map(len, others))
        for other in others:
            print(
                f"  hot-typed / {other:<{width}}: min {self.ratio(other, min):.3f}x,"
                f" median {self.ratio(other, statistics.median):.3f}x"
            )


def interleaved(
    name: str, unit: str, scale: float, rounds: int, work: dict[str, Callable[[], int]]
) -> Figure:
    """Time each contender's `work` `rounds` times, interleaved, after a warm-up;
    every contender must return the same checksum (they decoded the same data)."""
    checks = {contender: run() for contender, run in work.items()}
    if len(set(checks.values())) != 1:
        raise AssertionError(f"{name}: contenders disagree on the data: {checks}")
    samples: dict[str, list[float]] = {contender: [] for contender in work}
    collecting: dict[str, list[float]] = {contender: [] for contender in work}
    order = list(work)
    with collector_clock() as collected:
        for round_ in range(rounds):
            turn = round_ % len(order)
            for contender in order[turn:] + order[:turn]:
                before = collected()
                started = time.perf_counter()
                work[contender]()
                samples[contender].append((time.perf_counter() - started) * scale)
                collecting[contender].append((collected() - before) * scale)
    return Figure(name, unit, samples, collecting)


@contextmanager
def collector_clock() -> Iterator[Callable[[], float]]:
    """Yield a reader of the seconds CPython's cyclic garbage collector has run
    so far: typed values are objects it tracks (a UUID is; a str is not), so the
    collections a contender's allocations set off are part of what it costs."""
    spent = 0.0
    started = 0.0

    def clock(phase: str, info: dict[str, int]) -> None:
        nonlocal spent, started
        if phase == "start":
            started = time.perf_counter()
        else:
            spent += time.perf_counter() - started

    gc.callbacks.append(clock)
    try:
        yield lambda: spent
    finally:
        gc.callbacks.remove(clock)


def figure_sse(base: str, size: Size) -> Figure:
    n = size.sse_events
    with (
        hot_typed.HotClient(TOKEN, base_url=base) as typed,
        hot.HotClient(token=TOKEN, base_url=base) as official,
        httpx.Client(timeout=60) as raw,
    ):
        return interleaved(
            f"SSE: {n:,} stream:data events through streams.subscribe, one stream",
            "ms",
            1000,
            size.sse_rounds,
            {
                "hot-typed": lambda: stream_typed(typed, n),
                "official": lambda: stream_official(official, n),
                "raw": lambda: stream_raw(raw, base, n),
            },
        )


def figure_pages(base: str, size: Size) -> Figure:
    n = size.pages
    with (
        hot_typed.HotClient(TOKEN, base_url=base) as typed,
        hot.HotClient(token=TOKEN, base_url=base) as official,
        httpx.Client(timeout=60) as raw,
    ):
        return interleaved(
            f"Pages: {n} x runs.list of 100 runs",
            "ms",
            1000,
            size.page_rounds,
            {
                "hot-typed": lambda: pages_typed(typed, n),
                "official": lambda: pages_official(official, n),
                "raw": lambda: pages_raw(raw, base, n),
                "pydantic typed": lambda: pages_pydantic(_TypedPage, raw, base, n),
                "pydantic str": lambda: pages_pydantic(_StrPage, raw, base, n),
                "pydantic uuid": lambda: pages_pydantic(_UuidPage, raw, base, n),
            },
        )


# What a program pays before its first call: the import and a client.
IMPORTS = {
    "hot-typed": "from hot_typed import HotClient; HotClient('t', base_url='http://127.0.0.1')",
    "official": "from hot import HotClient; HotClient(token='t', base_url='http://127.0.0.1')",
    "raw": "import json, httpx, httpx_sse; httpx.Client()",
}


# As on any install, imports may cache their bytecode: an interpreter told not
# to (PYTHONDONTWRITEBYTECODE) would recompile the editable package every time,
# while site-packages were compiled by pip.
_IMPORT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _spawn(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=_IMPORT_ENV)
    return time.perf_counter() - started


def figure_import(size: Size) -> Figure:
    """Wall time of a fresh interpreter that imports the package, minus the
    median of a bare interpreter measured in the same interleaved rounds."""
    statements = {"bare": "pass", **IMPORTS}
    for statement in statements.values():
        _spawn(statement)  # warm the file cache and the bytecode
    times: dict[str, list[float]] = {name: [] for name in statements}
    order = list(statements)
    for round_ in range(size.import_reps):
        for name in order[round_ % 4 :] + order[: round_ % 4]:
            times[name].append(_spawn(statements[name]))
    bare = statistics.median(times.pop("bare"))
    samples = {name: [(t - bare) * 1000 for t in values] for name, values in times.items()}
    figure = Figure(
        f"Import: `python -c '<import>'` net of a bare interpreter ({bare * 1000:.1f} ms)",
        "ms",
        samples,
    )
    figure.name += "".join(f"\n  ({name}) {statement}" for name, statement in IMPORTS.items())
    return figure


# ---------------------------------------------------------------- child processes


def _rss() -> int:
    """Resident set size now, in bytes (Linux); falls back to the peak elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak_rss()


def _peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _memory_events(contender: str, base: str) -> Iterator[object]:
    stream_id = stream_of(10**9)  # longer than any run: the child stops when it has seen enough
    if contender == "hot-typed":
        with (
            hot_typed.HotClient(TOKEN, base_url=base) as typed,
            typed.streams.subscribe(stream_id) as events,
        ):
            yield from events
    elif contender == "official":
        with hot.HotClient(token=TOKEN, base_url=base) as official:
            yield from official.streams.subscribe(stream_id)
    else:
        url = f"{base}/v1/streams/{stream_id}/subscribe"
        with httpx.Client(timeout=60) as raw, connect_sse(raw, "GET", url, headers=AUTH) as src:
            for sse in src.iter_sse():
                yield json.loads(sse.data)


def child_memory(contender: str, base: str, events: int, every: int) -> dict[str, Any]:
    """Stream `events` events, sampling RSS every `every`: growth is measured
    from the first sample, when every lazy structure has been built."""
    samples: list[int] = []
    started = time.perf_counter()
    stream = _memory_events(contender, base)
    for seen, _event in enumerate(stream, 1):
        if seen % every == 0:
            samples.append(_rss())
            if seen >= events:
                break
    getattr(stream, "close", lambda: None)()
    elapsed = time.perf_counter() - started
    return {
        "events": len(samples) * every,
        "seconds": elapsed,
        "first_mib": samples[0] / MiB,
        "growth_mib": (max(samples) - samples[0]) / MiB,
        "last_growth_mib": (samples[-1] - samples[0]) / MiB,
        "peak_mib": _peak_rss() / MiB,
    }


#: Streams per httpx pool in the best setup found for plain httpx (see RESULTS.md):
#: one pool's bookkeeping grows with the square of its connections.
STREAMS_PER_POOL = 32


class Pools(httpx.AsyncBaseTransport):
    """Plain httpx's best setup for thousands of open streams: `count` unlimited
    pools (one TLS context for all), taken in turn."""

    def __init__(self, count: int) -> None:
        context = httpx.create_ssl_context()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=STREAMS_PER_POOL)
        self.pools = [
            httpx.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(count)
        ]
        self.turn = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.turn = (self.turn + 1) % len(self.pools)
        return await self.pools[self.turn].handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


async def _subscribe_all(contender: str, base: str, subscriptions: int, events: int) -> int:
    """hot-typed over its own client, as a user creates it; official and raw over one
    httpx client with the best pool setup found for plain httpx (`Pools`)."""
    url = f"{base}/v1/streams/{stream_of(events)}/subscribe"

    async def typed(client: hot_typed.AsyncHotClient) -> int:
        count = 0
        async with client.streams.subscribe(stream_of(events)) as stream:
            async for event in stream:
                count += isinstance(event, hot_typed.StreamData)
        return count

    async def official(sdk: hot.AsyncHotClient) -> int:
        count = 0
        async for event in sdk.streams.subscribe(stream_of(events)):
            count += event["type"] == "stream:data"
        return count

    async def raw(http: httpx.AsyncClient) -> int:
        count = 0
        async with aconnect_sse(http, "GET", url, headers=dict(AUTH)) as source:
            async for sse in source.aiter_sse():
                count += json.loads(sse.data)["type"] == "stream:data"
        return count

    if contender == "hot-typed":
        async with hot_typed.AsyncHotClient(TOKEN, base_url=base, timeout=120) as client:
            results = await asyncio.gather(
                *(typed(client) for _ in range(subscriptions)), return_exceptions=True
            )
    else:
        pools = Pools(-(-subscriptions // STREAMS_PER_POOL))
        async with httpx.AsyncClient(timeout=120, transport=pools) as http:
            if contender == "official":
                sdk = hot.AsyncHotClient(token=TOKEN, base_url=base, client=http)
                jobs = [official(sdk) for _ in range(subscriptions)]
            else:
                jobs = [raw(http) for _ in range(subscriptions)]
            results = await asyncio.gather(*jobs, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        print(f"{contender}: {len(errors)} subscriptions failed: {errors[0]!r}", file=sys.stderr)
    return sum(1 for r in results if r == events)


def raise_open_files_limit() -> None:
    """Let this process hold a socket per subscription (and the server one per client)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def child_concurrent(contender: str, base: str, subscriptions: int, events: int) -> dict[str, Any]:
    raise_open_files_limit()
    before = _rss()
    started = time.perf_counter()
    complete = asyncio.run(_subscribe_all(contender, base, subscriptions, events))
    return {
        "complete": complete,
        "seconds": time.perf_counter() - started,
        "base_mib": before / MiB,
        "peak_mib": _peak_rss() / MiB,
    }


def _child(*args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def figure_memory(base: str, size: Size) -> dict[str, dict[str, Any]]:
    n, every = size.memory_events, size.memory_every
    print(f"\nMemory: streaming {n:,} events, RSS sampled every {every:,} (fresh process each)")
    results = {}
    for contender in CONTENDERS:
        r = results[contender] = _child("memory", contender, base, str(n), str(every))
        print(
            f"  {contender:<10} {r['events']:>9,} events in {r['seconds']:6.1f} s;"
            f" RSS at {every:,}: {r['first_mib']:6.1f} MiB,"
            f" growth after: max {r['growth_mib']:5.1f} MiB, at end {r['last_growth_mib']:5.1f} MiB"
        )
    return results


def figure_concurrent(base: str, size: Size) -> tuple[Figure, dict[str, dict[str, Any]]]:
    subs, n = size.subscriptions, size.subscription_events
    samples: dict[str, list[float]] = {c: [] for c in CONTENDERS}
    last: dict[str, dict[str, Any]] = {}
    for round_ in range(size.subscription_rounds):
        for contender in CONTENDERS[round_ % 3 :] + CONTENDERS[: round_ % 3]:
            r = last[contender] = _child("concurrent", contender, base, str(subs), str(n))
            if r["complete"] != subs:
                last[contender]["failed_round"] = round_
            samples[contender].append(r["seconds"] * 1000)
    figure = Figure(
        f"Async: {subs} concurrent subscriptions of {n} events each, one event loop"
        " (fresh process each, wall time of all)",
        "ms",
        samples,
    )
    figure.show()
    for contender, r in last.items():
        print(
            f"  {contender:<10} complete {r['complete']}/{subs};"
            f" RSS before {r['base_mib']:.1f} MiB, peak {r['peak_mib']:.1f} MiB"
        )
    return figure, last


# ---------------------------------------------------------------- main

FIGURES = ("sse", "pages", "import", "memory", "concurrent")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"
        f" ({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated figures to run (default: all of {','.join(FIGURES)})",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, contender, base, a, b = args.child
        child = child_memory if kind == "memory" else child_concurrent
        print(json.dumps(child(contender, base, int(a), int(b))))
        return 0

    size = SMOKE if args.smoke else FULL
    only = set(args.only.split(","))
    print(f"hot-typed {hot_typed.__version__} vs hot-dev (official) vs raw httpx + httpx-sse")
    print(f"machine: {machine()}")
    verdicts: list[tuple[str, bool]] = []
    best = min
    with serve() as base:
        if "sse" in only:
            sse = figure_sse(base, size)
            sse.show()
            verdicts.append(("SSE <= 1.00x official", sse.ratio("official", best) <= 1.00))
            verdicts.append(("SSE <= 1.15x raw", sse.ratio("raw", best) <= 1.15))
        if "pages" in only:
            pages = figure_pages(base, size)
            pages.show()
            plain = pages.ratio("official", best, "pydantic str")
            typed = pages.ratio("official", best, "pydantic typed")
            uuids = pages.ratio("official", best, "pydantic uuid")
            print(
                "  where the time goes, min over min:"
                f" pydantic str / official {plain:.3f}x,"
                f" pydantic typed / official {typed:.3f}x,"
                f" pydantic uuid / official {uuids:.3f}x,"
                f" hot-typed / pydantic typed {pages.ratio('pydantic typed', best):.3f}x"
            )
            pages.without_collector().show()
            ok = pages.ratio("official", best) <= 1.15
            verdicts.append(("runs.list pages <= 1.15x official", ok))
        if "import" in only:
            imports = figure_import(size)
            imports.show()
            ok = imports.ratio("official", best) <= 1.3
            verdicts.append(("import and a client <= 1.3x official", ok))
        if "memory" in only:
            memory = figure_memory(base, size)
            flat = memory["hot-typed"]["growth_mib"] < 20
            verdicts.append((f"memory growth < 20 MiB over {size.memory_events:,} events", flat))
        if "concurrent" in only:
            wall, concurrent = figure_concurrent(base, size)
            done = concurrent["hot-typed"]["complete"] == size.subscriptions
            done = done and "failed_round" not in concurrent["hot-typed"]
            target = f"{size.subscriptions} concurrent AsyncHotClient subscriptions all complete"
            verdicts.append((target, done))
            ok = wall.ratio("raw", best) <= 1.5
            verdicts.append((f"{size.subscriptions} subscriptions <= 1.5x raw httpx", ok))

    print()
    for target, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {target}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
