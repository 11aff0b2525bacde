"""Gardien's audience beacon in Chromium, on the demo site: what a page view says, when none
is sent (an objection, GPC, before the banner has read the choice), and the visitor
identifier's life (docs/audience.md, "Beacon"). Against the real endpoint, which stores
what it accepts: the browser says it is an ordinary Chromium, as the endpoint drops
headless browsers as robots."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.helpers import (
    AUDIENCE_API,
    AUDIENCE_KEY,
    BEACON,
    button,
    choose,
    config,
    dialog,
    expect,
    open_settings,
    publish_copy,
    recorded,
    settle,
    switch,
    visit,
    wait_until,
)

# Chromium's own user agent, without "HeadlessChrome" (a robot to the endpoint).
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
SECTION = '[audience]\npurpose = "audience"\nunique_visitors = true'
STORED = f"() => JSON.parse(localStorage.getItem('{AUDIENCE_KEY}'))"


@pytest.fixture(autouse=True)
def _endpoint() -> Iterator[None]:
    """Each test starts with the endpoint's limits full and its recent views forgotten; its
    writer thread is stopped afterwards, with its database connection."""
    from gardien.audience import api, batch

    api.forget()
    yield
    batch.stop()


@pytest.fixture
def new_page(new_page: Callable[..., Any]) -> Callable[..., Any]:
    def make(**options: Any) -> Any:
        return new_page(user_agent=USER_AGENT, **options)

    return make


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def stored_paths() -> list[str]:
    from gardien.audience.models import PageView

    return list(PageView.objects.order_by("pk").values_list("path", flat=True))


def path(name: str, lang: str = "fr") -> str:
    return reverse(f"{name}-lang", kwargs={"lang": lang})


def is_view(request: Any) -> bool:
    return request.url.endswith(AUDIENCE_API) and request.method == "POST"


def watch(page: Any) -> list[Any]:
    """Every page view the page sends from now on."""
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if is_view(r) else None)
    return sent


def viewed(page: Any, act: Any) -> dict[str, Any]:
    """Do ``act``; the page view it sends, accepted by Gardien."""
    with page.expect_request(is_view) as info:
        act()
    request = info.value
    response = request.response()
    assert response is not None and response.status == 204, (
        request.post_data,
        response and response.status,
    )
    assert request.headers["content-type"] == "application/json"
    assert "cookie" not in request.headers, "the beacon sends no credentials"
    body: dict[str, Any] = request.post_data_json
    assert len(request.post_data.encode()) <= 1024
    return body


def test_a_page_view_gives_the_path_without_the_query_string(site, page):
    offer = path("demo-offer")
    body = viewed(page, lambda: visit(page, site, offer + "?utm_source=news&page=2"))
    assert set(body) == {"url", "referrer", "screen", "lang", "visitor"}
    assert body["url"] == site + offer
    assert body["referrer"] == ""
    assert body["screen"] == "desktop"  # Playwright's 1280 px wide window
    assert body["lang"] == "fr"  # the browser's, fr-FR
    stored = page.evaluate(STORED)
    assert body["visitor"] == stored["id"]

    # Following the menu: the next page, its referrer this site (its origin only: no page
    # address of the visitor's path leaves the browser).
    contact = path("demo-contact")
    link = page.locator(f'header nav.menu a[href="{contact}"]')
    body = viewed(page, link.click)
    assert body["url"] == site + contact
    assert body["referrer"] == site
    assert body["visitor"] == stored["id"]

    # Both counted, as one visit.
    from gardien.audience.models import PageView

    rows = list(PageView.objects.order_by("pk"))
    assert [(r.path, r.entry, r.screen, r.lang) for r in rows] == [
        (offer, True, "desktop", "fr"),
        (contact, False, "desktop", "fr"),
    ]
    assert {r.visitor for r in rows} == {stored["id"]}


def test_a_listed_query_parameter_is_kept(site, page, tmp_path):
    publish_copy(tmp_path, (SECTION, SECTION + '\nquery_parameters = ["page"]'))
    offer = path("demo-offer")
    body = viewed(page, lambda: visit(page, site, offer + "?utm_source=news&page=2&q=x"))
    assert body["url"] == site + offer + "?page=2"
    assert stored_paths() == [offer + "?page=2"]


@pytest.mark.parametrize(
    ("width", "screen"), [(390, "mobile"), (639, "mobile"), (800, "tablet"), (1024, "desktop")]
)
def test_the_screen_class_follows_the_windows_width(site, new_page, width, screen):
    page = new_page(viewport={"width": width, "height": 800}, locale="en-GB")
    body = viewed(page, lambda: visit(page, site, path("demo-offer", "en")))
    assert body["screen"] == screen
    assert body["lang"] == "en"


def test_a_single_page_site_sends_a_view_when_its_path_changes(site, page):
    sent = watch(page)
    home = path("demo-home")
    viewed(page, lambda: visit(page, site, home))
    body = viewed(page, lambda: page.evaluate("() => history.pushState({}, '', '/fr/spa/one')"))
    assert body["url"] == site + "/fr/spa/one"
    assert body["referrer"] == site  # the site itself, as a link would say
    # The same path with another query string or fragment is the same page.
    page.evaluate("() => history.pushState({}, '', '/fr/spa/one?tab=2#top')")
    body = viewed(page, lambda: page.evaluate("() => history.replaceState({}, '', '/fr/spa/two')"))
    assert body["url"] == site + "/fr/spa/two"
    body = viewed(page, lambda: page.evaluate("() => history.back()"))
    assert body["url"] == site + "/fr/spa/one"
    settle(page)
    assert [json.loads(r.post_data)["url"] for r in sent] == [
        site + p for p in (home, "/fr/spa/one", "/fr/spa/two", "/fr/spa/one")
    ]


def test_an_objection_in_the_panel_stops_the_beacon_at_once(site, page):
    sent = watch(page)
    cfg = config(page, site)
    viewed(page, lambda: visit(page, site))
    button(page, cfg, "customise").click()
    expect(switch(page, cfg, "audience")).to_be_checked()
    switch(page, cfg, "audience").click()
    _, answer = choose(page, button(page, cfg, "save").click)
    recorded(answer, cfg, "custom", {"audience": False, "brevo_tracking": False})

    # The identifier is erased, and the beacon already on the page sends nothing more.
    assert page.evaluate(STORED) is None
    before = len(sent)
    page.evaluate("() => history.pushState({}, '', '/fr/elsewhere')")
    settle(page)
    assert len(sent) == before, "a page view after the objection"
    # Nor on the next pages, where the beacon is not loaded at all.
    beacon: list[str] = []
    page.on("request", lambda r: beacon.append(r.url) if BEACON in r.url else None)
    for name in ("demo-offer", "demo-contact"):
        visit(page, site, path(name))
        settle(page)
    assert len(sent) == before and not beacon
    assert page.evaluate(STORED) is None
    assert stored_paths() == ["/"]

    # Withdrawing the objection: measured again from the next page view.
    open_settings(page)
    switch(page, cfg, "audience").click()
    choose(page, button(page, cfg, "save").click)
    viewed(page, lambda: visit(page, site, path("demo-offer")))


@pytest.mark.parametrize(
    "gpc", [{"init_script": GPC}, {"extra_http_headers": {"Sec-GPC": "1"}}], ids=["js", "header"]
)
def test_no_page_view_under_global_privacy_control(site, new_page, gpc):
    page = new_page(**gpc)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    for name in ("demo-home", "demo-offer"):
        visit(page, site, path(name))
        settle(page)
    expect(dialog(page)).to_be_hidden()  # GPC decided: a refusal, no banner
    assert not [u for u in requested if u.endswith(AUDIENCE_API) or BEACON in u]
    assert page.evaluate(STORED) is None


def test_an_explicit_opt_in_despite_gpc_measures_again(site, new_page):
    """GPC is an objection the visitor can lift, as they can opt in to any purpose under it:
    the switch they turn on in the panel is what runs, never a switch shown on and idle."""
    page = new_page(init_script=GPC)
    sent = watch(page)
    visit(page, site, path("demo-home"))
    settle(page)
    assert not sent
    cfg = config(page, site)
    open_settings(page)
    switch(page, cfg, "audience").click()
    choose(page, button(page, cfg, "save").click)
    body = viewed(page, lambda: visit(page, site, path("demo-offer")))
    assert body["url"] == site + path("demo-offer")


def test_no_page_view_before_the_banner_has_read_the_choice(site, page):
    """An earlier objection is only known once the configuration is in: nothing before."""
    sent = watch(page)
    held: list[Any] = []
    page.route("**/consent/config/*.json", lambda route: held.append(route))
    page.goto(site + path("demo-offer"))
    wait_until(page, "() => document.readyState === 'complete'")
    page.wait_for_timeout(500)
    assert held, "the banner did not ask for its configuration"
    assert not sent and not page.evaluate(
        "(n) => [...document.scripts].some((s) => s.src.includes(n))", BEACON
    )
    body = viewed(page, held[0].continue_)
    assert body["url"] == site + path("demo-offer")


def test_the_identifier_is_never_extended_and_replaced_after_its_lifetime(site, page):
    cfg = config(page, site)
    days = cfg["audience"]["visitor"]["days"]
    first = viewed(page, lambda: visit(page, site))
    stored = page.evaluate(STORED)
    assert set(stored) == {"id", "created"}
    assert len(stored["id"]) == 22 and first["visitor"] == stored["id"]
    assert abs(stored["created"] - time.time()) < 60

    # Near the end of its lifetime, still the same one, its creation date unchanged.
    old = int(time.time()) - days * 86400 + 120
    page.evaluate(
        f"(v) => localStorage.setItem('{AUDIENCE_KEY}', JSON.stringify(v))",
        {**stored, "created": old},
    )
    again = viewed(page, lambda: visit(page, site, path("demo-offer")))
    assert again["visitor"] == stored["id"]
    assert page.evaluate(STORED) == {**stored, "created": old}

    # Once its lifetime from creation is over: a new one, created now.
    expired = old - 240
    page.evaluate(
        f"(v) => localStorage.setItem('{AUDIENCE_KEY}', JSON.stringify(v))",
        {**stored, "created": expired},
    )
    new = viewed(page, lambda: visit(page, site, path("demo-contact")))
    renewed = page.evaluate(STORED)
    assert renewed["id"] != stored["id"] and new["visitor"] == renewed["id"]
    assert abs(renewed["created"] - time.time()) < 60


def test_without_unique_visitors_nothing_is_stored(site, page, tmp_path):
    publish_copy(tmp_path, (SECTION, SECTION.replace("true", "false")))
    for name in ("demo-home", "demo-offer"):
        body = viewed(page, lambda n=name: visit(page, site, path(n)))
        assert body["visitor"] is None
    stored = page.context.storage_state()
    assert not any(o["localStorage"] for o in stored["origins"]), stored["origins"]
    assert {c["name"] for c in page.context.cookies()} <= {"eu-consent", "csrftoken"}
