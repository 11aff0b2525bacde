"""The retention purge in the back office: receipts (runs, their chart, a run's receipts), the
forecast, the dashboard's block; read only; the DPO reads them, the other roles see the
dashboard's counts only."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.consent.models import ConsentRecord
from gardien.lib import clock
from gardien.retention import engine
from gardien.retention.models import PurgeReceipt, PurgeRun
from tests.backoffice.helpers import (
    LOGIN,
    PASSWORD,
    Account,
    new_client,
    otp_session_client,
    verified_client,
)

RUNS = "/admin/retention/purgerun/"
FORECAST = "/admin/retention/purgerun/forecast/"
NOW = "2026-11-26T12:00:00Z"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings: Any) -> None:
    # Argon2 costs half a second a hash; these tests are about who sees what.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GARDIEN_NOW = NOW


@pytest.fixture
def now() -> dt.datetime:
    return clock.parse_instant(NOW)


def client_of(persona: str) -> Client:
    if persona == "anonymous":
        return new_client()
    if persona == "outsider":  # staff with two factors but no role
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user("outsider-r", password=PASSWORD, is_staff=True)
        return otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user)))
    user, password, two_factor = accounts.create_account(f"{persona}-r", BY_SLUG[persona])
    return verified_client(Account(user, password, two_factor))


@pytest.fixture
def dpo() -> Client:
    return client_of("dpo")


def proof(when: dt.datetime) -> ConsentRecord:
    record = ConsentRecord(
        consent_id=secrets.token_urlsafe(16),
        recorded_at=when,
        action="custom",
        decisions={"audience": True, "brevo_tracking": False},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
        gpc=False,
    )
    record.save()
    return record


@pytest.fixture
def purged(published: Any, now: dt.datetime) -> PurgeRun:
    """Three proofs of consent past their 25 months, one not yet; the purge run at ``now``."""
    for days in (800, 900, 1000, 400):
        proof(now - dt.timedelta(days=days))
    report = engine.run(now)
    assert report.run is not None
    return report.run


def receipt_of(run: PurgeRun, label: str) -> PurgeReceipt:
    return run.receipts.get(category=label)


def chart_of(html: str) -> str:
    found = re.search(r'<svg[^>]*class="retention-chart".*?</svg>', html, re.S)
    assert found, "no chart"
    return found.group(0)


# --- who opens what ---------------------------------------------------------------------

PERSONAS = ("dpo", "staff", "viewer", "outsider", "anonymous")
EXPECTED = {"dpo": 200, "staff": 403, "viewer": 403, "outsider": "login", "anonymous": "login"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_receipts_and_the_forecast(persona, purged):
    client = client_of(persona)
    for page in (RUNS, f"{RUNS}{purged.pk}/change/", FORECAST):
        response = client.get(page)
        expected = EXPECTED[persona]
        if expected == "login":
            assert response.status_code == 302, page
            assert response["Location"].startswith(LOGIN + "?next="), page
        else:
            assert response.status_code == expected, page


@pytest.mark.parametrize("persona", ["dpo", "staff", "viewer"])
def test_every_role_sees_the_last_run_on_the_dashboard_and_only_the_dpo_the_links(persona, purged):
    home = client_of(persona).get("/admin/")
    assert home.status_code == 200
    block = re.search(r'<div class="module" id="retention-summary">.*?</div>', home.text, re.S)
    assert block, "no retention block"
    assert "Last run" in block.group(0)
    assert f"<td>{purged.removed}</td>" in block.group(0)
    assert "has never run" not in block.group(0) and "has not run" not in block.group(0)
    assert (RUNS in block.group(0)) == (persona == "dpo")
    assert (FORECAST in block.group(0)) == (persona == "dpo")


# --- the receipts -----------------------------------------------------------------------


def test_the_runs_are_listed_newest_first(dpo, purged, now):
    later = engine.run(now + dt.timedelta(days=1), trigger=PurgeRun.Trigger.WORKER).run
    assert later is not None
    listing = dpo.get(RUNS)
    assert listing.status_code == 200
    rows = re.findall(r'href="/admin/retention/purgerun/([0-9a-f-]{36})/change/', listing.text)
    assert rows[:2] == [str(later.pk), str(purged.pk)]
    assert "daily job of the worker" in listing.text and "gardien purge" in listing.text
    assert FORECAST in listing.text


def test_a_run_shows_its_receipts_in_words(dpo, purged):
    assert purged.removed >= 3
    consent = receipt_of(purged, "consent.consentrecord")
    assert consent.count == 3
    page = dpo.get(f"{RUNS}{purged.pk}/change/")
    assert page.status_code == 200
    table = re.search(r'id="retention-receipts">.*?</table>', page.text, re.S)
    assert table, "no receipts table"
    # Two models are "proofs of consent" (the banner's and the newsletter's): where the
    # rule is written tells them apart.
    rows = re.findall(
        r'<tr>\s*<th scope="row">Proofs of consent</th>(.*?)</tr>', table.group(0), re.S
    )
    cells = next(
        cells
        for row in rows
        if "<code>consent</code>" in (cells := re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))[0]
    )
    assert cells[0].startswith("Managing your cookie choices")  # the activity, in words
    assert cells[1] == "25 months after given"
    assert cells[2] == "deleted"
    assert cells[3:5] == ["3", "0"]
    assert cells[5].endswith(" ms") or cells[5].endswith(" s")
    assert "Gardien itself" in table.group(0)  # the technical lifetimes
    assert "consent.consentrecord" not in table.group(0)  # the label, in words
    assert purged.receipts.count() == table.group(0).count("<tr>") - 2  # head and foot
    # Read only: no save button, no form field.
    assert 'name="_save"' not in page.text and "<input" not in table.group(0)


def test_the_receipts_page_reads_in_french(dpo, purged):
    page = dpo.get(f"{RUNS}{purged.pk}/change/", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Preuves de consentement" in page.text or "Proofs of consent" in page.text


def test_the_chart_is_drawn_on_the_page_with_a_text_alternative(dpo, purged):
    listing = dpo.get(RUNS)
    chart = chart_of(listing.text)
    assert 'role="img"' in chart and "<title>" in chart
    assert chart.count("<rect") == 1
    assert f"{purged.removed} rows removed" in chart
    # Nothing from another origin, no script: only the SVG namespace names a URL.
    assert re.findall(r"https?://[^\"' <]+", chart) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in chart and "href" not in chart
    assert not re.search(r'(src|href)="(https?:)?//', listing.text)
    assert "style=" not in chart  # the CSP allows no inline style
    alternative = re.search(r"<details>.*?</details>", listing.text, re.S)
    assert alternative and f"<td>{purged.removed}</td>" in alternative.group(0)


def _stored_runs(now: dt.datetime, removed: list[int]) -> None:
    for i, count in enumerate(removed):
        PurgeRun.objects.create(
            started_at=now - dt.timedelta(days=len(removed) - i),
            finished_at=now - dt.timedelta(days=len(removed) - i) + dt.timedelta(seconds=3),
            trigger=PurgeRun.Trigger.WORKER,
            policy_version=1,
            removed=count,
            interrupted=(i == 3),
        )


def test_the_chart_shows_the_last_90_runs_and_nothing_is_cut_at_the_edges(dpo, published, now):
    removed = [i * 1000 for i in range(95)]
    removed[-1] = 123_456_789  # the widest label on the left
    _stored_runs(now, removed)
    chart = chart_of(dpo.get(RUNS).text)
    width, height = (
        int(v)
        for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', chart).groups()  # type: ignore[union-attr]
    )
    bars = [
        tuple(float(v) for v in m)
        for m in re.findall(
            r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', chart
        )
    ]
    assert len(bars) == 90
    for x, y, w, h in bars:
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
    assert ">123456789<" in chart
    for x_raw, anchor, text in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"[^>]*>([^<]+)</text>', chart
    ):
        x, half = float(x_raw), len(text) * 11 * 0.6 / 2
        if anchor == "end":
            assert x - 2 * half >= 0, text
        else:
            assert x - half >= 0 and x + half <= width, text
    # The oldest 5 runs are not drawn; the newest is.
    assert ": 123456789 rows removed" in chart and ": 5000 rows removed" in chart
    assert ": 0 rows removed" not in chart and ": 4000 rows removed" not in chart


def test_no_run_yet_says_so(dpo, published):
    listing = dpo.get(RUNS)
    assert listing.status_code == 200
    assert 'class="retention-chart"' not in listing.text
    assert "has not run yet" in listing.text


# --- the forecast -----------------------------------------------------------------------


def _numbers(html: str, label: str) -> list[int]:
    row = re.search(rf'<tr id="forecast-{re.escape(label)}">(.*?)</tr>', html, re.S)
    assert row, f"no forecast line for {label}"
    return [int(n) for n in re.findall(r'<td class="number">(\d+)</td>', row.group(1))]


def test_the_forecast_shows_what_engine_forecast_counts(dpo, published, now):
    for days in (800, 900, 740, 700, 400):  # 2 due now, 1 within 30 days, 1 within 90
        proof(now - dt.timedelta(days=days))
    page = dpo.get(FORECAST)
    assert page.status_code == 200
    expected = engine.forecast(now, days=(30, 90))
    assert expected
    for row in expected:
        numbers = _numbers(page.text, row.category.key)
        assert numbers == [row.due_now, row.held_now, row.ahead[30], row.ahead[90]]
    consent = next(r for r in expected if r.category.key == "consent.consentrecord")
    assert (consent.due_now, consent.ahead[30], consent.ahead[90]) == (2, 3, 4)
    assert "runs every day in the worker" in page.text
    assert "a later contact" in page.text
    assert "Proofs of consent" in page.text and "25 months after the choice is made" in page.text
    assert ConsentRecord.objects.count() == 5  # nothing changed
    assert RUNS in page.text


def test_the_forecast_without_a_policy_says_what_to_do(dpo):
    page = dpo.get(FORECAST)
    assert page.status_code == 200
    assert 'class="errornote"' in page.text and "gardien policy publish" in page.text


# --- the dashboard ----------------------------------------------------------------------


def _block(client: Client) -> str:
    home = client.get("/admin/")
    assert home.status_code == 200
    found = re.search(r'<div class="module" id="retention-summary">.*?\n</div>', home.text, re.S)
    assert found, "no retention block"
    return found.group(0)


def test_the_dashboard_warns_when_the_purge_never_ran(dpo, published):
    block = _block(dpo)
    assert "The purge has never run" in block and 'role="alert"' in block
    assert RUNS in block and FORECAST in block


def test_the_dashboard_warns_when_the_last_run_is_old(dpo, published, now):
    engine.run(now - dt.timedelta(days=3))
    block = _block(dpo)
    assert "has not run for more than 2 days" in block
    assert "Last run" in block


def test_the_dashboard_shows_the_last_run(dpo, purged):
    block = _block(dpo)
    assert "never run" not in block and "has not run" not in block
    assert timezone.localtime(purged.started_at).strftime("%Y-%m-%d %H:%M") in block
    assert f"<td>{purged.removed}</td>" in block and f"<td>{purged.held}</td>" in block


def test_without_a_policy_the_dashboard_does_not_warn(dpo):
    block = _block(dpo)
    assert "No policy is published yet" in block and 'role="alert"' not in block


# --- read only --------------------------------------------------------------------------


def test_nobody_adds_changes_or_deletes_runs_or_receipts(dpo, purged):
    receipts = purged.receipts.count()
    assert dpo.get(f"{RUNS}add/").status_code == 403
    assert dpo.post(f"{RUNS}add/", {"removed": "1"}).status_code == 403
    change = dpo.post(f"{RUNS}{purged.pk}/change/", {"removed": "0", "held": "9"})
    assert change.status_code == 403
    assert dpo.get(f"{RUNS}{purged.pk}/delete/").status_code == 403
    assert dpo.post(f"{RUNS}{purged.pk}/delete/", {"post": "yes"}).status_code == 403
    dpo.post(RUNS, {"action": "delete_selected", "_selected_action": [purged.pk], "post": "yes"})
    assert dpo.get("/admin/retention/purgereceipt/").status_code == 404
    fresh = PurgeRun.objects.get(pk=purged.pk)
    assert (fresh.removed, fresh.held) == (purged.removed, purged.held)
    assert PurgeReceipt.objects.filter(run=purged).count() == receipts


def test_the_admin_refuses_every_change_even_to_a_superuser(rf, admin_user):
    model_admin = admin.site.get_model_admin(PurgeRun)
    request = rf.get("/")
    request.user = admin_user
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}
    assert not admin.site.is_registered(PurgeReceipt)
