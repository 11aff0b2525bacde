from __future__ import annotations

import datetime as dt

import pytest

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.lib.clock import now
from gardien.vault import services as vault
from gardien.vault.models import Person
from tests.testapp.models import Message, Subscription

DPO = Actor("staff", "1")


@pytest.fixture
def alice(db):
    person, _ = vault.get_or_create_person("alice@example.org", actor=Actor.system())
    Message.objects.create(
        person=person, name="Alice A.", organisation="Coop", message="Hello", received_at=now()
    )
    Subscription.objects.create(person=person, subscribed_at=now())
    return person


def test_it_exports_everything_grouped_by_activity(alice):
    data = vault.export(alice, actor=DPO, reason="request R-1")
    assert set(data["activities"]) == {"identity", "contact", "newsletter"}
    assert data["activities"]["identity"][0]["email"] == "alice@example.org"
    assert data["activities"]["contact"][0]["name"] == "Alice A."
    assert AuditEntry.objects.filter(action="read_export").count() == 3


def test_it_rectifies_a_personal_field_and_its_index(alice):
    vault.rectify(alice, "email", "alice.new@example.org", actor=DPO, reason="request R-2")
    assert vault.find_person("alice.new@example.org") == alice
    assert vault.find_person("alice@example.org") is None
    message = Message.objects.get(person=alice)
    vault.rectify(message, "organisation", "Coopo", actor=DPO, reason="request R-2")
    assert Message.objects.get(pk=message.pk).organisation == "Coopo"
    assert AuditEntry.objects.filter(action="update").count() == 2


def test_it_refuses_to_rectify_a_field_that_is_not_personal(alice):
    message = Message.objects.get(person=alice)
    with pytest.raises(vault.VaultError, match="received_at is not a personal field"):
        vault.rectify(message, "received_at", now(), actor=DPO, reason="x")


def test_it_erases_one_activity_as_each_model_declared(alice):
    counts = vault.erase(alice, actor=DPO, reason="request R-3", activity="contact")
    assert counts == {"testapp.message": 1}
    stub = Message.objects.get(person=alice)
    assert (stub.name, stub.organisation, stub.message) == ("", "", "")
    assert Subscription.objects.filter(person=alice).exists()


def test_it_erases_a_person_entirely(alice):
    vault.erase(alice, actor=DPO, reason="request R-4")
    assert not Person.objects.exists()
    assert not Subscription.objects.exists()
    assert Message.objects.get().person is None  # an anonymous stub remains
    assert AuditEntry.objects.filter(action="erase").count() == 3


def test_it_restricts_per_activity_or_entirely(alice):
    assert not vault.is_restricted(alice.pk, "newsletter")
    vault.restrict(alice, actor=DPO, reason="R-5", activity="newsletter")
    assert vault.is_restricted(alice.pk, "newsletter")
    assert not vault.is_restricted(alice.pk, "contact")
    vault.restrict(alice, actor=DPO, reason="R-6")
    assert vault.is_restricted(str(alice.pk), "contact")
    vault.lift_restriction(alice, actor=DPO, reason="R-6")
    assert not vault.is_restricted(alice.pk, "contact")
    assert not vault.is_restricted("not-a-uuid", "contact")


def test_it_keeps_the_latest_contact_only(alice):
    early = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    late = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    vault.touch(alice, "contact", late)
    vault.touch(alice, "contact", early)
    assert vault.last_contact(alice, "contact") == late


def test_it_audits_without_personal_values(alice):
    vault.export(alice, actor=DPO, reason="R-7")
    vault.view(alice, actor=DPO)
    for entry in AuditEntry.objects.all():
        text = " ".join(str(v) for v in vars(entry).values())
        assert "alice" not in text.lower()
        assert "Hello" not in text
