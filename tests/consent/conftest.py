"""Shared material for the consent tests: a fresh configuration cache, valid choices, clients."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from gardien.manifest import Manifest, load_path
from tests.wsgi_client import Served, call_wsgi, wsgi_environ

ORIGIN = "https://www.coopo.fr"


def recomputed_hash(document: dict[str, Any]) -> str:
    """The contract's hash, computed here independently of Gardien's code."""
    without = {k: v for k, v in document.items() if k != "hash"}
    text = json.dumps(without, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    """Every test's choices come from 127.0.0.1: each test starts with a full bucket."""
    from gardien.consent import throttle

    throttle.forget()


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
# (the client itself is tests/wsgi_client.py)


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
