"""The consent API as gunicorn serves it: ``gardien.wsgi.application`` and its lean path.

The lean path skips Django's middleware stack but keeps the Host check, SecurityMiddleware
(HTTPS redirect, HSTS, nosniff, Referrer-Policy, Cross-Origin-Opener-Policy), the request
signals and Django's error answers. Every request here is a WSGI environ handed to the
callable, with start_response, the body iterated and closed, as gunicorn does.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.test import override_settings
from django.urls import resolve

from gardien.consent.models import ConsentRecord
from gardien.security import state_changing
from tests.environment import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_HOST = "privacy.example.org"
HSTS = "max-age=31536000; includeSubDomains; preload"

# Run in a fresh process with production settings from the environment, so that the
# handler is built at import exactly as gunicorn builds it: no override, no test database.
PRODUCTION_PROBE = r"""
import io, json, os, sys
from pathlib import Path

from gardien import settings as configured
from gardien.wsgi import application

def call(method, host, secure):
    body = b'{"action": "accept_all"}'
    environ = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": "/api/consent",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": host,
        "HTTP_ORIGIN": "https://coopo.fr", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    if method == "POST":
        environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    else:
        del environ["HTTP_ORIGIN"]
    if secure:
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)
    result = application(environ, start_response)
    b"".join(result)
    result.close()
    return seen

found = {
    "settings": {
        name: getattr(configured, name)
        for name in dir(configured)
        if name.startswith("SECURE_") and name != "SECURE_CSP"
    },
    "plain_post": call("POST", sys.argv[1], secure=False),
    "https_get": call("GET", sys.argv[1], secure=True),
    "foreign_plain": call("POST", "evil.example", secure=False),
    "foreign_https": call("POST", "evil.example", secure=True),
    "database_touched": Path(os.environ["GARDIEN_VAR_DIR"], "db.sqlite3").exists(),
}
json.dump(found, sys.stdout)
"""


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What gardien.wsgi does with the production settings (GARDIEN_PRODUCTION, behind a
    proxy), and those settings' SECURE_* values."""
    var_dir = tmp_path_factory.mktemp("production-wsgi")
    (var_dir / "static").mkdir()
    env = {
        **subprocess_env(var_dir),
        "GARDIEN_PRODUCTION": "true",
        "GARDIEN_BEHIND_PROXY": "true",
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "SITE_URL": f"https://{PRODUCTION_HOST}",
        "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3",
        "SECRET_KEY": _key() + _key(),
        "GARDIEN_FIELD_KEYS": _key(),
        "GARDIEN_BLIND_INDEX_KEY": _key(),
        "GARDIEN_AUDIT_KEYS": _key() + _key(),
    }
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE, PRODUCTION_HOST],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    proxy = found["settings"].get("SECURE_PROXY_SSL_HEADER")
    if proxy is not None:
        found["settings"]["SECURE_PROXY_SSL_HEADER"] = tuple(proxy)
    return found


@pytest.fixture
def body(choice: Any) -> dict[str, Any]:
    """A valid choice, read from the configuration document before any override."""
    return choice()  # type: ignore[no-any-return]


@pytest.fixture
def production_like(production: dict[str, Any], body: dict[str, Any]) -> Any:
    """This process's handler under the production SECURE_* settings (override_settings)."""
    with override_settings(ALLOWED_HOSTS=[PRODUCTION_HOST], **production["settings"]):
        yield


# --------------------------------------------------------------------------- development settings


def test_a_choice_writes_exactly_one_row_with_the_security_headers(served_post_choice, choice):
    body = choice("fr", action="accept_all", decisions={"audience": True, "brevo_tracking": True})
    response = served_post_choice(body, origin="https://coopo.fr")

    assert response.status_code == 201, response
    consent_id = response.json()["consent_id"]
    assert ConsentRecord.objects.count() == 1
    assert ConsentRecord.objects.get().consent_id == consent_id
    assert response["Access-Control-Allow-Origin"] == "https://coopo.fr"
    # From SecurityMiddleware and the SECURE_* settings, nowhere else.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP in development
    # Lean: no session, CSRF or language cookie, no page headers.
    assert not [v for k, v in response.header_list if k.lower() == "set-cookie"]
    assert "X-Frame-Options" not in response


