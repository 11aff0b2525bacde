"""POST /api/contact and the hosted page: exactly the fields the manifest declares."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gardien.audit.models import AuditEntry
from gardien.contact.models import ContactMessage
from gardien.contact.services import answers_of, file_received
from gardien.policy.services import publish
from gardien.vault import services as vault
from tests.wsgi_client import call_wsgi, wsgi_environ


def test_a_valid_message_is_kept_encrypted_then_filed_with_its_person(api, valid):
    response = api(valid())
    assert response.status_code == 201, response.content
    body = response.json()
    message = ContactMessage.objects.get()
    assert body["reference"] == message.reference
    assert answers_of(message)["organization"] == "Atelier du Lac"
    assert "email" not in answers_of(message)
    assert message.lang == "fr" and message.policy_version == 1
    # Received: one row, the address with it, no person yet.
    assert (message.person, message.email) == (None, "camille.durand@example.org")
    assert vault.find_person("camille.durand@example.org") is None

    assert file_received() == 1  # the worker's periodic job
    message.refresh_from_db()
    assert message.person == vault.find_person("Camille.Durand@example.org")
    assert message.email == "" and message.filed_at is not None  # the address: on the person
    assert AuditEntry.objects.filter(target_ref=str(message.pk), action="create").exists()
    assert file_received() == 0  # filed once


def test_an_undeclared_field_is_refused_by_name_and_nothing_is_kept(api, valid):
    response = api(valid(phone="06 12 34 56 78"))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "undeclared_field"
    assert "phone" in body["message"] and "phone" in body["fields"]
    assert ContactMessage.objects.count() == 0
    assert vault.find_person("camille.durand@example.org") is None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Veuillez remplir ce champ."), ("en", "Please fill in this field.")],
)
def test_a_missing_field_gets_a_sentence_in_the_visitors_language(api, valid, lang, expected):
    response = api({**valid(organization=None), "lang": lang})
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert list(errors) == ["organization"]
    assert errors["organization"][0].startswith(expected)
    assert ContactMessage.objects.count() == 0


def test_a_missing_field_says_what_happens_without_it(api, valid, coopo_manifest):
    response = api({**valid(status=None), "lang": "en"})
    consequence = coopo_manifest.activity("contact").field("status").if_missing.get("en")
    assert consequence in response.json()["fields"]["status"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"status": "astronaut"}, "status"),
        ({"last_name": "x" * 151}, "last_name"),
        ({"message": "x" * 5001}, "message"),
        ({"last_name": "Dur\x00and"}, "last_name"),
    ],
)
def test_a_malformed_field_is_refused_with_its_error(api, valid, changes, field):
    response = api(valid(**changes))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert ContactMessage.objects.count() == 0


def test_an_oversized_body_gets_413(api, valid):
    response = api(valid(message="x" * 200_000))
    assert response.status_code == 413
    assert ContactMessage.objects.count() == 0


@pytest.mark.parametrize("body", ["[1, 2]", "{not json", '{"last_name": 3}'])
def test_a_body_that_is_not_an_object_of_text_is_refused(api, body):
    response = api(body)
    assert response.status_code == 400
    assert ContactMessage.objects.count() == 0


def test_another_content_type_gets_415(api, valid):
    from urllib.parse import urlencode

    response = api(urlencode(valid()), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_the_answer_speaks_the_browsers_language(api, valid):
    response = api(valid(email="nope"), headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.json()["fields"]["email"] == ["Enter a valid email address."]
    response = api(valid(email="nope"), headers={"Accept-Language": "fr-FR"})
    assert response.json()["fields"]["email"] == ["Saisissez une adresse de courriel valide."]


def test_an_unknown_host_is_refused_before_anything_is_kept(published, valid):
    body = json.dumps(valid()).encode()
    environ = wsgi_environ(
        "POST",
        "/api/contact",
        body,
        host="evil.example",
        headers={"Content-Type": "application/json", "Origin": "https://www.coopo.fr"},
    )
    assert call_wsgi(environ).status_code == 400
    assert ContactMessage.objects.count() == 0


def test_an_undeclared_origin_is_refused(api, valid):
    response = api(valid(), origin="https://evil.example")
    assert response.status_code == 403
    assert "add its origin" in response.json()["message"]
    assert ContactMessage.objects.count() == 0


def test_the_second_message_moves_the_last_contact(api, valid, settings):
    import datetime as dt

    from gardien.lib import clock

    with clock.frozen(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)):
        assert api(valid()).status_code == 201
    with clock.frozen(dt.datetime(2026, 3, 1, 10, 0, 30, tzinfo=dt.UTC)):
        file_received()  # the last contact is when the message came, not when it was filed
    person = vault.find_person("camille.durand@example.org")
    assert vault.last_contact(person, "contact") == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    with clock.frozen(dt.datetime(2027, 5, 2, 9, tzinfo=dt.UTC)):
        assert api(valid(message="Encore moi")).status_code == 201
        file_received()
    assert vault.last_contact(person, "contact") == dt.datetime(2027, 5, 2, 9, tzinfo=dt.UTC)
    assert ContactMessage.objects.filter(person=person).count() == 2


def test_the_form_follows_the_manifest(published, edited_manifest, api, valid):
    path = edited_manifest(
        (
            '  [[activities.fields]]\n  name = "organization"',
            '  [[activities.fields]]\n  name = "city"\n  label = { fr = "Ville", en = "City" }\n'
            '  categories = ["user.contact.address.city"]\n  required = false\n  max_length = 80\n\n'
            '  [[activities.fields]]\n  name = "organization"',
        )
    )
    page = Client().get("/en/contact/").text
    assert 'name="city"' not in page and api(valid(city="Grenoble")).status_code == 400
    publish(path)
    page = Client().get("/en/contact/").text
    assert 'name="city"' in page and "City" in page
    assert api(valid(city="Grenoble")).status_code == 201
    assert answers_of(ContactMessage.objects.get())["city"] == "Grenoble"


def test_the_hosted_form_has_exactly_the_declared_fields(published, coopo_manifest):
    import re

    page = Client().get("/fr/contact/").text
    names = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)"', page))
    declared = {f.name for f in coopo_manifest.activity("contact").fields}
    # The manifest offers the newsletter on the contact form ([newsletter] offered_with).
    declared.add("newsletter_consent")
    assert names - {"csrfmiddlewaretoken", "lang", "website_url", "altcha", "issued"} == declared
    assert 'name="newsletter_consent"' in page and "checked" not in page  # unticked


def test_the_newsletter_box_starts_the_double_opt_in_and_never_subscribes(api, valid):
    from gardien.newsletter.models import PendingSignup, Subscription

    assert api(valid()).status_code == 201
    assert PendingSignup.objects.count() == 0  # not ticked: nothing for the newsletter
    assert api(valid(newsletter_consent="on")).status_code == 201
    [pending] = PendingSignup.objects.all()
    assert pending.source == "contact" and pending.email == "camille.durand@example.org"
    assert Subscription.objects.count() == 0  # only the confirmation link subscribes


def test_without_the_offer_the_box_is_an_undeclared_field(api, valid, edited_manifest, settings):
    from gardien.policy.services import publish

    path = edited_manifest(('offered_with = ["contact"]\n', ""))
    settings.GARDIEN_MANIFEST = path
    publish(path)
    response = api(valid(newsletter_consent="on"))
    assert response.status_code == 400 and "newsletter_consent" in response.json()["message"]


def test_the_stored_row_holds_no_clear_text(api, valid):
    from django.db import connection

    api(valid(message="Un message très confidentiel"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM contact_contactmessage")
        row = json.dumps([str(v) for v in cursor.fetchone()])
    assert "confidentiel" not in row and "Atelier" not in row and "Durand" not in row
