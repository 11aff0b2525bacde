"""Brevo's copy of the list, kept in step with consent, through the boundaries: the API
sign-up, the confirmation link, the one-click unsubscribe, the worker, and a fake Brevo that
checks every request against Brevo's OpenAPI description.

Brevo holds a confirmed subscriber, once, and nobody else; an unsubscription, an erasure or
a restriction reaches it whatever the order of the attempts and whatever Brevo's faults.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from gardien.audit.services import Actor
from gardien.newsletter import services
from gardien.newsletter.models import PendingSignup, ProcessorSync, Subscription
from gardien.policy.services import publish
from gardien.processors import outbox
from gardien.processors.brevo import BrevoClient
from gardien.processors.models import OutboxItem
from gardien.vault import services as vault
from tests.fakes.brevo import DEFAULT_LIST_ID, FakeBrevo
from tests.newsletter.conftest import ADDRESS, link, one_click_path, signup

pytestmark = pytest.mark.django_db(transaction=False)

SYNC_TASK = "gardien.newsletter.tasks.sync_processor"
WELCOME_TASK = "gardien.newsletter.tasks.send_welcome"
CONTACT_PATH = f"/v3/contacts/{quote(ADDRESS, safe='')}?identifierType=email_id"
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def brevo(fake_brevo: FakeBrevo, settings: Any) -> FakeBrevo:
    """Brevo switched on, pointing at the fake, with a short client timeout."""
    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    settings.GARDIEN_BREVO_TIMEOUT = 0.5
    return fake_brevo


@pytest.fixture
def blocklist_mode(published: Any, edited_manifest: Any, settings: Any) -> None:
    """The Coopo manifest, but Brevo is to blocklist (not delete) those who leave."""
    path = edited_manifest(
        ('at_processor_on_withdrawal = "delete"', 'at_processor_on_withdrawal = "blocklist"')
    )
    settings.GARDIEN_MANIFEST = path
    assert publish(path) is not None
    found = services.setup()
    assert found is not None and found.section.at_processor_on_withdrawal == "blocklist"


# --- through the boundaries -----------------------------------------------------------


def confirmation_link(api: Any, smtp: Any, run_worker: Any, t0: dt.datetime) -> str:
    """Sign up through the API; the worker sends the email: the path of its confirm link."""
    assert api(signup()).status_code == 202
    run_worker(t0)
    return link(smtp.emails()[-1], "confirm")


def press(path: str) -> None:
    """The button of the confirmation page (its POST)."""
    assert Client().post(path).status_code == 200


def one_click(path: str) -> None:
    """A mail client's one-click unsubscribe (RFC 8058)."""
    response = Client(enforce_csrf_checks=True).post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200


def unsubscribe_link() -> str:
    """The one-click path every email to the subscriber carries (before any was sent)."""
    subscription = Subscription.objects.get()
    return reverse("newsletter-unsubscribe", args=[services.unsubscribe_token(subscription)])


def subscribed(api: Any, smtp: Any, run_worker: Any, t0: dt.datetime) -> str:
    """A confirmed subscriber, already at Brevo: the one-click path of the welcome email."""
    press(confirmation_link(api, smtp, run_worker, t0))
    run_worker(t0)
    return one_click_path(smtp.emails()[-1])


# --- what Brevo saw -------------------------------------------------------------------


def requests(fake: FakeBrevo, method: str, path: str) -> int:
    return sum(1 for r in fake.requests if r.method == method and r.path == path)


def creations(fake: FakeBrevo) -> int:
    """createContact calls, answered or not."""
    return requests(fake, "POST", "/v3/contacts")


def deletions(fake: FakeBrevo) -> int:
    return requests(fake, "DELETE", CONTACT_PATH)


def holds_subscriber(fake: FakeBrevo) -> bool:
    contact = fake.contacts.get(ADDRESS)
    return (
        list(fake.contacts) == [ADDRESS]
        and contact is not None
        and contact["list_ids"] == {DEFAULT_LIST_ID}
        and not contact["blocklisted"]
    )


def sync_items() -> list[OutboxItem]:
    return list(OutboxItem.objects.filter(task_path=SYNC_TASK).order_by("created_at"))


def assert_no_address_in_errors() -> None:
    """Neither the DPO's view of the outbox nor the task rows hold an email address."""
    for item in OutboxItem.objects.all():
        assert "@" not in item.last_error and ADDRESS not in item.last_error, item.last_error
    for row in DBTaskResult.objects.all():
        assert ADDRESS not in f"{row.traceback} {row.return_value} {row.args_kwargs}"


