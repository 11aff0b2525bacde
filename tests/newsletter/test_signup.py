"""Signing up, as a visitor or a script would: the API served as gunicorn serves it, the
hosted page with and without JavaScript, and what is refused. The answer never tells whether
an address is known."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gardien.antispam.services import MIN_FILL_SECONDS
from gardien.audit.services import Actor
from gardien.newsletter import services
from gardien.newsletter.models import PendingSignup, Subscription
from gardien.vault import services as vault
from tests.newsletter.conftest import ADDRESS, link, signup

pytestmark = pytest.mark.django_db


def state_of(api, smtp, run_worker, t0, state):
    """Put ADDRESS in ``state``: new, pending, confirmed or unsubscribed."""
    if state == "new":
        return
    api(signup())
    run_worker(t0)
    if state == "pending":
        return
    Client().post(link(smtp.emails()[-1], "confirm"))
    if state == "unsubscribed":
        services.withdraw(vault.find_person(ADDRESS), how="test", actor=Actor.system())


@pytest.mark.parametrize("state", ["new", "pending", "confirmed", "unsubscribed"])
def test_the_answer_is_the_same_whatever_the_address(api, smtp, run_worker, t0, state):
    state_of(api, smtp, run_worker, t0, state)
    with CaptureQueriesContext(connection) as queries:
        response = api(signup(lang="en"))
    assert response.status_code == 202
    assert response.json() == {
        "message": "Thank you. If this address can be subscribed, a link to confirm it is on "
        "its way: open it to finish. Nothing is sent to you before you confirm."
    }
    # The same work whatever the state (one insert, the anti-spam count), and nothing is
    # looked up about the address: no timing oracle.
    sqls = [q["sql"] for q in queries.captured_queries]
    assert [q.split()[0] for q in sqls].count("INSERT") == 2, sqls
    assert not any("vault_person" in q or "newsletter_subscription" in q for q in sqls)


def test_a_second_sign_up_within_minutes_sends_no_second_email(api, smtp, run_worker, t0):
    api(signup())
    run_worker(t0)
    api(signup())
    run_worker(t0 + dt.timedelta(minutes=1))
    assert len(smtp.received) == 1
    api(signup())
    run_worker(t0 + dt.timedelta(minutes=30))  # later, someone who lost the email asks again
    assert len(smtp.received) == 2


def test_every_field_but_the_address_is_refused_by_name(api):
    response = api(signup(name="Camille", phone="0600000000"))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "undeclared_field" and "name, phone" in body["message"]
    assert PendingSignup.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": ADDRESS}, "newsletter_consent"),  # the box was not ticked
        ({"email": ADDRESS, "newsletter_consent": False}, "newsletter_consent"),
        ({"email": "not-an-address", "newsletter_consent": True}, "email"),
        ({"email": "a" * 250 + "@example.org", "newsletter_consent": True}, "email"),
        ({"newsletter_consent": True}, "email"),
    ],
)
def test_invalid_sign_ups_say_what_to_fix_and_keep_nothing(api, data, field):
    response = api(data)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert PendingSignup.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"email": ["x@example.org"], "newsletter_consent": true}', "application/json", 400),
        ("email=x%40example.org", "application/x-www-form-urlencoded", 415),
        (json.dumps({"email": "x@example.org", "pad": "x" * 20_000}), "application/json", 413),
    ],
)
def test_malformed_requests_get_a_4xx_and_change_nothing(api, body, content_type, status):
    response = api(body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["message"]
    assert PendingSignup.objects.count() == 0


def test_another_site_is_refused_and_a_get_is_not_allowed(api):
    assert api(signup(), origin="https://evil.example").status_code == 403
    assert Client().get("/api/newsletter/subscribe").status_code == 405
    assert PendingSignup.objects.count() == 0


def test_the_honeypot_gets_the_same_answer_and_nothing_is_kept(api):
    response = api(signup(website_url="https://spam.example"))
    assert response.status_code == 202
    assert PendingSignup.objects.count() == 0


def test_the_hosted_page_has_the_notice_and_an_unticked_box(published, coopo_manifest):
    page = Client().get("/fr/newsletter/").text
    statement = coopo_manifest.newsletter.consent.fr
    assert statement.replace("'", "&#x27;") in page
    assert 'type="checkbox" name="newsletter_consent"' in page and "checked" not in page
    assert "Brevo" in page  # the recipient, in the notice at collection
    assert "/fr/privacy/" in page  # the policy link
    english = Client().get("/en/newsletter/").text
    assert coopo_manifest.newsletter.consent.en.replace("'", "&#x27;") in english


def test_the_hosted_page_works_without_javascript(published, settings, smtp, run_worker, t0):
    settings.GARDIEN_ALTCHA = True
    client = Client()
    settings.GARDIEN_NOW = t0.isoformat()
    page = client.get("/fr/newsletter/")
    issued = page.text.split('name="issued" value="')[1].split('"')[0]
    settings.GARDIEN_NOW = (t0 + dt.timedelta(seconds=MIN_FILL_SECONDS + 2)).isoformat()
    response = client.post(
        "/fr/newsletter/",
        {
            "email": ADDRESS,
            "newsletter_consent": "on",
            "lang": "fr",
            "issued": issued,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 200
    assert PendingSignup.objects.get().source == "page"


def test_the_hosted_page_without_the_box_shows_the_error_and_keeps_the_address(published):
    client = Client()
    client.get("/en/newsletter/")
    response = client.post(
        "/en/newsletter/",
        {"email": ADDRESS, "lang": "en", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 400
    assert "Tick the box" in response.text and f'value="{ADDRESS}"' in response.text
    assert PendingSignup.objects.count() == 0


def test_the_snippet_posts_from_the_organisations_site(published, smtp, run_worker, t0):
    response = Client().post(
        "/fr/newsletter/",
        {"email": ADDRESS, "newsletter_consent": "on", "lang": "fr"},
        HTTP_ORIGIN="https://www.coopo.fr",
    )
    assert response.status_code == 200
    assert PendingSignup.objects.get().source == "snippet https://www.coopo.fr"


def test_unknown_forged_and_used_unsubscribe_tokens_get_the_same_pages(published):
    client = Client()
    pages = set()
    for token in ["s" + "A" * 43, "garbage", "p" + "-" * 43, "x" * 500]:
        get = client.get(f"/newsletter/unsubscribe/{token}")
        post = client.post(f"/newsletter/unsubscribe/{token}", {"List-Unsubscribe": "One-Click"})
        assert get.status_code == 200 and post.status_code == 200
        pages.add(post.content.replace(token.encode(), b"TOKEN"))  # the language links
    assert len(pages) == 1
    assert Subscription.objects.count() == 0
