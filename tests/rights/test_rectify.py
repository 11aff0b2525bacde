"""Rectification through the registry: the person contests accuracy and is restricted until
the DPO decides; the back office's preview changes nothing; applying corrects the person's
address and a contact message's answer, keeps Brevo in step (the fake Brevo, switched on as
in tests/newsletter/test_brevo_sync.py), tells the recipients (Art. 19) and, by real SMTP
through the worker, the person."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.contact.models import ContactMessage
from gardien.lib import clock, crypto
from gardien.newsletter.models import ConsentProof, Subscription
from gardien.rights import recipients, rectify, services
from gardien.rights.models import CaseEvent, RightsRequest
from gardien.rights.rectify import Correction
from gardien.vault import services as vault
from gardien.vault.models import Person, Restriction
from tests.fakes.brevo import DEFAULT_LIST_ID, FakeBrevo
from tests.mailserver import MailServer, serving

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
NEW = "ada.lovelace@example.net"
DPO = Actor.system()
MESSAGE = "contact.contactmessage"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.GARDIEN_ALTCHA = False
    settings.SITE_URL = "https://gardien.coopo.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


@pytest.fixture
def brevo(fake_brevo: FakeBrevo, settings: Any) -> FakeBrevo:
    """Brevo switched on, pointing at the fake, with a short client timeout."""
    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    settings.GARDIEN_BREVO_TIMEOUT = 0.5
    return fake_brevo


def to(server: MailServer, address: str = ADA) -> list[Any]:
    return [e for e in server.emails() if e["To"] == address]


def text(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def contact_message(email: str = ADA) -> ContactMessage:
    person, _ = vault.get_or_create_person(email, actor=DPO)
    return ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Hello", "last_name": "Lovelace", "status": "student"}),
        lang="en",
        policy_version=1,
        received_at=timezone.now(),
        filed_at=timezone.now(),
    )


def subscribe(person: Person) -> None:
    now = timezone.now()
    proof = ConsentProof.objects.create(
        person=person,
        email_hash=crypto.blind_index(person.email),
        lang="en",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=now,
        confirmed_at=now,
    )
    Subscription.objects.create(person=person, lang="en", proof=proof, confirmed_at=now)


def verified(rights: tuple[str, ...] = ("rectification",)) -> RightsRequest:
    request = services.create(
        channel="email",
        received_at=clock.now(),
        rights=list(rights),
        email=ADA,
        lang="en",
        actor=DPO,
    )
    return services.mark_verified(request, actor=DPO, how="known correspondent")


def corrections(message: ContactMessage) -> list[Correction]:
    return [
        Correction(field="email", value=NEW),
        Correction(record=MESSAGE, pk=str(message.pk), field="message", value="Hello again"),
    ]


def answers() -> dict[str, str]:
    return json.loads(ContactMessage.objects.get().answers)


def kinds() -> list[str]:
    return list(CaseEvent.objects.order_by("pk").values_list("kind", flat=True))


def assert_no_values_on_the_timeline() -> None:
    for event in CaseEvent.objects.all():
        for value in (ADA, NEW, "Hello", "Lovelace", "again"):
            assert value not in event.note, event.note


# --- contest and decide -----------------------------------------------------------------


def test_contesting_restricts_until_the_dpo_decides_and_the_person_hears_first(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message()
    request = verified()
    person = Person.objects.get()

    rectify.contest(request, actor=DPO)

    restriction = Restriction.objects.get(person=person)
    assert restriction.ground == Restriction.Ground.ACCURACY
    assert restriction.activity == Restriction.ALL
    assert vault.is_restricted(person.pk, "contact")
    assert rectify.pending(request)
    assert "accuracy_contested" in kinds()
    assert {n.recipient for n in recipients.notices(request)} == {
        "google",
        "gardien-host",
        "mail-relay",
    }
    with pytest.raises(services.RightsError, match="already being checked"):
        rectify.contest(request, actor=DPO)
    run_worker(t0)
    [contested] = to(smtp)[-1:]
    assert request.reference in contested["Subject"]
    assert "restricted (Article 18(1)(a) GDPR)" in text(contested)

    rectify.decide(request, accurate=True, actor=DPO)

    assert vault.is_restricted(person.pk, "contact")  # not before the person was told
    assert not rectify.pending(request)
    with pytest.raises(services.RightsError, match="nothing to decide"):
        rectify.decide(request, accurate=True, actor=DPO)
    run_worker(t0)
    assert not vault.is_restricted(person.pk)
    decision = text(to(smtp)[-1])
    assert "found it accurate" in decision and "about to lift the restriction" in decision
    assert "https://www.cnil.fr/fr/plaintes" in decision
    assert kinds()[-1] == "restriction_lifted"
    assert answers()["message"] == "Hello"  # nothing changed
    assert_no_values_on_the_timeline()


def test_a_restriction_on_another_ground_is_neither_replaced_nor_lifted(published: Any) -> None:
    contact_message()
    request = verified(("rectification", "restriction"))
    person = Person.objects.get()
    vault.restrict(person, actor=DPO, reason="legal claims", ground="legal_claims")

    with pytest.raises(services.RightsError, match="already restricted"):
        rectify.contest(request, actor=DPO)

    assert Restriction.objects.get(person=person).ground == "legal_claims"
    assert rectify.held_restriction(request) is None


# --- preview ----------------------------------------------------------------------------


def test_preview_shows_old_and_new_and_changes_nothing(published: Any) -> None:
    message = contact_message()
    request = verified()
    audited = AuditEntry.objects.count()

    changes = rectify.preview(request, corrections(message))

    assert [(c.record, c.field, c.old, c.new) for c in changes] == [
        ("vault.person", "email", ADA, NEW),
        (MESSAGE, "message", "Hello", "Hello again"),
    ]
    assert changes[1].activity == "contact" and changes[0].activity == "identity"
    assert vault.find_person(ADA) is not None and vault.find_person(NEW) is None
    assert answers()["message"] == "Hello"
    assert AuditEntry.objects.count() == audited
    assert kinds() == ["received", "verified"]
    # The same corrections as mappings (a form's rows), the person named by their address.
    again = rectify.preview(
        request,
        [
            {"record": "vault.person", "pk": ADA, "field": "email", "value": NEW},
            {"record": MESSAGE, "pk": str(message.pk), "field": "status", "value": "employee"},
        ],
    )
    assert [(c.old, c.new) for c in again] == [(ADA, NEW), ("student", "employee")]


@pytest.mark.parametrize(
    ("correction", "says"),
    [
        ({"record": MESSAGE, "field": "colour", "value": "x"}, "not a field the policy declares"),
        ({"record": MESSAGE, "field": "received_at", "value": "x"}, "not a personal field"),
        ({"record": MESSAGE, "field": "answers", "value": "{}"}, "name the answer"),
        ({"record": MESSAGE, "field": "email", "value": NEW}, "kept on the person"),
        ({"record": MESSAGE, "field": "status", "value": "astronaut"}, "takes one of"),
        ({"record": MESSAGE, "field": "message", "value": "x" * 5001}, "at most 5000"),
        ({"record": MESSAGE, "field": "last_name", "value": ""}, "is required"),
        ({"record": MESSAGE, "field": "message", "value": "Hello"}, "already holds this value"),
        ({"record": "auth.user", "pk": "1", "field": "username", "value": "x"}, "not a record"),
        ({"record": "newsletter.consentproof", "field": "email_hash", "value": "x"}, "proof"),
        ({"field": "email", "value": "not an address"}, "not an email address"),
        ({"field": "email", "value": "bob@example.org"}, "Another person"),
        (
            {"record": "vault.person", "pk": "bob@example.org", "field": "email", "value": NEW},
            "another person",
        ),
        (
            {"record": MESSAGE, "pk": "theirs", "field": "message", "value": "x"},
            "belongs to the person",
        ),
    ],
)
def test_preview_refuses_with_a_sentence(
    published: Any, correction: dict[str, Any], says: str
) -> None:
    mine = contact_message()
    theirs = contact_message("bob@example.org")
    request = verified()
    given = dict(correction)
    if given.get("record") == MESSAGE:
        given["pk"] = str(theirs.pk) if given.get("pk") == "theirs" else str(mine.pk)

    with pytest.raises(services.RightsError, match=says):
        rectify.preview(request, [given])


def test_nothing_is_previewed_before_verification_nor_without_the_right(published: Any) -> None:
    message = contact_message()
    unverified = services.create(
        channel="email", received_at=clock.now(), rights=["rectification"], email=ADA, actor=DPO
    )
    with pytest.raises(services.RightsError, match="not verified"):
        rectify.preview(unverified, corrections(message))
    with pytest.raises(services.RightsError, match="does not ask for a rectification"):
        rectify.preview(verified(("access",)), corrections(message))


# --- apply ------------------------------------------------------------------------------


def test_apply_corrects_keeps_brevo_in_step_and_tells_everyone(
    published: Any, brevo: FakeBrevo, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    message = contact_message()
    person = Person.objects.get()
    subscribe(person)
    brevo.add_contact(ADA, [DEFAULT_LIST_ID])
    request = verified()

    changes = rectify.apply(request, corrections(message), actor=DPO)

    assert [c.field for c in changes] == ["email", "message"]
    assert vault.find_person(NEW) == person and vault.find_person(ADA) is None
    assert answers() == {"message": "Hello again", "last_name": "Lovelace", "status": "student"}
    assert AuditEntry.objects.filter(action="update").count() == 2
    assert kinds()[2] == "rectified"
    assert CaseEvent.objects.get(kind="rectified").note == (
        "vault.person.email, contact.contactmessage.message"
    )
    states = {n.recipient: n.state for n in recipients.notices(request)}
    assert states == {
        "brevo": recipients.State.SYNCED,
        "google": recipients.State.TO_TELL,
        "gardien-host": recipients.State.TO_TELL,
        "mail-relay": recipients.State.TO_TELL,
    }
    assert_no_values_on_the_timeline()

    run_worker(t0)

    # Brevo renamed its contact: the same subscriber, under the corrected address.
    renames = [
        r
        for r in brevo.requests
        if r.method == "PUT" and r.path.startswith(f"/v3/contacts/{quote(ADA, safe='')}")
    ]
    assert [r.body for r in renames] == [{"attributes": {"EMAIL": NEW}}]
    assert brevo.members() == {NEW} and ADA not in brevo.contacts
    # The person, at the address the request was verified by: the fields, never the values.
    [done] = [e for e in to(smtp) if "corrected" in e["Subject"]]
    body = text(done)
    assert request.reference in done["Subject"]
    assert "- Email address" in body and "- Message" in body
    assert "Hello again" not in body and NEW not in body
    assert "Brevo, Sendinblue SAS" in body and "Google Workspace" in body
    request.refresh_from_db()
    assert request.answered_at is not None


def test_a_contested_address_reaches_brevo_only_once_the_dpo_decided(
    published: Any, brevo: FakeBrevo, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message()
    person = Person.objects.get()
    subscribe(person)
    brevo.add_contact(ADA, [DEFAULT_LIST_ID])
    request = verified()

    rectify.contest(request, actor=DPO)
    run_worker(t0)
    assert brevo.members() == set()  # restricted: Brevo holds them no more

    with pytest.raises(services.RightsError, match="Apply the corrections first"):
        rectify.decide(request, accurate=False, actor=DPO)
    rectify.apply(request, [Correction(field="email", value=NEW)], actor=DPO)
    run_worker(t0)
    assert brevo.members() == set()  # still restricted: the sync waits
    assert vault.is_restricted(person.pk, "newsletter")
    assert any("corrected" in e["Subject"] for e in to(smtp))

    rectify.decide(request, accurate=False, actor=DPO)
    run_worker(t0)

    assert not vault.is_restricted(person.pk)
    assert brevo.members() == {NEW}
    decision = text(to(smtp)[-1])
    assert "it was not accurate, and we have corrected it" in decision
    assert "restriction_lifted" in kinds()
    assert [n.recipient for n in recipients.notices(request) if n.action == "restriction"] == [
        "brevo",
        "google",
        "gardien-host",
        "mail-relay",
    ]
    assert_no_values_on_the_timeline()
