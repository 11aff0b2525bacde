"""Consent ids are signed: the API and the no-JavaScript page continue only ids Gardien
issued, as gunicorn serves them (``gardien.wsgi.application``)."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.utils import translation

from gardien.consent.models import ConsentRecord
from gardien.consent.services import (
    forget,
    issued_consent_id,
    new_consent_id,
    read_choice_cookie,
    record_withdrawal,
    signed_consent_id,
)
from gardien.lib import clock

LEGACY_ID = "Legacy0id0issued0before"[:22]


@pytest.fixture
def post_choice(served_post_choice):
    return served_post_choice


def _altered(consent_id: str, position: int) -> str:
    replacement = "B" if consent_id[position] != "B" else "C"
    return consent_id[:position] + replacement + consent_id[position + 1 :]


def _under_unknown_key() -> str:
    with override_settings(SECRET_KEY="a key Gardien never had " * 3, SECRET_KEY_FALLBACKS=[]):
        return new_consent_id()


def _legacy_proof(choice: dict[str, Any], consent_id: str = LEGACY_ID) -> None:
    ConsentRecord.objects.create(
        consent_id=consent_id,
        recorded_at=clock.now(),
        action=choice["action"],
        decisions=choice["decisions"],
        policy_version=choice["version"],
        config_hash=choice["config_hash"],
        lang=choice["lang"],
    )


@pytest.mark.parametrize(
    "forged",
    [
        lambda: "-" * 22,
        lambda: "-" * 32,
        lambda: secrets.token_urlsafe(16),  # 22 characters, the shape of the legacy ids
        lambda: secrets.token_urlsafe(24),  # 32 characters, the shape of the signed ids
        lambda: _altered(new_consent_id(), 5),  # in the random part
        lambda: _altered(new_consent_id(), 30),  # in the MAC
        _under_unknown_key,
    ],
    ids=[
        "dashes (22)",
        "dashes (32)",
        "random 22",
        "random 32",
        "one character changed (random part)",
        "one character changed (MAC)",
        "signed under an unknown key",
    ],
)
def test_an_id_gardien_did_not_issue_is_refused_and_nothing_is_written(choice, post_choice, forged):
    consent_id = forged()
    response = post_choice(choice(consent_id=consent_id))
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["error"] == "invalid_consent_id"
    assert "null" in answer["message"]
    assert not ConsentRecord.objects.exists()


def test_a_signed_id_is_continued(choice, post_choice):
    first = post_choice(choice())
    assert first.status_code == 201, first.content
    consent_id = first.json()["consent_id"]
    assert len(consent_id) == 32 and signed_consent_id(consent_id)
    again = post_choice(choice(consent_id=consent_id, action="accept_all", decisions=_all(True)))
    assert again.status_code == 201, again.content
    assert again.json()["consent_id"] == consent_id
    assert ConsentRecord.objects.filter(consent_id=consent_id).count() == 2


def test_a_legacy_id_in_the_ledger_is_continued(choice, post_choice):
    _legacy_proof(choice())
    response = post_choice(choice(consent_id=LEGACY_ID))
    assert response.status_code == 201, response.content
    assert response.json()["consent_id"] == LEGACY_ID
    assert ConsentRecord.objects.filter(consent_id=LEGACY_ID).count() == 2


def test_an_id_signed_under_an_earlier_secret_key_is_still_continued(choice, post_choice):
    with override_settings(SECRET_KEY="the key before the change " * 3):
        earlier = new_consent_id()
    with override_settings(
        SECRET_KEY="the key after the change " * 3,
        SECRET_KEY_FALLBACKS=["the key before the change " * 3],
    ):
        response = post_choice(choice(consent_id=earlier))
        assert response.status_code == 201, response.content
        # New ids are signed under the new key, which alone is enough to check them.
        fresh = post_choice(choice()).json()["consent_id"]
    with override_settings(SECRET_KEY="the key after the change " * 3, SECRET_KEY_FALLBACKS=[]):
        assert signed_consent_id(fresh)
        assert not signed_consent_id(earlier)


def test_the_refusal_says_what_to_do_in_english(choice, post_choice):
    with translation.override("en"):
        answer = post_choice(choice(consent_id="-" * 22)).json()
    assert answer["message"] == (
        '"consent_id" is not an id Gardien issued (or it was altered); send the choice '
        "again with null to start a new consent id."
    )


def test_rights_and_the_show_command_still_take_legacy_and_signed_ids(choice, db):
    signed = new_consent_id()
    for consent_id in (LEGACY_ID, signed):
        _legacy_proof(choice(), consent_id)
        assert record_withdrawal(consent_id) is not None
        assert forget(consent_id) == 2
    assert issued_consent_id(signed)
    assert not issued_consent_id(LEGACY_ID)  # forgotten: no longer in the ledger


def _all(granted: bool) -> dict[str, bool]:
    return {"audience": granted, "brevo_tracking": granted}


# --------------------------------------------------------------------------- the choice cookie


def _cookie(consent_id: str | None, current: dict[str, Any]) -> str:
    return quote(
        json.dumps(
            {
                "id": consent_id,
                "d": int(clock.now().timestamp()) - 60,
                "v": current["version"],
                "h": current["purposes_hash"][:12],
                "p": {"audience": 0, "brevo_tracking": 1},
            }
        )
    )


@pytest.fixture
def current(published: Any) -> dict[str, Any]:
    return Client().get("/consent/config/en.json").json()


def test_a_cookie_with_an_id_gardien_did_not_issue_keeps_its_choice_but_no_id(current):
    forged = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode()
    read = read_choice_cookie(_cookie(forged, current))
    assert read is not None and read["id"] is None
    assert read["p"] == {"audience": 0, "brevo_tracking": 1}
    signed = new_consent_id()
    assert read_choice_cookie(_cookie(signed, current))["id"] == signed  # type: ignore[index]


def test_the_page_starts_a_new_id_over_a_cookie_it_did_not_issue(current):
    forged = "A" + "-" * 31
    client = Client()
    client.cookies["eu-consent"] = _cookie(forged, current)
    page = client.get("/en/consent/")
    assert "Your current choice was made" in page.text  # the visitor's own choice, shown
    form = {
        "action": "accept_all",
        "version": current["version"],
        "lang": "en",
        "config_hash": current["hash"],
    }
    saved = client.post("/en/consent/", form)
    assert saved.status_code == 200
    proof = ConsentRecord.objects.get()
    assert proof.consent_id != forged and signed_consent_id(proof.consent_id)
    assert proof.consent_id in saved.cookies["eu-consent"].value
    # The next choice continues the id the page issued.
    client.post("/en/consent/", {**form, "action": "refuse_all"})
    assert ConsentRecord.objects.filter(consent_id=proof.consent_id).count() == 2
