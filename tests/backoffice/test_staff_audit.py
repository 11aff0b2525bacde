"""Staff actions leave an audit entry each, with references only: no email, no password."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from gardien.audit.models import AuditEntry
from gardien.backoffice.roles import BY_SLUG
from gardien.backoffice.trail import keyed
from tests.backoffice.helpers import new_client, post_login, verified_client

SECRET_VALUES = ("Not-The-Password-0", "erin", "@")


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("position"))


@pytest.fixture(autouse=True)
def _no_personal_value_in_any_entry(db):
    yield
    for entry in AuditEntry.objects.all():
        for value in (entry.actor_ref, entry.target_ref, entry.reason):
            assert not any(secret in value for secret in SECRET_VALUES), (entry.action, value)


def test_a_login_is_audited_as_the_account(make_account):
    account = make_account("alice", "staff")
    verified_client(account)
    (entry,) = entries("login")
    assert (entry.actor_kind, entry.actor_ref) == ("staff", str(account.user.pk))
    assert (entry.target_type, entry.target_ref) == ("backoffice.account", str(account.user.pk))
    assert account.password not in entry.reason


def test_a_failed_login_says_which_check_failed_never_the_password(make_account):
    account = make_account("alice", "staff")
    post_login(new_client(), "alice", "Not-The-Password-0", "000000")
    post_login(new_client(), "alice", account.password, "000000")
    post_login(new_client(), "erin", "Not-The-Password-0", "000000")
    wrong_password, wrong_code, unknown = entries("login_failed")
    assert wrong_password.actor_kind == "system"
    assert (wrong_password.target_ref, wrong_password.reason) == (
        str(account.user.pk),
        "wrong_password",
    )
    assert (wrong_code.target_ref, wrong_code.reason) == (str(account.user.pk), "wrong_code")
    # An unknown username by a keyed hash: the same one matches, nothing reveals it.
    assert unknown.target_ref == keyed("username", "erin")
    assert unknown.target_ref.startswith("username-") and "erin" not in unknown.target_ref
    assert account.password not in wrong_code.reason


def test_account_creation_role_changes_and_second_factor_resets(db):
    out = io.StringIO()
    call_command("staff", "add", "bob", "--role", "viewer", stdout=out)
    (created,) = entries("create")
    assert (created.target_type, created.reason) == ("backoffice.account", "viewer")
    bob = created.target_ref
    call_command("staff", "otp-reset", "bob", stdout=out)
    (reset,) = entries("reset_second_factor")
    assert reset.target_ref == bob
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bob")
    user.groups.add(Group.objects.get(name=BY_SLUG["dpo"].group))
    Group.objects.get(name=BY_SLUG["viewer"].group).user_set.remove(user)
    roles = [(e.target_ref, e.reason) for e in entries("change_roles")]
    assert roles[-2:] == [(bob, "dpo,viewer"), (bob, "dpo")]


def test_a_policy_publication_is_audited(published):
    (entry,) = entries("publish")
    assert (entry.target_type, entry.target_ref) == ("policy.policyversion", "1")
    assert entry.reason == published.content_hash


def test_the_register_export_is_audited(published):
    call_command("register", "export", "--format", "csv", stdout=io.StringIO())
    (entry,) = entries("export")
    assert (entry.target_type, entry.reason) == ("policy.register", "csv activities")


def test_the_audience_export_is_audited(make_account):
    account = make_account("viewer-x", "viewer")
    client = verified_client(account)
    response = client.get("/admin/audience/export.csv", {"from": "2026-11-20", "to": "2026-11-26"})
    assert response.status_code == 200
    (entry,) = entries("export")
    assert (entry.actor_kind, entry.actor_ref) == ("staff", str(account.user.pk))
    assert (entry.target_type, entry.reason) == ("audience.stats", "2026-11-20 2026-11-26")


def test_an_address_already_refused_does_not_fill_the_audit_log(db):
    client = new_client()
    for i in range(25):
        post_login(client, f"guess-{i}", "Not-The-Password-0", "000000", REMOTE_ADDR="192.0.2.7")
    # Once a minute per network (made-up usernames together), and nothing once it is refused.
    assert len(entries("login_failed")) == 1
