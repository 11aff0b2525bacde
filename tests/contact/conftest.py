"""Shared material for the contact tests: a published policy, a valid message, clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.wsgi_client import Served, call_wsgi, wsgi_environ

ORIGIN = "https://www.coopo.fr"


@pytest.fixture(autouse=True)
def _no_challenge_unless_asked(settings: Any) -> None:
    # Most tests are about the form; the challenge has tests of its own (test_antispam.py).
    settings.GARDIEN_ALTCHA = False


@pytest.fixture
def valid() -> Callable[..., dict[str, str]]:
    def make(**changes: str) -> dict[str, str]:
        data = {
            "last_name": "Durand",
            "first_name": "Camille",
            "status": "employee",
            "email": "camille.durand@example.org",
            "organization": "Atelier du Lac",
            "message": "Bonjour,\npouvez-vous me rappeler ?",
        }
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    return make


@pytest.fixture
def api(published: Any) -> Callable[..., Served]:
    """POST /api/contact from an allowed site, through ``gardien.wsgi.application`` as
    gunicorn serves it (the API is on the lean WSGI path)."""

    def post(
        data: Any,
        *,
        origin: str | None = ORIGIN,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Served:
        text = data if isinstance(data, (str, bytes)) else json.dumps(data)
        body = text.encode() if isinstance(text, str) else text
        sent = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
        return call_wsgi(
            wsgi_environ("POST", "/api/contact", body, headers={**sent, **(headers or {})})
        )

    return post
