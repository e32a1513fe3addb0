"""Leaving a loop over a stream early, without closing it, on any event loop: the
connection is closed while the loop runs on, a loop closed right away reports
no task destroyed pending and no coroutine never awaited, and a stream kept past
the end of its loop is dropped without an error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each scenario runs in its own interpreter: what a loop leaves behind is
# reported when that interpreter collects it, and warnings are errors there.
PROGRAM = textwrap.dedent(
    """
    import asyncio, gc, sys
    from uuid import uuid4
    from tests.sse_script import HOLD, SseScript, event, run
    from hot_typed import AsyncHotClient, HotClient

    START = {"type": "run:start", "run": run(uuid4())}
    style = sys.argv[1]

    with SseScript([event(START), event(START), HOLD]) as server:
        url = server.server.base_url
        if style == "sync":
            client = HotClient("t", base_url=url, max_retries=0)
            for _ in client.streams.subscribe(uuid4()):
                break
        else:
            client = AsyncHotClient("t", base_url=url, max_retries=0)

            async def main():
                stream = client.streams.subscribe(uuid4())
                async for _ in stream:
                    break
                if style == "kept past its loop":
                    return stream
                del stream  # dropped unfinished while its loop runs
                if style == "loop goes on":
                    for _ in range(200):
                        await asyncio.sleep(0.005)
                        if server.open_streams == 0:
                            break
                    print("closed while running:", server.open_streams == 0)

            if style == "asyncio.run":
                asyncio.run(main())
            elif style == "kept past its loop":
                kept = asyncio.run(main())
                del kept  # dropped unfinished after its loop ended
            else:
                loop = asyncio.new_event_loop()
                loop.run_until_complete(main())
                loop.close()
        gc.collect()
        print("closed:", server.wait_all_closed(2.0))
    """
)


def scenario(style: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", PROGRAM, style],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("style", ["sync", "asyncio.run", "loop goes on", "kept past its loop"])
def test_breaking_out_early_closes_the_connection_without_warnings(style: str) -> None:
    done = scenario(style)

    assert done.returncode == 0, done.stderr
    assert "closed: True" in done.stdout
    if style == "loop goes on":
        assert "closed while running: True" in done.stdout
    assert "Task was destroyed" not in done.stderr
    assert "never awaited" not in done.stderr
    assert "Exception ignored" not in done.stderr


def test_breaking_out_on_a_loop_closed_right_after_reports_nothing_pending() -> None:
    # The loop stops one step after the break: nothing can close the socket any
    # more (asyncio closes sockets on the loop), but nothing is left half-run.
    done = scenario("loop closed right after")

    assert done.returncode == 0, done.stderr
    assert "Task was destroyed" not in done.stderr
    assert "never awaited" not in done.stderr
