"""The whole life of a subscription through the boundaries a person touches: the API, the
emails (a real SMTP server), the links in them, and the worker in between."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gardien.audit.models import AuditEntry
from gardien.newsletter.models import ConsentProof, PendingSignup, Subscription
from gardien.vault import services as vault
from gardien.vault.models import LastContact, Person
from tests.newsletter.conftest import ADDRESS, link, one_click_path, signup, text_of

pytestmark = pytest.mark.django_db(transaction=False)


def confirmed(api, smtp, run_worker, t0, address=ADDRESS):
    """Sign up, let the worker send the email, press the button: the welcome email's message."""
    assert api(signup(address)).status_code == 202
    run_worker(t0)
    confirmation = smtp.emails()[-1]
    response = Client().post(link(confirmation, "confirm"))
    assert response.status_code == 200
    run_worker(t0)
    return smtp.emails()[-1]


def test_sign_up_sends_one_confirmation_email_with_the_list_headers(api, smtp, run_worker, t0):
    response = api(signup())
    assert response.status_code == 202
    assert smtp.received == []  # the request only keeps the sign-up
    assert Subscription.objects.count() == 0
    run_worker(t0)
    [message] = smtp.emails()
    raw = smtp.received[0].original_content
    assert b"\r\nList-Unsubscribe: <https://gardien.coopo.example/newsletter/unsubscribe/p" in raw
    assert b"List-Unsubscribe: =?" not in raw  # not folded into encoded-words (RFC 8058)
    assert message["To"] == ADDRESS
    assert message["From"] == "Coopo <gardien@localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert one_click_path(message).startswith("/newsletter/unsubscribe/")
    body = text_of(message)
    assert "/newsletter/confirm/" in body
    assert "Coopo" in body and "38190 Laval-en-Belledonne" in body  # postal address
    assert Person.objects.count() == 0  # nobody is a person before confirming
    [pending] = PendingSignup.objects.all()
    assert pending.token_sha256 and pending.token_sha256 not in body  # only the hash is kept


def test_the_link_get_changes_nothing_and_its_post_confirms_at_once(api, smtp, run_worker, t0):
    api(signup())
    run_worker(t0)
    path = link(smtp.emails()[0], "confirm")
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and b"<button" in page.content
    assert client.get(path).status_code == 200  # a mail scanner opening it twice: no change
    assert Subscription.objects.count() == 0
    welcome = client.post(path)
    assert welcome.status_code == 200
    [subscription] = Subscription.objects.select_related("person", "proof")
    assert subscription.person.email == ADDRESS
    proof = subscription.proof
    assert proof.confirmed_at and proof.signed_up_at <= proof.confirmed_at
    assert proof.policy_version == 1 and len(proof.statement_sha256) == 64
    assert proof.source == "api https://www.coopo.fr"
    assert LastContact.objects.get(person=subscription.person, activity="newsletter")
    assert PendingSignup.objects.count() == 0
    # The link is used: the same page as an unknown one, and no second subscription.
    assert client.post(path).status_code == 404
    assert client.get(path).status_code == 404
    assert Subscription.objects.count() == 1


def test_the_welcome_email_and_one_click_unsubscribe_without_cookies(api, smtp, run_worker, t0):
    welcome = confirmed(api, smtp, run_worker, t0)
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in text_of(welcome).lower()
    path = one_click_path(welcome)
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200
    assert Subscription.objects.count() == 1  # GET changed nothing
    response = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200  # no redirect
    assert Subscription.objects.count() == 0
    assert Person.objects.count() == 0  # nothing else was kept about them
    [proof] = ConsentProof.objects.all()
    assert proof.withdrawn_at is not None and proof.withdrawn_how == "one-click"
    assert proof.person is None
    assert AuditEntry.objects.filter(action="withdraw").count() == 1
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})  # multipart, idempotent
    assert again.status_code == 200 and again.content == response.content


def test_a_confirmed_address_gets_no_second_confirmation(api, smtp, run_worker, t0):
    confirmed(api, smtp, run_worker, t0)
    before = len(smtp.received)
    assert api(signup()).status_code == 202
    run_worker(t0 + dt.timedelta(hours=1))
    assert len(smtp.received) == before


def test_the_confirmation_email_one_click_cancels_the_sign_up(api, smtp, run_worker, t0):
    api(signup())
    run_worker(t0)
    message = smtp.emails()[0]
    response = Client().post(one_click_path(message), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert PendingSignup.objects.count() == 0
    assert Client().get(link(message, "confirm")).status_code == 404


def test_an_expired_link_confirms_nothing(api, smtp, run_worker, t0, settings):
    api(signup())
    run_worker(t0)
    path = link(smtp.emails()[0], "confirm")
    settings.GARDIEN_NOW = (t0 + dt.timedelta(days=8)).isoformat()
    assert Client().post(path).status_code == 404
    assert Subscription.objects.count() == 0


def test_erasure_of_the_person_unsubscribes_and_keeps_the_withdrawal(api, smtp, run_worker, t0):
    from gardien.audit.services import Actor

    confirmed(api, smtp, run_worker, t0)
    person = vault.find_person(ADDRESS)
    vault.erase(person, actor=Actor.system(), reason="test")
    assert Subscription.objects.count() == 0
    [proof] = ConsentProof.objects.all()
    assert proof.withdrawn_how == "erasure"


def test_unconfirmed_sign_ups_are_purged_when_their_link_expires(api, smtp, run_worker, t0):
    api(signup())
    run_worker(t0)
    assert PendingSignup.objects.count() == 1
    run_worker(t0 + dt.timedelta(days=6))  # the link lasts 7 days (the manifest's record)
    assert PendingSignup.objects.count() == 1
    run_worker(t0 + dt.timedelta(days=7, hours=1))
    assert PendingSignup.objects.count() == 0
    assert Person.objects.count() == 0
