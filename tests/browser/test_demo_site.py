"""The demo site's several pages in Chromium: a choice made on one page holds on the next
one, a refusal holds on every page, and axe-core finds nothing on any of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from gardien.demo.views import MENU
from tests.browser.helpers import (
    AUDIENCE_API,
    AUDIENCE_KEY,
    TRACKER_COOKIES,
    accessibility_violations,
    button,
    choose,
    config,
    cookie_names,
    dialog,
    expect,
    is_consent_post,
    recorded,
    settle,
    visit,
    wait_tracker,
    wait_until,
)

PAGES = ["demo-home", "demo-offer", "demo-contact", "demo-newsletter", "demo-legal"]
ALL_ON = {"audience": True, "brevo_tracking": True}
OPTIONAL = ("/demo/tracker.js", AUDIENCE_API, "/demo/embed.html")

# What runs of the page's gated stand-ins and the audience beacon (any page: it may have
# no embed).
GATED = """(key) => ({
  tracker: window.demoTrackerLoaded === true,
  audience: [...document.scripts].some((s) => s.src.includes('/audience/beacon')),
  audience_key: localStorage.getItem(key) !== null,
  frames: [...document.querySelectorAll('iframe[data-gardien-purpose]')]
    .map((frame) => frame.getAttribute('src')),
})"""


def path(name: str, lang: str) -> str:
    return reverse(f"{name}-lang", kwargs={"lang": lang})


def watch(page: Any) -> list[str]:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    return requested


def menu_label(name: str, lang: str) -> str:
    with translation.override(lang):
        return next(str(label) for url_name, label in MENU if url_name == name)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_choice_made_on_the_home_page_holds_on_the_offer_page(site, page, lang):
    requested = watch(page)
    cfg = config(page, site, lang)
    visit(page, site, path("demo-home", lang))
    expect(dialog(page)).to_be_visible()
    sent, answer = choose(page, button(page, cfg, "accept_all").click)
    assert sent["lang"] == lang
    recorded(answer, cfg, "accept_all", ALL_ON)
    wait_tracker(page)

    # The visitor follows the menu to the offer page, as on any site.
    posts: list[str] = []
    page.on("response", lambda r: posts.append(r.url) if is_consent_post(r) else None)
    menu = page.locator("header nav.menu")
    menu.get_by_role("link", name=menu_label("demo-offer", lang), exact=True).click()
    page.wait_for_url(site + path("demo-offer", lang))
    page.wait_for_selector("[role=dialog]", state="attached")
    assert page.locator("html").get_attribute("lang") == lang

    # No banner again, and the gated stand-ins of that page run from the start.
    expect(dialog(page)).to_be_hidden()
    wait_tracker(page)
    wait_until(page, "() => localStorage.getItem('gardien_vid') !== null")
    frame = page.locator("iframe[data-gardien-purpose]")
    expect(frame).to_have_attribute("src", "/demo/embed.html")
    expect(frame.content_frame.locator("body")).not_to_be_empty()
    settle(page)
    assert not posts, "the choice was sent again on the next page"
    assert cookie_names(page) >= TRACKER_COOKIES
    # Nothing but the live server's own addresses, on either page.
    assert all(u.startswith(site + "/") for u in requested), [
        u for u in requested if not u.startswith(site + "/")
    ]


def test_after_refusing_nothing_gated_runs_on_any_page(site, page):
    cfg = config(page, site)
    visit(page, site)
    choose(page, button(page, cfg, "refuse_all").click)

    requested = watch(page)
    for name in PAGES:
        visit(page, site, path(name, "fr"))
        settle(page)
        expect(dialog(page)).to_be_hidden()
        shown = page.evaluate(GATED, AUDIENCE_KEY)
        assert not shown["tracker"] and not shown["audience"], (name, shown)
        assert not shown["audience_key"], (name, shown)
        assert all(src is None for src in shown["frames"]), (name, shown)
    assert not TRACKER_COOKIES & cookie_names(page)
    assert not [u for u in requested if u.endswith(OPTIONAL)]
    assert not [u for u in requested if "/api/consent" in u], "a refusal sent again"


def expect_accessible(page: Any, what: str) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing_on_each_page(site, new_page, name):
    for lang in ("fr", "en"):
        page = new_page(locale="fr-FR" if lang == "fr" else "en-GB")
        cfg = config(page, site, lang)
        visit(page, site, path(name, lang))
        expect(dialog(page)).to_be_visible()
        expect_accessible(page, f"{name} ({lang}) with the banner open")

        choose(page, button(page, cfg, "accept_all").click)
        wait_tracker(page)
        for frame in page.locator("iframe[data-gardien-purpose]").all():
            expect(frame.content_frame.locator("body")).not_to_be_empty()
        expect_accessible(page, f"{name} ({lang}) once everything is accepted")
