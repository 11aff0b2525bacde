"""Failures piling up on an account tell its holder by email, once a day, with no address."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from gardien.audit.models import AuditEntry
from gardien.lib import clock
from gardien.processors.models import OutboxItem
from tests.backoffice.helpers import REFUSED, post_login
from tests.backoffice.helpers import new_client as client

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TASK = "gardien.backoffice.tasks.warn_failed_logins"


def attack(username: str, times: int, first: int = 1) -> None:
    for i in range(first, first + times):
        response = post_login(
            client(), username, "Not-The-Password-0", "000000", REMOTE_ADDR=f"192.0.2.{i}"
        )
        assert REFUSED in response.text


def test_the_holder_is_told_once_a_day(make_account, run_worker, t0):
    account = make_account("dpo", "dpo")
    account.user.email = "dpo@example.org"
    account.user.save()
    with clock.frozen(START):
        attack("dpo", 9)
        assert not OutboxItem.objects.filter(task_path=TASK).exists()
        attack("dpo", 1, first=10)
        attack("dpo", 30, first=11)
    assert OutboxItem.objects.filter(task_path=TASK).count() == 1
    run_worker(t0)
    (message,) = mail.outbox
    assert message.to == ["dpo@example.org"]
    # In the DPO's language (French by default), naming the account, never an address.
    assert "« dpo »" in message.body and "ont échoué d'affilée" in message.body
    assert "192.0.2" not in message.body + message.subject
    with clock.frozen(START + dt.timedelta(hours=23)):
        attack("dpo", 5, first=41)
    assert OutboxItem.objects.filter(task_path=TASK).count() == 1
    with clock.frozen(START + dt.timedelta(days=1, hours=1)):
        attack("dpo", 5, first=46)
    assert OutboxItem.objects.filter(task_path=TASK).count() == 2


def test_an_account_without_email_tells_the_dpo(make_account, run_worker, t0, settings):
    settings.GARDIEN_RIGHTS_NOTIFY = ["privacy@example.org"]
    make_account("alice", "staff")
    with clock.frozen(START):
        attack("alice", 10)
    run_worker(t0)
    (message,) = mail.outbox
    assert message.to == ["privacy@example.org"]


def test_unknown_usernames_tell_nobody(db, run_worker, t0):
    with clock.frozen(START):
        attack("nobody", 12)
    assert not OutboxItem.objects.filter(task_path=TASK).exists()
    # Refused logins are audited once a minute per network, the next entry counting the rest.
    assert AuditEntry.objects.filter(action="login_failed").count() == 1


def test_the_holder_logging_in_meanwhile_is_still_told(make_account):
    """The holder's own login forgives their address only: the failures from elsewhere
    still add up to the warning."""
    account = make_account("dpo", "dpo")
    with clock.frozen(START):
        attack("dpo", 6)
        response = post_login(
            client(), "dpo", account.password, account.code(), REMOTE_ADDR="198.51.100.7"
        )
        assert response.status_code == 302
        attack("dpo", 4, first=7)
    assert OutboxItem.objects.filter(task_path=TASK).count() == 1