def test_an_unknown_host_is_refused_with_400_and_writes_nothing(served_post_choice, choice):
    response = served_post_choice(choice(), origin="https://coopo.fr", host="evil.example")

    assert response.status_code == 400, response
    assert ConsentRecord.objects.count() == 0
    assert "Access-Control-Allow-Origin" not in response  # the view never ran
    # As in Django's full stack, SecurityMiddleware still marks the error answer.
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_host_in_allowed_hosts_is_accepted_with_its_port(served_post_choice, body, settings):
    settings.ALLOWED_HOSTS = ["gardien.test"]
    assert served_post_choice(body, host="gardien.test:8443").status_code == 201
    assert served_post_choice(body, host="testserver").status_code == 400
    assert ConsentRecord.objects.count() == 1


def test_a_malformed_body_gets_a_4xx_with_a_sentence(served_post_choice, published):
    response = served_post_choice(b'{"action": "custom",')

    assert response.status_code == 400, response
    answer = response.json()
    assert answer["error"] == "malformed_json"
    assert answer["message"][0].isupper() and answer["message"].endswith(".")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert ConsentRecord.objects.count() == 0


def test_another_content_type_gets_415_with_a_sentence(served_post_choice, choice):
    response = served_post_choice(json.dumps(choice()), content_type="text/plain")
    assert response.status_code == 415, response
    assert response.json()["message"].endswith(".")
    assert ConsentRecord.objects.count() == 0


def test_a_foreign_origin_is_refused_and_writes_nothing(served_post_choice, choice):
    response = served_post_choice(choice(), origin="https://evil.example")
    assert response.status_code == 403, response
    assert "add its origin" in response.json()["message"]
    assert ConsentRecord.objects.count() == 0


