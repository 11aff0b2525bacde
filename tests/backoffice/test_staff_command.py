"""`gardien staff` and `gardien demo setup`: accounts with a role and two-factor codes."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from gardien import cli
from gardien.backoffice.models import LoginAttempt
from gardien.backoffice.throttle import Refusal, Throttle, username_key
from gardien.lib import clock
from tests.backoffice.helpers import (
    REFUSED,
    current_code,
    is_logged_in,
    new_client,
    post_login,
)
from tests.english import english  # noqa: F401

WEAK = ["password1234", "coopo2026", "Abcdefgh12!"]  # common, short, 11 characters


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("staff", *args, stdout=out)
    return out.getvalue()


def printed(output: str) -> dict[str, object]:
    values = dict(re.findall(r"^\s+(username|password|authenticator key):\s+(\S+)$", output, re.M))
    uri = re.search(r"otpauth://\S+", output)
    codes_block = output.split("backup codes", 1)[1].splitlines()[1:3]
    return {
        **values,
        "uri": uri.group(0) if uri else None,
        "codes": [c for line in codes_block for c in line.split()],
    }


def test_add_prints_everything_once_and_it_logs_in(db):
    output = run("add", "alice", "--role", "staff")
    shown = printed(output)
    assert shown["username"] == "alice"
    assert len(shown["codes"]) == 10
    assert shown["uri"].startswith("otpauth://totp/Gardien%3Aalice?secret=")
    assert f"secret={shown['authenticator key']}" in shown["uri"]
    assert output.strip().splitlines()[-1].startswith("Created “alice” with the role staff")
    user = get_user_model().objects.get(username="alice")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Staff"]
    client = new_client()
    code = current_code(shown["authenticator key"])
    assert post_login(client, "alice", shown["password"], code).status_code == 302


def test_add_refuses_a_taken_name_and_an_unknown_role(db):
    run("add", "bob", "--role", "viewer")
    with pytest.raises(CommandError, match="already exists"):
        run("add", "bob", "--role", "dpo")
    with pytest.raises(CommandError, match="is not one of 'dpo', 'staff', 'viewer'"):
        run("add", "carol", "--role", "admin")


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_by_the_validators(db, weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_by_staff_add(db, monkeypatch, weak):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": weak)
    with pytest.raises(CommandError, match="The account was not created") as refused:
        run("add", "dora", "--role", "viewer", "--choose-password")
    assert re.search(r"too short|too common", str(refused.value))
    assert not get_user_model().objects.filter(username="dora").exists()


def test_a_chosen_password_is_never_printed(db, monkeypatch):
    chosen = "A-Long-Chosen-Sentence-77"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": chosen)
    output = run("add", "eve", "--role", "dpo", "--choose-password")
    assert chosen not in output
    assert "password:" not in output
    assert get_user_model().objects.get(username="eve").check_password(chosen)


def test_otp_reset_replaces_key_and_codes_and_clears_the_lockout(db):
    first = printed(run("add", "frank", "--role", "viewer"))
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.8")
    with clock.frozen("2026-03-02T09:00:00Z"):
        for _ in range(5):  # each attempt is counted as a failure before its check
            Throttle.for_login(request, "frank").reserve()
        assert Throttle.for_login(request, "frank").reserve().refusal is Refusal.DELAY
        output = run("otp-reset", "frank")
        assert not LoginAttempt.objects.filter(key__startswith=username_key("frank")[:32]).exists()
        assert Throttle.for_login(request, "frank").reserve().refusal is None
    second = printed(output)
    assert "password" not in second
    assert second["authenticator key"] != first["authenticator key"]
    assert set(second["codes"]).isdisjoint(first["codes"])
    assert output.strip().splitlines()[-1].endswith("the old ones no longer work.")
    client = new_client()
    assert post_login(client, "frank", first["password"], second["codes"][0]).status_code == 302
    assert is_logged_in(client)
    stale = new_client()
    assert REFUSED in post_login(stale, "frank", first["password"], first["codes"][1]).text
    assert not is_logged_in(stale)


def test_otp_reset_of_an_unknown_account(db):
    with pytest.raises(CommandError, match="no account named “nobody”"):
        run("otp-reset", "nobody")


def test_list_shows_role_two_factor_and_last_login(db):
    run("add", "gina", "--role", "dpo")
    get_user_model().objects.create_user("nodevice", password="x" * 20, is_staff=True)
    get_user_model().objects.create_user("visitor", password="x" * 20)  # not back office
    output = run("list")
    lines = output.strip().splitlines()
    assert lines[0].split() == ["username", "role", "two-factor", "last", "login"]
    gina = next(line for line in lines if line.startswith("gina"))
    assert "dpo" in gina and "yes, 10 backup codes left" in gina and "never" in gina
    nodevice = next(line for line in lines if line.startswith("nodevice"))
    assert "NO" in nodevice and "none" in nodevice
    assert "visitor" not in output
    assert lines[-1] == (
        "2 back-office accounts, 1 without two-factor codes "
        "(give them some with gardien staff otp-reset USERNAME)."
    )


def test_a_username_starting_with_a_dash_goes_after_double_dash(db, capsys):
    output = run("add", "--role", "viewer", "--", "-henri")
    assert "Created “-henri” with the role viewer" in output
    # The real command line last: it closes the test's database connection.
    cli.main(["gardien", "staff", "otp-reset", "--", "-henri"])
    output = capsys.readouterr().out
    assert output.strip().splitlines()[-1].startswith("“-henri” has a new authenticator key")


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["staff", "--help"], "authenticator app"),
        (["staff", "add", "--help"], "viewer = reads the registers"),
        (["staff", "otp-reset", "--help"], "lost their phone"),
        (["staff", "otp-reset", "--help"], "if it starts with a dash (-), type -- before it"),
        (["staff", "add", "--help"], "if it starts with a dash (-), type -- before it"),
        (["staff", "list", "--help"], "two-factor"),
    ],
)
def test_every_subcommand_explains_itself(capsys, argv, phrase):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["gardien", *argv])
    assert exit_.value.code == 0
    assert phrase in " ".join(capsys.readouterr().out.split())


def test_demo_setup_prints_password_key_and_backup_codes(db):
    out = io.StringIO()
    call_command("demo", "setup", stdout=out)
    output = out.getvalue()
    shown = printed(output)
    assert shown["username"] == "demo"
    assert len(shown["codes"]) == 10
    assert shown["uri"].startswith("otpauth://totp/Gardien%3Ademo?secret=")
    client = new_client()
    code = current_code(shown["authenticator key"])
    assert post_login(client, "demo", shown["password"], code).status_code == 302
    again = io.StringIO()
    call_command("demo", "setup", stdout=again)
    assert shown["password"] not in again.getvalue()
    assert shown["authenticator key"] not in again.getvalue()
