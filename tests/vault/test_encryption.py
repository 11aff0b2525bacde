from __future__ import annotations

import base64
import os

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.utils import translation

from gardien.lib import crypto
from gardien.lib.clock import now
from gardien.vault.models import Person
from tests.testapp.models import Message


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _raw(table: str, column: str, pk: object) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def test_it_reads_back_what_it_wrote(db):
    message = Message.objects.create(
        name="Zoé Ärger", message="Bonjour 👋\nligne 2", received_at=now()
    )
    again = Message.objects.get(pk=message.pk)
    assert again.name == "Zoé Ärger"
    assert again.message == "Bonjour 👋\nligne 2"


def test_it_stores_no_clear_text(db):
    message = Message.objects.create(name="Canary-Name-31415", received_at=now())
    stored = _raw("testapp_message", "name", message.pk)
    assert "Canary" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_it_keeps_null_as_null(db):
    person = Person.objects.create(email="a@example.org", created_at=now())
    assert Person.objects.get(pk=person.pk).email == "a@example.org"
    assert Message.objects.create(name="", received_at=now()).name == ""


def test_it_fails_loudly_with_a_wrong_key(db, settings):
    message = Message.objects.create(name="Secret", received_at=now())
    settings.GARDIEN_FIELD_KEYS = [_new_key()]
    with pytest.raises(crypto.DecryptionError, match="GARDIEN_FIELD_KEYS"):
        Message.objects.get(pk=message.pk)


def test_it_refuses_to_work_without_keys(db, settings):
    settings.GARDIEN_FIELD_KEYS = []
    with (
        translation.override("en"),
        pytest.raises(crypto.CryptoConfigError, match="GARDIEN_FIELD_KEYS is empty"),
    ):
        Message.objects.create(name="x", received_at=now())


def test_it_says_which_key_is_malformed(db, settings):
    settings.GARDIEN_FIELD_KEYS = ["not-a-key"]
    with (
        translation.override("en"),
        pytest.raises(crypto.CryptoConfigError, match="key #1 is not a valid key"),
    ):
        Message.objects.create(name="x", received_at=now())


def test_it_refuses_searching_ciphertext(db):
    with pytest.raises(FieldError):
        list(Message.objects.filter(name="Secret"))
    assert list(Message.objects.filter(name__isnull=True)) == []
