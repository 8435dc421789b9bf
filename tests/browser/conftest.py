"""Playwright driving Debian's chromium against pytest-django's live server.

Every page is watched: console errors and any request that leaves the live server fail the test, and a
screenshot of the page is saved under test-artifacts/ when a test fails.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from core.browser import launch_chromium

if TYPE_CHECKING:
    import pluggy

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def chromium_browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # The first chart of a session parses plotly.js (1.5 MB): on a busy two-core machine that alone can take
    # longer than expect()'s default 5 s. Conditions are still waited on, just with more patience.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a test must not tolerate: console errors and requests leaving the server."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []

    def assert_clean(self) -> None:
        assert self.foreign_requests == [], f"requests left the live server: {self.foreign_requests}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium_browser: object, live_server: object) -> Iterator[object]:
    context = chromium_browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    watch = PageWatch()

    def guard(route: object) -> None:
        host = urlparse(route.request.url).hostname  # type: ignore[attr-defined]
        if host in LOCAL_HOSTS:
            route.continue_()  # type: ignore[attr-defined]
        else:
            watch.foreign_requests.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    page = context.new_page()

    def record_console_error(message: Any) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    page.on("console", record_console_error)
    page.on("pageerror", lambda error: watch.console_errors.append(str(error)))
    page.watch = watch
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# A page has settled once the fragments it loads after itself are in, no htmx request is under way, every chart
# is drawn and every image has loaded (or failed): what waiting for the network to be idle gives, without the
# half second of silence that wait takes on every page.
SETTLED = """() => !document.querySelector('[hx-trigger="load"], .htmx-request')
  && [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.drawn === '1')
  && [...document.images].every(image => image.complete)"""


def settle(page: object) -> None:
    page.wait_for_function(SETTLED)  # type: ignore[attr-defined]


def login(page: object, username: str, password: str = "correct horse battery staple") -> None:
    page.goto("/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]  # the next goto must not race the POST
        page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]


def allow_form_action(settings: Any, origin: str) -> None:
    """Let a form's answer redirect to `origin` (an identity provider's logout), as config.settings does for
    the providers named in the environment: browsers hold such a redirect to the form-action directive."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(origin)
    settings.CONTENT_SECURITY_POLICY = policy
