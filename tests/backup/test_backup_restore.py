"""`gardien backup` and `gardien restore` end to end: a restore never brings back what was
erased or purged after its backup was taken."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import translation

from gardien.audit.services import Actor
from gardien.backup import tombstones
from gardien.contact.models import ContactMessage
from gardien.lib import clock
from gardien.retention import engine
from gardien.vault import services as vault
from gardien.vault.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

T = dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _apart(settings: Any, tmp_path: Path) -> None:
    settings.GARDIEN_TOMBSTONES_DIR = tmp_path / "tombstones"
    settings.GARDIEN_PRIVATE_FILES_DIR = tmp_path / "private"


@pytest.fixture
def policy(transactional_db: Any) -> Any:
    from gardien.policy.services import publish
    from tests.conftest import COOPO

    with clock.frozen(T - dt.timedelta(days=1)):
        return publish(COOPO, note="First version")


def someone(email: str, at: dt.datetime | None = None) -> tuple[Person, ContactMessage]:
    """A person with a contact message, received at ``at`` (default: now)."""
    at = at or clock.now()
    with clock.frozen(at):
        person, _ = vault.get_or_create_person(email, actor=Actor.system())
    message = ContactMessage.objects.create(
        person=person, answers="{}", lang="fr", policy_version=1, received_at=at, filed_at=at
    )
    vault.touch(person, "contact", at)
    return person, message


def backup(path: Path) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("backup", "--to", str(path), stdout=out)
    return out.getvalue()


def restore(path: Path) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("restore", "--from", str(path), stdout=out)
    return out.getvalue()


def fresh_instance(settings: Any) -> None:
    """What a new installation is: every table empty but what `gardien migrate` writes, no
    private file."""
    connections.close_all()
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.GARDIEN_PRIVATE_FILES_DIR, ignore_errors=True)


def test_an_erased_person_stays_erased_and_the_rest_comes_back(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    ada, ada_message = someone("ada@example.org")
    ada_id = ada.pk
    bob, bob_message = someone("bob@example.org")
    document = Path(settings.GARDIEN_PRIVATE_FILES_DIR) / "identity" / "bob.bin"
    document.parent.mkdir(parents=True)
    document.write_bytes(b"already encrypted at rest")
    archive = tmp_path / "gardien.backup"

    said = backup(archive)

    assert "Backup written to" in said
    assert b"ada@example.org" not in archive.read_bytes()
    assert b"already encrypted at rest" not in archive.read_bytes()
    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")
    assert not Person.objects.filter(pk=ada_id).exists()

    fresh_instance(settings)
    assert not Person.objects.exists()
    said = restore(archive)

    assert not Person.objects.filter(pk=ada_id).exists()
    assert not ContactMessage.objects.filter(pk=ada_message.pk).exists()
    assert Person.objects.get(pk=bob.pk).email == "bob@example.org"
    assert ContactMessage.objects.filter(pk=bob_message.pk).exists()
    assert document.read_bytes() == b"already encrypted at rest"
    assert f"erased again: person {ada_id} (everything)" in said


def test_a_purge_after_the_backup_is_replayed(policy: Any, settings: Any, tmp_path: Path) -> None:
    old, old_message = someone("old@example.org", at=T)
    old_id = old.pk
    _new, new_message = someone("new@example.org")
    archive = tmp_path / "gardien.backup"
    backup(archive)
    later = T.replace(year=T.year + 3) + dt.timedelta(days=1)  # contact: 3 years after
    engine.run(later)
    assert not ContactMessage.objects.filter(pk=old_message.pk).exists()

    fresh_instance(settings)
    restore(archive)

    assert not ContactMessage.objects.filter(pk=old_message.pk).exists()
    assert not Person.objects.filter(pk=old_id).exists()
    assert ContactMessage.objects.filter(pk=new_message.pk).exists()


def test_an_erasure_before_the_backup_is_not_replayed_on_someone_else(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    gone, _ = someone("gone@example.org")
    gone_id = gone.pk
    vault.erase(gone, actor=Actor.system(), reason="rights: erasure")
    kept, _ = someone("kept@example.org")
    archive = tmp_path / "gardien.backup"
    backup(archive)

    fresh_instance(settings)
    said = restore(archive)

    assert Person.objects.filter(pk=kept.pk).exists()
    assert str(gone_id) not in said
    assert "replayed 0 erasures" in said


def test_a_backup_under_other_keys_is_refused_and_nothing_changes(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    import base64
    import os

    someone("ada@example.org")
    archive = tmp_path / "gardien.backup"
    backup(archive)
    fresh_instance(settings)
    settings.GARDIEN_FIELD_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")]

    with pytest.raises(CommandError, match="other keys than the configured GARDIEN_FIELD_KEYS"):
        restore(archive)
    assert not Person.objects.exists()


def test_a_database_with_data_is_refused(policy: Any, tmp_path: Path) -> None:
    ada, _ = someone("ada@example.org")
    archive = tmp_path / "gardien.backup"
    backup(archive)
    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")
    bob, _ = someone("bob@example.org")

    with pytest.raises(CommandError, match="already holds data"):
        restore(archive)
    assert Person.objects.filter(pk=bob.pk).exists()


def test_a_changed_or_cut_archive_is_refused(policy: Any, settings: Any, tmp_path: Path) -> None:
    someone("ada@example.org")
    archive = tmp_path / "gardien.backup"
    backup(archive)
    fresh_instance(settings)
    data = archive.read_bytes()
    changed = tmp_path / "changed.backup"
    changed.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(CommandError, match="cannot be restored"):
        restore(changed)
    with pytest.raises(CommandError, match="cannot be restored"):
        restore(cut)
    assert not Person.objects.exists()


# --- the tombstone list ------------------------------------------------------------------


def lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in tombstones.path().read_text().splitlines()]


def test_erasures_and_purges_leave_pseudonymous_tombstones(policy: Any) -> None:
    ada, _ = someone("ada@example.org")
    ada_id = ada.pk
    bob, _ = someone("bob@example.org")

    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")
    vault.erase(bob, actor=Actor.system(), reason="objection", activity="contact")
    report = engine.run(clock.now())

    written = lines()
    assert {"kind": "erasure", "person": str(ada_id), "activity": None}.items() <= written[
        0
    ].items()
    assert {"kind": "erasure", "person": str(bob.pk), "activity": "contact"}.items() <= written[
        1
    ].items()
    assert written[-1]["kind"] == "purge"
    assert written[-1]["run"] == str(report.run.pk)
    assert "example.org" not in tombstones.path().read_text()
    assert oct(tombstones.path().stat().st_mode & 0o777) == "0o600"


def test_the_last_unsubscription_that_deletes_a_person_leaves_a_tombstone(policy: Any) -> None:
    person, _ = vault.get_or_create_person("ada@example.org", actor=Actor.system())
    person_id = person.pk

    assert vault.forget_activity(person, "newsletter", actor=Actor.system(), reason="withdrawn")

    assert lines()[-1]["person"] == str(person_id)


def test_a_rights_erasure_is_replayed_with_what_it_forgot_by_address_and_reference(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    import secrets

    from gardien.consent.models import ConsentRecord
    from gardien.newsletter.models import PendingSignup
    from gardien.rights import fulfil
    from gardien.rights import services as rights

    ada, ada_message = someone("ada@example.org")
    ada_id = ada.pk
    now = clock.now()
    PendingSignup.objects.create(
        email="ada@example.org",
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        created_at=now,
        expires_at=now + dt.timedelta(days=7),
    )
    reference = secrets.token_urlsafe(16)
    ConsentRecord(
        consent_id=reference,
        recorded_at=now,
        action="accept_all",
        decisions={},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
    ).save()
    request = rights.create(
        channel="email",
        received_at=now,
        rights=["erasure"],
        actor=Actor.system(),
        email="ada@example.org",
        consent_reference=reference,
    )
    request = rights.mark_verified(request, actor=Actor.system(), how="known correspondent")
    archive = tmp_path / "gardien.backup"
    backup(archive)
    fulfil.erase(request, actor=Actor.system())

    fresh_instance(settings)
    said = restore(archive)

    assert not Person.objects.filter(pk=ada_id).exists()
    assert not ContactMessage.objects.filter(pk=ada_message.pk).exists()
    assert not PendingSignup.objects.exists()
    assert not ConsentRecord.objects.filter(consent_id=reference).exists()
    assert "2 sign-ups and cookie proofs forgotten again" in said
    assert "ada@example.org" not in tombstones.path().read_text()


def test_a_backup_ends_while_gardien_keeps_writing(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    import threading

    for number in range(50):
        someone(f"before{number}@example.org")
    stop = threading.Event()
    written = []

    def write() -> None:
        try:
            while not stop.is_set():
                with transaction.atomic():  # a person and their message, together
                    pk = someone(f"during{len(written)}@example.org")[0].pk
                written.append(pk)  # counted once committed, not before
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 3:
            stop.wait(0.01)
        archive = tmp_path / "gardien.backup"
        backup(archive)
    finally:
        stop.set()
        writer.join()

    fresh_instance(settings)
    restore(archive)
    restored = Person.objects.count()
    assert restored >= 53
    # Each restored person comes with their message: a snapshot, not a torn copy.
    assert ContactMessage.objects.count() == restored


def test_an_erasure_that_commits_after_the_copy_began_is_replayed(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    """The erasure's line is written before it commits: one written just before the backup
    started, whose commit came after the copy's snapshot, leaves the person in the copy."""
    ada, _ = someone("ada@example.org")
    path = tmp_path / "gardien.backup"
    backup(path)
    stamped = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    # As the erasure's transaction left it: its line, stamped before the backup's time.
    line = {"time": stamped.isoformat(), "kind": "erasure", "person": str(ada.pk)}
    tombstones.directory().mkdir(parents=True, exist_ok=True)
    with open(tombstones.path(), "a", encoding="utf-8") as listed:
        listed.write(json.dumps({**line, "activity": None}) + "\n")
    fresh_instance(settings)
    said = restore(path)
    assert not Person.objects.filter(pk=ada.pk).exists()
    assert "erased again" in said


