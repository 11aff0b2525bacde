"""The audit chain through its public functions: record, verify, purge_before.

Tampering is done as someone who owns the database but not the audit key would: the
triggers dropped for the time of the edit (the ``unguarded`` fixture), signatures made up
with a key of their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from gardien.audit import signing
from gardien.audit.models import (
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    AuditLogIsAppendOnly,
)
from gardien.audit.services import (
    Actor,
    AuditLogBroken,
    purge_before,
    purge_plan,
    record,
    verify,
)
from gardien.lib import clock

ATTACKERS_KEY = b"a key the attacker made up, not Gardien's own"


def made_up(kind: str, content: dict[str, object]) -> tuple[str, str]:
    """A signature as an attacker without the key can make one: the right key id, the
    documented canonical form, their own key."""
    kid = signing.newest_key_id()
    canonical = json.dumps({**content, "key": kid}, sort_keys=True, separators=(",", ":"))
    message = f"gardien audit {kind}\n{canonical}".encode()
    return kid, hmac.new(ATTACKERS_KEY, message, hashlib.sha256).hexdigest()


def forged(position: int, prev_hash: str, **changes: str) -> AuditEntry:
    """An entry built outside record(), signed with a key that is not Gardien's."""
    fields = {
        "position": position,
        "at": dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC),
        "actor_kind": "staff",
        "actor_ref": "1",
        "action": "read_export",
        "target_type": "vault.person",
        "target_ref": "forged",
        "reason": "",
        "prev_hash": prev_hash,
        **changes,
    }
    entry = AuditEntry(**fields)  # type: ignore[arg-type]
    entry.key_id, entry.hash = made_up("entry", signing.entry_content(entry))
    return entry


