"""Browser tests: real Chromium driven by Playwright against Django's live server.

They need Debian's Chromium at /usr/bin/chromium (never a downloaded browser) and the
playwright package. Without them every browser test is skipped with one line saying why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("GARDIEN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _why_not() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(install Debian's package: apt-get install chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is not installed (make install)"
    return None


REASON = _why_not()
_reported = False


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    global _reported
    browser_items = [i for i in items if "tests/browser/" in str(i.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
        if REASON:
            item.add_marker(pytest.mark.skip(reason=REASON))
    if REASON and browser_items and not _reported:
        _reported = True
        config.issue_config_time_warning(pytest.PytestWarning(REASON), stacklevel=2)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the
    # live server and the fixtures) is safe here because nothing else runs concurrently.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server: Any, settings: Any, published: Any) -> str:
    """The demo site page and Gardien on the same live server, with the Coopo policy."""
    settings.SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


# A missing element or answer fails in seconds, not after Playwright's default 30 s.
TIMEOUT_MS = 8000


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Pages in fresh contexts with options (locale fr-FR unless given); init_script= adds one."""
    contexts: list[Any] = []

    def make(init_script: str | None = None, **options: Any) -> Any:
        options.setdefault("locale", "fr-FR")
        context = chromium.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        if init_script:
            context.add_init_script(init_script)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def other_site() -> Iterator[Callable[[], Any]]:
    """Start pages on origins other than Gardien's (helpers.OtherSite); stopped afterwards."""
    from tests.browser.helpers import OtherSite

    started: list[OtherSite] = []

    def start() -> OtherSite:
        started.append(OtherSite())
        return started[-1]

    yield start
    for other in started:
        other.stop()
