"""`gardien --help` and each command's --help: what a newcomer reads first."""

from __future__ import annotations

import pytest

from gardien.cli import main
from tests.english import english  # noqa: F401


def help_of(capsys, *args: str) -> str:
    """Run `gardien ARGS --help` through the real entry point; the text it prints."""
    with pytest.raises(SystemExit) as exited:
        main(["gardien", *args, "--help"])
    assert exited.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_it_prints_the_overview(gardien):
    result = gardien("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Gardien keeps the promises of your privacy policy.")
    for command in ("gardien check [PATH]", "gardien policy publish", "gardien register export"):
        assert command in result.stdout
    assert result.stderr == ""


def test_it_prints_the_overview_without_arguments_or_with_help(capsys):
    for argv in (["gardien"], ["gardien", "-h"], ["gardien", "help"]):
        main(argv)
        assert "Everyday commands:" in capsys.readouterr().out


def test_it_explains_the_policy_command(capsys):
    text = help_of(capsys, "policy", "--lang", "en")
    assert "Publishes the privacy policy." in text
    assert "publish a new version if the manifest changed" in text
    assert "list the published versions" in text


def test_it_explains_policy_publish(capsys):
    text = help_of(capsys, "policy", "publish", "--lang", "en")
    assert "Publish a new version of the privacy policy if the manifest changed: see" in text
    assert "--note" in text and "--manifest" in text and "--yes" in text


def test_it_explains_the_register_export_command(capsys):
    text = help_of(capsys, "register", "export")
    assert "Write the record of processing activities." in text
    assert "--format {pdf,csv,json,html}" in text
    assert "--output" in text


def test_it_explains_the_check_command(capsys):
    text = help_of(capsys, "check")
    assert "Checks the manifest (gardien.toml) and lists every problem with its line number" in text