# --- 1. confirming --------------------------------------------------------------------


def test_only_a_confirmation_puts_the_address_at_brevo_and_once(brevo, api, smtp, run_worker, t0):
    path = confirmation_link(api, smtp, run_worker, t0)
    # A pending sign-up, filed and emailed, is nothing Brevo hears of.
    assert brevo.requests == []
    assert ProcessorSync.objects.count() == 0 and sync_items() == []
    press(path)
    [row] = ProcessorSync.objects.all()
    assert row.wanted == ProcessorSync.Wanted.SUBSCRIBED and row.email == ADDRESS
    assert brevo.requests == []  # the page only enqueued it
    assert "2 done" in run_worker(t0)  # the welcome email and the sync
    assert holds_subscriber(brevo)
    assert creations(brevo) == 1 and len(brevo.requests) == 1
    [call] = brevo.requests
    assert call.body == {
        "email": ADDRESS,
        "listIds": [DEFAULT_LIST_ID],
        "updateEnabled": True,
        "emailBlacklisted": False,
    }
    [item] = sync_items()
    assert item.state == OutboxItem.State.DONE and item.attempts == 1
    assert ProcessorSync.objects.count() == 0  # the address is no longer kept for Brevo
    # The link pressed again, the worker again, a second sign-up: Brevo hears nothing more.
    assert Client().post(path).status_code == 404
    assert api(signup()).status_code == 202
    run_worker(t0 + HOUR)
    assert creations(brevo) == 1 and len(brevo.requests) == 1


def test_a_sign_up_cancelled_or_left_to_expire_never_reaches_brevo(
    brevo, api, smtp, run_worker, t0
):
    assert api(signup()).status_code == 202
    assert api(signup("dominique@example.net")).status_code == 202
    run_worker(t0)
    cancelled, _left = smtp.emails()
    one_click(one_click_path(cancelled))
    run_worker(t0 + dt.timedelta(days=8))  # the other link expired and was purged
    assert PendingSignup.objects.count() == 0
    assert brevo.requests == []
    assert ProcessorSync.objects.count() == 0 and sync_items() == []


# --- 2. unsubscribing -----------------------------------------------------------------


def test_unsubscribing_deletes_the_contact_at_brevo(brevo, api, smtp, run_worker, t0):
    one_click(subscribed(api, smtp, run_worker, t0))
    [row] = ProcessorSync.objects.all()
    assert row.wanted == ProcessorSync.Wanted.ABSENT and row.person is None
    run_worker(t0 + MINUTE)
    assert brevo.contacts == {}
    assert deletions(brevo) == 1
    assert ProcessorSync.objects.count() == 0
    assert [i.state for i in sync_items()] == [OutboxItem.State.DONE] * 2


def test_in_blocklist_mode_unsubscribing_removes_from_the_list_and_blocklists(
    blocklist_mode, brevo, api, smtp, run_worker, t0
):
    one_click(subscribed(api, smtp, run_worker, t0))
    run_worker(t0 + MINUTE)
    contact = brevo.contacts[ADDRESS]
    assert contact["list_ids"] == set() and contact["blocklisted"] is True
    assert brevo.members() == set()
    assert deletions(brevo) == 0
    remove = f"/v3/contacts/lists/{DEFAULT_LIST_ID}/contacts/remove"
    assert requests(brevo, "POST", remove) == 1
    [blocklisting] = [r for r in brevo.requests if r.method == "PUT"]
    assert blocklisting.path == CONTACT_PATH and blocklisting.body == {"emailBlacklisted": True}
    assert ProcessorSync.objects.count() == 0
    # Signing up and confirming again lifts the blocklisting.
    press(confirmation_link(api, smtp, run_worker, t0 + HOUR))
    run_worker(t0 + HOUR)
    assert holds_subscriber(brevo)


