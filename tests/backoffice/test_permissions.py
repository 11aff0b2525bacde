"""Who may open which back-office page: every persona is verified by a one-time code."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from tests.backoffice.helpers import (
    LOGIN,
    REFUSED,
    is_logged_in,
    new_client,
    otp_session_client,
    post_login,
    verified_client,
)

LOGIN_REDIRECT = "login"
PERSONAS = ("dpo", "staff", "viewer", "outsider", "anonymous")

# page -> persona -> expected status (or a redirect to the login page)
EXPECTED: dict[str, dict[str, int | str]] = {
    "/admin/": {
        "dpo": 200,
        "staff": 200,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/register/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/policy/policyversion/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/vault/person/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/processors/outboxitem/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/audit/auditcheckpoint/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/auth/user/": {
        "dpo": 403,
        "staff": 403,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/auth/group/": {
        "dpo": 403,
        "staff": 403,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/consent/consentrecord/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/consent/consentrecord/statistics/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/audit/auditentry/": {
        "dpo": 200,
        "staff": 403,
        "viewer": 200,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/contact/contactmessage/": {
        "dpo": 200,
        "staff": 200,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
    "/admin/contact/contactmessage/add/": {
        "dpo": 403,
        "staff": 403,
        "viewer": 403,
        "outsider": LOGIN_REDIRECT,
        "anonymous": LOGIN_REDIRECT,
    },
}


def _missing_admin(page: str) -> str | None:
    """What is wrong when a model's page is not in the back office; None when it is.

    Only the model and the admin site are looked at, whichever module registers the admin.
    """
    parts = page.removeprefix("/admin/").split("/")
    if len(parts) < 3:  # the index and Gardien's own pages, e.g. /admin/register/
        return None
    app_label, model_name = parts[0], parts[1]
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return f"{page} is expected, but there is no model {app_label}.{model_name}"
    if not admin.site.is_registered(model):
        return (
            f"{page} is expected, but {app_label}.{model_name} is not registered in the "
            "back office (admin.site): register its ModelAdmin in an admin.py of its app"
        )
    return None


@pytest.fixture
def persona_client(request: Any, make_account: Any, outsider: Any) -> Client:
    persona = request.param
    if persona == "anonymous":
        return new_client()
    if persona == "outsider":
        # The login form refuses an account without a role, code or not...
        response = post_login(new_client(), outsider.username, outsider.password, outsider.code())
        assert response.status_code == 200 and REFUSED in response.text
        # ...and a session verified by its device (django-otp's own mechanism) is no better.
        return otp_session_client(outsider)
    return verified_client(make_account(f"{persona}-1", persona))


@pytest.mark.parametrize(
    ("page", "persona_client"),
    [(page, persona) for page in EXPECTED for persona in PERSONAS],
    indirect=["persona_client"],
    ids=[f"{page}-{persona}" for page in EXPECTED for persona in PERSONAS],
)
def test_who_gets_which_page(page: str, persona_client: Client, request: Any, published: Any):
    if problem := _missing_admin(page):
        pytest.fail(problem)
    persona = request.node.callspec.params["persona_client"]
    expected = EXPECTED[page][persona]
    response = persona_client.get(page)
    if expected == LOGIN_REDIRECT:
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN + "?next=")
    else:
        assert response.status_code == expected


def test_a_password_without_code_is_not_enough(make_account):
    account = make_account("nocode", "dpo")
    client = new_client()
    client.force_login(account.user)  # logged in, but no device verified in this session
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_backup_code_logs_in_once(make_account):
    account = make_account("backup", "viewer")
    code = account.two_factor.backup_codes[0]
    client = new_client()
    assert post_login(client, account.username, account.password, code).status_code == 302
    assert client.get("/admin/").status_code == 200
    again = new_client()
    response = post_login(again, account.username, account.password, code)
    assert response.status_code == 200
    assert not is_logged_in(again)


def test_the_login_page_asks_for_the_code_and_says_whom_to_ask(db):
    response = new_client().get(LOGIN)
    assert response.status_code == 200
    assert 'name="otp_token"' in response.text
    assert "gardien staff otp-reset" in response.text
    assert 'name="otp_device"' not in response.text


def test_the_index_links_the_register_only_for_those_who_may_read_it(make_account, published):
    viewer = verified_client(make_account("viewer-2", "viewer"))
    staff = verified_client(make_account("staff-2", "staff"))
    assert "/admin/register/" in viewer.get("/admin/").text
    assert "/admin/register/" not in staff.get("/admin/").text


def test_view_site_opens_the_public_policy_not_a_missing_page(make_account, published, settings):
    settings.GARDIEN_DEMO_SITE = False  # as in production: nothing is served at "/"
    viewer = verified_client(make_account("viewer-3", "viewer"))
    page = viewer.get("/admin/").text
    assert 'href="/privacy/"' in page
    assert viewer.get("/privacy/").status_code == 200
