from __future__ import annotations

import base64
import os
from io import StringIO

import pytest
from django.core.management import call_command

from gardien.audit.services import Actor
from gardien.lib.clock import now
from gardien.vault import rotation
from gardien.vault.models import Person
from gardien.vault.services import find_person, get_or_create_person
from tests.english import english  # noqa: F401
from tests.testapp.models import Message


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


@pytest.fixture
def seeded(db):
    people = []
    for i in range(7):
        person, _ = get_or_create_person(f"person{i}@example.org", actor=Actor.system())
        Message.objects.create(
            person=person, name=f"Name {i}", message=f"Message {i}", received_at=now()
        )
        people.append(person)
    return people


def test_it_rotates_so_the_old_keys_can_go(seeded, settings):
    old_field, old_index = settings.GARDIEN_FIELD_KEYS[0], settings.GARDIEN_BLIND_INDEX_KEYS[0]
    new_field, new_index = _key(), _key()
    settings.GARDIEN_FIELD_KEYS = [new_field, old_field]
    settings.GARDIEN_BLIND_INDEX_KEYS = [new_index, old_index]
    assert find_person("person3@example.org") is not None  # still found mid-rotation

    out = StringIO()
    call_command("keys", "rotate", "--batch-size", "3", stdout=out)
    assert "Re-encrypted 14 rows in" in out.getvalue()

    settings.GARDIEN_FIELD_KEYS = [new_field]
    settings.GARDIEN_BLIND_INDEX_KEYS = [new_index]
    assert sorted(m.name for m in Message.objects.all()) == [f"Name {i}" for i in range(7)]
    assert find_person(" Person3@example.org ") == seeded[3]
    assert Person.objects.count() == 7


def test_it_resumes_an_interrupted_rotation(seeded, settings):
    settings.GARDIEN_FIELD_KEYS = [_key(), *settings.GARDIEN_FIELD_KEYS]
    calls = []

    def crash_after_first_batch(label: str, done: int, total: int) -> None:
        calls.append((label, done))
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation.rotate(batch_size=2, progress=crash_after_first_batch)
    summary = rotation.rotate(batch_size=2)
    assert summary.rows == 14 - 2  # the first batch is not redone
    settings.GARDIEN_FIELD_KEYS = settings.GARDIEN_FIELD_KEYS[:1]
    assert Message.objects.filter(person__isnull=False).count() == 7
    assert all(m.message.startswith("Message") for m in Message.objects.all())


def test_it_explains_a_missing_key(db, settings):
    settings.GARDIEN_FIELD_KEYS = []
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="GARDIEN_FIELD_KEYS is empty"):
        call_command("keys", "rotate")


def test_a_login_under_way_does_not_put_back_a_key_under_the_old_field_key(db, settings):
    """A login that read the device before the rotation saves it after (django-otp saves
    its drift and last code): the key must stay re-encrypted under the newest field key."""
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp

    from gardien.lib import crypto
    from gardien.vault.models import EncryptedTOTPDevice

    user = get_user_model().objects.create_user("dpo-rotation", password="x" * 16)
    hex_key = "3132333435363738393031323334353637383930"
    EncryptedTOTPDevice.create_for(user, "phone", hex_key=hex_key)
    during_login = EncryptedTOTPDevice.objects.get(user=user)  # read before the rotation

    old_field = settings.GARDIEN_FIELD_KEYS[0]
    new_field = _key()
    settings.GARDIEN_FIELD_KEYS = [new_field, old_field]
    assert rotation.rotate_totp_keys() == 1
    assert during_login.verify_token(f"{totp(bytes.fromhex(hex_key)):06d}")  # saves it

    settings.GARDIEN_FIELD_KEYS = [new_field]  # the old key removed, as the rotation says
    stored = EncryptedTOTPDevice.objects.get(user=user)
    assert crypto.is_under_newest_key(stored.encrypted_key)
    assert crypto.decrypt(stored.encrypted_key) == hex_key
    assert stored.last_t != -1  # the login's own change was kept