# --- 3. order -------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["as enqueued", "reversed"])
def test_confirm_then_unsubscribe_before_the_worker_leaves_nothing_at_brevo(
    order, brevo, api, smtp, run_worker, t0
):
    press(confirmation_link(api, smtp, run_worker, t0))
    one_click(unsubscribe_link())
    first, second = sync_items()
    assert first.arguments == second.arguments  # both make Brevo hold the latest wish
    [row] = ProcessorSync.objects.all()
    assert row.wanted == ProcessorSync.Wanted.ABSENT and row.version == 2
    if order == "reversed":  # the unsubscription's attempt is claimed first
        DBTaskResult.objects.filter(pk=second.task_result_id).update(run_after=t0 - HOUR)
    run_worker(t0)
    assert brevo.contacts == {}
    assert creations(brevo) == 0 and deletions(brevo) == 1
    assert ProcessorSync.objects.count() == 0
    for item in sync_items():
        assert item.state == OutboxItem.State.DONE and item.attempts == 1
    done = DBTaskResult.objects.filter(pk__in=[first.task_result_id, second.task_result_id])
    ran = [str(r.pk) for r in done.order_by("started_at")]
    expected = [first, second] if order == "as enqueued" else [second, first]
    assert ran == [str(i.task_result_id) for i in expected]


def test_an_unsubscription_during_the_call_to_brevo_is_applied_after_it(
    brevo, api, smtp, run_worker, t0, monkeypatch
):
    """The subscriber leaves while the worker's createContact is on its way: the attempt
    sees the wish change and deletes what it has just created."""
    press(confirmation_link(api, smtp, run_worker, t0))
    real_subscribe = BrevoClient.subscribe

    def subscribe_then_leave(client: BrevoClient, email: str, list_id: int) -> None:
        real_subscribe(client, email, list_id)
        if Subscription.objects.exists():
            one_click(unsubscribe_link())

    monkeypatch.setattr(BrevoClient, "subscribe", subscribe_then_leave)
    run_worker(t0)
    assert creations(brevo) == 1 and deletions(brevo) == 1
    assert brevo.contacts == {}
    assert ProcessorSync.objects.count() == 0
    assert [i.state for i in sync_items()] == [OutboxItem.State.DONE] * 2


def test_a_stale_call_landing_after_a_later_attempt_is_corrected(
    brevo, api, smtp, run_worker, t0, monkeypatch
):
    """Two workers: the first sends createContact, which Brevo is slow to apply; meanwhile the
    subscriber leaves and a second worker deletes the contact and forgets the wish. The
    first call then lands: Brevo holds a departed subscriber until the first attempt, seeing
    its wish was superseded, asks for what Gardien holds now."""
    press(confirmation_link(api, smtp, run_worker, t0))
    real_subscribe = BrevoClient.subscribe

    def overtaken(client: BrevoClient, email: str, list_id: int) -> None:
        if Subscription.objects.exists():
            one_click(unsubscribe_link())
            run_worker(t0)  # the other worker, to the end
            assert deletions(brevo) == 1 and ProcessorSync.objects.count() == 0
        real_subscribe(client, email, list_id)

    monkeypatch.setattr(BrevoClient, "subscribe", overtaken)
    run_worker(t0)
    assert creations(brevo) == 1
    assert brevo.contacts == {}
    assert deletions(brevo) == 2
    assert ProcessorSync.objects.count() == 0
    assert {i.state for i in sync_items()} == {OutboxItem.State.DONE}


# --- 4. faults ------------------------------------------------------------------------


def ride_out(fault: str, fake: FakeBrevo, run_worker: Any, start: dt.datetime, settings: Any):
    """Make Brevo fail the next sync the way ``fault`` says, and run the worker until the
    attempt goes through; check the outbox item's retries on the way. Returns it."""

    def current() -> OutboxItem:
        return sync_items()[-1]

    def failed(attempts: int) -> OutboxItem:
        item = current()
        assert item.state == OutboxItem.State.PENDING and item.attempts == attempts
        assert item.last_error and item.next_attempt_at is not None
        return item

    if fault == "down":
        fake.down()
        run_worker(start)
        assert "BrevoUnavailable" in failed(1).last_error
        assert "could not be reached" in current().last_error
        run_worker(start + HOUR)  # still down an hour later
        failed(2)
        fake.up()
        run_worker(start + 3 * HOUR)
        attempts = 3
    elif fault == "slow":
        settings.GARDIEN_BREVO_TIMEOUT = 0.2
        fake.slow_next(1, 1.0)  # Brevo does the work, but its answer comes too late
        run_worker(start)
        assert "did not answer" in failed(1).last_error
        run_worker(start + HOUR)
        attempts = 2
    elif fault == "429":
        fake.rate_limit_next(1, retry_after=1800)
        run_worker(start)
        item = failed(1)
        assert "429" in item.last_error
        assert item.next_attempt_at == start + dt.timedelta(seconds=1800)  # not the 60 s backoff
        run_worker(start + 20 * MINUTE)  # not due yet: nothing sent
        assert failed(1).task_result_id == item.task_result_id
        run_worker(start + 31 * MINUTE)
        attempts = 2
    elif fault == "500":
        fake.fail_next(2, status=500)
        run_worker(start)
        item = failed(1)
        assert "500" in item.last_error
        assert item.next_attempt_at == start + MINUTE
        run_worker(start + HOUR)
        assert failed(2).next_attempt_at == start + HOUR + 2 * MINUTE
        run_worker(start + 2 * HOUR)
        attempts = 3
    else:  # pragma: no cover
        raise AssertionError(fault)
    item = current()
    assert item.state == OutboxItem.State.DONE and item.attempts == attempts
    assert_no_address_in_errors()
    return item


