"""Browser journeys: the system Chromium driven by pytest-playwright, against a live server."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import need

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def live_server(app):
    """The test app served on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def phone_page(browser):
    """A 360×740 page, a cheap phone's screen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, base: str, username: str, password: str = "matkhau-123") -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def desktop_page(browser):
    """A 1280×800 page (an officer's computer). Use this, not pytest-playwright's ``page``:
    that one pulls in pytest-base-url, whose session fixture warns under pytest 9."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
