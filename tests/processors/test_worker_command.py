from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gardien.lib.command import LANGUAGE_VARIABLES
from gardien.processors import periodic
from gardien.processors.management.commands.worker import Command
from gardien.processors.models import PeriodicLock
from tests.english import english  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
GARDIEN = Path(sys.executable).parent / "gardien"


def test_it_explains_itself_in_help():
    text = Command().create_parser("gardien", "worker").format_help()
    for words in ["--batch", "--once", "--now DATE", "--interval", "cron", "back office"]:
        assert words in text


def test_it_refuses_now_without_batch():
    with pytest.raises(CommandError, match="--now only works with --batch"):
        call_command("worker", "--now", "2030-01-01")


@pytest.mark.django_db
def test_it_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="is not a date"):
        call_command("worker", "--batch", "--now", "next tuesday")


@pytest.fixture
def job_calls():  # type: ignore[no-untyped-def]
    calls: list[str] = []
    before = list(periodic.JOBS)
    periodic.periodic("test.job", every=dt.timedelta(hours=1))(lambda: calls.append("ran"))
    yield calls
    periodic.JOBS[:] = before


@pytest.mark.django_db
def test_it_runs_periodic_jobs_between_batches_under_a_lock(run_worker, t0, job_calls):
    run_worker()  # first time: due
    run_worker()  # an hour has not passed
    assert job_calls == ["ran"]

    run_worker(t0)  # --now runs every job whatever its schedule
    assert job_calls == ["ran", "ran"]

    PeriodicLock.objects.filter(name="test.job").update(
        holder="another-worker", locked_until=timezone.now() + dt.timedelta(minutes=5)
    )
    run_worker(t0)  # held by another worker
    assert job_calls == ["ran", "ran"]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A fresh SQLite database, migrated by `gardien migrate`; returns the environment."""
    tmp_path = tmp_path_factory.mktemp("worker")
    env = {
        **{k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES},
        "LANG": "en_US.UTF-8",  # the tests read the worker's English
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "GARDIEN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    gardien(env, "migrate", "--noinput", "--verbosity", "0")
    return env


def gardien(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(GARDIEN), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def test_it_runs_a_batch_in_a_subprocess_and_prints_a_summary(migrated):
    gardien(
        migrated,
        "shell",
        "-c",
        "from gardien.processors.outbox import enqueue; from tests.processors import tasks; "
        "enqueue(tasks.succeed, 'sub-1'); enqueue(tasks.always_fail, 'sub-2')",
    )

    done = gardien(migrated, "worker", "--batch")

    assert done.stdout.strip().splitlines()[-1] == "Ran 2 tasks: 1 done, 1 retried later, 0 dead."
    assert "example.org" not in done.stdout + done.stderr


def test_it_stops_gracefully_on_sigterm(migrated):
    worker = subprocess.Popen(
        [str(GARDIEN), "worker", "--interval", "0.2"],
        env=migrated,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert "Ctrl-C stops it" in worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert out.strip().startswith("Ran 0 tasks")


@pytest.mark.django_db
def test_it_prints_nothing_with_verbosity_zero_for_cron():
    from io import StringIO

    out = StringIO()
    call_command("worker", "--batch", verbosity=0, stdout=out)
    assert out.getvalue() == ""
