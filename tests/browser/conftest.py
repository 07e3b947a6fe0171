"""Browser fixtures: the real app served by werkzeug on 127.0.0.1, and Debian's Chromium driven by Playwright.

Chromium is never downloaded: Playwright launches /usr/bin/chromium. Without it the browser tests skip,
except in CI (``CI=1`` or ``JUHTUM_REQUIRE_BROWSER=1``), where they fail so a missing browser is never
mistaken for a pass.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long a single step (navigation, click, wait for a selector) may take, in milliseconds.
STEP_TIMEOUT_MS = 15_000


def browser_required() -> bool:
    """True in CI (``CI``) or when asked (``JUHTUM_REQUIRE_BROWSER``): a missing Chromium then fails."""
    off = ("", "0", "false", "no", "off")
    return any(os.environ.get(name, "").strip().lower() not in off for name in ("CI", "JUHTUM_REQUIRE_BROWSER"))


class LiveServer:
    """The Flask app served on a free port of 127.0.0.1 from a background thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="juhtum-live-server", daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """``live_server.url`` serves ``app`` (the parametrised SQLite / PostgreSQL app) until the test ends."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium, shared by the session's browser tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
        if browser_required():
            pytest.fail(f"browser tests are required here (CI / JUHTUM_REQUIRE_BROWSER), but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) and page, pointed at the live server."""
    context = chromium.new_context(
        base_url=live_server.url, locale="et-EE", timezone_id="Europe/Tallinn", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where a flow test saves its screenshots: a scratch folder, so a test run leaves the checkout as
    it was; ``JUHTUM_SCREENSHOTS=docs/screenshots`` retakes the README's pictures."""
    chosen = os.environ.get("JUHTUM_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path
