"""`python -m hot_typed fake-server`: the emulator as a process any client can use."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import hot
import httpx
import pytest

from hot_typed import HotClient, HotRunError, RunStart, RunStop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hot_typed", "fake-server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = start("--port", str(port))
    assert process.stdout is not None
    banner = process.stdout.readline()
    try:
        yield process, banner
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)


def test_fake_server_serves_any_client_on_loopback_until_interrupted(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, banner = server
    base_url = banner.split(" on ")[1].split(" ")[0]
    assert base_url.startswith("http://127.0.0.1:")
    with HotClient("any-token", base_url=base_url) as client:
        event = client.events.publish({"event_type": "ping", "event_data": {"n": 1}})
        with client.streams.subscribe(event.stream_id) as stream:
            events = [next(stream), next(stream)]
        assert [type(e) for e in events] == [RunStart, RunStop]
    with hot.HotClient(token="another-token", base_url=base_url) as sdk:
        assert sdk.events.get(str(event.event_id))["event_data"] == {"n": 1}
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err


def test_fake_server_stops_cleanly_on_sigterm(server: tuple[subprocess.Popen[str], str]) -> None:
    process, _ = server
    process.terminate()
    process.communicate(timeout=10)
    assert process.returncode == 0


def test_fake_server_with_an_api_key_refuses_other_tokens() -> None:
    port = free_port()
    process = start("--port", str(port), "--api-key", "secret")
    try:
        assert process.stdout is not None
        process.stdout.readline()
        url = f"http://127.0.0.1:{port}/v1/env"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer secret"}).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_fake_server_reports_a_busy_port_and_exits_non_zero() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start("--port", str(taken.getsockname()[1]))
        _, err = process.communicate(timeout=10)
    assert process.returncode == 1
    assert "cannot listen on 127.0.0.1" in err


def test_cli_lists_its_commands_and_requires_one(capsys: pytest.CaptureFixture[str]) -> None:
    from hot_typed.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "fake-server" in capsys.readouterr().out


def test_fake_server_serves_the_demo_functions_the_readme_calls(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    _, banner = server
    base_url = banner.split(" on ")[1].split(" ")[0]
    with HotClient("any-token", base_url=base_url) as client:
        assert client.events.call_hot("::demo::math/add", [2, 3], result_type=int) == 5


def test_fake_server_without_demo_handlers_has_no_functions() -> None:
    port = free_port()
    process = start("--port", str(port), "--no-demo-handlers")
    try:
        assert process.stdout is not None
        process.stdout.readline()
        base_url = f"http://127.0.0.1:{port}"
        with (
            HotClient("any-token", base_url=base_url) as client,
            pytest.raises(HotRunError, match="::demo::math/add"),
        ):
            client.events.call_hot("::demo::math/add", [2, 3], timeout=10)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_cli_prints_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    from hot_typed import __version__
    from hot_typed.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"hot-typed {__version__}"


@pytest.mark.parametrize(
    ("argv0", "shown"),
    [
        ("/venv/bin/hot-typed", "usage: hot-typed "),
        ("/src/hot_typed/__main__.py", "usage: python -m hot_typed "),
    ],
)
def test_cli_usage_names_the_command_the_user_typed(argv0: str, shown: str) -> None:
    code = "import sys; from hot_typed.__main__ import main; sys.argv[0] = sys.argv[1]; main([])"
    done = subprocess.run(
        [sys.executable, "-c", code, argv0], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith(shown)
