"""A choice the banner retries under the same request_id is recorded once, as gunicorn
serves the API (``gardien.wsgi.application``)."""

from __future__ import annotations

import secrets

import pytest
from django.utils import translation

from gardien.consent.models import ConsentRecord
from gardien.lib import clock


@pytest.fixture
def post_choice(served_post_choice):
    return served_post_choice


def _request_id() -> str:
    return secrets.token_urlsafe(16)


def test_the_same_request_id_twice_writes_one_proof_and_answers_the_same(choice, post_choice):
    body = choice(request_id=_request_id())
    with clock.frozen("2026-11-26T10:00:00Z"):
        first = post_choice(body)
    with clock.frozen("2026-11-26T10:00:07Z"):
        again = post_choice(body)
    assert (first.status_code, again.status_code) == (201, 200), (first, again)
    assert again.json() == first.json()
    assert first.json()["recorded_at"] == "2026-11-26T10:00:00Z"
    row = ConsentRecord.objects.get()
    assert row.consent_id == first.json()["consent_id"]
    assert row.request_id == body["request_id"]


def test_a_retry_that_names_the_id_it_was_given_is_the_same_choice(choice, post_choice):
    earlier = post_choice(choice()).json()["consent_id"]
    body = choice(consent_id=earlier, request_id=_request_id())
    assert post_choice(body).status_code == 201
    assert post_choice(body).status_code == 200
    assert ConsentRecord.objects.filter(consent_id=earlier).count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "accept_all", "decisions": {"audience": True, "brevo_tracking": True}},
        {"decisions": {"audience": False, "brevo_tracking": True}},
        {"gpc": True},
        {"lang": "en"},
    ],
    ids=["another action", "other decisions", "gpc", "another language"],
)
def test_a_request_id_reused_for_another_choice_is_refused(choice, post_choice, changes):
    request_id = _request_id()
    first = post_choice(choice(request_id=request_id))
    assert first.status_code == 201
    other = post_choice(choice(request_id=request_id, **changes))
    assert other.status_code == 422, other.content
    assert other.json()["error"] == "request_id_reused"
    assert ConsentRecord.objects.count() == 1


def test_a_request_id_reused_under_another_consent_id_is_refused(choice, post_choice):
    request_id = _request_id()
    post_choice(choice(request_id=request_id))
    someone_else = post_choice(choice()).json()["consent_id"]
    reused = post_choice(choice(consent_id=someone_else, request_id=request_id))
    assert reused.status_code == 422
    assert ConsentRecord.objects.count() == 2


def test_the_refusal_says_what_to_do_in_english(choice, post_choice):
    request_id = _request_id()
    post_choice(choice(request_id=request_id))
    with translation.override("en"):
        answer = post_choice(choice(request_id=request_id, gpc=True)).json()
    assert answer["message"] == (
        '"request_id" was already used for another choice; draw a new one for each '
        "choice and resend it unchanged only when retrying that same choice."
    )


def test_without_a_request_id_each_request_is_a_new_proof(choice, post_choice):
    body = choice()
    answers = [post_choice(body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert ConsentRecord.objects.count() == 2
    assert ConsentRecord.objects.filter(request_id__isnull=True).count() == 2


def test_a_refused_choice_does_not_take_its_request_id(choice, post_choice):
    request_id = _request_id()
    refused = post_choice(choice(request_id=request_id, consent_id="-" * 22))
    assert refused.status_code == 400
    # The banner's resend with a null id, under the same request id, is recorded.
    assert post_choice(choice(request_id=request_id)).status_code == 201
    assert ConsentRecord.objects.count() == 1
