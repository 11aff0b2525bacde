"""`gardien policy publish|history`: versions of the policy from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gardien.lib import clock, when
from gardien.policy.models import PolicyVersion


def policy(*args: str) -> str:
    """`gardien policy ARGS` in English; a publication is confirmed with --yes."""
    if args[0] == "publish":
        args = (*args, "--yes")
    out = io.StringIO()
    with translation.override("en"):
        call_command("policy", *args, stdout=out)
    return out.getvalue()


def test_it_publishes_the_first_version_with_its_date(db, coopo_path):
    with clock.frozen("2026-01-15T10:00:00+00:00"):
        out = policy("publish", "--manifest", str(coopo_path), "--note", "First version")
    assert out.strip().endswith("Published version 1 of the privacy policy (2026-01-15).")
    version = PolicyVersion.objects.get()
    assert (version.number, version.note) == (1, "First version")


def test_it_publishes_the_configured_manifest_by_default(db, settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    assert "Published version 1" in policy("publish")


def test_it_says_nothing_was_published_when_the_manifest_is_unchanged(db, coopo_path):
    policy("publish", "--manifest", str(coopo_path))
    out = policy("publish", "--manifest", str(coopo_path), "--note", "again")
    assert out.strip() == "Nothing to publish: the manifest says the same as version 1."
    assert PolicyVersion.objects.count() == 1


def test_it_lists_the_published_versions(db, coopo_path):
    with clock.frozen("2026-01-15T10:00:00+00:00"):
        policy("publish", "--manifest", str(coopo_path), "--note", "First version")
    lines = policy("history").splitlines()
    version = PolicyVersion.objects.get()
    assert lines == [
        f"version 1  {when.text(version.published_at)}  {version.content_hash[:12]} — First version",
        "1 version published.",
    ]


def test_it_lists_no_version_before_the_first_publication(db):
    assert policy("history").strip() == "0 versions published."


def test_it_refuses_a_note_longer_than_500_characters(db, coopo_path):
    with pytest.raises(CommandError, match="longer than 500 characters"):
        policy("publish", "--manifest", str(coopo_path), "--note", "x" * 501)
    assert PolicyVersion.objects.count() == 0
    policy("publish", "--manifest", str(coopo_path), "--note", "x" * 500)
    assert PolicyVersion.objects.get().note == "x" * 500


def test_it_publishes_nothing_from_a_broken_manifest(db, broken_copy):
    path, where = broken_copy
    with pytest.raises(CommandError) as caught:
        policy("publish", "--manifest", str(path))
    message = str(caught.value)
    assert message.startswith("The manifest has problems, nothing was published:")
    for line in where.values():
        assert f"{path}:{line}: " in message
    assert PolicyVersion.objects.count() == 0


def test_it_refuses_a_long_note_from_the_real_command(gardien, coopo_path):
    result = gardien(
        "policy", "publish", "--lang", "en", "--manifest", str(coopo_path), "--note", "n" * 600
    )
    assert result.returncode == 2
    assert "The note is longer than 500 characters; keep it to a sentence." in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
