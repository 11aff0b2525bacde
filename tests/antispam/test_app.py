"""The app's wiring: its purge job, its browser script, its settings checked at start."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.core.management import call_command

from gardien.antispam import services
from gardien.antispam.models import CountedSubmission, UsedChallenge
from gardien.lib import clock
from gardien.processors import periodic
from tests.antispam.conftest import START
from tests.english import english  # noqa: F401
from tests.environment import ROOT, subprocess_env


def test_ready_registers_the_purge_every_ten_minutes():
    before = list(periodic.JOBS)
    try:
        periodic.JOBS.clear()
        apps.get_app_config("antispam").ready()
        apps.get_app_config("antispam").ready()  # idempotent
        (job,) = periodic.JOBS
        assert (job.name, job.every) == ("antispam.purge", dt.timedelta(minutes=10))
        assert job.func is services.purge_expired
    finally:
        periodic.JOBS[:] = before


def test_the_purge_removes_expired_challenges_and_old_counts(db):
    UsedChallenge.objects.create(digest="a" * 64, expires_at=START)
    UsedChallenge.objects.create(digest="b" * 64, expires_at=START + dt.timedelta(seconds=1))
    for seconds in (-601, -600, -599):
        CountedSubmission.objects.create(
            scope="contact", address_key="c" * 64, counted_at=START + dt.timedelta(seconds=seconds)
        )
    with clock.frozen(START):
        purged = services.purge_expired()
    assert purged == services.Purged(used_challenges=1, counted_submissions=2)
    assert list(UsedChallenge.objects.values_list("digest", flat=True)) == ["b" * 64]
    assert CountedSubmission.objects.count() == 1


def test_the_worker_runs_the_purge(db):
    UsedChallenge.objects.create(digest="a" * 64, expires_at=START)
    with clock.frozen(START + dt.timedelta(days=1)):
        ran = periodic.run_due(holder="test", force=True)
    assert "antispam.purge" in ran
    assert UsedChallenge.objects.count() == 0


def test_the_migrations_match_the_models(db):
    call_command("makemigrations", "antispam", "--check", "--dry-run", verbosity=0)


def test_the_script_is_a_static_file_fit_for_a_strict_csp():
    found = finders.find("antispam/altcha.js")
    assert found
    source = Path(found).read_text(encoding="utf-8")
    assert "eval(" not in source and "new Function" not in source
    assert "http://" not in source and "https://" not in source  # nothing from elsewhere
    assert "crypto.subtle.digest" in source
    assert "window.gardienAltcha" in source


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_script_parses():
    found = finders.find("antispam/altcha.js")
    done = subprocess.run(
        ["node", "--check", found], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_malformed_rate_limit_stops_gardien_at_start(tmp_path):
    env = {**subprocess_env(tmp_path), "GARDIEN_RATE_LIMIT": "5 per 10 minutes"}
    done = subprocess.run(
        [sys.executable, "-m", "gardien", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert (
        "Configuration error: GARDIEN_RATE_LIMIT='5 per 10 minutes' is not a rate; write "
        "<submissions>/<seconds>, e.g. GARDIEN_RATE_LIMIT=5/600 for 5 submissions in 10 minutes."
    ) in done.stderr


@pytest.mark.parametrize(
    ("name", "value", "sentence"),
    [
        ("GARDIEN_ALTCHA", "maybe", "GARDIEN_ALTCHA='maybe' is not a boolean"),
        ("GARDIEN_ALTCHA_MAXNUMBER", "10", "GARDIEN_ALTCHA_MAXNUMBER=10 is too small"),
        ("GARDIEN_ALTCHA_EXPIRES_SECONDS", "ten", "is not a whole number"),
    ],
)
def test_the_challenge_settings_are_strict(tmp_path, name, value, sentence):
    env = {**subprocess_env(tmp_path), name: value}
    done = subprocess.run(
        [sys.executable, "-m", "gardien", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert sentence in done.stderr
