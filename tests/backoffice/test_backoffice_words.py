"""The back office speaks French and English in words: no library page a DPO has no use for,
the audit log and consent proofs in words, the person page per activity with its actions,
dates in the organisation's zone with the zone named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from gardien.audit import words
from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.lib import clock
from gardien.retention.models import PurgeRun
from tests.backoffice.helpers import PASSWORD, Account, otp_session_client, verified_client
from tests.backoffice.seed import seed


def french(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


@pytest.fixture
def dpo(make_account: Any, published: Any) -> Client:
    return french(verified_client(make_account("dpo-w", "dpo")))


@pytest.fixture
def superuser(db: Any, published: Any) -> Client:
    user = get_user_model().objects.create_superuser("root-w", password=PASSWORD)
    return french(otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user))))


def test_it_leaves_library_pages_out_even_for_a_superuser(superuser):
    index = superuser.get("/admin/").text
    for raw in ("Otp_Static", "Otp_Totp", "Static devices", "Tasks Database", "Task Results"):
        assert raw not in index
    for url in ("/admin/otp_static/staticdevice/", "/admin/django_tasks_database/dbtaskresult/"):
        assert superuser.get(url).status_code == 404


def test_it_shows_the_audit_log_in_words(dpo, published):
    seed()
    page = dpo.get("/admin/audit/auditentry/").text
    # The published version's hash, cut in the list so the table fits a laptop's screen.
    assert published.content_hash not in page and published.content_hash[:12] + "…" in page
    assert "Gardien (automatique)" in page
    assert "Création" in page and "Limitation du traitement" in page
    assert "dpo-w" in page  # the DPO's own login, by username
    assert "(Europe/Paris)" in page
    for raw in ("system:system", "staff:", ">create<", "vault.person:"):
        assert raw not in page
    # The filter offers the actions in words; the stored codes are kept.
    assert ">Connexion</a>" in page
    assert AuditEntry.objects.filter(action="create", actor_ref="system").exists()


def test_words_name_every_actor_and_keep_an_unknown_code():
    with translation.override("en"):
        assert words.action("create") == "Created"
        assert words.action("something_new") == "something_new"
        assert words.actor("system", "system") == "Gardien (automatic)"
        assert words.actor("staff", "7", username="alice") == "alice"
        assert words.actor("staff", "7") == "staff account 7 (deleted)"
        assert words.actor("subject", "8f939d03-0000") == "the person 8f939d03"
    with translation.override("fr"):
        assert words.action("create") == "Création"
        assert words.actor("system", "system") == "Gardien (automatique)"


def test_it_shows_a_consent_proof_in_words(dpo):
    proof = seed().proof
    listing = dpo.get("/admin/consent/consentrecord/").text
    assert "Mesure d&#x27;audience : ✗ refusée" in listing
    assert "Suivi Brevo (facultatif) : ✓ acceptée" in listing and "signal envoyé" in listing
    assert "audience ✗" not in listing and "brevo_tracking ✓" not in listing
    page = dpo.get(f"/admin/consent/consentrecord/{proof.pk}/change/").text
    assert "version 1" in page and "a choisi finalité par finalité" in page
    assert "(Europe/Paris)" in page and " custom " not in page


def test_a_restricted_person_shows_words_not_a_green_tick(dpo):
    seed()
    listing = dpo.get("/admin/vault/person/").text
    assert "non limité" in listing and ">limité<" in listing
    assert "icon-yes.svg" not in listing and "icon-no.svg" not in listing


def test_the_person_page_lists_records_per_activity_with_its_actions(dpo):
    seeded = seed()
    person = seeded.person
    page = dpo.get(f"/admin/vault/person/{person.pk}/change/").text
    assert f"personne {str(person.pk)[:8]}" in page
    assert "Ce que Gardien conserve sur cette personne, par activité" in page
    assert "<h3>Formulaire de contact</h3>" in page and "<h3>Lettre d&#x27;information</h3>" in page
    assert "/admin/contact/contactmessage/" in page  # each record opens its own page
    assert f"/admin/rights/rightsrequest/{seeded.request.pk}/change/" in page
    assert seeded.request.reference in page
    assert "Exporter les données de cette personne" in page
    assert "/admin/rights/rightsrequest/add/" in page
    assert "<div>Lettre d&#x27;information : " in page  # the last contact, in French typography
    assert "(Europe/Paris)" in page


def test_the_person_export_is_a_post_and_is_audited(dpo):
    person = seed().person
    url = f"/admin/vault/person/{person.pk}/export/"
    assert dpo.get(url).status_code == 302
    assert not AuditEntry.objects.filter(action="read_export").exists()
    response = dpo.post(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="person-')
    data = json.loads(response.content)
    assert set(data["activities"]) >= {"contact", "newsletter"}
    assert AuditEntry.objects.filter(action="read_export").count() >= 3


def test_only_those_who_may_see_people_export_them(make_account, published):
    person = seed().person
    viewer = verified_client(make_account("viewer-w", "viewer"))
    assert viewer.post(f"/admin/vault/person/{person.pk}/export/").status_code == 403


def test_a_subscription_says_where_it_came_from(dpo):
    seed()
    page = dpo.get("/admin/newsletter/subscription/").text
    assert "la page d&#x27;inscription de Gardien" in page and "(Europe/Paris)" in page


def test_the_delivery_queue_names_each_task_in_words(dpo):
    seed()  # the sign-up and the rights request each leave an email in the queue
    page = dpo.get("/admin/processors/outboxitem/").text
    assert "courriel : confirmer une demande d&#x27;exercice de droits (send_verification)" in page


def test_a_purge_stopped_halfway_says_so_in_words_not_with_a_green_tick(dpo):
    for interrupted in (True, False):
        PurgeRun.objects.create(
            started_at=clock.now(),
            finished_at=clock.now(),
            trigger=PurgeRun.Trigger.WORKER,
            policy_version=1,
            removed=1,
            interrupted=interrupted,
        )
    page = dpo.get("/admin/retention/purgerun/").text
    assert "arrêtée avant la fin" in page and "menée à son terme" in page
    assert "icon-yes.svg" not in page