def test_a_missing_or_older_tombstone_list_is_refused_and_nothing_changes(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    ada, _ = someone("ada@example.org")
    someone("bob@example.org")
    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")  # a list before the backup
    path = tmp_path / "gardien.backup"
    backup(path)
    kept = tombstones.path().read_bytes()
    fresh_instance(settings)
    for listed in (b"", kept[: len(kept) // 2], kept.replace(b"erasure", b"ERASURE")):
        tombstones.path().write_bytes(listed)
        with pytest.raises(CommandError, match="not the one this backup's Gardien kept"):
            restore(path)
        assert not Person.objects.exists()
    tombstones.path().unlink()
    with pytest.raises(CommandError, match=r"Copy the latest tombstones\.jsonl"):
        restore(path)
    tombstones.path().write_bytes(kept + b'{"time": "2099-01-01T00:00:00+00:00"}\n')
    restore(path)  # the list as kept, and longer: accepted
    assert Person.objects.count() == 1


def test_a_list_lost_for_good_can_be_declared_so(
    policy: Any, settings: Any, tmp_path: Path
) -> None:
    ada, _ = someone("ada@example.org")
    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")
    someone("bob@example.org")
    path = tmp_path / "gardien.backup"
    backup(path)
    fresh_instance(settings)
    tombstones.path().unlink()
    out = io.StringIO()
    with translation.override("en"):
        call_command("restore", "--from", str(path), "--list-of-erasures-lost", stdout=out)
    assert "declared lost" in out.getvalue()
    assert Person.objects.count() == 1


def test_an_unreadable_line_of_the_list_is_told(policy: Any, settings: Any, tmp_path: Path) -> None:
    someone("bob@example.org")
    path = tmp_path / "gardien.backup"
    backup(path)
    tombstones.directory().mkdir(parents=True, exist_ok=True)
    with open(tombstones.path(), "a", encoding="utf-8") as listed:
        listed.write('{"time": "not a date", "kind": "erasure"}\n')
        listed.write('{"time": "2026-01-01T00:00:00+00:00", "kind": "era')  # cut short: fine
    fresh_instance(settings)
    err = io.StringIO()
    with translation.override("en"):
        call_command("restore", "--from", str(path), stdout=io.StringIO(), stderr=err)
    lines = len(tombstones.path().read_text(encoding="utf-8").splitlines())
    assert f"1 line(s) of the list of erasures could not be read ({lines - 1} of" in err.getvalue()
