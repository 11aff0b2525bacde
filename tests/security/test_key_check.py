"""Keys checked at start: a missing, malformed or wrong key stops Gardien with its sentence.

A wrong index key would otherwise fail silently: nobody found, a duplicate person created.
"""

from __future__ import annotations

import base64
import os
import secrets
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gardien.audit.services import Actor
from gardien.vault import keycheck
from gardien.vault.models import KeyFingerprint, Person
from gardien.vault.services import get_or_create_person
from tests.english import english  # noqa: F401


def _field_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _check() -> str:
    """`gardien keys check`'s output, or its error."""
    out = StringIO()
    try:
        call_command("keys", "check", stdout=out)
    except CommandError as exc:
        return str(exc)
    return out.getvalue()


@pytest.fixture
def recorded(db):
    """A database with a person in it, its keys' fingerprints recorded."""
    get_or_create_person("ada@example.org", actor=Actor.system())
    keycheck.check()


def test_a_fresh_database_records_the_fingerprints_and_never_the_keys(db, settings):
    assert not KeyFingerprint.objects.exists()
    assert "well-formed" in _check()
    rows = {row.kind: row for row in KeyFingerprint.objects.all()}
    assert set(rows) == {"field", "index"}
    assert rows["field"].newest == keycheck.fingerprint(settings.GARDIEN_FIELD_KEYS[0])
    assert rows["index"].known == [keycheck.fingerprint(settings.GARDIEN_BLIND_INDEX_KEYS[0])]
    stored = str(list(KeyFingerprint.objects.values()))
    for key in (*settings.GARDIEN_FIELD_KEYS, *settings.GARDIEN_BLIND_INDEX_KEYS):
        assert key not in stored


@pytest.mark.parametrize(
    "setting, value, sentence",
    [
        ("GARDIEN_FIELD_KEYS", [], "GARDIEN_FIELD_KEYS is not set"),
        ("GARDIEN_FIELD_KEYS", ["not-a-fernet-key"], "GARDIEN_FIELD_KEYS: key #1 is malformed"),
        ("GARDIEN_BLIND_INDEX_KEYS", [], "GARDIEN_BLIND_INDEX_KEY is not set"),
        ("GARDIEN_BLIND_INDEX_KEYS", ["x"], "GARDIEN_BLIND_INDEX_KEY: key #1 is too short"),
    ],
)
def test_a_missing_or_malformed_key_fails_with_its_sentence(
    recorded, settings, setting, value, sentence
):
    setattr(settings, setting, value)
    assert _check().startswith(sentence)
    with pytest.raises(SystemExit, match=f"Gardien cannot start: {sentence}"):
        keycheck.check_at_start()


def test_a_different_valid_index_key_fails_and_creates_no_duplicate(recorded, settings):
    settings.GARDIEN_BLIND_INDEX_KEYS = [secrets.token_urlsafe(32)]
    sentence = "GARDIEN_BLIND_INDEX_KEY is not the key the stored data was indexed with"
    assert _check().startswith(sentence)
    with pytest.raises(keycheck.KeyCheckError, match=sentence):
        get_or_create_person("ada@example.org", actor=Actor.system())
    assert Person.objects.count() == 1


def test_a_different_valid_field_key_fails(recorded, settings):
    settings.GARDIEN_FIELD_KEYS = [_field_key()]
    assert _check().startswith(
        "GARDIEN_FIELD_KEYS is not the key the stored data was encrypted with"
    )


def test_a_wrong_index_key_is_caught_before_fingerprints_were_recorded(recorded, settings):
    """A database from before the fingerprints: one person's index tells."""
    KeyFingerprint.objects.all().delete()
    settings.GARDIEN_BLIND_INDEX_KEYS = [secrets.token_urlsafe(32)]
    assert "indexed with" in _check()


def test_check_deploy_reports_a_wrong_key(recorded, settings):
    settings.GARDIEN_BLIND_INDEX_KEYS = [secrets.token_urlsafe(32)]
    from django.core.checks import run_checks

    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == "gardien.E108"]
    assert errors and "GARDIEN_BLIND_INDEX_KEY is not the key" in errors[0].msg


def test_a_new_key_first_then_rotation_then_the_old_key_removed(recorded, settings):
    old = settings.GARDIEN_FIELD_KEYS[0]
    new = _field_key()
    settings.GARDIEN_FIELD_KEYS = [new, old]
    assert "well-formed" in _check()
    settings.GARDIEN_FIELD_KEYS = [new]  # removed before the rotation: the data needs it
    assert "is not the key the stored data was encrypted with" in _check()
    settings.GARDIEN_FIELD_KEYS = [new, old]
    call_command("keys", "rotate", stdout=StringIO())
    settings.GARDIEN_FIELD_KEYS = [new]
    assert "well-formed" in _check()
