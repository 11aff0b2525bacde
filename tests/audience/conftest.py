"""Shared material for the audience tests: page views posted as gunicorn serves them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.wsgi_client import Served, call_wsgi, wsgi_environ

ORIGIN = "https://www.coopo.fr"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
VISITOR = "abcdefghijklmnopqrstuv"


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    """Each test starts with full buckets and no recent page view; a writer thread a test
    started is stopped after it (with its database connection)."""
    from gardien.audience import api, batch

    api.forget()
    yield
    batch.stop()


def view_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": f"{ORIGIN}/adhesion",
        "referrer": "https://duckduckgo.com/?q=coopo",
        "screen": "desktop",
        "lang": "fr",
        "visitor": None,
    }
    body.update(changes)
    return body


@pytest.fixture
def post_view() -> Callable[..., Served]:
    """POST /api/audience through ``gardien.wsgi.application``."""

    def post(
        body: dict[str, Any] | bytes | None = None,
        *,
        origin: str | None = ORIGIN,
        agent: str | None = BROWSER,
        address: str = "203.0.113.7",
        content_type: str = "application/json",
        keep_test_connection: bool = True,
        **extra: str,
    ) -> Served:
        raw = (
            body
            if isinstance(body, bytes)
            else json.dumps(view_body() if body is None else body).encode()
        )
        headers = {"Content-Type": content_type}
        if origin is not None:
            headers["Origin"] = origin
        if agent is not None:
            headers["User-Agent"] = agent
        environ = wsgi_environ(
            "POST", "/api/audience", raw, headers=headers, REMOTE_ADDR=address, **extra
        )
        return call_wsgi(environ, keep_test_connection=keep_test_connection)

    return post