def test_the_preflight_from_an_allowed_origin_is_answered(served, published):
    preflight = served(
        "OPTIONS",
        "/api/consent",
        headers={
            "Origin": "https://www.coopo.fr",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204, preflight
    assert preflight["Access-Control-Allow-Origin"] == "https://www.coopo.fr"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    assert preflight["X-Content-Type-Options"] == "nosniff"


def test_the_preflight_from_a_foreign_origin_is_refused(served, published):
    preflight = served("OPTIONS", "/api/consent", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight


def test_the_security_headers_follow_the_settings_of_security_middleware(
    served_post_choice, choice
):
    # One place: change the settings and the lean path's headers change with them.
    with override_settings(
        SECURE_REFERRER_POLICY="no-referrer",
        SECURE_CONTENT_TYPE_NOSNIFF=False,
        SECURE_CROSS_ORIGIN_OPENER_POLICY=None,
    ):
        response = served_post_choice(choice())
    assert response.status_code == 201, response
    assert response["Referrer-Policy"] == "no-referrer"
    assert "X-Content-Type-Options" not in response
    assert "Cross-Origin-Opener-Policy" not in response
    # And back once the override ends.
    after = served_post_choice(choice())
    assert after["Referrer-Policy"] == "same-origin"
    assert after["X-Content-Type-Options"] == "nosniff"


def test_an_error_in_the_view_is_djangos_500_and_writes_nothing(
    served_post_choice, choice, monkeypatch
):
    from gardien.consent import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the ledger is unavailable")

    body = choice()
    monkeypatch.setattr(views, "record_choice", broken)
    response = served_post_choice(body)
    assert response.status_code == 500, response
    assert b"the ledger is unavailable" not in response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert ConsentRecord.objects.count() == 0


def test_each_request_sends_request_started_and_request_finished(served_post_choice, choice):
    body = choice()
    seen: list[str] = []

    def started(sender: Any, **kwargs: Any) -> None:
        seen.append("started")

    def finished(sender: Any, **kwargs: Any) -> None:
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        assert served_post_choice(body).status_code == 201
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert seen == ["started", "finished"]


@pytest.mark.django_db(transaction=True)
def test_it_records_with_the_connection_handling_of_a_served_process(served_post_choice, choice):
    # No test transaction here: close_old_connections runs on both signals, as under gunicorn.
    body = choice()
    first = served_post_choice(body, keep_test_connection=False)
    second = served_post_choice(body, keep_test_connection=False)
    assert (first.status_code, second.status_code) == (201, 201), (first, second)
    assert ConsentRecord.objects.count() == 2


def test_other_addresses_go_through_the_full_stack(served, published):
    page = served("GET", "/consent/config/fr.json")
    assert page.status_code == 200, page
    assert page["X-Frame-Options"] == "DENY"  # XFrameOptionsMiddleware: full stack only
    assert page["X-Content-Type-Options"] == "nosniff"


def test_every_lean_path_is_a_csrf_exempt_view_that_checks_the_origin():
    from gardien.wsgi import LEAN_PATHS

    checked_by_state_changing = state_changing(lambda request: None).__wrapped__.__code__
    for path in LEAN_PATHS:
        view = resolve(path).func
        assert getattr(view, "csrf_exempt", False), path
        assert view.__wrapped__.__code__ is checked_by_state_changing, path


# --------------------------------------------------------------------------- production settings


def test_production_settings_are_what_these_tests_apply(production):
    found = production["settings"]
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] == 31536000
    assert found["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_production_redirects_plain_http_to_https(production_like, served_post_choice, body):
    response = served_post_choice(body, host=PRODUCTION_HOST)

    assert response.status_code == 301, response
    assert response["Location"] == f"https://{PRODUCTION_HOST}/api/consent"
    assert "Strict-Transport-Security" not in response  # only sent over HTTPS
    assert ConsentRecord.objects.count() == 0


def test_production_records_over_https_with_hsts(production_like, served_post_choice, body):
    response = served_post_choice(
        body, host=PRODUCTION_HOST, headers={"X-Forwarded-Proto": "https"}
    )

    assert response.status_code == 201, response
    assert response["Strict-Transport-Security"] == HSTS
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert ConsentRecord.objects.count() == 1


def test_production_refuses_an_unknown_host_before_redirecting(
    production_like, served_post_choice, body
):
    plain = served_post_choice(body, host="evil.example")
    secure = served_post_choice(body, host="evil.example", headers={"X-Forwarded-Proto": "https"})
    assert (plain.status_code, secure.status_code) == (400, 400)
    assert ConsentRecord.objects.count() == 0


def test_overrides_reach_the_handler_built_at_import_and_end_with_it(
    production, served_post_choice, choice
):
    # The chain is built once, at import; override_settings must still change it, both ways.
    body = choice()
    with override_settings(**production["settings"]):
        assert served_post_choice(body).status_code == 301
    after = served_post_choice(body)
    assert after.status_code == 201, after
    assert "Strict-Transport-Security" not in after
    assert ConsentRecord.objects.count() == 1


def test_production_process_redirects_sends_hsts_and_checks_the_host(production):
    # The handler as gunicorn builds it from the production environment, in its own process.
    plain = production["plain_post"]
    assert plain["status"] == 301
    assert plain["headers"]["Location"] == f"https://{PRODUCTION_HOST}/api/consent"

    https = production["https_get"]
    assert https["status"] == 405  # GET is not a choice; the database is not needed
    assert https["headers"]["Strict-Transport-Security"] == HSTS
    assert https["headers"]["X-Content-Type-Options"] == "nosniff"
    assert https["headers"]["Referrer-Policy"] == "same-origin"
    assert https["headers"]["Cross-Origin-Opener-Policy"] == "same-origin"

    assert production["foreign_plain"]["status"] == 400
    assert production["foreign_https"]["status"] == 400
    assert production["database_touched"] is False
