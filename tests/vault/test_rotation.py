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
