"""Periodic jobs are registered by the apps' ready(), whatever is imported first."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps

from gardien.processors import outbox, periodic

ROOT = Path(__file__).resolve().parents[2]
# Every periodic job Gardien has today, and how often it runs.
EXPECTED = {
    "outbox.recover_stalled": dt.timedelta(minutes=5),
    "antispam.purge": dt.timedelta(minutes=10),
    "contact.file": dt.timedelta(seconds=10),
    "newsletter.file": dt.timedelta(seconds=10),
    "retention.purge": dt.timedelta(minutes=15),
    "rights.daily_list": dt.timedelta(days=1),
    "audience.draw_up": dt.timedelta(minutes=15),
    "consent.seal": dt.timedelta(minutes=15),
}

SETUP_ONLY = """
import json, django
django.setup()
from gardien.processors.periodic import JOBS
print(json.dumps({job.name: job.every.total_seconds() for job in JOBS}))
"""


def test_django_setup_alone_registers_every_job():
    # A fresh process, as `gardien worker` starts: nothing imported but django.setup().
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", SETUP_ONLY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {name: every.total_seconds() for name, every in EXPECTED.items()}


def test_the_processors_app_registers_the_outbox_upkeep_in_ready():
    before = list(periodic.JOBS)
    try:
        periodic.JOBS.clear()
        apps.get_app_config("processors").ready()
        apps.get_app_config("processors").ready()  # idempotent
        (job,) = periodic.JOBS
        assert {job.name: job.every} == {"outbox.recover_stalled": EXPECTED[job.name]}
        assert job.func is outbox.recover_stalled
    finally:
        periodic.JOBS[:] = before
