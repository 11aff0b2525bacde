"""The audience statistics in the back office: every role reads them, nobody else; the
numbers of known page views and daily rows; the chart drawn on the server; the CSV export;
the period checked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from gardien.audience import rollup
from gardien.audience.models import DailyStat, Dimension, PageView
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from tests.backoffice.helpers import LOGIN, Account, new_client, verified_client

PAGE = "/admin/audience/"
EXPORT = "/admin/audience/export.csv"
PARIS = ZoneInfo("Europe/Paris")
NOW = "2026-11-26T12:00:00Z"
TODAY = dt.date(2026, 11, 26)
YESTERDAY = dt.date(2026, 11, 25)
OLDER = dt.date(2026, 11, 20)


@pytest.fixture
def make_account(db, settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(username: str, role: str) -> Account:
        return Account(*accounts.create_account(username, BY_SLUG[role]))

    return make


@pytest.fixture(autouse=True)
def frozen_now(settings):  # type: ignore[no-untyped-def]
    settings.GARDIEN_NOW = NOW


@pytest.fixture
def viewer(make_account):  # type: ignore[no-untyped-def]
    return verified_client(make_account("viewer-a", "viewer"))


def view(day: dt.date, path: str, **fields) -> PageView:  # type: ignore[no-untyped-def]
    values = {"referrer": "", "screen": "desktop", "lang": "fr", "entry": True, "visitor": ""}
    values.update(fields)
    return PageView.objects.create(
        viewed_at=dt.datetime.combine(day, dt.time(12), tzinfo=PARIS),
        site="www.coopo.example",
        path=path,
        **values,
    )


@pytest.fixture
def traffic(db):  # type: ignore[no-untyped-def]
    """Today live: 3 views (2 visits); yesterday drawn up: 2 views, 1 visit; and an older
    day known only by its daily rows (its page views purged)."""
    view(TODAY, "/", referrer="duckduckgo.com")
    view(TODAY, "/adhesion", entry=False, screen="mobile")
    view(TODAY, "/", lang="en")
    view(YESTERDAY, "/=cmd", referrer="lettre.example")
    view(YESTERDAY, "/adhesion", entry=False)
    rollup.draw_up(YESTERDAY)
    for dimension, key, views, visits in (
        (Dimension.TOTAL, "", 4, 4),
        (Dimension.PAGE, "/contact", 4, 4),
        (Dimension.SCREEN, "tablet", 4, 4),
        (Dimension.LANG, "fr", 4, 4),
    ):
        DailyStat.objects.create(
            day=OLDER, dimension=dimension, key=key, views=views, visits=visits, visitors=0
        )


@pytest.mark.parametrize("role", ["viewer", "staff", "dpo"])
def test_every_role_reads_the_statistics(make_account, traffic, role):
    client = verified_client(make_account(f"{role}-b", role))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'id="audience-views">9<' in response.text
    home = client.get("/admin/").text
    assert "/admin/audience/" in home
    assert "Last 7 days: 9 page views, 7 visits." in home


def test_anyone_without_a_role_is_sent_to_the_login(db):
    client = new_client()
    for url in (PAGE, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_the_numbers_of_the_period(viewer, traffic):
    response = viewer.get(PAGE, {"from": "2026-11-20", "to": "2026-11-26"})
    assert response.status_code == 200
    assert 'id="audience-views">9<' in response.text
    assert 'id="audience-visits">7<' in response.text
    text = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())
    assert "/contact 4 4" in text
    assert "/ 2 2" in text
    assert "/adhesion 2 0" in text
    assert "duckduckgo.com 1 1" in text
    assert "lettre.example 1 1" in text
    assert "tablet 4 4" in text
    assert "2026-11-25 2 1" in text


def test_a_period_without_the_older_day(viewer, traffic):
    response = viewer.get(PAGE, {"from": "2026-11-25", "to": "2026-11-26"})
    assert 'id="audience-views">5<' in response.text
    assert "/contact" not in response.text


def test_the_chart_is_drawn_on_the_server_and_loads_nothing(viewer, traffic):
    response = viewer.get(PAGE)
    page = response.text
    assert page.count("<svg") >= 1 and 'class="audience-chart"' in page
    svg = page[page.index('class="audience-chart"') :]
    svg = svg[: svg.index("</svg>")]
    assert "2026-11-26: " in svg
    assert "<script" not in svg and "href=" not in svg
    own = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert all(not url.startswith(("http:", "https:", "//")) for url in own), own


def test_the_export_is_a_french_spreadsheet(viewer, traffic):
    response = viewer.get(EXPORT, {"from": "2026-11-20", "to": "2026-11-26"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="audience-2026-11-20_2026-11-26.csv"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["list", "value", "page_views", "visits", "visitors"]
    days = [r for r in rows[1:] if r[0] == "day"]
    assert len(days) == 7
    assert ["day", "2026-11-20", "4", "4", "0"] in days
    assert ["day", "2026-11-26", "3", "2", "0"] in days
    assert ["page", "/contact", "4", "4", "0"] in rows
    assert ["page", "'/=cmd", "1", "1", "0"] not in rows  # "/" first: not a formula
    assert ["page", "/=cmd", "1", "1", "0"] in rows
    assert ["referrer", "duckduckgo.com", "1", "1", "0"] in rows
    assert ["lang", "en", "1", "1", "0"] in rows


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"from": "26/11/2026"},
            "The start date “26/11/2026” is not a date; write it as 2026-03-01.",
        ),
        ({"to": "tomorrow"}, "The end date “tomorrow” is not a date"),
        (
            {"from": "2026-11-26", "to": "2026-11-01"},
            "The period starts on 2026-11-26, after its end on 2026-11-01; swap the dates.",
        ),
        ({"from": "2020-01-01", "to": "2026-11-26"}, "A period covers 762 days at most"),
    ],
)
def test_a_period_that_cannot_be_shown_says_why(viewer, traffic, query, message):
    for url in (PAGE, EXPORT):
        response = viewer.get(url, query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert message in response.text.replace("&#x27;", "'"), url
        assert 'id="audience-views">3<' not in response.text  # the last 30 days instead
        assert 'id="audience-views">9<' in response.text


def test_the_empty_state_says_what_to_do(viewer, published):
    with translation.override("en"):
        response = viewer.get(PAGE)
    assert response.status_code == 200
    assert "add the banner tag to your site's pages" in response.text
    assert "Audience measurement is off" not in response.text


def test_without_audience_section_the_page_says_how_to_turn_it_on(viewer):
    response = viewer.get(PAGE)
    assert "Audience measurement is off" in response.text
