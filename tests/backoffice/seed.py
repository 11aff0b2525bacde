"""A back office with something in it: one person in every activity, a restriction, a rights
request, consent proofs and an audit log, as Gardien's own services record them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from gardien.audit.services import Actor
from gardien.consent.models import ConsentRecord
from gardien.consent.services import new_consent_id
from gardien.contact.models import ContactMessage
from gardien.lib import clock
from gardien.newsletter import services as newsletter
from gardien.rights import services as rights
from gardien.vault import services as vault
from gardien.vault.models import Person

ADA = "ada@example.org"


@dataclass
class Seeded:
    person: Person
    restricted: Person
    request: Any
    proof: ConsentRecord


def seed() -> Seeded:
    """Needs a published policy (the ``published`` fixture)."""
    system = Actor.system()
    person, _ = vault.get_or_create_person(ADA, actor=system)
    ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Bonjour", "last_name": "Lovelace"}),
        lang="fr",
        policy_version=1,
        received_at=clock.now(),
        filed_at=clock.now(),
    )
    found = newsletter.setup()
    assert found is not None
    pending = newsletter.keep(found, ADA, "fr", "page")
    newsletter.file_signups()
    pending.refresh_from_db()
    assert newsletter.confirm(newsletter.new_confirmation_token(pending)) is not None
    restricted, _ = vault.get_or_create_person("bob@example.org", actor=system)
    vault.restrict(restricted, ground="accuracy", activity=None, actor=system, reason="contested")
    request = rights.create(
        channel="email",
        received_at=clock.now() - dt.timedelta(days=2),
        rights=["access"],
        actor=system,
        email=ADA,
    )
    # Verified, the request is linked to the person: their page lists it, and its own page
    # offers the answers (export, restrict, erase) the person asked for.
    request = rights.mark_verified(request, actor=system, how="known correspondent")
    proof = ConsentRecord(
        consent_id=new_consent_id(),
        recorded_at=clock.now(),
        action="custom",
        decisions={"audience": False, "brevo_tracking": True},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
        gpc=True,
    )
    proof.save()
    return Seeded(person, restricted, request, proof)
