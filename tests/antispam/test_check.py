"""antispam.check and antispam.accepted: the two calls a public form makes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from gardien import antispam
from gardien.antispam.models import CountedSubmission, UsedChallenge
from gardien.lib import clock
from tests.antispam.conftest import START, decode, encode

FORM = {"email": "ada@example.org", "message": "Bonjour"}


def submit(form_post, solved, scope="contact", **fields):
    data = {**FORM, "altcha": solved(), **fields}
    request = form_post(data)
    return request, antispam.check(request, request.POST, scope)


def test_a_good_submission_passes_and_counts_once_accepted(db, form_post, solved):
    with clock.frozen(START):
        request, refusal = submit(form_post, solved)
        assert refusal is None
        assert CountedSubmission.objects.count() == 0
        antispam.accepted(request, "contact")
    assert CountedSubmission.objects.count() == 1


def test_the_sixth_accepted_submission_waits(db, form_post, solved):
    with clock.frozen(START):
        for _ in range(5):
            request, refusal = submit(form_post, solved)
            assert refusal is None
            antispam.accepted(request, "contact")
    with clock.frozen(START + dt.timedelta(seconds=30)), translation.override("en"):
        _request, refusal = submit(form_post, solved)
    assert refusal == antispam.Refusal(
        status=429,
        code="rate_limited",
        message="This form has been sent several times from your connection in a short "
        "while; wait 10 minutes and send it again.",
        retry_after=570,
    )


def test_refused_and_invalid_submissions_do_not_count(db, form_post, solved):
    with clock.frozen(START):
        for _ in range(10):
            _request, refusal = submit(form_post, solved, altcha="")
            assert refusal is not None and refusal.code == "challenge_missing"
        for _ in range(10):  # passed the checks, then the form was invalid: no accepted()
            assert submit(form_post, solved)[1] is None
        assert submit(form_post, solved)[1] is None
    assert CountedSubmission.objects.count() == 0


def test_a_filled_honeypot_is_answered_as_a_success(db, form_post, solved):
    with clock.frozen(START):
        _request, refusal = submit(form_post, solved, website_url="https://spam.example")
    assert refusal is not None
    assert refusal.honeypot is True
    assert refusal.code == "honeypot"
    # Nothing was redeemed or counted: the robot learns nothing and costs nothing.
    assert UsedChallenge.objects.count() == 0
    assert CountedSubmission.objects.count() == 0


def test_the_honeypot_is_checked_before_the_limit(db, form_post, solved):
    with clock.frozen(START):
        for _ in range(5):
            antispam.accepted(form_post(), "contact")
        _request, refusal = submit(form_post, solved, website_url="x")
    assert refusal is not None and refusal.honeypot


def test_the_limit_is_checked_before_the_challenge(db, form_post, solved):
    with clock.frozen(START):
        for _ in range(5):
            antispam.accepted(form_post(), "contact")
        _request, refusal = submit(form_post, solved)
    assert refusal is not None and refusal.status == 429
    # The solution was not spent on a refused submission.
    assert UsedChallenge.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "The form arrived without its anti-spam check, which needs JavaScript; turn "
            "JavaScript on, reload the page and send the form again.",
        ),
        (
            "fr",
            "Le formulaire est arrivé sans sa vérification anti-spam, qui a besoin de "
            "JavaScript ; activez JavaScript, rechargez la page et envoyez à nouveau le "
            "formulaire.",
        ),
    ],
)
def test_a_missing_solution_is_refused_in_the_visitors_language(
    db, form_post, solved, language, message
):
    with translation.override(language):
        _request, refusal = submit(form_post, solved, altcha="")
    assert refusal == antispam.Refusal(status=400, code="challenge_missing", message=message)


def test_a_replayed_solution_is_refused(db, form_post):
    from gardien.antispam import challenge
    from tests.antispam.conftest import solve

    with clock.frozen(START):
        payload = solve(challenge.issue())
        first = form_post({**FORM, "altcha": payload})
        assert antispam.check(first, first.POST, "contact") is None
        antispam.accepted(first, "contact")
        with translation.override("fr"):
            again = form_post({**FORM, "altcha": payload})
            refusal = antispam.check(again, again.POST, "contact")
    assert refusal is not None
    assert (refusal.status, refusal.code) == (403, "challenge_used")
    assert refusal.message == (
        "Ce formulaire a déjà été envoyé avec cette vérification anti-spam ; rechargez la "
        "page pour l'envoyer à nouveau."
    )


def test_an_expired_or_tampered_solution_is_refused(db, form_post, solved):
    with clock.frozen(START):
        payload = solved()
    with clock.frozen(START + dt.timedelta(minutes=11)), translation.override("en"):
        late = form_post({**FORM, "altcha": payload})
        refusal = antispam.check(late, late.POST, "contact")
        assert refusal is not None
        assert (refusal.status, refusal.code) == (403, "challenge_expired")
        assert refusal.message.endswith("reload the page and send the form again.")
        forged = form_post({**FORM, "altcha": encode({**decode(solved()), "number": 5000})})
        refusal = antispam.check(forged, forged.POST, "contact")
        assert refusal is not None
        assert (refusal.status, refusal.code) == (403, "challenge_invalid")


def test_switched_off_no_solution_is_needed(db, settings, form_post):
    settings.GARDIEN_ALTCHA = False
    request = form_post(FORM)
    assert antispam.check(request, request.POST, "contact") is None
    # The honeypot and the limit still apply.
    trap = form_post({**FORM, "website_url": "x"})
    refusal = antispam.check(trap, trap.POST, "contact")
    assert refusal is not None and refusal.honeypot


def test_a_plain_mapping_works_too(db, form_post, solved):
    with clock.frozen(START):
        assert antispam.check(form_post(), {**FORM, "altcha": solved()}, "newsletter") is None


def test_the_refusal_says_minutes_in_french(db, form_post, solved, settings):
    settings.GARDIEN_RATE_LIMIT = "1/60"
    with clock.frozen(START):
        antispam.accepted(form_post(), "contact")
    with clock.frozen(START + dt.timedelta(seconds=5)), translation.override("fr"):
        _request, refusal = submit(form_post, solved)
    assert refusal is not None and refusal.retry_after == 55
    assert refusal.message == (
        "Ce formulaire a été envoyé plusieurs fois depuis votre connexion en peu de temps ; "
        "attendez 1 minute et envoyez-le à nouveau."
    )
