"""`python -m hot_typed demo --web`: the chat page and its proxy, served until Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from hot_typed.__main__ import main


def test_demo_web_prints_its_url_serves_the_page_and_proxy_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hot_typed", "demo", "--web", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+/) ", banner)
        assert match, banner
        url = match.group(1)
        with httpx.Client(base_url=url, timeout=5) as browser:
            page = browser.get("/")
            assert page.status_code == 200
            assert "<title>hot-typed chat demo</title>" in page.text
            body = {"eventType": "chat:ask", "eventData": {"question": "hi", "message_id": "m"}}
            with browser.stream("POST", "/api/hot", json=body) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    if '"data_type":"chat:reply:delta"' in line:
                        assert '"text":"Hello"' in line
                        break
            refused = browser.post("/api/hot", json={"eventType": "admin:reset"})
            assert refused.status_code == 403
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert out.strip().endswith("stopped")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_demo_web_says_how_to_get_uvicorn_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` raises ImportError
    assert main(["demo", "--web"]) == 1
    assert 'pip install "hot-typed[web]"' in capsys.readouterr().out


def test_demo_web_refuses_the_live_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--web", "--live"]) == 2
    assert "--web serves the emulator" in capsys.readouterr().err
