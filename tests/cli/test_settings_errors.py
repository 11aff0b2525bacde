"""A malformed setting stops `gardien` with one sentence naming the variable and what to write,
in the reader's language, with exit code 2 and never a traceback."""

from __future__ import annotations

import pytest

from tests.english import english  # noqa: F401

CASES = [
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean; write DEBUG=true or DEBUG=false."),
    ("CONN_MAX_AGE", "ten", "CONN_MAX_AGE='ten' is not a whole number; write e.g. "),
    ("EMAIL_PORT", "70000", "EMAIL_PORT=70000 is too large; it must be at most 65535."),
    ("GARDIEN_PURGE_HOUR", "24", "GARDIEN_PURGE_HOUR=24 is too large; it must be at most 23."),
    ("GARDIEN_LOGIN_MAX_FAILURES", "0", "GARDIEN_LOGIN_MAX_FAILURES=0 is too small; it must be"),
    ("SITE_URL", "example.org", "SITE_URL='example.org' is not a web address; write it whole"),
    ("GARDIEN_BREVO_BASE_URL", "api.brevo.com", "GARDIEN_BREVO_BASE_URL='api.brevo.com' is not"),
    ("DATABASE_URL", "mysql://db/gardien", "DATABASE_URL should start with sqlite:/// or "),
    ("DATABASE_URL", "postgres://u@h:99999/g", "DATABASE_URL has a port that is not a number"),
    ("DATABASE_URL", "postgres://u@h:5432/", "DATABASE_URL has no database name"),
    ("DATABASE_URL", "sqlite://", "DATABASE_URL='sqlite://' has no file name"),
    ("GARDIEN_RATE_LIMIT", "5 a minute", "GARDIEN_RATE_LIMIT='5 a minute' is not a rate"),
    ("GARDIEN_CONSENT_RATE_LIMIT", "0/60", "GARDIEN_CONSENT_RATE_LIMIT='0/60' must allow"),
    ("SECRET_KEY_FILE", "/nonexistent/key", "SECRET_KEY_FILE points to '/nonexistent/key', which"),
    ("TIME_ZONE", "Paris", 'TIME_ZONE is "Paris", which is not a time zone name'),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("GARDIEN_NOW", "tomorrow", "GARDIEN_NOW='tomorrow' is not a date; write e.g. "),
    ("GARDIEN_VAR_DIR", "/proc/gardien", "GARDIEN_VAR_DIR is /proc/gardien, where Gardien cannot"),
    (
        "GARDIEN_BREVO_API_KEY",
        "xkeysib-1",
        "GARDIEN_BREVO_API_KEY is set but GARDIEN_BREVO_LIST_ID",
    ),
]


@pytest.mark.parametrize(("name", "value", "sentence"), CASES)
def test_a_malformed_setting_is_one_sentence(gardien, name: str, value: str, sentence: str) -> None:
    done = gardien("check", env={name: value})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # one line
    assert done.stderr.startswith(f"Configuration error: {sentence}"), done.stderr


def test_the_sentence_is_in_the_reader_s_language(gardien) -> None:
    french = gardien("check", env={"TIME_ZONE": "Paris", "LANG": "fr_FR.UTF-8"})
    assert french.returncode == 2
    assert french.stderr == (
        "Erreur de configuration : TIME_ZONE vaut « Paris », qui n'est pas un nom de fuseau "
        "horaire ; écrivez un nom de la base des fuseaux horaires comme « Europe/Paris » ou "
        "« America/Montreal ».\n"
    )
    asked = gardien("check", "--lang", "en", env={"DEBUG": "maybe", "LANG": "fr_FR.UTF-8"})
    assert asked.stderr.startswith("Configuration error: DEBUG='maybe' is not a boolean")


def test_good_values_pass(gardien) -> None:
    done = gardien(
        "check",
        "examples/coopo/gardien.toml",
        env={
            "SITE_URL": "https://privacy.example.org/",
            "LOG_LEVEL": "warning",
            "GARDIEN_NOW": "2026-03-01T14:30:00+01:00",
            "EMAIL_PORT": "587",
            "GARDIEN_PURGE_HOUR": "23",
        },
    )
    assert done.returncode == 0, done.stderr
