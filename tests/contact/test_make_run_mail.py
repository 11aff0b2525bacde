"""`make run`: the demo page links the contact form, and a message sent there reaches the
team as a file in the mail folder the README names, with the settings `make run` exports."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.environment import ROOT, subprocess_env

MAKEFILE = ROOT / "Makefile"
README = ROOT / "README.md"
MAIL_FOLDER = "var/mail"


def run_exports() -> dict[str, str]:
    """The mail settings the Makefile's `run` target exports (`run: export NAME ?= value`)."""
    text = MAKEFILE.read_text(encoding="utf-8")
    exported = dict(re.findall(r"^run: export (\w+) \?= (.+)$", text, re.MULTILINE))
    return {k: v for k, v in exported.items() if k in ("EMAIL_FILE_PATH", "GARDIEN_CONTACT_NOTIFY")}


def gardien(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "gardien", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_make_run_writes_emails_to_the_folder_the_readme_names():
    exports = run_exports()
    assert exports == {
        "EMAIL_FILE_PATH": MAIL_FOLDER,
        "GARDIEN_CONTACT_NOTIFY": "equipe@coopo.example",
    }
    readme = README.read_text(encoding="utf-8")
    assert f"`{MAIL_FOLDER}/`" in readme
    for name in ("GARDIEN_CONTACT_NOTIFY", "GARDIEN_CONTACT_ACKNOWLEDGE", "EMAIL_FILE_PATH"):
        assert f"`{name}`" in readme


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_where_emails_go_unless_told_otherwise():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GARDIEN_", "EMAIL_"))}

    def serving_line(env: dict[str, str]) -> str:
        done = subprocess.run(
            ["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return next(line for line in done.stdout.splitlines() if "Gardien is serving" in line)

    assert f"emails are written to {MAIL_FOLDER}/." in serving_line(clean)
    elsewhere = serving_line({**clean, "EMAIL_FILE_PATH": "/srv/mail"})
    assert "emails are written to /srv/mail/." in elsewhere


def test_the_demo_page_links_the_contact_form(published):
    page = Client().get("/")
    assert page.status_code == 200
    links = re.findall(r'<a href="([^"]+)">', page.text)
    assert "/fr/contact/" in links
    assert Client().get("/fr/contact/").status_code == 200


def test_a_message_reaches_the_team_as_a_file_in_the_mail_folder(tmp_path):
    """The steps of `make run`, in its environment, from a folder standing for the clone."""
    env = {**subprocess_env(tmp_path / "var"), **run_exports()}
    gardien(tmp_path, env, "secrets", "init")
    gardien(tmp_path, env, "migrate", "--noinput", "--verbosity", "0")
    checked = gardien(tmp_path, env, "check", "--fail-level", "WARNING")
    assert "System check identified no issues" in checked.stdout  # someone is told (W201)
    gardien(tmp_path, env, "policy", "publish", "--if-none-published")
    received = gardien(
        tmp_path,
        env,
        "shell",
        "-c",
        "from gardien.contact import services\n"
        "outcome = services.receive({'last_name': 'Durand', 'first_name': 'Camille', "
        "'status': 'employee', 'email': 'camille@example.org', 'organization': 'Atelier', "
        "'message': 'Bonjour'}, 'fr')\n"
        "print(outcome.message.reference)",
    )
    reference = received.stdout.strip().splitlines()[-1]
    folder = tmp_path / MAIL_FOLDER
    assert not folder.exists() or not any(folder.iterdir())  # nothing before the worker runs

    worked = gardien(tmp_path, env, "worker", "--batch")
    assert worked.stdout.strip().splitlines()[-1] == "Ran 1 task: 1 done, 0 retried later, 0 dead."

    (mail,) = folder.iterdir()
    text = mail.read_text(encoding="utf-8")
    assert reference in text
    assert "To: equipe@coopo.example" in text
    assert "Reply-To: camille@example.org" in text
