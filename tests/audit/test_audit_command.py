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


def test_it_exits_with_status_1_on_a_broken_log(write):
    write(3)
    AuditEntry.objects.filter(position=2).update(target_ref="other")

    with pytest.raises(SystemExit) as exited:
        run("verify")
    assert exited.value.code == 1


def test_it_names_the_broken_position_on_stderr(write, capsys):
    write(3)
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
    assert lines[0].startswith("#4  2025-01-10 10:03:00+01:00  system:system  erase  vault.person:")
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
        "Purged 2 audit entries older than 2025-01-01T00:00:00+00:00; "
        "checkpoint kept at position 2."
    )
    assert AuditEntry.objects.count() == 2
    assert str(AuditCheckpoint.objects.get().purged_at) == "2025-07-01 00:00:00+00:00"
    out, _ = run("verify")
    assert out.splitlines()[-1] == (
        "Audit log intact: 2 entries checked (from checkpoint at position 2)."
    )


def test_it_only_counts_on_a_dry_run(write):
    write(3, start="2024-01-10T09:00:00")
    write(1, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2025-01-01", "--dry-run")
    assert out.strip().startswith(
        "Would purge 3 audit entries older than 2025-01-01T00:00:00+00:00; "
        "checkpoint would be kept at position 3."
    )
    assert AuditEntry.objects.count() == 4
    assert not AuditCheckpoint.objects.exists()


def test_it_says_when_there_is_nothing_to_purge(write):
    write(1, start="2025-06-01T09:00:00")

    out, _ = run("purge", "--before", "2025-01-01")
    assert out.strip() == "No audit entry is older than 2025-01-01T00:00:00+00:00: nothing purged."


def test_it_refuses_a_purge_date_in_the_future(write):
    write(1, start="2025-06-01T09:00:00")

    with pytest.raises(CommandError, match="is in the future"):
        run("purge", "--before", "2025-08-01", "--now", "2025-07-01")
    assert AuditEntry.objects.count() == 1


def test_it_explains_an_unreadable_date(db):
    with pytest.raises(CommandError, match=r"is not a date; write e\.g\. 2026-03-01"):
        run("purge", "--before", "last year")


def test_it_refuses_to_purge_a_tampered_log(write):
    write(2, start="2024-01-10T09:00:00")
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
        db.execute("UPDATE audit_auditentry SET target_ref = 'x' WHERE position = 2")
    broken = gardien_run("audit", "verify")
    assert broken.returncode == 1
    assert "Audit log broken at position 2: entry 2 was edited" in broken.stderr
