"""The back office's publish page: the DPO reads what the draft changes, writes a note in each
language, sees the date the version will carry, and publishes; nobody else may."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.lib import clock
from gardien.policy.models import PolicyVersion
from tests.backoffice.helpers import Account, post_login

PAGE = "/admin/policy/publish/"
CHANGED = ('retention = "3 years after last_contact"', 'retention = "2 years after last_contact"')


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Argon2 costs half a second a hash; these tests are about the page.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def logged_in(role: str, language: str = "fr") -> tuple[Client, Account]:
    """A client of an account in ``role``, logged in with its two factors."""
    user, password, two_factor = accounts.create_account(f"{role}-person", BY_SLUG[role])
    account = Account(user, password, two_factor)
    client = Client(headers={"Accept-Language": language})
    response = post_login(client, account.username, password, two_factor.backup_codes[0])
    assert response.status_code == 302, response.text
    return client, account


@pytest.fixture
def changed_draft(published, edited_manifest, settings):
    settings.GARDIEN_MANIFEST = edited_manifest(CHANGED)
    return settings.GARDIEN_MANIFEST


def draft_token(html: str) -> str:
    return re.search(r'name="draft" value="([^"]*)"', html).group(1)


def test_it_shows_the_dpo_the_changes_the_date_and_the_notes_in_french(changed_draft, text_of):
    client, _account = logged_in("dpo")
    with clock.frozen("2026-12-03T10:00:00+00:00"):
        response = client.get(PAGE)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Publier la politique de confidentialité" in text
    assert "Le fichier manifeste diffère de la version 1" in text
    assert "Sections du fichier manifeste modifiées : [activities]" in text
    assert "Formulaire de contact : 2 ans après le dernier contact" in text  # the French text
    assert "Elle portera la date du 3 décembre 2026" in text
    assert "Note en français" in text and "Note en anglais" in text
    assert 'value="Publier la version 2"' in response.text
    assert "<del>3</del> ans après le dernier contact" in response.text  # word by word
    assert "<ins>2</ins> ans après le dernier contact" in response.text


def test_it_shows_the_changes_in_english_on_request(changed_draft, text_of):
    client, _account = logged_in("dpo")
    text = text_of(client.get(PAGE + "?language=en").text)
    assert "Contact form: 2 years after the last contact" in text
    assert "Langue du texte : Français · English" in text


def test_the_dpo_publishes_with_both_notes_and_the_act_is_audited(changed_draft):
    client, account = logged_in("dpo")
    token = draft_token(client.get(PAGE).text)
    response = client.post(
        PAGE, {"note": "Durée réduite", "note_en": "Shorter period", "draft": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/policy/policyversion/"
    version = PolicyVersion.objects.get(number=2)
    assert (version.note, version.note_en) == ("Durée réduite", "Shorter period")
    entries = AuditEntry.objects.filter(action="publish", target_ref="2")
    assert [(e.actor_kind, e.actor_ref) for e in entries] == [("staff", str(account.user.pk))]
    listing = client.get(response["Location"]).text
    assert "La version 2 de la politique de confidentialité est publiée." in listing


def test_a_draft_changed_while_reading_is_shown_again_not_published(
    changed_draft, edited_manifest, settings, text_of
):
    client, _account = logged_in("dpo")
    token = draft_token(client.get(PAGE).text)
    settings.GARDIEN_MANIFEST = edited_manifest(CHANGED, ('name = "Coopo"', 'name = "Coopo SCOP"'))
    response = client.post(PAGE, {"note": "Durée réduite", "note_en": "", "draft": token})
    assert response.status_code == 409
    assert "Le fichier manifeste a changé pendant votre lecture" in text_of(response.text)
    assert 'value="Durée réduite"' in response.text  # the note is kept
    assert draft_token(response.text) != token
    assert PolicyVersion.objects.count() == 1


def test_a_note_too_long_is_refused_and_nothing_is_published(changed_draft):
    client, _account = logged_in("dpo")
    token = draft_token(client.get(PAGE).text)
    response = client.post(PAGE, {"note": "n" * 501, "note_en": "", "draft": token})
    assert response.status_code == 400
    assert 'class="errornote"' in response.text
    assert PolicyVersion.objects.count() == 1


def test_publishing_needs_the_form_token(changed_draft):
    client, _account = logged_in("dpo")
    token = draft_token(client.get(PAGE).text)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies  # the same session, but a form without its token
    response = strict.post(PAGE, {"note": "", "note_en": "", "draft": token})
    assert response.status_code == 403
    assert PolicyVersion.objects.count() == 1


def test_it_says_when_there_is_nothing_to_publish(published, settings, coopo_path, text_of):
    settings.GARDIEN_MANIFEST = coopo_path
    client, _account = logged_in("dpo")
    response = client.get(PAGE)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Rien à publier : le fichier manifeste dit la même chose que la version 1" in text
    assert "<form" not in response.text.split('id="content-main"', 1)[1]


def test_the_first_version_can_be_published_from_the_page(db, settings, coopo_path, text_of):
    settings.GARDIEN_MANIFEST = coopo_path
    client, _account = logged_in("dpo")
    page = client.get(PAGE)
    assert "Aucune politique n'est encore publiée" in text_of(page.text)
    response = client.post(
        PAGE, {"note": "Première version.", "note_en": "", "draft": draft_token(page.text)}
    )
    assert response.status_code == 302
    assert PolicyVersion.objects.get().note == "Première version."


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_other_roles_may_not_open_or_use_the_page(changed_draft, role):
    client, _account = logged_in(role)
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, {"note": "", "note_en": "", "draft": "x"})
    assert response.status_code == 403
    assert PolicyVersion.objects.count() == 1


def test_a_visitor_is_sent_to_the_login_page(changed_draft):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={PAGE}"


def test_the_dashboard_and_the_versions_link_to_the_page_for_the_dpo_only(changed_draft, text_of):
    client, _account = logged_in("dpo")
    home = client.get("/admin/")
    assert f'href="{PAGE}"' in home.text
    assert "Le fichier manifeste a des modifications non publiées" in text_of(home.text)
    assert f'href="{PAGE}"' in client.get("/admin/policy/policyversion/").text
    viewer, _other = logged_in("viewer")
    assert f'href="{PAGE}"' not in viewer.get("/admin/").text
    assert f'href="{PAGE}"' not in viewer.get("/admin/policy/policyversion/").text
