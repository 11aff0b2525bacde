"""The contact form's anti-spam, through its endpoints: challenge, honeypot, rate limit, and
the hosted page without JavaScript."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from gardien.contact.models import ContactMessage
from gardien.lib import clock
from tests.antispam.conftest import solve

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def challenge_on(settings):
    settings.GARDIEN_ALTCHA = True
    settings.GARDIEN_ALTCHA_MAXNUMBER = 1000
    settings.GARDIEN_RATE_LIMIT = "5/600"


def _solution(client: Client) -> str:
    return solve(client.get("/api/challenge", HTTP_ORIGIN="https://www.coopo.fr").json())


def test_the_api_requires_the_challenge(challenge_on, api, valid):
    response = api(valid())
    assert response.status_code == 400
    assert response.json()["error"] == "challenge_missing"
    assert ContactMessage.objects.count() == 0


def test_a_solved_challenge_is_accepted_once(challenge_on, api, valid):
    solution = _solution(Client())
    assert api({**valid(), "altcha": solution}).status_code == 201
    replay = api({**valid(message="Encore"), "altcha": solution})
    assert replay.status_code == 403
    assert replay.json()["error"] == "challenge_used"
    assert ContactMessage.objects.count() == 1


def test_a_filled_honeypot_looks_like_success_and_keeps_nothing(api, valid):
    response = api({**valid(), "website_url": "https://spam.example"})
    assert response.status_code == 201
    assert response.json()["reference"] is None
    assert ContactMessage.objects.count() == 0


def test_the_sixth_message_in_ten_minutes_waits(settings, api, valid):
    settings.GARDIEN_RATE_LIMIT = "5/600"
    with clock.frozen(START):
        for n in range(5):
            assert api(valid(message=f"Message {n}")).status_code == 201
        limited = api(valid(message="Message 6"))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) == 600
    assert ContactMessage.objects.count() == 5
    with clock.frozen(START + dt.timedelta(minutes=11)):
        assert api(valid(message="Message 6")).status_code == 201


def test_invalid_submissions_do_not_use_up_the_limit(settings, api, valid):
    settings.GARDIEN_RATE_LIMIT = "1/600"
    with clock.frozen(START):
        for _ in range(3):
            assert api(valid(email="nope")).status_code == 400
        assert api(valid()).status_code == 201  # the first real message is never lost


def _page(client: Client, lang: str = "fr") -> tuple[str, str]:
    html = client.get(f"/{lang}/contact/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    issued = re.search(r'name="issued" value="([^"]+)"', html)[1]
    return token, issued


def test_the_hosted_page_works_without_javascript_at_human_speed(challenge_on, published, valid):
    client = Client(enforce_csrf_checks=True)
    with clock.frozen(START):
        token, issued = _page(client)
    with clock.frozen(START + dt.timedelta(seconds=20)):
        response = client.post(
            "/fr/contact/", {**valid(), "csrfmiddlewaretoken": token, "issued": issued}
        )
    assert response.status_code == 200
    message = ContactMessage.objects.get()
    assert message.reference in response.text


def test_the_hosted_page_refuses_a_robot_that_skips_the_challenge_too_fast(
    challenge_on, published, valid
):
    client = Client(enforce_csrf_checks=True)
    with clock.frozen(START):
        token, issued = _page(client)
        response = client.post(
            "/fr/contact/", {**valid(), "csrfmiddlewaretoken": token, "issued": issued}
        )
    assert response.status_code == 400
    assert "sent very quickly" in response.text or "envoyé très vite" in response.text
    assert ContactMessage.objects.count() == 0
    # What was typed is shown again: nothing is lost.
    assert "Atelier du Lac" in response.text


def test_a_forged_display_time_does_not_waive_the_challenge(challenge_on, published, valid):
    client = Client(enforce_csrf_checks=True)
    token, _issued = _page(client)
    response = client.post(
        "/fr/contact/", {**valid(), "csrfmiddlewaretoken": token, "issued": "1700000000"}
    )
    assert response.status_code == 400
    assert ContactMessage.objects.count() == 0


def test_another_site_cannot_skip_the_challenge(challenge_on, published, valid):
    with clock.frozen(START):
        _token, issued = _page(Client())
    with clock.frozen(START + dt.timedelta(seconds=20)):
        response = Client().post(
            "/fr/contact/", {**valid(), "issued": issued}, HTTP_ORIGIN="https://www.coopo.fr"
        )
    assert response.status_code == 400
    assert ContactMessage.objects.count() == 0


def test_the_hosted_page_shows_field_errors_in_place_and_keeps_the_answers(published, valid):
    client = Client(enforce_csrf_checks=True)
    token, issued = _page(client, "en")
    response = client.post(
        "/en/contact/",
        {**valid(email="not-an-address"), "csrfmiddlewaretoken": token, "issued": issued},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert "Durand" in response.text and "not-an-address" in response.text
    assert ContactMessage.objects.count() == 0
