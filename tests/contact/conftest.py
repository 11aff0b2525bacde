"""Shared material for the contact tests: a published policy, a valid message, clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

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
def api(published: Any) -> Callable[..., Any]:
    """POST /api/contact from an allowed site, as the embedded form's script does."""
    client = Client(enforce_csrf_checks=True)

    def post(data: Any, *, origin: str | None = ORIGIN, **extra: Any) -> Any:
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        body = data if isinstance(data, (str, bytes)) else json.dumps(data)
        return client.post(
            "/api/contact", body, content_type="application/json", **headers, **extra
        )

    return post
