"""The audit key: rotation keeps earlier entries verifiable; a removed or replaced key shows."""

from __future__ import annotations

import base64
import os

import pytest

from gardien.audit import signing
from gardien.audit.models import AuditEntry, AuditHead
from gardien.audit.services import Actor, record, verify


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def test_a_rotation_keeps_the_earlier_entries_verifiable(write, settings):
    old = settings.GARDIEN_AUDIT_KEYS[0]
    before = write(3)
    settings.GARDIEN_AUDIT_KEYS = [new_key(), old]

    after = write(2, start="2025-02-01T09:00:00")
    assert {e.key_id for e in before} == {signing.key_id(old)}
    assert {e.key_id for e in after} == {signing.newest_key_id()} != {signing.key_id(old)}
    assert AuditHead.objects.get().key_id == signing.newest_key_id()
    result = verify()
    assert result.ok
    assert result.checked == 5


def test_an_earlier_key_removed_too_soon_is_named(write, settings):
    old = settings.GARDIEN_AUDIT_KEYS[0]
    write(2)
    settings.GARDIEN_AUDIT_KEYS = [new_key()]

    result = verify()
    assert not result.ok
    assert result.broken_at == 1
    assert result.problem == (
        f"entry 1 is signed with the audit key {signing.key_id(old)!r}, which is not in "
        "GARDIEN_AUDIT_KEYS: either it was forged, or an earlier key was removed too soon (put "
        "it back after the newest one)"
    )


def test_a_replaced_key_cannot_sign_after_the_newer_one(write, settings, monkeypatch):
    old, new = settings.GARDIEN_AUDIT_KEYS[0], new_key()
    write(1)
    settings.GARDIEN_AUDIT_KEYS = [new, old]
    write(1, start="2025-02-01T09:00:00")
    # Someone who kept the replaced key appends an entry (and a head) signed with it, with a
    # Gardien changed not to refuse (below).
    settings.GARDIEN_AUDIT_KEYS = [old]
    listed = [signing.key_id(old), signing.key_id(new)]
    with monkeypatch.context() as patch:
        patch.setattr(signing, "key_ids", lambda: listed)
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")
    settings.GARDIEN_AUDIT_KEYS = [new, old]

    result = verify()
    assert not result.ok
    assert result.broken_at == 3
    assert result.problem == (
        "entry 3 is signed with an earlier audit key than entry 2: it was forged with a key "
        "that had been replaced"
    )


def test_a_missing_key_stops_recording_with_a_sentence(db, settings):
    settings.GARDIEN_AUDIT_KEYS = []

    with pytest.raises(signing.AuditKeyError, match="GARDIEN_AUDIT_KEYS is empty"):
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")


def test_a_short_key_is_refused(db, settings):
    settings.GARDIEN_AUDIT_KEYS = ["short"]

    with pytest.raises(signing.AuditKeyError, match="shorter than 32 characters"):
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")


def test_the_key_id_tells_nothing_of_the_key():
    key = new_key()
    assert len(signing.key_id(key)) == 16
    assert signing.key_id(key) not in key


def test_a_replaced_key_cannot_sign_a_head_that_cuts_the_log(write, settings, unguarded):
    old, new = settings.GARDIEN_AUDIT_KEYS[0], new_key()
    write(1)
    settings.GARDIEN_AUDIT_KEYS = [new, old]
    entries = write(2, start="2025-02-01T09:00:00")
    # Someone who kept the replaced key cuts the last entry and signs a head that hides it.
    with unguarded():
        AuditEntry.objects.filter(position=3).delete()
        head = AuditHead.objects.get()
        head.position, head.hash, head.key_id = 2, entries[0].hash, signing.key_id(old)
        head.mac = signing.sign("head", head.key_id, signing.head_content(head))
        head.save()

    result = verify()
    assert not result.ok
    assert result.problem == (
        "the audit log's head is signed with an earlier audit key than its last entry: it was "
        "forged with a key that had been replaced"
    )


def test_a_process_without_the_newest_key_refuses_to_write(write, settings):
    """During a rotation, a process not yet restarted must not sign after a newer key: its
    entry would read as forged and stop every later purge."""
    from gardien.audit.models import AuditEntry

    old, new = settings.GARDIEN_AUDIT_KEYS[0], new_key()
    settings.GARDIEN_AUDIT_KEYS = [new, old]
    write(1)
    settings.GARDIEN_AUDIT_KEYS = [old]
    count = AuditEntry.objects.count()
    with pytest.raises(signing.AuditKeyError, match="restart it with the same"):
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")
    assert AuditEntry.objects.count() == count
    settings.GARDIEN_AUDIT_KEYS = [new, old]
    assert verify().ok
