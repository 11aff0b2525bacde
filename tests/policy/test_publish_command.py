"""`gardien policy publish` asks before it publishes, and `make run` publishes only on a first
start: the confirm step, --yes, no terminal, nothing to publish, the notes in two languages."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from gardien.audit.models import AuditEntry
from gardien.lib import clock
from gardien.policy.models import PolicyVersion
from tests.environment import ROOT, subprocess_env

CHANGED = ('retention = "3 years after last_contact"', 'retention = "2 years after last_contact"')
GARDIEN = Path(sys.executable).parent / "gardien"


class Terminal(io.StringIO):
    """What a person types at a terminal (the command reads one line)."""

    def isatty(self) -> bool:
        return True


def publish(*args: str, answer: str | None = None) -> str:
    """`gardien policy publish ARGS` in English; ``answer`` is typed at a terminal."""
    out = io.StringIO()
    stdin = Terminal(answer) if answer is not None else io.StringIO()
    with translation.override("en"):
        call_command("policy", "publish", *args, stdout=out, stdin=stdin)
    return out.getvalue()


@pytest.fixture
def changed_draft(published, edited_manifest, settings):
    """Version 1 published; then a retention period edited in the file, not published."""
    settings.GARDIEN_MANIFEST = edited_manifest(CHANGED)
    return settings.GARDIEN_MANIFEST


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "Y\n", "oui\n", "o\n"])
def test_it_publishes_when_the_person_confirms(changed_draft, answer):
    out = publish(answer=answer)
    assert "+ Contact form: 2 years after the last contact." in out
    assert "- Contact form: 3 years after the last contact." in out
    assert "Sections changed: activities." in out
    assert "Version 2 would be dated " in out
    assert "Publish version 2 of the privacy policy? [y/N] " in out
    assert "Published version 2 of the privacy policy" in out
    assert PolicyVersion.objects.count() == 2


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "no\n", "publish\n"])
def test_it_publishes_nothing_unless_the_person_says_yes(changed_draft, answer):
    with pytest.raises(CommandError, match=r"^Nothing was published\.$") as refused:
        publish(answer=answer)
    assert refused.value.returncode == 1
    assert PolicyVersion.objects.count() == 1


def test_it_asks_in_french_and_takes_oui(changed_draft):
    out = io.StringIO()
    with translation.override("fr"):
        call_command("policy", "publish", stdout=out, stdin=Terminal("oui\n"))
    text = out.getvalue()
    assert "Publier la version 2 de la politique de confidentialité ? [o/N] " in text
    assert "Version 2 de la politique de confidentialité publiée" in text
    assert PolicyVersion.objects.count() == 2


def test_it_publishes_nothing_without_a_terminal_and_says_to_add_yes(changed_draft):
    with pytest.raises(CommandError) as refused:
        publish()
    assert refused.value.returncode == 2
    assert "there is no terminal to answer in. Add --yes" in str(refused.value)
    assert PolicyVersion.objects.count() == 1


def test_yes_publishes_without_asking(changed_draft):
    out = publish("--yes", "--note", "Durée réduite", "--note-en", "Shorter period")
    assert "[y/N]" not in out
    assert "Published version 2 of the privacy policy" in out
    version = PolicyVersion.objects.get(number=2)
    assert (version.note, version.note_en) == ("Durée réduite", "Shorter period")
    entry = AuditEntry.objects.filter(action="publish").order_by("-position").first()
    assert (entry.actor_kind, entry.target_ref) == ("system", "2")


def test_it_says_there_is_nothing_to_publish(published, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    out = publish()  # no terminal, no --yes: nothing is asked, since nothing would change
    assert out.strip() == "Nothing to publish: the manifest says the same as version 1."
    assert PolicyVersion.objects.count() == 1


def test_a_dry_run_asks_nothing_and_publishes_nothing(changed_draft):
    out = publish("--dry-run")
    assert "+ Contact form: 2 years after the last contact." in out
    assert out.rstrip().endswith("Nothing was published (--dry-run).")
    assert "[y/N]" not in out
    assert PolicyVersion.objects.count() == 1


def test_a_first_publication_counts_its_lines_instead_of_printing_them(db, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    with clock.frozen("2026-03-02T10:00:00+00:00"):
        out = publish(answer="y\n")
    lines = out.splitlines()
    assert re.fullmatch(
        r"No version is published yet: version 1 publishes the whole policy \(\d+ lines; "
        r"--dry-run shows them\)\.",
        lines[0],
    )
    assert lines[1] == "Version 1 would be dated 2026-03-02 (the policy's “Last updated”)."
    assert PolicyVersion.objects.get().number == 1


def test_it_refuses_a_date_before_the_version_in_force_before_asking(changed_draft):
    with pytest.raises(CommandError, match="cannot be dated before version 1") as refused:
        publish("--now", "2020-01-01", answer="y\n")
    assert refused.value.returncode == 2
    assert PolicyVersion.objects.count() == 1


# --------------------------------------------------------------------------- make run


def test_the_first_start_publishes_with_a_note_in_each_language(db, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    out = publish(
        "--if-none-published", "--note", "Première version.", "--note-en", "First version."
    )
    assert out.strip().startswith("Published version 1 of the privacy policy")
    version = PolicyVersion.objects.get()
    assert (version.note, version.note_en) == ("Première version.", "First version.")
    history_fr = Client().get("/fr/privacy/history/").text
    history_en = Client().get("/en/privacy/history/").text
    assert "<td>Première version.</td>" in history_fr and "First version." not in history_fr
    assert "<td>First version.</td>" in history_en and "Première version." not in history_en


def test_a_note_in_one_language_is_shown_in_both_marked_with_its_language(db, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    publish("--yes", "--note", "Première version.")
    assert "<td>Première version.</td>" in Client().get("/fr/privacy/history/").text
    assert '<td lang="fr">Première version.</td>' in Client().get("/en/privacy/history/").text


def test_a_later_start_publishes_nothing_and_says_where_to_review(changed_draft, settings):
    settings.SITE_URL = "http://127.0.0.1:8001"
    out = publish("--if-none-published", "--note", "Première version.")
    assert out.splitlines() == [
        "The manifest has changes that are not published (version 1 is in force): review and "
        "publish them at http://127.0.0.1:8001/admin/policy/publish/ or with "
        "`gardien policy publish`."
    ]
    assert PolicyVersion.objects.count() == 1


def test_a_later_start_with_nothing_new_says_nothing(published, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    assert publish("--if-none-published") == ""
    assert PolicyVersion.objects.count() == 1


# --------------------------------------------------------------------------- the real command


def make_run_publish_line(port: str = "8000") -> list[str]:
    """The `gardien policy publish` line of `make run`, as make would run it."""
    done = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("GARDIEN_", "SITE_URL"))},
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if " policy " in line)
    return shlex.split(line.strip().removeprefix("&&").removesuffix("\\"))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_publishes_on_the_first_start_only(tmp_path, edited_manifest, coopo_path):
    command = make_run_publish_line()
    assert command[1:5] == ["policy", "--skip-checks", "publish", "--if-none-published"]
    env = {**subprocess_env(tmp_path / "var"), "GARDIEN_MANIFEST": str(coopo_path)}
    args = [str(GARDIEN), *command[1:], "--lang", "en"]
    for setup in (["secrets", "init"], ["migrate", "--noinput", "--verbosity", "0"]):
        subprocess.run([str(GARDIEN), *setup], env=env, cwd=tmp_path, check=True, timeout=120)

    first = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Published version 1 of the privacy policy")

    env["GARDIEN_MANIFEST"] = str(edited_manifest(CHANGED))
    env["SITE_URL"] = "http://127.0.0.1:8000"
    later = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert later.returncode == 0, later.stderr
    assert later.stdout.splitlines() == [
        "The manifest has changes that are not published (version 1 is in force): review and "
        "publish them at http://127.0.0.1:8000/admin/policy/publish/ or with "
        "`gardien policy publish`."
    ]

    history = subprocess.run(
        [str(GARDIEN), "policy", "history", "--lang", "fr"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "— Première version." in history.stdout
    assert history.stdout.rstrip().endswith("1 version publiée.")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_each_make_run_has_its_own_control_socket():
    def gunicorn_line(port: str) -> str:
        done = subprocess.run(
            ["make", "-n", "run", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")},
        )
        text = done.stdout.replace("\\\n", " ")
        return next(line for line in text.splitlines() if "bin/gunicorn " in line)

    assert "--control-socket var/gunicorn-8000.ctl" in gunicorn_line("8000")
    assert "--control-socket var/gunicorn-8001.ctl" in gunicorn_line("8001")


def run_in_terminal(
    args: list[str], env: dict[str, str], cwd: Path, answer: bytes
) -> tuple[int, str]:
    """Run a command with a terminal as its input and output; type ``answer`` when asked."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd
    )
    os.close(follower)
    output = b""
    typed = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not typed and b"[y/N]" in output:
                os.write(leader, answer)
                typed = True
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=30), output.decode()


