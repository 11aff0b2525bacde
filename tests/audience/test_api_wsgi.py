"""POST /api/audience keeps every guarantee of the lean path on its shorter way.

The usual page view skips URL resolution and sends its 204 with headers built once
(``gardien.wsgi.AudienceHandler``); the Host check, SecurityMiddleware's headers and
redirect, the Origin rules, the request signals and Django's error answers must hold as
for the consent API (tests/consent/test_wsgi_fast_path.py).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.test import override_settings

from gardien.audience.models import PageView
from tests.audience.conftest import ORIGIN, view_body

PRODUCTION_HOST = "privacy.example.org"
PRODUCTION = {
    "ALLOWED_HOSTS": [PRODUCTION_HOST],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


def _cookies(response: Any) -> list[str]:
    return [v for k, v in response.header_list if k.lower() == "set-cookie"]


def test_a_page_view_has_the_security_and_cors_headers_and_no_cookie(published, post_view):
    for page in ("/a", "/b"):  # the second answer uses the headers built for the first
        response = post_view(view_body(url=f"{ORIGIN}{page}"))
        assert response.status_code == 204, response
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        assert response["Vary"] == "Origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response
        assert "X-Frame-Options" not in response
        assert not _cookies(response)
    assert PageView.objects.count() == 2


def test_each_origin_gets_its_own_cors_header(published, post_view):
    first = post_view(view_body(url=f"{ORIGIN}/a"))
    other = post_view(view_body(url="https://coopo.fr/a"), origin="https://coopo.fr")
    assert first["Access-Control-Allow-Origin"] == ORIGIN
    assert other["Access-Control-Allow-Origin"] == "https://coopo.fr"


def test_an_unknown_host_is_refused_with_400_and_writes_nothing(published, post_view):
    response = post_view(host="evil.example")

    assert response.status_code == 400, response
    assert "Access-Control-Allow-Origin" not in response  # the view never ran
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not PageView.objects.exists()


def test_production_redirects_plain_http_and_sends_hsts_over_https(published, post_view):
    with override_settings(**PRODUCTION):
        plain = post_view(host=PRODUCTION_HOST)
        secure = post_view(
            view_body(url=f"{ORIGIN}/b"), host=PRODUCTION_HOST, HTTP_X_FORWARDED_PROTO="https"
        )
        foreign = post_view(host="evil.example", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301, plain
    assert plain["Location"] == f"https://{PRODUCTION_HOST}/api/audience"
    assert secure.status_code == 204, secure
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert foreign.status_code == 400
    assert PageView.objects.count() == 1
    # The override has ended: no HSTS, no redirect.
    after = post_view(view_body(url=f"{ORIGIN}/c"))
    assert after.status_code == 204
    assert "Strict-Transport-Security" not in after


def test_the_headers_follow_the_settings_of_security_middleware(published, post_view):
    with override_settings(SECURE_REFERRER_POLICY="no-referrer", SECURE_CONTENT_TYPE_NOSNIFF=False):
        changed = post_view()
    assert changed["Referrer-Policy"] == "no-referrer"
    assert "X-Content-Type-Options" not in changed


def test_a_refusal_has_the_security_headers_and_is_logged_as_django_logs_it(
    published, post_view, caplog
):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = post_view(b"{not json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["X-Content-Type-Options"] == "nosniff"
    assert [r.status_code for r in caplog.records if r.name == "django.request"] == [400]


def test_an_error_in_the_view_is_djangos_500_logged_and_writes_nothing(
    published, post_view, monkeypatch, caplog
):
    from gardien.audience import batch

    def broken(row: Any) -> None:
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(batch, "write", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = post_view()

    assert response.status_code == 500, response
    assert b"on fire" not in response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)
    assert not PageView.objects.exists()


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_every_answer_but_the_usual_page_view_sends_the_request_signals(
    published, post_view, origin
):
    # The usual page view's receivers (close_old_connections, close_caches) would cost more
    # than the view; the batch writer checks its own connection (the tests below).
    seen: list[str] = []

    def started(sender: Any, **kwargs: Any) -> None:
        seen.append("started")

    def finished(sender: Any, **kwargs: Any) -> None:
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        usual = post_view()
        assert seen == []
        other = post_view(origin=origin)
        refused = post_view(b"{not json")
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert (usual.status_code, refused.status_code) == (204, 400)
    assert other.status_code == 403
    # A refusal of the usual page view is closed as any response, with request_finished.
    assert seen == ["started", "finished", "finished"]


@pytest.mark.django_db(transaction=True)
def test_it_stores_with_the_connection_handling_of_a_served_process(published, post_view):
    # No test transaction: close_old_connections runs on both signals, as under gunicorn.
    first = post_view(view_body(url=f"{ORIGIN}/a"), keep_test_connection=False)
    second = post_view(view_body(url=f"{ORIGIN}/b"), keep_test_connection=False)
    assert (first.status_code, second.status_code) == (204, 204)
    assert PageView.objects.count() == 2


def test_the_plain_answer_leaves_out_the_type_and_the_preflight_headers(published, post_view):
    from tests.wsgi_client import call_wsgi, wsgi_environ

    for page in ("/a", "/b"):
        response = post_view(view_body(url=f"{ORIGIN}{page}"))
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        for name in ("Content-Type", "Access-Control-Allow-Methods", "Access-Control-Max-Age"):
            assert name not in response
    preflight = call_wsgi(wsgi_environ("OPTIONS", "/api/audience", b"", headers={"Origin": ORIGIN}))
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
