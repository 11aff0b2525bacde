"""What Chromium downloads for the banner, against Gardien serving collected static files as
deployed (docs/consent.md, "Serving"): compressed, under hashed names cached for a year, and
nothing but at most a revalidation of the configuration on a second visit.

Behaviour only: the bytes are measured by bench/bench_banner_transfer.py.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from tests.consent.test_delivery import collect

HASHED = re.compile(r"^/static/consent/gardien\.[0-9a-f]{12}\.(js|css)$")
BANNER = ("/consent/", "/static/consent/")


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Deployed:
    """Gardien on a port of its own, loaded after the files were collected (WhiteNoise reads
    STATIC_ROOT when it starts); ``served`` lists (path, status) of every answer."""

    def __init__(self) -> None:
        self.served: list[tuple[str, int]] = []
        handler = WSGIHandler()

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            def start(status: str, headers: Any, exc_info: Any = None) -> Any:
                self.served.append((environ["PATH_INFO"], int(status.split()[0])))
                return start_response(status, headers, exc_info)

            try:
                return list(handler(environ, start))
            finally:
                connections.close_all()  # this request's thread ends here

        self.server = make_server("127.0.0.1", 0, app, _Threaded, _Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def banner_requests(self) -> list[tuple[str, int]]:
        return [(path, status) for path, status in self.served if path.startswith(BANNER)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(tmp_path_factory.mktemp("static"))


@pytest.fixture
def gardien(
    transactional_db: Any, collected: Path, settings: Any, published: Any
) -> Iterator[Deployed]:
    settings.STATIC_ROOT = collected
    settings.ALLOWED_HOSTS = ["*"]
    deployed = Deployed()
    settings.SITE_URL = deployed.url
    yield deployed
    deployed.stop()


def answers(page: Any) -> list[Any]:
    """Every response the page gets for the banner, redirects included."""
    seen: list[Any] = []
    page.on(
        "response",
        lambda r: seen.append(r) if urllib.parse.urlsplit(r.url).path.startswith(BANNER) else None,
    )
    return seen


def path_of(response: Any) -> str:
    return urllib.parse.urlsplit(response.url).path


def test_the_first_visit_gets_compressed_hashed_immutable_files(gardien, page):
    seen = answers(page)
    page.goto(gardien.url + "/")
    page.wait_for_selector("[role=dialog]", state="attached")
    page.wait_for_load_state("networkidle")
    by_path = {path_of(r): r for r in seen}

    redirect = by_path["/consent/gardien.js"]
    assert redirect.status == 302
    script_path = urllib.parse.urlsplit(redirect.headers["location"]).path
    styles = [p for p in by_path if p.endswith(".css")]
    assert len(styles) == 1, by_path  # straight to the hashed stylesheet, no second redirect
    for hashed in (script_path, styles[0]):
        assert HASHED.match(hashed), hashed
        response = by_path[hashed]
        assert response.status == 200
        assert response.headers["content-encoding"] in ("br", "gzip")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    configuration = by_path["/consent/config/fr.json"]
    assert configuration.status == 200
    assert configuration.headers["content-encoding"] in ("br", "gzip")
    assert configuration.json()["lang"] == "fr"  # decoded by the browser as the banner reads it


def test_a_second_visit_downloads_nothing_but_a_revalidation(gardien, new_page):
    first = new_page()
    first.goto(gardien.url + "/")
    first.wait_for_selector("[role=dialog]", state="attached")
    first.wait_for_load_state("networkidle")
    assert len(gardien.banner_requests()) == 4
    gardien.served.clear()

    second = first.context.new_page()
    second.goto(gardien.url + "/demo/contact/")
    second.wait_for_selector("[role=dialog]", state="attached")
    second.wait_for_load_state("networkidle")
    assert set(gardien.banner_requests()) <= {("/consent/config/fr.json", 304)}


def test_on_another_site_the_stylesheet_still_comes_from_gardien(gardien, new_page, other_site):
    site = other_site()
    site.page = (
        '<!doctype html><html lang="fr"><title>Coopo</title>'
        f'<script src="{gardien.url}/consent/gardien.js" defer></script><p>Coopo</p></html>'
    )
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site.origin + "/")
    page.wait_for_load_state("networkidle")
    styles = [u for u in requested if u.endswith(".css")]
    assert len(styles) == 1
    assert styles[0].startswith(gardien.url + "/static/consent/gardien.")
    assert f"{gardien.url}/consent/config/fr.json" in requested