def test_the_real_command_asks_at_a_terminal(tmp_path, edited_manifest, coopo_path):
    env = {**subprocess_env(tmp_path / "var"), "GARDIEN_MANIFEST": str(coopo_path)}
    for setup in (
        ["secrets", "init"],
        ["migrate", "--noinput", "--verbosity", "0"],
        ["policy", "publish", "--yes", "--note", "Première version."],
    ):
        subprocess.run(
            [str(GARDIEN), *setup],
            env=env,
            cwd=tmp_path,
            check=True,
            timeout=120,
            capture_output=True,
        )
    env["GARDIEN_MANIFEST"] = str(edited_manifest(CHANGED))
    command = [str(GARDIEN), "policy", "publish", "--lang", "en"]

    code, text = run_in_terminal(command, env, tmp_path, b"n\n")
    assert code == 1, text
    assert "Publish version 2 of the privacy policy? [y/N]" in text
    assert "Nothing was published." in text and "CommandError" not in text

    code, text = run_in_terminal(command, env, tmp_path, b"y\n")
    assert code == 0, text
    assert "Published version 2 of the privacy policy" in text

    without_terminal = subprocess.run(
        [*command, "--manifest", str(edited_manifest(('name = "Coopo"', 'name = "Coopo SCOP"')))],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert without_terminal.returncode == 2
    assert without_terminal.stderr.strip().endswith("Add --yes to publish without the question.")
    assert "CommandError" not in without_terminal.stderr
    assert "Traceback" not in without_terminal.stderr


def test_the_history_reads_every_note_in_one_query(
    db, settings, coopo_path, edited_manifest, django_assert_max_num_queries
):
    settings.GARDIEN_MANIFEST = coopo_path
    publish("--yes", "--note", "Première version.", "--note-en", "First version.")
    settings.GARDIEN_MANIFEST = edited_manifest(CHANGED)
    publish("--yes", "--note", "Durée réduite.", "--note-en", "Shorter period.")
    client = Client()
    client.get("/en/privacy/history/")  # sessions, caches: whatever a first request loads
    with django_assert_max_num_queries(1):
        page = client.get("/en/privacy/history/").text
    assert "First version." in page and "Shorter period." in page


def test_a_manifest_saved_while_the_question_waits_is_not_published_unseen(changed_draft):
    """The person confirms what was shown; a file changed meanwhile is refused, not published."""

    class EditedWhileAsking(Terminal):
        def readline(self, *args: object) -> str:
            text = changed_draft.read_text(encoding="utf-8")
            never_shown = text.replace(CHANGED[1], CHANGED[1].replace("2 years", "18 months"))
            changed_draft.write_text(never_shown, encoding="utf-8")
            return "y\n"

    out = io.StringIO()
    with (
        translation.override("en"),
        pytest.raises(CommandError, match="changed after the changes were shown"),
    ):
        call_command("policy", "publish", stdout=out, stdin=EditedWhileAsking())
    assert PolicyVersion.objects.count() == 1
