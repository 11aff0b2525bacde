"""Brevo's marketing webhooks (POST /hooks/brevo): what happens to the list inside Brevo
comes back to Gardien, and nothing else does.

Payloads are built as Brevo's marketing webhooks send them: one JSON object per event, or a
JSON list of them when the webhook batches, with the bearer token configured in Brevo.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from gardien.audit.models import AuditEntry
from gardien.lib import crypto
from gardien.newsletter import services, webhooks
from gardien.newsletter.models import (
    ConsentProof,
    PendingSignup,
    ProcessorSync,
    Subscription,
    WebhookEvent,
)
from gardien.processors.models import OutboxItem
from gardien.retention import engine
from gardien.vault import services as vault
from gardien.vault.models import LastContact, Person
from tests.fakes.brevo import DEFAULT_LIST_ID, FakeBrevo
from tests.newsletter.test_lifecycle import confirmed

pytestmark = pytest.mark.django_db(transaction=False)

SECRET = "gardien-brevo-hook-4f1c9e0a7b2d"
HOOK = "/hooks/brevo"
SUBSCRIBER = "camille.durand@example.org"
OTHER = "dominique.martin@example.net"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.GARDIEN_BREVO_WEBHOOK_SECRET = SECRET


@pytest.fixture
def brevo(fake_brevo: FakeBrevo, settings: Any) -> FakeBrevo:
    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    settings.GARDIEN_BREVO_TIMEOUT = 0.5
    return fake_brevo


def subscribe(email: str) -> Person:
    """A confirmed subscriber, as the sign-up, its email and its link make one (without the
    mail server: the email's link is made here)."""
    found = services.setup()
    assert found is not None
    services.keep(found, email, "fr", "page")
    services.file_signups()
    pending = PendingSignup.objects.get(email_index__in=crypto.blind_indexes(email))
    assert services.confirm(services.new_confirmation_token(pending)) is not None
    person = vault.find_person(email)
    assert person is not None
    return person


@pytest.fixture
def subscriber(published: Any) -> Person:
    return subscribe(SUBSCRIBER)


# --- Brevo's side ---------------------------------------------------------------------


def event(kind: str, email: str = SUBSCRIBER, at: dt.datetime | None = None) -> dict[str, Any]:
    """One marketing event as Brevo sends it (ts_* in UTC seconds, date_* in local time)."""
    moment = at if at is not None else timezone.now() - dt.timedelta(minutes=3)
    sent = moment - dt.timedelta(hours=2)
    payload: dict[str, Any] = {
        "id": 812345,  # the webhook's id: the same for every event it sends
        "camp_id": 27,
        "email": email,
        "campaign name": "Lettre de novembre",
        "date_sent": sent.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),
        "date_event": moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),
        "event": kind,
        "tag": "",
        "ts_sent": int(sent.timestamp()),
        "ts_event": int(moment.timestamp()),
    }
    if kind in ("unsubscribed", "unsubscribe"):
        payload["list_id"] = [DEFAULT_LIST_ID]
    if kind == "click":
        payload["URL"] = "https://www.coopo.fr/agenda?utm_source=brevo"
    return payload


