"""Refused logins in the audit log: true, but bounded, so that an anonymous flood can neither
fill the log nor keep its lock."""

from __future__ import annotations

import datetime as dt

from gardien.audit.models import AuditEntry
from gardien.audit.services import verify
from gardien.backoffice.throttle import AUDIT_PERIOD
from gardien.lib import clock
from tests.backoffice.helpers import REFUSED, new_client, post_login

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def refused(username: str, password: str = "Not-The-Password-0", code: str = "000000", **extra):
    response = post_login(new_client(), username, password, code, **extra)
    assert REFUSED in response.text
    return response


def reasons() -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(action="login_failed").order_by("position")
    return [(entry.target_ref, entry.reason) for entry in entries]


def test_a_flood_on_one_account_is_written_once_a_minute_with_its_count(make_account):
    account = make_account("dpo", "dpo")
    dpo = str(account.user.pk)
    with clock.frozen(START):
        for i in range(38):  # from 38 addresses of one network, a wrong password each
            refused("dpo", REMOTE_ADDR=f"192.0.2.{i + 1}")
    assert reasons() == [(dpo, "wrong_password")]
    with clock.frozen(START + AUDIT_PERIOD - dt.timedelta(seconds=1)):
        refused("dpo", REMOTE_ADDR="192.0.2.200")
        refused("dpo", REMOTE_ADDR="2001:db8::1")  # another network has its own entry
    assert reasons() == [(dpo, "wrong_password"), (dpo, "wrong_password")]
    with clock.frozen(START + AUDIT_PERIOD):
        refused("dpo", REMOTE_ADDR="192.0.2.201")
    # Every attempt is accounted for: the first, then this one and the 38 in between.
    assert reasons()[-1] == (dpo, "wrong_password and 38 more attempts")
    assert verify().ok


def test_made_up_usernames_are_spaced_out_together(db):
    with clock.frozen(START):
        for i in range(15):
            refused(f"guess-{i}", REMOTE_ADDR="203.0.113.4")
    with clock.frozen(START + dt.timedelta(minutes=5)):
        refused("guess-x", REMOTE_ADDR="203.0.113.4")
    (first, _reason), (_last, reason) = reasons()
    assert first.startswith("username-")
    assert reason == "wrong_password and 14 more attempts"


def test_a_right_password_with_a_wrong_code_is_always_written(make_account):
    """Only someone who knows the password gets that far: no flood, and the holder must see it."""
    account = make_account("alice", "staff")
    alice = str(account.user.pk)
    with clock.frozen(START):
        refused("alice")
        refused("alice", account.password)
        refused("alice", account.password, "111111")
    assert reasons() == [(alice, "wrong_password"), (alice, "wrong_code"), (alice, "wrong_code")]


def test_waits_are_spaced_out_too(make_account):
    account = make_account("bob", "viewer")
    bob = str(account.user.pk)
    with clock.frozen(START):
        for _ in range(10):  # 3 failures, then 7 refused within the wait
            refused("bob", REMOTE_ADDR="198.51.100.3")
    with clock.frozen(START + dt.timedelta(minutes=2)):
        refused("bob", REMOTE_ADDR="198.51.100.3")
    assert reasons() == [(bob, "wrong_password"), (bob, "wrong_password and 9 more attempts")]
