"""Shared material for the consent tests: a fresh configuration cache, valid choices, clients."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils.datastructures import CaseInsensitiveMapping

from gardien.manifest import Manifest, load_path

ORIGIN = "https://www.coopo.fr"


def recomputed_hash(document: dict[str, Any]) -> str:
    """The contract's hash, computed here independently of Gardien's code."""
    without = {k: v for k, v in document.items() if k != "hash"}
    text = json.dumps(without, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def browser(db: Any) -> Client:
    """A client that enforces CSRF like a real browser."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def document(published: Any, browser: Client) -> Callable[[str], dict[str, Any]]:
    def fetch(lang: str = "fr") -> dict[str, Any]:
        response = browser.get(f"/consent/config/{lang}.json")
        assert response.status_code == 200, response.content
        return response.json()

    return fetch


@pytest.fixture
def choice(document: Callable[[str], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A valid body for POST /api/consent, against the published configuration."""

    def make(lang: str = "fr", **changes: Any) -> dict[str, Any]:
        doc = document(lang)
        body = {
            "consent_id": None,
            "action": "custom",
            "decisions": {"audience": True, "brevo_tracking": False},
            "version": doc["version"],
            "config_hash": doc["hash"],
            "lang": lang,
            "gpc": False,
        }
        body.update(changes)
        return body

    return make


@pytest.fixture
def post_choice(browser: Client) -> Callable[..., Any]:
    """POST a choice from the organisation's site, as the banner does."""

    def post(body: Any, *, origin: str | None = ORIGIN, **extra: Any) -> Any:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers = {"Origin": origin} if origin else {}
        kwargs = {"content_type": "application/json", **extra}
        return browser.post("/api/consent", data=data, headers=headers, **kwargs)

    return post


@pytest.fixture
def coopo_manifest(coopo_path: Path) -> Manifest:
    return load_path(coopo_path)


@pytest.fixture
def edited_manifest(coopo_path: Path, tmp_path: Path) -> Callable[..., Path]:
    """A copy of the Coopo manifest with exact, single-occurrence replacements."""
    counter = iter(range(1000))

    def edit(*replacements: tuple[str, str]) -> Path:
        text = coopo_path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
            text = text.replace(old, new)
        target = tmp_path / f"edited-{next(counter)}" / "gardien.toml"
        target.parent.mkdir()
        target.write_text(text, encoding="utf-8")
        return target

    return edit


# --------------------------------------------------------------------------- as gunicorn serves it


class Served:
    """One answer of ``gardien.wsgi.application``: the status line, headers and body sent."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status = status
        self.status_code = int(status.split(" ", 1)[0])
        self.header_list = headers
        self.headers = CaseInsensitiveMapping(dict(headers))
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return str(self.headers[name])

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def __repr__(self) -> str:
        return f"<Served {self.status} {self.content[:200]!r}>"


def wsgi_environ(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    host: str = "testserver",
    headers: dict[str, str] | None = None,
    **extra: str,
) -> dict[str, Any]:
    """The environ gunicorn builds for one request; ``extra`` adds or replaces raw keys."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "gunicorn",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value
    environ.update(extra)
    return environ


def call_wsgi(environ: dict[str, Any], *, keep_test_connection: bool = True) -> Served:
    """Call ``gardien.wsgi.application`` as a WSGI server does: start_response, iterate the
    body, then ``close()`` it (which sends ``request_finished``).

    ``keep_test_connection``: as Django's test client does, ``close_old_connections`` is
    kept off the request signals, so that the test's transaction survives the request. A
    test with ``transactional_db`` passes False and gets the signals exactly as served.
    """
    from gardien.wsgi import application

    answer: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        answer["status"], answer["headers"] = status, response_headers
        return lambda data: None

    if keep_test_connection:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    finally:
        if keep_test_connection:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
    return Served(answer["status"], answer["headers"], content)


@pytest.fixture
def served(db: Any) -> Callable[..., Served]:
    """``served(method, path, body, host=..., headers={...}, **raw_environ)``: one request
    through ``gardien.wsgi.application``, the callable gunicorn serves (see ``call_wsgi``
    for ``keep_test_connection``)."""

    def serve(
        method: str,
        path: str = "/api/consent",
        body: bytes = b"",
        *,
        keep_test_connection: bool = True,
        **kwargs: Any,
    ) -> Served:
        environ = wsgi_environ(method, path, body, **kwargs)
        return call_wsgi(environ, keep_test_connection=keep_test_connection)

    return serve


@pytest.fixture
def served_post_choice(served: Callable[..., Served]) -> Callable[..., Served]:
    """As ``post_choice``, through ``gardien.wsgi.application`` instead of the test client."""

    def post(
        body: Any,
        *,
        origin: str | None = ORIGIN,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Served:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        raw = data.encode() if isinstance(data, str) else data
        sent = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
        return served("POST", "/api/consent", raw, headers={**sent, **(headers or {})}, **extra)

    return post
