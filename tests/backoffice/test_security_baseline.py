"""Security baseline: Django's deployment checks and the production headers, cookies and
error page, all with the real production settings in a separate process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.backoffice.urls import SECRET_IN_ERROR, TOKEN_IN_ERROR
from tests.environment import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("production_probe.py")


def _gardien(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def production_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var_dir = tmp_path_factory.mktemp("production")
    generated = _gardien("secrets", "generate", env=subprocess_env(var_dir))
    assert generated.returncode == 0, generated.stderr
    secrets = dict(line.split("=", 1) for line in generated.stdout.split())
    assert set(secrets) >= {"SECRET_KEY", "GARDIEN_FIELD_KEYS", "GARDIEN_BLIND_INDEX_KEY"}
    return {
        **subprocess_env(var_dir),
        **secrets,
        "GARDIEN_PRODUCTION": "true",
        "ALLOWED_HOSTS": "privacy.example.org",
        "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3",
        "GARDIEN_CONTACT_NOTIFY": "team@example.org",
    }


def test_check_deploy_finds_no_warning(production_env):
    result = _gardien("check", "--deploy", "--fail-level", "WARNING", env=production_env)
    # The Coopo example keeps the visitors' cookie choice 12 months: the manifest's advice
    # on the CNIL's 6 months (gardien.W001) is shown, and is no deployment warning.
    stderr, advice = re.subn(
        r"1 warning in \S+:\n  \S+ \(gardien\.W001\) .*\n    HINT: .*\n", "", result.stderr
    )
    assert advice == 1, result.stderr
    output = result.stdout + stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper()
    assert "System check identified no issues" in output


@pytest.fixture(scope="module")
def probe(production_env) -> dict:
    result = subprocess.run(
        [sys.executable, str(PROBE)],
        env=production_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    seen["stderr"] = result.stderr
    return seen


def test_production_runs_without_debug_and_with_argon2(probe):
    assert probe["debug"] is False
    assert probe["hasher"] == "argon2"


def test_plain_http_is_redirected_to_https(probe):
    assert probe["http"]["status"] == 301
    assert probe["http"]["location"] == "https://privacy.example.org/admin/login/"


def test_the_login_page_has_a_strict_csp_and_headers(probe):
    login = probe["login"]
    assert login["status"] == 200
    csp = login["csp"]
    assert "'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert login["nonce_matches"], "every nonce in the page is the header's"
    assert login["x_frame_options"] == "DENY"
    assert login["referrer_policy"] == "same-origin"
    assert login["hsts"].startswith("max-age=31536000")
    assert login["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_the_session_cookie_is_secure_and_same_site(probe):
    assert probe["session"]["status"] == 302
    assert probe["session"]["cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_an_error_shows_a_generic_page_without_traceback(probe):
    error = probe["error"]
    assert error["status"] == 500
    body = error["body"]
    assert "Something went wrong on our side" in body
    assert "try again" in body
    for leak in ("Traceback", "RuntimeError", "boom", SECRET_IN_ERROR, TOKEN_IN_ERROR, ".py"):
        assert leak not in body
    # The error is logged for the operator, with the secret and the token redacted.
    assert "RuntimeError" in probe["stderr"]
    assert SECRET_IN_ERROR not in probe["stderr"]
    assert TOKEN_IN_ERROR not in probe["stderr"]


@pytest.mark.urls("tests.backoffice.urls")
@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "Something went wrong on our side"), ("fr", "Une erreur s'est produite de notre côté")],
)
def test_the_error_page_speaks_the_visitors_language(db, language, sentence):
    client = Client(raise_request_exception=False, headers={"Accept-Language": language})
    response = client.get("/boom/")
    assert response.status_code == 500
    assert sentence in response.text
    assert "Traceback" not in response.text