def test_it_chains_entries_that_verify(write):
    entries = write(5)

    assert [e.position for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    result = verify()
    assert result.ok
    assert result.checked == 5
    assert result.broken_at is None
    assert result.problem == ""
    assert result.last_position == 5
    assert result.last_hash == entries[-1].hash


def test_it_verifies_an_empty_log(db):
    result = verify()
    assert result.ok
    assert result.checked == 0


def test_it_dates_entries_with_the_clock_in_utc(db):
    with clock.frozen("2026-03-01T14:30:00.123456+01:00"):
        entry = record(
            actor=Actor.system(), action="rotate_keys", target_type="vault.keys", target_ref=""
        )

    entry.refresh_from_db()
    assert entry.at == dt.datetime(2026, 3, 1, 13, 30, 0, 123456, tzinfo=dt.UTC)
    assert verify().ok


def test_it_signs_a_canonical_json_with_the_audit_key(write):
    entry = write(1)[0]
    entry.refresh_from_db()

    key = settings.GARDIEN_AUDIT_KEYS[0].encode()
    kid = hmac.new(key, b"gardien audit key id", hashlib.sha256).hexdigest()[:16]
    canonical = json.dumps(
        {
            "position": 1,
            "at": "2025-01-10T09:00:00.000000+00:00",
            "actor_kind": "system",
            "actor_ref": "system",
            "action": "erase",
            "target_type": "vault.person",
            "target_ref": "00000000-0000-4000-8000-000000000000",
            "reason": "3 years after last_contact",
            "prev_hash": "0" * 64,
            "key": kid,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert entry.key_id == kid
    expected = hmac.new(key, b"gardien audit entry\n" + canonical.encode(), hashlib.sha256)
    assert entry.hash == expected.hexdigest()
    # Without the key, the plain SHA-256 of the same content is no valid hash.
    assert entry.hash != hashlib.sha256(canonical.encode()).hexdigest()


def test_it_keeps_field_boundaries_in_the_signature(db):
    common = {
        "position": 1,
        "at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "actor_kind": "system",
        "actor_ref": "system",
        "action": "erase",
        "prev_hash": GENESIS_HASH,
    }
    kid = signing.newest_key_id()
    one = AuditEntry(**common, target_type="vault.person", target_ref="a,b", reason="")
    other = AuditEntry(**common, target_type="vault.person", target_ref="a", reason="b")
    assert signing.sign("entry", kid, signing.entry_content(one)) != signing.sign(
        "entry", kid, signing.entry_content(other)
    )


def test_it_detects_an_edited_entry(write, unguarded):
    write(5)
    with unguarded():
        AuditEntry.objects.filter(position=3).update(reason="no reason at all")

    result = verify()
    assert not result.ok
    assert result.broken_at == 3
    assert result.checked == 2
    assert result.problem == (
        "entry 3 was edited or forged (its signature does not match its content)"
    )


def test_it_detects_an_edited_date(write, unguarded):
    write(4)
    entry = AuditEntry.objects.get(position=2)
    with unguarded():
        AuditEntry.objects.filter(position=2).update(at=entry.at + dt.timedelta(microseconds=1))

    assert verify().broken_at == 2


def test_it_detects_an_entry_replaced_with_a_consistent_hash(write, unguarded):
    entries = write(5)
    replacement = forged(3, entries[1].hash)
    with unguarded():
        AuditEntry.objects.filter(position=3).update(
            actor_kind=replacement.actor_kind,
            actor_ref=replacement.actor_ref,
            action=replacement.action,
            target_ref=replacement.target_ref,
            reason=replacement.reason,
            at=replacement.at,
            hash=replacement.hash,
        )

    result = verify()
    assert result.broken_at == 3
    assert result.problem == (
        "entry 3 was edited or forged (its signature does not match its content)"
    )


def test_it_detects_a_deleted_entry_in_the_middle(write, unguarded):
    write(5)
    with unguarded():
        AuditEntry.objects.filter(position=3).delete()

    result = verify()
    assert not result.ok
    assert result.broken_at == 3
    assert result.problem == "entry 3 is missing (positions jump from 2 to 4)"


def test_it_detects_several_deleted_entries(write, unguarded):
    write(6)
    with unguarded():
        AuditEntry.objects.filter(position__in=[3, 4]).delete()

    result = verify()
    assert result.broken_at == 3
    assert result.problem == "entries 3 to 4 are missing (positions jump from 2 to 5)"


def test_it_detects_a_deleted_first_entry(write, unguarded):
    write(3)
    with unguarded():
        AuditEntry.objects.filter(position=1).delete()

    result = verify()
    assert result.broken_at == 1
    assert result.problem == (
        "entry 1 is missing (the log starts at entry 2 and no purge explains it)"
    )


def test_it_detects_an_entry_inserted_by_renumbering(write, unguarded):
    entries = write(5)
    with unguarded():
        for position in (5, 4):  # one row at a time: the position stays unique throughout
            AuditEntry.objects.filter(position=position).update(position=position + 1)
    AuditEntry.objects.bulk_create([forged(4, entries[2].hash)])

    result = verify()
    assert not result.ok
    assert result.broken_at == 4
    assert result.problem == (
        "entry 4 was edited or forged (its signature does not match its content)"
    )


def test_it_detects_an_appended_entry_the_head_does_not_know(write):
    entries = write(3)
    AuditEntry.objects.bulk_create([forged(4, entries[-1].hash)])

    result = verify()
    assert result.broken_at == 4
    assert result.problem == (
        "entries after position 3 were added outside Gardien (the log's head was not moved)"
    )


def test_it_detects_an_entry_added_to_an_empty_log(db):
    AuditEntry.objects.bulk_create([forged(1, "a" * 64)])

    result = verify()
    assert result.broken_at == 1
    assert "entries after position 0 were added outside Gardien" in result.problem


def test_it_detects_a_tail_cut_off(write, unguarded):
    write(4)
    with unguarded():
        AuditEntry.objects.filter(position__gte=3).delete()

    result = verify()
    assert not result.ok
    assert result.broken_at == 3
    assert result.problem == "entries 3 to 4 are missing (the log was cut after position 2)"


def test_it_refuses_an_empty_log_that_had_entries(write, unguarded):
    write(4)
    with unguarded():
        AuditEntry.objects.all().delete()

    result = verify()
    assert not result.ok
    assert result.problem == "the audit log is empty but 4 entries were written to it"


def test_it_refuses_a_log_whose_head_was_deleted(write, unguarded):
    write(2)
    with unguarded():
        AuditEntry.objects.all().delete()
        AuditHead.objects.all().delete()

    result = verify()
    assert not result.ok
    assert result.problem.startswith("the audit log's head (its highest position ever")
    with pytest.raises(RuntimeError, match=r"head .* is missing"):
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")


def test_it_refuses_a_head_moved_back_without_the_key(write, unguarded):
    entries = write(4)
    with unguarded():
        AuditEntry.objects.filter(position=4).delete()
        head = AuditHead.objects.get()
        head.position, head.hash = 3, entries[2].hash
        head.key_id, head.mac = made_up("head", signing.head_content(head))
        head.save()

    result = verify()
    assert result.problem == (
        "the audit log's head does not match its signature: it was forged or edited"
    )


def test_it_walks_a_long_log_in_batches(write, monkeypatch):
    from gardien.audit import services

    monkeypatch.setattr(services, "_BATCH", 3)
    write(10)
    seen: list[int] = []

    result = verify(progress=seen.append)
    assert result.ok
    assert result.checked == 10
    assert seen == [3, 6, 9]


def test_it_purges_a_prefix_and_verifies_from_the_checkpoint(write, monkeypatch):
    from gardien.audit import services

    wall_clock = dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(services, "_wall_clock", lambda: wall_clock)
    old = write(3, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")

    with clock.frozen("2025-07-01T00:00:00"):
        count = purge_before(clock.parse_instant("2025-01-01"))

    assert count == 3
    assert list(AuditEntry.objects.order_by("position").values_list("position", flat=True)) == [
        4,
        5,
        6,
    ]
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.position == 3
    assert checkpoint.hash == old[-1].hash
    assert checkpoint.at == old[-1].at
    assert checkpoint.count == 3
    # Purged at the real time, acting as of the date it was given.
    assert checkpoint.purged_at == wall_clock
    assert checkpoint.business_now == dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    result = verify()
    assert result.ok
    assert result.checked == 3
    assert result.checkpoint_position == 3


def test_it_records_each_purge_in_the_log(write, monkeypatch):
    from gardien.audit import services

    wall_clock = dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(services, "_wall_clock", lambda: wall_clock)
    write(3, start="2024-01-10T09:00:00")

    with clock.frozen("2030-01-01T00:00:00"):
        purge_before(clock.parse_instant("2030-01-01"), actor=Actor("system", "command"))

    entry = AuditEntry.objects.get()
    assert (entry.position, entry.at) == (4, wall_clock)
    assert (entry.actor_kind, entry.actor_ref) == ("system", "command")
    assert (entry.action, entry.target_type, entry.target_ref) == (
        "audit_purge",
        "audit.entry",
        "3",
    )
    assert entry.reason == (
        "3 entries older than 2030-01-01T00:00:00+00:00 purged up to position 3, "
        "as of 2030-01-01T00:00:00+00:00"
    )
    assert verify().ok


def test_it_continues_the_chain_after_purging_everything(write):
    entries = write(3, start="2024-01-10T09:00:00")
    assert purge_before(clock.parse_instant("2025-01-01")) == 3
    assert verify().ok

    purge = AuditEntry.objects.get()
    assert purge.position == 4
    assert purge.prev_hash == entries[-1].hash
    entry = record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="x")
    assert entry.position == 5
    result = verify()
    assert result.ok
    assert (result.checked, result.checkpoint_position) == (2, 3)


def test_it_keeps_the_newest_checkpoint_after_several_purges(write):
    write(2, start="2023-01-10T09:00:00")
    write(2, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")

    with clock.frozen("2025-07-01T00:00:00"):
        assert purge_before(clock.parse_instant("2024-01-01")) == 2
        assert purge_before(clock.parse_instant("2025-01-01")) == 2
    assert AuditCheckpoint.objects.count() == 2
    result = verify()
    assert result.ok
    # The two newer entries and both purges' own entries, dated with the real time.
    assert (result.checked, result.checkpoint_position) == (4, 4)


def test_it_stops_the_purge_at_the_first_entry_that_is_not_older(write):
    write(2, start="2024-01-10T09:00:00")
    write(1, start="2025-06-01T09:00:00")
    write(1, start="2024-02-10T09:00:00")  # written by a job run with an earlier --now

    assert purge_plan(clock.parse_instant("2025-01-01")).count == 2
    assert purge_before(clock.parse_instant("2025-01-01")) == 2
    assert list(AuditEntry.objects.order_by("position").values_list("position", flat=True)) == [
        3,
        4,
        5,
    ]
    assert verify().ok


def test_it_purges_nothing_when_no_entry_is_older(write):
    write(2, start="2025-06-01T09:00:00")

    assert purge_before(clock.parse_instant("2025-01-01")) == 0
    assert not AuditCheckpoint.objects.exists()
    assert AuditEntry.objects.count() == 2


def test_it_detects_tampering_after_a_purge(write, unguarded):
    write(3, start="2024-01-10T09:00:00")
    write(3, start="2025-06-01T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    with unguarded():
        AuditEntry.objects.filter(position=5).update(target_ref="someone-else")

    result = verify()
    assert result.broken_at == 5
    assert result.problem == (
        "entry 5 was edited or forged (its signature does not match its content)"
    )
    assert result.checkpoint_position == 3


def test_it_detects_the_first_entry_after_the_checkpoint_deleted(write, unguarded):
    write(2, start="2024-01-10T09:00:00")
    write(3, start="2025-06-01T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    with unguarded():
        AuditEntry.objects.filter(position=3).delete()

    result = verify()
    assert result.broken_at == 3
    assert result.problem == (
        "entry 3 is missing (the log resumes at entry 4 after the checkpoint at position 2)"
    )


def test_it_detects_an_entry_replaced_right_after_the_checkpoint(write, unguarded):
    write(2, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    with unguarded():
        AuditEntry.objects.filter(position=3).delete()
    AuditEntry.objects.bulk_create([forged(3, GENESIS_HASH)])

    result = verify()
    assert result.broken_at == 3
    assert result.problem.startswith(
        "entry 3 does not follow the checkpoint at position 2 (its previous hash differs)"
    )


def test_it_detects_an_entry_inserted_before_the_checkpoint(write):
    write(2, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    AuditEntry.objects.bulk_create([forged(1, GENESIS_HASH)])

    result = verify()
    assert result.broken_at == 1
    assert "was purged up to position 2" in result.problem


def test_it_refuses_to_purge_a_broken_prefix(write, unguarded):
    write(3, start="2024-01-10T09:00:00")
    write(1, start="2025-06-01T09:00:00")
    with unguarded():
        AuditEntry.objects.filter(position=2).update(action="view")

    with pytest.raises(AuditLogBroken, match="entry 2 was edited"):
        purge_before(clock.parse_instant("2025-01-01"))
    assert AuditEntry.objects.count() == 4
    assert not AuditCheckpoint.objects.exists()


def test_it_refuses_a_naive_purge_instant(db):
    with pytest.raises(ValueError, match="timezone-aware"):
        purge_before(dt.datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("target_ref", {"target_ref": "alice@example.org"}),
        ("reason", {"reason": "asked by bob@example.org"}),
        ("actor_ref", {"actor": Actor.subject("carol@example.org")}),
    ],
)
def test_it_refuses_a_value_that_looks_like_an_email(db, field, kwargs):
    arguments = {
        "actor": Actor.system(),
        "action": "erase",
        "target_type": "vault.person",
        "target_ref": "3f0e",
        **kwargs,
    }
    with pytest.raises(ValueError, match=f"audit {field} contains '@'"):
        record(**arguments)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_ref": "x" * 65},
        {"reason": "r" * 201},
        {"action": "Erase everything"},
        {"action": ""},
        {"target_type": "Vault Person"},
        {"reason": "two\nlines"},
        {"actor": Actor("robot", "1")},
        {"actor": Actor.subject("")},
    ],
)
def test_it_refuses_malformed_or_oversized_values(db, kwargs):
    arguments = {
        "actor": Actor.system(),
        "action": "erase",
        "target_type": "vault.person",
        "target_ref": "3f0e",
        **kwargs,
    }
    with pytest.raises(ValueError):
        record(**arguments)
    assert not AuditEntry.objects.exists()


def test_it_names_staff_by_their_account_number(django_user_model, db):
    user = django_user_model.objects.create_user(username="dpo", password="x" * 16)

    entry = record(
        actor=Actor.staff(user), action="view", target_type="vault.person", target_ref="3f0e"
    )
    assert (entry.actor_kind, entry.actor_ref) == ("staff", str(user.pk))
    assert Actor.subject("p-12") == Actor("subject", "p-12")
    assert Actor.system() == Actor("system", "system")


def test_it_records_inside_the_callers_transaction(write):
    write(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="a")
        raise RuntimeError("the change being audited failed")

    entry = record(actor=Actor.system(), action="erase", target_type="vault.person", target_ref="b")
    assert entry.position == 2
    assert verify().ok


def test_it_refuses_to_save_or_delete_an_entry_again(write):
    entry = write(1)[0]
    entry.reason = "changed"

    with pytest.raises(AuditLogIsAppendOnly, match="append-only"):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly, match="append-only"):
        entry.delete()
    assert verify().ok


def test_it_refuses_to_save_or_delete_a_checkpoint_again(write):
    write(1, start="2024-01-10T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    checkpoint = AuditCheckpoint.objects.get()

    with pytest.raises(AuditLogIsAppendOnly):
        checkpoint.save()
    with pytest.raises(AuditLogIsAppendOnly):
        checkpoint.delete()


def test_it_keeps_positions_unique_in_the_database(write):
    entries = write(2)

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.bulk_create([forged(2, entries[0].hash)])
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.bulk_create([forged(0, GENESIS_HASH)])
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.bulk_create([forged(3, "short")])


@pytest.mark.django_db(transaction=True)
def test_it_serialises_concurrent_writers():
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(8):
                record(
                    actor=Actor.system(),
                    action="create",
                    target_type="vault.person",
                    target_ref=f"{n}-{i}",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEntry.objects.count() == 32
    result = verify()
    assert result.ok
    assert result.checked == 32
