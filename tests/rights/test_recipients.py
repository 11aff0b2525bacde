"""Art. 19: who received a person's data (from the published Coopo manifest), the notices
recorded on the case for each recipient, the DPO marking them told, and the list the person
can be given."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from gardien.audit.services import Actor
from gardien.contact.models import ContactMessage
from gardien.lib import clock, crypto
from gardien.newsletter.models import ConsentProof, Subscription
from gardien.rights import recipients, services
from gardien.rights.models import CaseEvent, Right, RightsRequest
from gardien.vault import services as vault
from gardien.vault.models import Person
from tests.fakes.brevo import FakeBrevo

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
DPO = Actor.system()


@pytest.fixture
def brevo(fake_brevo: FakeBrevo, settings: Any) -> FakeBrevo:
    """Brevo switched on, pointing at the fake (as in tests/newsletter/test_brevo_sync.py)."""
    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    settings.GARDIEN_BREVO_TIMEOUT = 0.5
    return fake_brevo


def person_with_contact(email: str = ADA) -> Person:
    person, _ = vault.get_or_create_person(email, actor=DPO)
    ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Hello", "last_name": "Lovelace"}),
        lang="en",
        policy_version=1,
        received_at=timezone.now(),
        filed_at=timezone.now(),
    )
    return person


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


def verified_request(rights: list[str]) -> RightsRequest:
    request = services.create(
        channel="email", received_at=clock.now(), rights=rights, email=ADA, actor=DPO
    )
    return services.mark_verified(request, actor=DPO, how="known correspondent")


def test_the_recipients_of_contact_and_newsletter_data_come_from_the_manifest(
    published: Any,
) -> None:
    person = person_with_contact()
    subscribe(person)

    found = recipients.who_received(person)

    # In the order of [[processors]]; each named once, with the activities it received.
    assert [r.name for r in found] == [
        "Brevo",
        "Google Workspace",
        "OVHcloud",
        "Scaleway Transactional Email",
    ]
    by_id = {r.id: r for r in found}
    assert by_id["google"].entity.startswith("Google Cloud France SARL")
    assert by_id["google"].country == "FR"
    assert by_id["google"].activities == ("contact",)
    assert by_id["brevo"].activities == ("newsletter",)
    assert by_id["gardien-host"].activities == ("contact", "newsletter")
    assert "framer" not in by_id  # no audience data is held about a person


def test_only_the_activities_the_person_has_records_in(published: Any) -> None:
    person = person_with_contact()

    assert [r.id for r in recipients.who_received(person)] == [
        "google",
        "gardien-host",
        "mail-relay",
    ]
    assert [r.id for r in recipients.who_received(person, activities={"newsletter"})] == []
    assert recipients.who_received(None) == []


def test_notify_tells_brevo_through_the_sync_and_lists_the_others_to_tell(
    published: Any, brevo: FakeBrevo
) -> None:
    person = person_with_contact()
    subscribe(person)
    request = verified_request(["erasure"])

    recipients.notify(request, Right.ERASURE, actor=DPO)

    states = {n.recipient: n.state for n in recipients.notices(request)}
    assert states == {
        "brevo": recipients.State.SYNCED,
        "google": recipients.State.TO_TELL,
        "gardien-host": recipients.State.TO_TELL,
        "mail-relay": recipients.State.TO_TELL,
    }
    synced = CaseEvent.objects.get(kind=recipients.SYNCED)
    assert synced.note == "erasure: brevo (Brevo)"
    assert str(recipients.State.SYNCED.label) == "told through the processor sync"
    assert [n.recipient for n in recipients.outstanding(request)] == [
        "google",
        "gardien-host",
        "mail-relay",
    ]
    for event in CaseEvent.objects.all():
        assert ADA not in event.note and "Hello" not in event.note


def test_without_the_sync_brevo_is_to_tell_too(published: Any) -> None:
    person = person_with_contact()
    subscribe(person)
    request = verified_request(["restriction"])

    recipients.notify(request, Right.RESTRICTION, actor=DPO, activity="newsletter")

    assert [(n.recipient, n.state) for n in recipients.notices(request)] == [
        ("brevo", recipients.State.TO_TELL),
        ("gardien-host", recipients.State.TO_TELL),
        ("mail-relay", recipients.State.TO_TELL),
    ]


def test_the_dpo_marks_a_recipient_told(published: Any) -> None:
    person_with_contact()
    request = verified_request(["rectification", "erasure"])
    recipients.notify(request, Right.RECTIFICATION, actor=DPO)
    recipients.notify(request, Right.ERASURE, actor=DPO)
    staff = Actor.staff(type("User", (), {"pk": 7})())

    told = recipients.mark_told(request, "google", actor=staff)

    assert [(n.action, n.state, n.told_by) for n in told] == [
        (Right.RECTIFICATION, recipients.State.TOLD, "7"),
        (Right.ERASURE, recipients.State.TOLD, "7"),
    ]
    assert all(n.told_at is not None for n in told)
    assert "google" not in {n.recipient for n in recipients.outstanding(request)}
    assert {n.recipient for n in recipients.outstanding(request)} == {"gardien-host", "mail-relay"}
    with pytest.raises(services.RightsError, match="Nothing is waiting to be told to google"):
        recipients.mark_told(request, "google", actor=staff)
    with pytest.raises(services.RightsError, match="Nothing is waiting"):
        recipients.mark_told(request, "nobody", actor=staff)
    assert CaseEvent.objects.filter(kind=recipients.TOLD).count() == 2


def test_the_person_can_be_told_who_the_recipients_were(published: Any) -> None:
    person = person_with_contact()
    request = verified_request(["erasure"])

    # Before any notice: those who received the data.
    assert [r.id for r in recipients.for_person_letter(request)] == [
        "google",
        "gardien-host",
        "mail-relay",
    ]
    recipients.notify(request, Right.ERASURE, actor=DPO, person=person)
    RightsRequest.objects.filter(person=person).update(person=None)  # as fulfil.erase does
    vault.erase(person, actor=DPO, reason="test")

    # After the erasure: those the case's notices went to, as the manifest describes them.
    letter = recipients.for_person_letter(request)
    assert [(r.name, r.country) for r in letter] == [
        ("Google Workspace", "FR"),
        ("OVHcloud", "FR"),
        ("Scaleway Transactional Email", "FR"),
    ]
    assert letter[1].entity == "OVH SAS, 2 rue Kellermann, 59100 Roubaix, France"


def test_only_the_actions_of_article_19_are_notified(published: Any) -> None:
    person_with_contact()
    request = verified_request(["access"])
    with pytest.raises(ValueError, match=r"Art\. 19"):
        recipients.notify(request, Right.ACCESS, actor=DPO)
