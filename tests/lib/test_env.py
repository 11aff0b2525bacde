"""Settings from the environment: strict helpers, and what a deployment sees when it errs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gardien.lib.env import EnvError, envbool, envdatabase, envint, envlist, envsecret, envstr
from tests.english import english  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        ("on", True),
        ("ON", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("NO", False),
        ("off", False),
        ("Off", False),
    ],
)
def test_it_reads_a_boolean_in_any_case(raw, expected):
    assert envbool("FLAG", not expected, {"FLAG": raw}) is expected


@pytest.mark.parametrize("default", [True, False])
def test_it_gives_the_default_boolean_when_unset_or_empty(default):
    assert envbool("FLAG", default, {}) is default
    assert envbool("FLAG", default, {"FLAG": ""}) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "enabled"])
def test_it_refuses_a_word_that_is_not_a_boolean_naming_the_variable(raw):
    with pytest.raises(EnvError) as caught:
        envbool("GARDIEN_HTTPS", False, {"GARDIEN_HTTPS": raw})
    assert str(caught.value) == (
        f"GARDIEN_HTTPS={raw!r} is not a boolean; write GARDIEN_HTTPS=true or GARDIEN_HTTPS=false."
    )


def test_it_reads_a_string_or_its_default():
    assert envstr("NAME", "fallback", {"NAME": "value"}) == "value"
    assert envstr("NAME", "fallback", {}) == "fallback"


def test_it_reads_a_whole_number():
    assert envint("EMAIL_PORT", 25, {"EMAIL_PORT": " 587 "}, minimum=1) == 587
    assert envint("EMAIL_PORT", 25, {}, minimum=1) == 25
    assert envint("EMAIL_PORT", 25, {"EMAIL_PORT": ""}, minimum=1) == 25


@pytest.mark.parametrize("raw", ["12a", "1.5", "twelve", "0x10"])
def test_it_refuses_what_is_not_a_whole_number(raw):
    with pytest.raises(EnvError, match=r"^CONN_MAX_AGE=.* is not a whole number; write e\.g\. "):
        envint("CONN_MAX_AGE", 600, {"CONN_MAX_AGE": raw}, minimum=0)


def test_it_refuses_a_number_under_the_minimum():
    with pytest.raises(EnvError) as caught:
        envint("EMAIL_PORT", 25, {"EMAIL_PORT": "0"}, minimum=1)
    assert str(caught.value) == "EMAIL_PORT=0 is too small; it must be at least 1."
    assert envint("EMAIL_PORT", 25, {"EMAIL_PORT": "1"}, minimum=1) == 1


def test_it_splits_a_list_and_trims_each_item():
    env = {"ALLOWED_HOSTS": " coopo.fr ,www.coopo.fr,, gardien.coopo.fr "}
    assert envlist("ALLOWED_HOSTS", [], env) == ["coopo.fr", "www.coopo.fr", "gardien.coopo.fr"]
    assert envlist("ALLOWED_HOSTS", ["localhost"], {}) == ["localhost"]
    assert envlist("ALLOWED_HOSTS", ["localhost"], {"ALLOWED_HOSTS": ""}) == []


def test_it_reads_a_secret_from_its_file_first(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file\n", encoding="utf-8")
    env = {"SECRET_KEY_FILE": str(secret), "SECRET_KEY": "from-the-variable"}
    assert envsecret("SECRET_KEY", env, fallback={"SECRET_KEY": "local"}, required=True) == (
        "from-the-file"
    )


def test_it_reads_a_secret_from_the_variable_then_the_fallback():
    assert envsecret("SECRET_KEY", {"SECRET_KEY": " abc "}, required=True) == "abc"
    local = {"SECRET_KEY": "from-var-secrets-json"}
    assert envsecret("SECRET_KEY", {}, fallback=local, required=True) == "from-var-secrets-json"
    assert envsecret("SECRET_KEY", {}, fallback={}, required=False) == ""


def test_it_explains_a_secret_file_that_cannot_be_read(tmp_path):
    missing = tmp_path / "no-such-file"
    with pytest.raises(EnvError) as caught:
        envsecret("SECRET_KEY", {"SECRET_KEY_FILE": str(missing)}, required=True)
    message = str(caught.value)
    assert message.startswith(f"SECRET_KEY_FILE points to {str(missing)!r}, which cannot be read")
    assert "No such file or directory" in message


def test_it_explains_a_secret_file_that_is_empty(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(EnvError, match=r"^GARDIEN_BLIND_INDEX_KEY_FILE points to an empty file"):
        envsecret(
            "GARDIEN_BLIND_INDEX_KEY", {"GARDIEN_BLIND_INDEX_KEY_FILE": str(empty)}, required=False
        )


def test_it_explains_a_secret_file_that_is_not_text(tmp_path):
    binary = tmp_path / "key.der"
    binary.write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(EnvError, match="SECRET_KEY_FILE"):
        envsecret("SECRET_KEY", {"SECRET_KEY_FILE": str(binary)}, required=True)


def test_it_names_a_required_secret_that_is_missing():
    with pytest.raises(EnvError) as caught:
        envsecret("GARDIEN_FIELD_KEYS", {}, fallback={}, required=True)
    assert str(caught.value).startswith(
        "GARDIEN_FIELD_KEYS is not set; production needs it (set GARDIEN_FIELD_KEYS or "
        "GARDIEN_FIELD_KEYS_FILE)."
    )


def test_it_reads_a_relative_sqlite_url():
    db = envdatabase("DATABASE_URL", "", {"DATABASE_URL": "sqlite:///var/gardien.sqlite3"})
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": "var/gardien.sqlite3"}


def test_it_reads_an_absolute_sqlite_url():
    db = envdatabase("DATABASE_URL", "", {"DATABASE_URL": "sqlite:////srv/gardien/db.sqlite3"})
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/gardien/db.sqlite3"}


def test_it_uses_the_default_url_when_unset():
    db = envdatabase("DATABASE_URL", "sqlite:////tmp/default.sqlite3", {})
    assert db["NAME"] == "/tmp/default.sqlite3"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_it_reads_a_postgres_url_with_a_quoted_password(scheme):
    env = {"DATABASE_URL": f"{scheme}://gardien:p%40ss@db.internal:5433/gardien_prod"}
    assert envdatabase("DATABASE_URL", "", env) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "gardien_prod",
        "USER": "gardien",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "5433",
    }


def test_it_refuses_a_database_it_does_not_support():
    with pytest.raises(EnvError) as caught:
        envdatabase("DATABASE_URL", "", {"DATABASE_URL": "mysql://u:p@host/db"})
    assert str(caught.value) == (
        "DATABASE_URL should start with sqlite:/// or postgres:// (it starts with 'mysql:')."
    )


@pytest.mark.parametrize("url", ["postgres://u:p@host:5432/", "postgres://u:p@host:5432"])
def test_it_refuses_a_postgres_url_without_a_database_name(url):
    with pytest.raises(EnvError, match=r"^DATABASE_URL has no database name"):
        envdatabase("DATABASE_URL", "", {"DATABASE_URL": url})


def test_it_refuses_a_sqlite_url_without_a_file_name():
    with pytest.raises(EnvError, match="has no file name"):
        envdatabase("DATABASE_URL", "", {"DATABASE_URL": "sqlite:///"})


def test_it_refuses_a_postgres_port_that_is_not_a_number():
    with pytest.raises(EnvError, match="DATABASE_URL"):
        envdatabase("DATABASE_URL", "", {"DATABASE_URL": "postgres://u:p@host:54e2/gardien"})


# Settings as a deployment meets them: the real command, its exit code and its sentence.

GARDIEN = Path(sys.executable).parent / "gardien"
PRODUCTION_SECRETS = {
    "GARDIEN_PRODUCTION": "true",
    "SECRET_KEY": "a-secret-key-for-the-test-only-0123456789",
    "GARDIEN_FIELD_KEYS": "a-field-key-for-the-test-only",
    "GARDIEN_BLIND_INDEX_KEY": "a-blind-index-key-for-the-test-only",
    "GARDIEN_AUDIT_KEYS": "an-audit-key-for-the-test-only-0123456789",
    "ALLOWED_HOSTS": "gardien.coopo.example",
}


@pytest.fixture
def gardien_with(tmp_path):
    names = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SITE_URL", "TIME_ZONE"}
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GARDIEN_", "DJANGO_", "EMAIL_"))
        and key.removesuffix("_FILE") not in names
    }
    base["GARDIEN_VAR_DIR"] = str(tmp_path / "var")
    base["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"

    def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(GARDIEN), *(args or ("check",))],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_it_stops_production_without_a_secret_key(gardien_with):
    env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != "SECRET_KEY"}
    result = gardien_with(env)
    assert result.returncode == 2
    assert "Configuration error: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_refuses_a_fixed_clock_in_production(gardien_with):
    result = gardien_with({**PRODUCTION_SECRETS, "GARDIEN_NOW": "2026-01-01"})
    assert result.returncode == 2
    assert "GARDIEN_NOW is refused when GARDIEN_PRODUCTION=true" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_stops_on_a_debug_value_that_is_not_a_boolean(gardien_with):
    result = gardien_with({"DEBUG": "maybe"})
    assert result.returncode == 2
    assert "DEBUG='maybe' is not a boolean; write DEBUG=true or DEBUG=false." in result.stderr
    assert "Traceback" not in result.stderr


def test_it_stops_on_a_time_zone_that_is_not_one(gardien_with):
    result = gardien_with({"TIME_ZONE": "Paris"})
    assert result.returncode == 2
    assert 'TIME_ZONE is "Paris", which is not a time zone name' in result.stderr
    assert "Europe/Paris" in result.stderr
    assert "Traceback" not in result.stderr