# How many times each call reaches Brevo for one effect: a refused connection never does;
# a 429 or a 500 has no effect; a late answer had its effect, and the call is repeated.
CALLS = {"down": 1, "slow": 2, "429": 2, "500": 3}


@pytest.mark.parametrize("fault", ["down", "slow", "429", "500"])
def test_brevo_faults_delay_each_effect_which_is_then_delivered_once(
    fault, brevo, api, smtp, run_worker, t0, settings
):
    press(confirmation_link(api, smtp, run_worker, t0))
    ride_out(fault, brevo, run_worker, t0, settings)
    assert holds_subscriber(brevo)
    assert creations(brevo) == CALLS[fault]
    assert ProcessorSync.objects.count() == 0
    welcome = smtp.emails()[-1]  # the welcome email never waited for Brevo
    assert OutboxItem.objects.get(task_path=WELCOME_TASK).attempts == 1

    one_click(one_click_path(welcome))
    later = t0 + dt.timedelta(days=1)
    ride_out(fault, brevo, run_worker, later, settings)
    assert brevo.contacts == {}
    assert deletions(brevo) == CALLS[fault]
    assert creations(brevo) == CALLS[fault]  # nothing created it again
    assert ProcessorSync.objects.count() == 0
    assert [i.state for i in sync_items()] == [OutboxItem.State.DONE] * 2


def test_a_change_of_mind_during_an_outage_ends_with_the_latest(brevo, api, smtp, run_worker, t0):
    press(confirmation_link(api, smtp, run_worker, t0))
    brevo.down()
    run_worker(t0)  # the welcome email goes, the sync waits
    one_click(one_click_path(smtp.emails()[-1]))
    run_worker(t0 + 10 * MINUTE)  # both attempts due, Brevo still down
    brevo.up()
    run_worker(t0 + HOUR)
    assert brevo.contacts == {}
    assert creations(brevo) == 0 and deletions(brevo) == 1
    assert ProcessorSync.objects.count() == 0
    assert [i.state for i in sync_items()] == [OutboxItem.State.DONE] * 2
    assert_no_address_in_errors()


# --- 5. refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "wrong", "status"),
    [("GARDIEN_BREVO_LIST_ID", 99, "400 invalid_parameter"), ("GARDIEN_BREVO_API_KEY", "x", "401")],
)
def test_a_refusal_by_brevo_is_dead_after_one_attempt_until_retried(
    setting, wrong, status, brevo, api, smtp, run_worker, t0, settings
):
    press(confirmation_link(api, smtp, run_worker, t0))
    right = getattr(settings, setting)
    setattr(settings, setting, wrong)
    run_worker(t0)
    [item] = sync_items()
    assert item.state == OutboxItem.State.DEAD and item.attempts == 1
    assert item.next_attempt_at is None
    assert f"Brevo refused createContact ({status}" in item.last_error
    assert_no_address_in_errors()
    assert brevo.contacts == {} and creations(brevo) == 1
    run_worker(t0 + dt.timedelta(days=2))  # no retry
    assert creations(brevo) == 1
    # What Brevo should hold is still known: once the setting is fixed, "retry now" works.
    [row] = ProcessorSync.objects.all()
    assert row.wanted == ProcessorSync.Wanted.SUBSCRIBED
    setattr(settings, setting, right)
    assert outbox.retry_dead(sync_items()) == 1
    run_worker(t0 + dt.timedelta(days=2))
    assert holds_subscriber(brevo)
    assert sync_items()[0].state == OutboxItem.State.DONE
    assert ProcessorSync.objects.count() == 0


# --- 6. restriction -------------------------------------------------------------------


