"""The demo's chat page, used by a person in a real headless Chromium.

The page and its proxy are served by uvicorn; a recording forwarder sits
between the browser and the server, so every byte the browser sent or got is
checked for the token, as are Chromium's own network events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from hot_typed import AsyncHotClient
from hot_typed._web_demo import DEMO_USER, ChatDemo, install_chat_handler
from hot_typed.testing import HotEmulator

from .asgi_server import UvicornThread
from .recording_proxy import RecordingForwarder

TOKEN = "hot_browser_secret_" + uuid4().hex
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=800,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the page did not get there in time")
        time.sleep(0.01)


def ask(driver: WebDriver, question: str, event_type: str = "chat:ask") -> None:
    Select(driver.find_element(By.ID, "event-type")).select_by_value(event_type)
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def bot_bubbles(driver: WebDriver) -> list[str]:
    return [b.text for b in driver.find_elements(By.CSS_SELECTOR, ".bubble.bot")]


def test_a_person_chats_through_the_proxy_and_never_meets_the_token(
    browser: webdriver.Chrome,
) -> None:
    with HotEmulator(api_key=TOKEN) as emulator:
        install_chat_handler(emulator, delay=0.02)
        app = ChatDemo(AsyncHotClient(TOKEN, base_url=emulator.base_url))
        with UvicornThread(app) as server, RecordingForwarder(server.port) as tap:
            browser.get(f"http://127.0.0.1:{tap.port}/")
            assert browser.title == "hot-typed chat demo"

            ask(browser, "What is Hot?")
            # The reply is seen part-way: it streams into the page.
            partial = wait_for(lambda: [t for t in bot_bubbles(browser) if "Hello" in t])
            assert "type, added your user id" not in partial[0]
            first = wait_for(
                lambda: [t for t in bot_bubbles(browser) if t.endswith("arrived.")]
            )[0]
            assert first.startswith(f'Hello {DEMO_USER}! You asked "What is Hot?". The browser')

            ask(browser, "And a second question?")
            wait_for(lambda: len([t for t in bot_bubbles(browser) if t.endswith("arrived.")]) == 2)
            assert "And a second question?" in bot_bubbles(browser)[1]

            ask(browser, "Reset everything", event_type="admin:reset")
            refusal = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".bubble.error"))
            assert refusal[0].text == "event type 'admin:reset' is not allowed here (403 forbidden)"

            ARTIFACTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "web-demo.png"))
            page = browser.page_source
            storage = browser.execute_script(
                "return JSON.stringify([document.cookie, localStorage, sessionStorage])"
            )
            # Chromium's network events (requests and responses, headers included).
            log = browser.get_log("performance")  # type: ignore[no-untyped-call]  # untyped upstream
            network = json.dumps(log)
            recorded = tap.recorded()

    assert TOKEN not in page
    assert TOKEN not in storage
    assert "Network.responseReceived" in network
    assert TOKEN not in network
    assert b"POST /api/hot HTTP" in recorded
    assert b"POST /api/hot/publish HTTP" in recorded  # the second turn: no second subscriber
    assert b"chat:reply:delta" in recorded
    assert TOKEN.encode() not in recorded
    # The token went where it belongs: to Hot, from the server.
    assert emulator.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_the_page_reattaches_when_hot_ends_its_stream_and_keeps_answering(
    browser: webdriver.Chrome,
) -> None:
    # A 1 s stream window stands for Hot's 5 minutes.
    with HotEmulator(api_key=TOKEN, stream_time_limit=1.0) as emulator:
        install_chat_handler(emulator, delay=0)
        app = ChatDemo(AsyncHotClient(TOKEN, base_url=emulator.base_url))
        with UvicornThread(app) as server:
            browser.get(f"{server.base_url}/")
            ask(browser, "First?")
            wait_for(lambda: [t for t in bot_bubbles(browser) if t.endswith("arrived.")])
            status = browser.find_element(By.ID, "status")
            wait_for(lambda: status.text.endswith("reattached"))
            stream_id = status.text.split()[1]
            assert emulator.subscribers(stream_id) == 1
            ask(browser, "Second?")
            wait_for(lambda: len([t for t in bot_bubbles(browser) if t.endswith("arrived.")]) == 2)
    reattaches = [
        r for r in emulator.requests if r.method == "GET" and r.path.endswith("/subscribe")
    ]
    assert reattaches
    assert {r.path for r in reattaches} == {f"/v1/streams/{stream_id}/subscribe"}
    assert [r.path for r in emulator.requests if r.method == "POST"] == [
        "/v1/streams/subscribe-with-event",
        "/v1/events",
    ]
