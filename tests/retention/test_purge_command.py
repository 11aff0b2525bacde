"""`gardien purge` as cron or systemd runs it: a real subprocess, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.english import english  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
GARDIEN = Path(sys.executable).parent / "gardien"

FILL = """
import datetime as dt, secrets
from gardien.consent.models import ConsentRecord
at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ConsentRecord.objects.bulk_create([
    ConsentRecord(consent_id=secrets.token_urlsafe(16), recorded_at=at + dt.timedelta(seconds=i),
                  action="accept_all", decisions={}, policy_version=1, config_hash="a" * 64,
                  lang="fr")
    for i in range(20000)
], batch_size=2000)
"""

COUNT = """
from gardien.consent.models import ConsentRecord
from gardien.retention.models import PurgeRun
run = PurgeRun.objects.get()
print(ConsentRecord.objects.count(), run.interrupted,
      run.receipts.get(category="consent.consentrecord").count)
"""


@pytest.fixture
def filled(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "GARDIEN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    gardien(env, "migrate", "--noinput", "--verbosity", "0")
    gardien(env, "policy", "publish", "--yes", "--note", "first")
    gardien(env, "shell", "-c", FILL)
    return env


def gardien(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(GARDIEN), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_sigterm_during_a_purge_stops_between_batches_and_keeps_them_whole(filled):
    purge = subprocess.Popen(
        [str(GARDIEN), "purge", "--batch", "100", "--now", "2026-11-30"],
        env=filled,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert purge.stdout is not None
        for line in purge.stdout:  # the progress bar of the ledger, a line per 10 %
            if "proofs of consent" in line and "/20000" in line and "(0%)" not in line:
                break
        purge.send_signal(signal.SIGTERM)
        out, err = purge.communicate(timeout=60)
    finally:
        if purge.poll() is None:
            purge.kill()

    assert purge.returncode == 3, err
    assert "Stopped before the end" in out
    left, interrupted, counted = gardien(filled, "shell", "-c", COUNT).stdout.split()[-3:]
    assert interrupted == "True"
    assert 0 < int(left) < 20000
    assert int(left) % 100 == 0  # whole batches only
    assert int(left) + int(counted) == 20000

    again = gardien(filled, "purge", "--now", "2026-11-30")
    assert "Purged" in again.stdout.splitlines()[-1]
