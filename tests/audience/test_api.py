"""POST /api/audience as gunicorn serves it (``gardien.wsgi.application``, its lean path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from gardien.audience.models import PageView
from gardien.policy.services import publish
from tests.audience.conftest import ORIGIN, VISITOR, view_body
from tests.wsgi_client import Served

Post = Callable[..., Served]
AUDIENCE = '[audience]\npurpose = "audience"\nunique_visitors = true\n'


@pytest.fixture
def with_audience(edited_manifest: Callable[..., Any], coopo_sites: Any) -> Callable[..., None]:
    """Publish Coopo with its [audience] section changed (or removed, with None)."""

    def publish_with(section: str | None) -> None:
        publish(edited_manifest((AUDIENCE, section or "")), note="audience changed")

    return publish_with


def test_a_page_view_is_stored_reduced_to_what_the_statistics_need(published, post_view):
    response = post_view(view_body(url=f"{ORIGIN}/adhesion?utm_source=x&email=a@b.c#top"))

    assert response.status_code == 204, response
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Set-Cookie" not in response
    row = PageView.objects.get()
    assert (row.site, row.path, row.referrer, row.entry) == (
        "www.coopo.fr",
        "/adhesion",
        "duckduckgo.com",
        True,
    )
    assert (row.screen, row.lang, row.visitor) == ("desktop", "fr", "")


def test_only_the_query_parameters_the_manifest_names_are_kept(with_audience, post_view):
    with_audience(AUDIENCE + 'query_parameters = ["page", "q"]\n')

    post_view(view_body(url=f"{ORIGIN}/actus?utm_medium=mail&page=2&fbclid=abc&q=caf%C3%A9"))

    assert PageView.objects.get().path == "/actus?page=2&q=caf%C3%A9"


def test_a_page_from_the_site_itself_is_not_the_start_of_a_visit(published, post_view):
    post_view(view_body(url=f"{ORIGIN}/", referrer=""))  # typed or bookmarked: a visit
    post_view(view_body(url=f"{ORIGIN}/a", referrer=f"{ORIGIN}/"))
    post_view(view_body(url=f"{ORIGIN}/b", referrer="https://coopo.fr/x?y=1"))  # its other origin

    rows = PageView.objects.order_by("path").values_list("path", "referrer", "entry")
    assert list(rows) == [("/", "", True), ("/a", "", False), ("/b", "", False)]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://coopo.fr.evil.example", "null", None]
)
def test_an_origin_not_declared_is_refused(published, post_view, origin):
    response = post_view(view_body(url=f"{origin}/page"), origin=origin)

    assert response.status_code == 403, response
    assert response.json()["message"].endswith(".")  # a sentence saying what to do
    assert not PageView.objects.exists()


def test_a_page_of_another_site_than_the_caller_is_refused(published, post_view):
    # Both are the site's origins, but the page does not belong to the origin that sent it.
    response = post_view(view_body(url="https://coopo.fr/adhesion"), origin=ORIGIN)

    assert response.status_code == 403
    assert not PageView.objects.exists()


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (Linux) Chrome-Lighthouse",
        "curl/8.5.0",
        "Wget/1.21",
        "python-requests/2.32",
        "",
        None,
    ],
)
def test_robots_are_dropped_without_being_told(published, post_view, agent):
    response = post_view(agent=agent)

    assert response.status_code == 204
    assert not PageView.objects.exists()


def test_a_page_view_repeated_within_seconds_is_counted_once(published, post_view):
    for _ in range(3):
        assert post_view().status_code == 204
    post_view(view_body(url=f"{ORIGIN}/autre"))  # another page: counted
    post_view(address="198.51.100.1")  # another address: counted

    assert PageView.objects.count() == 3


@override_settings(GARDIEN_AUDIENCE_REPEAT_SECONDS=0)
def test_without_a_window_every_view_counts(published, post_view):
    post_view()
    post_view()

    assert PageView.objects.count() == 2


@override_settings(GARDIEN_AUDIENCE_RATE_LIMIT="3/60")
def test_a_flood_from_one_address_is_throttled_while_another_is_served(published, post_view):
    answers = [post_view(view_body(url=f"{ORIGIN}/p{n}")).status_code for n in range(4)]
    assert answers == [204, 204, 204, 429]

    refused = post_view(view_body(url=f"{ORIGIN}/p9"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Retry-After" in refused["Access-Control-Expose-Headers"]
    assert post_view(view_body(url=f"{ORIGIN}/p9"), address="198.51.100.1").status_code == 204
    assert PageView.objects.count() == 4


def test_no_page_view_is_accepted_without_audience_measurement(with_audience, post_view):
    with_audience(None)

    response = post_view()

    assert response.status_code == 404
    assert response.json()["error"] == "audience_off"
    assert "[audience]" in response.json()["message"]
    assert not PageView.objects.exists()


def test_no_page_view_is_accepted_before_a_policy_is_published(db, post_view):
    response = post_view(origin="http://127.0.0.1:8000")

    assert response.status_code == 404
    assert response.json()["error"] == "audience_off"


def test_the_identifier_is_kept_when_the_manifest_counts_unique_visitors(published, post_view):
    post_view(view_body(visitor=VISITOR))

    assert PageView.objects.get().visitor == VISITOR


def test_the_identifier_is_dropped_without_unique_visitors(with_audience, post_view):
    with_audience(AUDIENCE.replace("true", "false"))

    response = post_view(view_body(visitor=VISITOR))

    assert response.status_code == 204  # the view counts; the identifier never does
    assert PageView.objects.get().visitor == ""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (view_body(extra=1), "invalid_body"),
        ({k: v for k, v in view_body().items() if k != "visitor"}, "invalid_body"),
        ([], "invalid_body"),
        (view_body(screen="watch"), "invalid_screen"),
        (view_body(lang="FR"), "invalid_lang"),
        (view_body(lang="fra"), "invalid_lang"),
        (view_body(visitor="short"), "invalid_visitor"),
        (view_body(visitor=12), "invalid_visitor"),
        (view_body(url=f"{ORIGIN}/a\x00b"), "invalid_url"),
        (view_body(url="javascript:alert(1)"), "invalid_url"),
        (view_body(url=f"{ORIGIN}/" + "a" * 600), "invalid_url"),
        (view_body(url=f"{ORIGIN}/\ud800"), "invalid_url"),
        (view_body(referrer=None), "invalid_referrer"),
    ],
)
def test_a_body_outside_the_contract_is_refused(published, post_view, body, code):
    response = post_view(body)

    assert response.status_code == 400, response
    assert response.json()["error"] == code
    assert not PageView.objects.exists()


def test_bodies_that_are_not_a_page_view_get_their_own_answers(published, post_view):
    assert post_view(b"{not json").status_code == 400
    assert post_view(b"x" * 1025).status_code == 413
    assert post_view(content_type="text/plain").status_code == 415
    response = post_view(REQUEST_METHOD="GET")
    assert response.status_code == 405
    assert "POST" in response["Allow"]


def test_the_preflight_of_a_declared_origin_is_answered(published, post_view):
    response = post_view(REQUEST_METHOD="OPTIONS")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