def post(body: Any, *, authorization: str | None = f"Bearer {SECRET}", **extra: Any) -> Any:
    """POST the body (JSON unless text or bytes) to the hook, as Brevo does."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"Authorization": authorization} if authorization is not None else {}
    return Client().post(HOOK, data=data, content_type="application/json", headers=headers, **extra)


def state() -> tuple[Any, ...]:
    """Everything a webhook could change."""
    return (
        sorted(str(pk) for pk in Subscription.objects.values_list("pk", flat=True)),
        sorted(str(pk) for pk in Person.objects.values_list("pk", flat=True)),
        list(ConsentProof.objects.values_list("withdrawn_at", "withdrawn_how")),
        sorted(LastContact.objects.values_list("person_id", "activity", "at")),
        WebhookEvent.objects.count(),
        ProcessorSync.objects.count(),
        OutboxItem.objects.count(),
        AuditEntry.objects.count(),
    )


def last_contact(email: str = SUBSCRIBER) -> dt.datetime | None:
    person = vault.find_person(email)
    assert person is not None
    return vault.last_contact(person, "newsletter")


# --- who may call ---------------------------------------------------------------------


WRONG_AUTHORIZATIONS = {
    "none": None,
    "longer": f"Bearer {SECRET}x",
    "shorter": f"Bearer {SECRET[:-1]}",
    "empty": "Bearer ",
    "basic": f"Basic {SECRET}",
    "bare": SECRET,
}


def test_without_the_secret_the_answer_is_401_and_nothing_changes(subscriber, subtests):
    before = state()
    for name, authorization in WRONG_AUTHORIZATIONS.items():
        with subtests.test(name):
            response = post(event("unsubscribed"), authorization=authorization)
            assert response.status_code == 401
            assert response.json()["error"] == "unauthorised"
            assert state() == before


def test_the_secret_in_the_url_is_not_accepted(subscriber):
    before = state()
    response = Client().post(
        f"{HOOK}?token={SECRET}", data=json.dumps(event("unsubscribed")), content_type="x/y"
    )
    assert response.status_code == 401
    assert state() == before


def test_with_no_secret_configured_every_call_is_refused(subscriber, settings):
    settings.GARDIEN_BREVO_WEBHOOK_SECRET = ""
    before = state()
    assert post(event("unsubscribed"), authorization="Bearer ").status_code == 401
    assert post(event("unsubscribed"), authorization="Bearer None").status_code == 401
    assert state() == before


def test_only_post_is_served(db):
    assert Client().get(HOOK, headers={"Authorization": f"Bearer {SECRET}"}).status_code == 405


# --- what is malformed ----------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    payload = event("unsubscribed")
    del payload[key]
    return payload


def _with(**changes: Any) -> dict[str, Any]:
    return {**event("unsubscribed"), **changes}


MALFORMED: dict[str, Any] = {
    "not JSON": "event=unsubscribed&email=camille.durand@example.org",
    "not UTF-8": b'{"event": "unsubscribed", "email": "\xff"}',
    "deeply nested": "[" * 100_000 + "]" * 100_000,
    "truncated": json.dumps(event("unsubscribed"))[:-5],
    "empty list": [],
    "a number": 42,
    "a string": "unsubscribed",
    "no email": _without("email"),
    "no event": _without("event"),
    "no ts_event": _without("ts_event"),
    "ts_event as text": _with(ts_event="1732000000"),
    "ts_event a boolean": _with(ts_event=True),
    "ts_event NaN": json.dumps(event("unsubscribed")).replace(
        '"ts_event": ', '"ts_event": NaN, "x": '
    ),
    "ts_event beyond the calendar": _with(ts_event=10**20),
    "email not an address": _with(email="camille.durand"),
    "email too long": _with(email="c" * 250 + "@example.org"),
    "email a list": _with(email=[SUBSCRIBER]),
    "event a number": _with(event=3),
    "one bad event in a batch": [event("unsubscribed"), _without("email")],
    "a list in a batch": [event("unsubscribed"), [event("click")]],
    "more than 500 events": [event("opened", f"n{i}@example.org") for i in range(501)],
    "dated in the future": _with(ts_event=int(timezone.now().timestamp()) + 3600),
}


def test_a_malformed_body_is_400_and_nothing_changes(subscriber, subtests):
    before = state()
    for name, body in MALFORMED.items():
        with subtests.test(name):
            response = post(body)
            assert response.status_code == 400, response.content
            errors = {"malformed_json", "malformed_event", "from_the_future"}
            assert response.json()["error"] in errors
            assert SUBSCRIBER not in response.content.decode()
            assert state() == before


def test_500_events_are_accepted(subscriber):
    batch = [event("opened", f"n{i}@example.org") for i in range(499)] + [event("unsubscribed")]
    response = post(batch)
    assert response.status_code == 200
    assert response.json()["applied"] == 1 and response.json()["received"] == 500
    assert Subscription.objects.count() == 0


def test_a_body_larger_than_brevo_sends_is_413(subscriber):
    before = state()
    huge = {**event("unsubscribed"), "campaign name": "x" * (webhooks.BODY_LIMIT + 1)}
    assert post(huge).status_code == 413
    assert state() == before


# --- what ends a subscription ---------------------------------------------------------


def test_an_unsubscription_at_brevo_unsubscribes_and_brevo_is_told_to_delete(
    brevo, api, smtp, run_worker, t0
):
    confirmed(api, smtp, run_worker, t0, SUBSCRIBER)  # through the sign-up, email and link
    assert SUBSCRIBER in brevo.contacts
    payload = event("unsubscribed")
    response = post(payload)
    assert response.status_code == 200
    assert response.json() == {"applied": 1, "received": 1, "replayed": 0, "too_old": 0}
    assert Subscription.objects.count() == 0
    [proof] = ConsentProof.objects.all()
    assert proof.withdrawn_how == "unsubscribed at Brevo" and proof.withdrawn_at is not None
    assert proof.person is None
    assert vault.find_person(SUBSCRIBER) is None  # nothing else was kept about them
    entry = AuditEntry.objects.get(action="withdraw")
    assert entry.reason == "newsletter: unsubscribed at Brevo"
    [row] = ProcessorSync.objects.all()
    assert row.wanted == ProcessorSync.Wanted.ABSENT
    run_worker(t0 + dt.timedelta(minutes=5))
    assert brevo.contacts == {}
    deleted = f"/v3/contacts/{quote(SUBSCRIBER, safe='')}?identifierType=email_id"
    assert [(r.method, r.path) for r in brevo.requests][-1] == ("DELETE", deleted)
    assert ProcessorSync.objects.count() == 0

    # Brevo sends it again (it did not hear the answer): refused, and nothing changes.
    before = state()
    again = post(payload)
    assert again.status_code == 409 and again.json()["error"] == "replayed"
    reordered = post(dict(reversed(list(payload.items()))))  # the same event, keys reordered
    assert reordered.status_code == 409
    assert state() == before


@pytest.mark.parametrize(
    ("kind", "how"),
    [
        ("hardBounce", "hard bounce"),
        ("spam", "spam complaint"),
        ("unsubscribe", "unsubscribed at Brevo"),
        ("hard_bounce", "hard bounce"),
    ],
)
def test_a_hard_bounce_or_a_spam_complaint_unsubscribes_too(kind, how, subscriber):
    response = post(event(kind))
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert Subscription.objects.count() == 0
    assert ConsentProof.objects.get().withdrawn_how == how


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (webhooks.EVENT_MAX_AGE + dt.timedelta(seconds=5), 409),
        (webhooks.EVENT_MAX_AGE - dt.timedelta(minutes=1), 200),
    ],
    ids=["older than 7 days", "just under 7 days"],
)
def test_an_event_older_than_7_days_is_409_and_changes_nothing(age, status, subscriber):
    before = state()
    response = post(event("unsubscribed", at=timezone.now() - age))
    assert response.status_code == status
    if status == 409:
        assert response.json()["error"] == "too_old"
        assert state() == before
    else:
        assert Subscription.objects.count() == 0


def test_an_event_a_few_minutes_ahead_is_accepted(subscriber):
    """Clocks drift: Brevo's may be a little ahead of Gardien's."""
    response = post(event("unsubscribed", at=timezone.now() + dt.timedelta(minutes=2)))
    assert response.status_code == 200
    assert Subscription.objects.count() == 0


def test_a_replay_is_refused_for_as_long_as_the_event_is_accepted(subscriber, settings):
    """The replay memory is forgotten after 7 days, never while its event is still fresh."""
    ahead = timezone.now() + dt.timedelta(minutes=5)  # within the clocks' tolerance
    payload = event("click", at=ahead)
    assert post(payload).status_code == 200
    later = ahead + webhooks.EVENT_MAX_AGE - dt.timedelta(minutes=1)
    settings.GARDIEN_NOW = later.isoformat()
    engine.run()  # the retention purge
    assert WebhookEvent.objects.count() == 1
    assert post(payload).status_code == 409
    settings.GARDIEN_NOW = (later + dt.timedelta(minutes=2)).isoformat()
    engine.run()
    assert WebhookEvent.objects.count() == 0
    response = post(payload)  # forgotten, but too old by now
    assert response.status_code == 409 and response.json()["error"] == "too_old"


# --- signs of life --------------------------------------------------------------------


def test_a_click_moves_the_last_contact_and_an_open_does_not(subscriber, settings):
    confirmed_at = last_contact()
    assert confirmed_at is not None
    # Two days later, Brevo reports a click made the day after the confirmation.
    now = timezone.now()
    settings.GARDIEN_NOW = (now + dt.timedelta(days=2)).isoformat()
    clicked = (now + dt.timedelta(days=1)).replace(microsecond=0)
    response = post(event("click", at=clicked))
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert last_contact() == clicked
    before = state()
    opened = post(event("opened", at=clicked + dt.timedelta(hours=12)))
    assert opened.status_code == 200 and opened.json()["applied"] == 0
    # An earlier click, reported late, does not move it back.
    earlier = post(event("click", at=clicked - dt.timedelta(hours=1)))
    assert earlier.status_code == 200
    assert last_contact() == clicked
    assert Subscription.objects.count() == 1
    assert state()[:4] == before[:4]


def test_an_event_for_an_unknown_address_is_200_and_changes_nothing(subscriber, subtests):
    before = state()
    for kind in ["unsubscribed", "hardBounce", "spam", "click", "opened"]:
        with subtests.test(kind):
            response = post(event(kind, OTHER))
            assert response.status_code == 200
            assert response.json()["applied"] == 0
            assert vault.find_person(OTHER) is None
            assert state()[:4] == before[:4]  # only the replay memory grew
            assert ProcessorSync.objects.count() == 0


def test_a_click_from_someone_who_left_changes_nothing(subscriber):
    assert post(event("unsubscribed")).status_code == 200
    before = state()
    response = post(event("click", at=timezone.now() - dt.timedelta(minutes=1)))
    assert response.status_code == 200 and response.json()["applied"] == 0
    assert vault.find_person(SUBSCRIBER) is None
    assert state()[:4] == before[:4]


# --- batches --------------------------------------------------------------------------


@pytest.fixture
def two_subscribers(published: Any) -> None:
    subscribe(SUBSCRIBER)
    subscribe(OTHER)


def test_a_batch_is_applied_event_by_event(two_subscribers, settings):
    now = timezone.now()
    settings.GARDIEN_NOW = (now + dt.timedelta(hours=2)).isoformat()
    clicked = (now + dt.timedelta(hours=1)).replace(microsecond=0)
    batch = [
        event("unsubscribed", SUBSCRIBER),
        event("click", OTHER, at=clicked),
        event("opened", OTHER, at=clicked),
        event("hardBounce", "nobody@example.com"),
    ]
    response = post(batch)
    assert response.status_code == 200
    assert response.json() == {"applied": 2, "received": 4, "replayed": 0, "too_old": 0}
    assert vault.find_person(SUBSCRIBER) is None
    assert last_contact(OTHER) == clicked
    assert Subscription.objects.count() == 1

    before = state()
    again = post(batch)
    assert again.status_code == 409 and again.json()["error"] == "replayed"
    assert state() == before


def test_a_batch_with_some_events_already_applied_or_too_old_applies_the_others(
    two_subscribers,
):
    first = event("click", SUBSCRIBER)
    assert post(first).status_code == 200
    stale = event("spam", SUBSCRIBER, at=timezone.now() - dt.timedelta(days=8))
    response = post([first, stale, event("unsubscribed", OTHER)])
    assert response.status_code == 200
    assert response.json() == {"applied": 1, "received": 3, "replayed": 1, "too_old": 1}
    assert vault.find_person(OTHER) is None
    assert Subscription.objects.get().person.email == SUBSCRIBER  # the stale spam was skipped
    # The same event twice in one batch counts once.
    twice = event("hardBounce", SUBSCRIBER)
    response = post([twice, twice])
    assert response.status_code == 200 and response.json()["replayed"] == 1
    assert Subscription.objects.count() == 0