def test_a_restricted_subscriber_is_not_sent_to_brevo_but_an_unsubscription_goes(
    brevo, api, smtp, run_worker, t0
):
    press(confirmation_link(api, smtp, run_worker, t0))
    person = vault.find_person(ADDRESS)
    assert person is not None
    vault.restrict(person, actor=Actor.system(), reason="test", activity="newsletter")
    [row] = ProcessorSync.objects.all()  # the restriction takes them off Brevo's list
    assert row.wanted == ProcessorSync.Wanted.ABSENT
    run_worker(t0)
    assert creations(brevo) == 0 and brevo.contacts == {}
    assert OutboxItem.objects.get(task_path=WELCOME_TASK).state == OutboxItem.State.SKIPPED
    one_click(unsubscribe_link())
    run_worker(t0 + HOUR)
    assert creations(brevo) == 0
    assert brevo.contacts == {}
    assert ProcessorSync.objects.count() == 0


def test_lifting_the_restriction_sends_the_waiting_subscriber_to_brevo(
    brevo, api, smtp, run_worker, t0
):
    press(confirmation_link(api, smtp, run_worker, t0))
    person = vault.find_person(ADDRESS)
    assert person is not None
    vault.restrict(person, actor=Actor.system(), reason="test", activity="newsletter")
    run_worker(t0)
    assert creations(brevo) == 0
    vault.lift_restriction(person, actor=Actor.system(), reason="test", activity="newsletter")
    run_worker(t0 + dt.timedelta(days=1))
    assert holds_subscriber(brevo)


def test_a_subscriber_restricted_after_the_sync_can_still_leave_brevo(
    brevo, api, smtp, run_worker, t0
):
    path = subscribed(api, smtp, run_worker, t0)
    assert holds_subscriber(brevo)
    person = vault.find_person(ADDRESS)
    assert person is not None
    vault.restrict(person, actor=Actor.system(), reason="test")  # every activity
    one_click(path)
    run_worker(t0 + HOUR)
    assert brevo.contacts == {}
    assert ProcessorSync.objects.count() == 0


# --- 7. Brevo off ---------------------------------------------------------------------


def test_with_brevo_off_the_list_lives_in_gardien_alone(brevo, api, smtp, run_worker, t0, settings):
    settings.GARDIEN_BREVO_API_KEY = ""
    assert services.processor_id() is None
    path = subscribed(api, smtp, run_worker, t0)
    assert Subscription.objects.count() == 1
    assert len(smtp.emails()) == 2  # the confirmation and the welcome
    assert ProcessorSync.objects.count() == 0
    one_click(path)
    assert Subscription.objects.count() == 0
    person = vault.find_person(ADDRESS)
    assert person is None
    run_worker(t0 + HOUR)
    assert ProcessorSync.objects.count() == 0 and sync_items() == []
    assert brevo.requests == []
    assert {i.state for i in OutboxItem.objects.all()} == {OutboxItem.State.DONE}


# --- 8. erasure -----------------------------------------------------------------------


class Rollback(Exception):
    pass


def test_erasing_a_subscriber_deletes_them_at_brevo_in_the_same_transaction(
    brevo, api, smtp, run_worker, t0
):
    subscribed(api, smtp, run_worker, t0)
    assert holds_subscriber(brevo)
    person = vault.find_person(ADDRESS)
    assert person is not None
    items_before = len(sync_items())

    # The erasure and the call to Brevo it needs are one transaction: both or neither.
    with pytest.raises(Rollback), transaction.atomic():
        vault.erase(person, actor=Actor.system(), reason="test")
        assert ProcessorSync.objects.filter(wanted=ProcessorSync.Wanted.ABSENT).count() == 1
        assert len(sync_items()) == items_before + 1
        raise Rollback
    assert ProcessorSync.objects.count() == 0 and len(sync_items()) == items_before
    person = vault.find_person(ADDRESS)  # the rolled-back deletion emptied the instance
    assert person is not None and Subscription.objects.filter(person=person).exists()

    vault.erase(person, actor=Actor.system(), reason="test")
    assert vault.find_person(ADDRESS) is None
    [row] = ProcessorSync.objects.all()  # the one place the address waits, for Brevo
    assert row.wanted == ProcessorSync.Wanted.ABSENT and row.person is None
    assert sync_items()[-1].state == OutboxItem.State.PENDING
    run_worker(t0 + HOUR)
    assert brevo.contacts == {}
    assert deletions(brevo) == 1
    assert ProcessorSync.objects.count() == 0
    assert sync_items()[-1].state == OutboxItem.State.DONE
