"""The consent API as gunicorn calls it: through gardien.wsgi's lean path, no middleware."""

from __future__ import annotations

import io
import json
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from gardien.consent.models import ConsentRecord
from gardien.wsgi import application


@pytest.fixture
def wsgi(published: Any, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["gardien.test", "testserver"]


def _call(method: str, body: bytes, origin: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/api/consent",
        "HTTP_HOST": "gardien.test",
        "HTTP_ORIGIN": origin,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    # As Django's test client does: keep the test's database connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def _body(client: Any) -> bytes:
    document = client.get("/consent/config/fr.json").json()
    switches = [p["id"] for p in document["purposes"] if p["consent"] != "not_needed"]
    return json.dumps(
        {
            "consent_id": None,
            "action": "accept_all",
            "decisions": dict.fromkeys(switches, True),
            "version": document["version"],
            "config_hash": document["hash"],
            "lang": "fr",
            "gpc": False,
        }
    ).encode()


def test_it_records_a_choice_through_the_lean_path(wsgi, client):
    status, headers, content = _call("POST", _body(client), "https://coopo.fr")
    assert status.startswith("201")
    assert headers["Access-Control-Allow-Origin"] == "https://coopo.fr"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie
    consent_id = json.loads(content)["consent_id"]
    assert ConsentRecord.objects.filter(consent_id=consent_id, action="accept_all").exists()


def test_it_still_refuses_a_foreign_origin(wsgi, client):
    status, _headers, content = _call("POST", _body(client), "https://evil.example")
    assert status.startswith("403")
    assert "add its origin" in json.loads(content)["message"]
    assert not ConsentRecord.objects.exists()


def test_it_answers_the_preflight(wsgi):
    status, headers, _content = _call("OPTIONS", b"", "https://www.coopo.fr")
    assert status.startswith("204")
    assert "POST" in headers["Access-Control-Allow-Methods"]
