"""The newsletter in the back office: the DPO sees subscribers (no address in the list, each
opening audited) and can unsubscribe one; other roles see the counts only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.newsletter.models import ConsentProof, Subscription
from tests.backoffice.helpers import Account, verified_client
from tests.newsletter.conftest import ADDRESS, link, signup

LIST = "/admin/newsletter/subscription/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def logged_in(db: Any) -> Any:
    def log_in(role: str) -> Any:
        user, password, two_factor = accounts.create_account(f"{role}-nl", BY_SLUG[role])
        return verified_client(Account(user, password, two_factor))

    return log_in


@pytest.fixture
def subscriber(api, smtp, run_worker, t0) -> Subscription:
    api(signup())
    run_worker(t0)
    Client().post(link(smtp.emails()[-1], "confirm"))
    return Subscription.objects.get()


def test_the_dpo_sees_subscribers_and_unsubscribes_one(logged_in, subscriber):
    client = logged_in("dpo")
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert str(subscriber.pk)[:8] in listing.text and ADDRESS not in listing.text
    page = client.get(f"{LIST}{subscriber.pk}/change/")
    assert page.status_code == 200 and ADDRESS in page.text
    assert AuditEntry.objects.filter(action="view", target_type="newsletter.subscription").exists()
    response = client.post(
        LIST, {"action": "unsubscribe", ACTION_CHECKBOX_NAME: [str(subscriber.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert Subscription.objects.count() == 0
    assert ConsentProof.objects.get().withdrawn_how == "staff"
    home = client.get("/admin/")
    assert "Newsletter" in home.text or "Lettre" in home.text


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_other_roles_see_counts_only(logged_in, subscriber, role):
    client = logged_in(role)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{subscriber.pk}/change/").status_code == 403
    home = client.get("/admin/")
    assert home.status_code == 200 and 'id="newsletter-counts"' in home.text
    assert LIST not in home.text
