"""`gardien audit verify | show | purge`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gardien.audit.models import AuditCheckpoint, AuditEntry
from gardien.lib import clock
from tests.english import english  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_confirms_an_intact_log(write):
    entries = write(3)

    out, err = run("verify")
    assert out.splitlines()[-1] == "Audit log intact: 3 entries checked."
    assert f"Latest entry: position 3, hash {entries[-1].hash}." in out
    assert err == ""


def test_it_confirms_an_empty_log(db):
    out, _ = run("verify")
    assert out.strip() == "Audit log intact: 0 entries checked."


def test_it_exits_with_status_1_on_a_broken_log(write, unguarded):
    write(3)
    with unguarded():
        AuditEntry.objects.filter(position=2).update(target_ref="other")

    with pytest.raises(SystemExit) as exited:
        run("verify")
    assert exited.value.code == 1


def test_it_names_the_broken_position_on_stderr(write, unguarded):
    write(3)
    with unguarded():
        AuditEntry.objects.filter(position=2).delete()
    err = StringIO()

    with pytest.raises(SystemExit):
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        "Audit log broken at position 2: entry 2 is missing (positions jump from 1 to 3)."
    )


def test_it_shows_the_last_entries_oldest_first(write):
    write(5)

    out, _ = run("show", "--last", "2")
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(
        "#4  2025-01-10 10:03:00 Europe/Paris  system:system  erase  vault.person:"
    )
    assert lines[0].endswith("— 3 years after last_contact")
    assert lines[1].startswith("#5  ")
    assert lines[2] == "Showed the last 2 of 5 audit entries."


def test_it_shows_twenty_entries_by_default(write):
    write(25)

    out, _ = run("show")
    assert out.splitlines()[0].startswith("#6  ")
    assert out.splitlines()[-1] == "Showed the last 20 of 25 audit entries."


def test_it_says_when_the_log_is_empty(db):
    out, _ = run("show")
    assert out.strip() == "The audit log is empty."


def test_it_refuses_to_show_no_entries(db):
    with pytest.raises(CommandError, match="--last must be at least 1"):
        run("show", "--last", "0")


def test_it_purges_and_keeps_a_checkpoint(write):
    write(2, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2025-01-01", "--now", "2025-07-01")
    assert out.strip() == (
        "Purged 2 audit entries older than 2025-01-01 00:00 Europe/Paris; "
        "checkpoint kept at position 2; the purge is recorded as entry 5."
    )
    assert AuditEntry.objects.count() == 3
    checkpoint = AuditCheckpoint.objects.get()
    assert str(checkpoint.business_now) == "2025-07-01 00:00:00+00:00"
    assert checkpoint.purged_at > clock.parse_instant("2026-01-01")  # the real time
    out, _ = run("verify")
    assert out.splitlines()[-1] == (
        "Audit log intact: 3 entries checked (from checkpoint at position 2)."
    )


def test_a_purge_of_everything_with_a_future_date_leaves_its_own_entry(write):
    write(5, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2030-01-01", "--now", "2030-01-01")
    assert "Purged 5 audit entries" in out
    purge = AuditEntry.objects.get()
    assert (purge.position, purge.action, purge.actor_ref) == (6, "audit_purge", "command")
    assert purge.at < clock.parse_instant("2030-01-01")  # the real time, not --now
    assert purge.reason.endswith("as of 2030-01-01T00:00:00+00:00")
    out, _ = run("verify")
    assert out.splitlines()[-1] == (
        "Audit log intact: 1 entry checked (from checkpoint at position 5)."
    )


def test_it_refuses_a_future_now_in_production(write, settings):
    write(1, start="2025-06-01T09:00:00")
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="refused in production"):
        run("purge", "--before", "2030-01-01", "--now", "2030-01-01")
    assert AuditEntry.objects.count() == 1


def test_it_detects_entries_deleted_under_a_forged_checkpoint(write, unguarded):
    # The attack of deleting entries 1 to 9 and inserting a checkpoint at 9 that carries
    # entry 9's own hash: without the key, the checkpoint's signature cannot be made.
    entries = write(12)
    with unguarded():
        AuditEntry.objects.filter(position__lte=9).delete()
        AuditCheckpoint.objects.bulk_create(
            [
                AuditCheckpoint(
                    position=9,
                    hash=entries[8].hash,
                    at=entries[8].at,
                    purged_at=entries[8].at,
                    count=9,
                    key_id=entries[8].key_id,
                    mac=entries[8].hash,
                )
            ]
        )
    err = StringIO()

    with pytest.raises(SystemExit):
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        "Audit log broken at position 9: the checkpoint at position 9 does not match its "
        "signature: it was forged or edited, perhaps to hide entries deleted before it."
    )


def test_it_refuses_an_emptied_log(write, unguarded):
    write(3)
    with unguarded():
        AuditEntry.objects.all().delete()
    err = StringIO()

    with pytest.raises(SystemExit):
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        "Audit log broken at position 1: the audit log is empty but 3 entries were written to it."
    )


def test_it_only_counts_on_a_dry_run(write):
    write(3, start="2024-01-10T09:00:00")
    write(1, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2025-01-01", "--dry-run")
    assert out.strip().startswith(
        "Would purge 3 audit entries older than 2025-01-01 00:00 Europe/Paris; "
        "checkpoint would be kept at position 3."
    )
    assert AuditEntry.objects.count() == 4
    assert not AuditCheckpoint.objects.exists()


def test_it_says_when_there_is_nothing_to_purge(write):
    write(1, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2025-01-01")
    assert (
        out.strip() == "No audit entry is older than 2025-01-01 00:00 Europe/Paris: nothing purged."
    )


def test_it_refuses_a_purge_date_in_the_future(write):
    write(1, start="2025-06-01T09:00:00")

    with pytest.raises(CommandError, match="is in the future"):
        run("purge", "--before", "2025-08-01", "--now", "2025-07-01")
    assert AuditEntry.objects.count() == 1


def test_it_explains_an_unreadable_date(db):
    with pytest.raises(CommandError, match=r"is not a date; write e\.g\. 2026-03-01"):
        run("purge", "--before", "last year")


def test_it_refuses_to_purge_a_tampered_log(write, unguarded):
    write(2, start="2024-01-10T09:00:00")
    with unguarded():
        AuditEntry.objects.filter(position=1).update(reason="edited")

    with pytest.raises(CommandError, match="nothing was purged"):
        run("purge", "--before", "2025-01-01")
    assert AuditEntry.objects.count() == 2


def test_it_verifies_from_the_command_line(tmp_path):
    gardien = Path(sys.executable).parent / "gardien"
    if not gardien.exists():
        gardien = ROOT / ".venv" / "bin" / "gardien"
    database = tmp_path / "db.sqlite3"
    env = {
        **{name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"},
        "GARDIEN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def gardien_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(gardien), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    keys = gardien_run("secrets", "init")  # fresh development keys in tmp_path
    assert keys.returncode == 0, keys.stderr
    migrated = gardien_run("migrate", "--noinput", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    recorded = gardien_run(
        "shell",
        "-c",
        "from gardien.audit.services import Actor, record\n"
        "for n in range(3):\n"
        "    record(actor=Actor.system(), action='create', target_type='vault.person',"
        " target_ref=str(n))",
    )
    assert recorded.returncode == 0, recorded.stderr

    intact = gardien_run("audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.splitlines()[-1] == "Audit log intact: 3 entries checked."

    with sqlite3.connect(database) as db:
        with pytest.raises(sqlite3.IntegrityError, match="UPDATE on audit_auditentry refused"):
            db.execute("UPDATE audit_auditentry SET target_ref = 'x' WHERE position = 2")
        # Someone who can drop the triggers can change the row, not sign it.
        db.execute("DROP TRIGGER audit_auditentry_no_update")
        db.execute("UPDATE audit_auditentry SET target_ref = 'x' WHERE position = 2")
    broken = gardien_run("audit", "verify")
    assert broken.returncode == 1
    assert "Audit log broken at position 2: entry 2 was edited or forged" in broken.stderr
