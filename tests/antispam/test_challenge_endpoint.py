"""GET /api/challenge: a fresh challenge each time, never cached, readable by the allowed sites."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from gardien.antispam import challenge
from gardien.lib import clock
from tests.antispam.conftest import START, solve


def test_it_answers_a_challenge_the_browser_can_solve(db):
    with clock.frozen(START):
        response = Client().get("/api/challenge")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert body["maxnumber"] == 1000
    with clock.frozen(START + dt.timedelta(seconds=30)):
        assert challenge.redeem(solve(body)) is None


def test_each_answer_is_a_new_challenge(db):
    client = Client()
    first, second = client.get("/api/challenge").json(), client.get("/api/challenge").json()
    assert first["challenge"] != second["challenge"]
    assert first["salt"] != second["salt"]


def test_the_published_sites_may_read_it(published):
    response = Client().get("/api/challenge", HTTP_ORIGIN="https://www.coopo.fr")
    assert response["Access-Control-Allow-Origin"] == "https://www.coopo.fr"
    assert "Origin" in response["Vary"]


def test_other_sites_get_no_cors_header(published):
    response = Client().get("/api/challenge", HTTP_ORIGIN="https://spam.example")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_it_answers_get_only(db):
    assert Client().post("/api/challenge").status_code == 405


def test_switched_off_it_says_so(db, settings):
    settings.GARDIEN_ALTCHA = False
    response = Client().get("/api/challenge")
    assert response.status_code == 404
    assert response.json()["error"] == "switched_off"
    assert "GARDIEN_ALTCHA" in response.json()["message"]
