"""The focus with the banner: never hidden behind the first layer (WCAG 2.2, 2.4.11), back
where it was after a choice, never lost on <body>; the banner's language; and what the
script sends with a choice (request_id, its retries, the Gardien-GPC header)."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.helpers import (
    API,
    CHOICE_COOKIE,
    answered,
    button,
    choice_value,
    choose,
    config,
    dialog,
    expect,
    is_consent_post,
    open_settings,
    switch,
    visit,
)

# The focused element, where it is, and how many pixels of its height the first layer covers.
FOCUSED = """() => {
  const e = document.activeElement;
  const root = document.querySelector('.gardien');
  const b = e.getBoundingClientRect();
  const r = root.hidden ? null : root.getBoundingClientRect();
  const across = r && Math.min(b.right, r.right) > Math.max(b.left, r.left);
  const covered = across && !root.contains(e)
    ? Math.max(0, Math.min(b.bottom, r.bottom) - Math.max(b.top, r.top)) : 0;
  return {tag: e.localName, text: (e.textContent || '').trim().slice(0, 40),
          inBanner: root.contains(e), height: b.height, covered};
}"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)], ids=str)
def test_nothing_focused_in_the_page_hides_behind_the_first_layer(site, new_page, width, height):
    page = new_page(viewport={"width": width, "height": height})
    cfg = config(page, site)
    visit(page, site)
    expect(button(page, cfg, "accept_all")).to_be_visible()
    page.wait_for_timeout(100)  # the room kept for the banner follows its size

    seen = []
    for key in ["Tab"] * 40 + ["Shift+Tab"] * 40:
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "body" or focused["inBanner"]:
            continue
        seen.append(focused["text"])
        # Less than a pixel: the page scrolls by whole pixels, the banner's edge may not.
        assert focused["covered"] < 1, f"{focused} is behind the banner"
    assert cfg["text"]["settings"] in seen, f"the footer's links were never reached: {seen}"
    assert {"Aller au contenu", "Politique de confidentialité"} <= set(seen), seen

    # The room is given back once the banner is closed.
    button(page, cfg, "refuse_all").click()
    kept = page.evaluate(
        "() => [document.documentElement.style.scrollPaddingBottom,"
        " document.body.style.paddingBottom]"
    )
    assert kept == ["", ""]


FIRST_OF_PAGE = "() => document.activeElement === document.querySelector('a.skip')"
IS_FOOTER_LINK = (
    "() => document.activeElement === document.querySelector('footer [data-gardien-open-settings]')"
)


def test_after_a_choice_on_arrival_the_focus_goes_to_the_page_first_link(site, page):
    """The banner opened with the page: the focus was on <body>. After the choice it goes
    to the page's first link, where a keyboard visitor would start, not to <body>."""
    cfg = config(page, site)
    ways = {
        "accept_all": lambda: button(page, cfg, "accept_all").click(),
        "refuse_all": lambda: button(page, cfg, "refuse_all").click(),
        "custom": lambda: (
            button(page, cfg, "customise").click(),
            button(page, cfg, "save").click(),
        ),
        "close": lambda: page.keyboard.press("Escape"),
    }
    for action, act in ways.items():
        page.context.clear_cookies()
        visit(page, site)
        expect(dialog(page)).to_be_visible()
        sent, _ = choose(page, act)
        assert sent["action"] == action
        expect(dialog(page)).to_be_hidden()
        assert page.evaluate(FIRST_OF_PAGE), (action, page.evaluate(FOCUSED))


def test_after_a_choice_in_the_panel_the_focus_goes_back_to_the_link_that_opened_it(site, page):
    cfg = config(page, site)
    visit(page, site)
    choose(page, button(page, cfg, "refuse_all").click)
    for key in ("accept_all", "refuse_all", "save"):
        page.locator("footer [data-gardien-open-settings]").focus()
        page.keyboard.press("Enter")
        expect(switch(page, cfg, "brevo_tracking")).to_be_visible()
        choose(page, button(page, cfg, key).click)
        expect(dialog(page)).to_be_hidden()
        assert page.evaluate(IS_FOOTER_LINK), (key, page.evaluate(FOCUSED))


def without_settings_link(route):
    """The demo page without its own "cookie settings" link: the banner adds its button."""
    response = route.fetch()
    html = response.text().replace(" data-gardien-open-settings", "")
    route.fulfill(response=response, body=html)


def test_the_banner_the_panel_and_the_settings_button_say_their_language(site, page):
    page.route(site + "/", without_settings_link)
    visit(page, site)
    fr = config(page, site)
    expect(dialog(page)).to_have_attribute("lang", fr["lang"])
    button(page, fr, "customise").click()
    expect(dialog(page)).to_have_attribute("lang", fr["lang"])
    choose(page, button(page, fr, "save").click)
    fab = page.locator(".gardien-fab")
    expect(fab).to_have_attribute("lang", fr["lang"])
    expect(fab).to_have_text(fr["text"]["settings"])


# --- what the script sends with a choice ------------------------------------------------------

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def sent_bodies(page) -> list[dict]:
    bodies: list[dict] = []
    page.on(
        "request", lambda r: API in r.url and r.method == "POST" and bodies.append(r.post_data_json)
    )
    return bodies


def test_the_gardien_gpc_header_counts_as_the_browser_signal(site, page):
    def gpc_header(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "gardien-gpc": "1"})

    page.route("**/consent/config/*.json", gpc_header)
    cfg = config(page, site)
    with page.expect_response(is_consent_post) as info:
        page.goto(site + "/")
    sent, _ = answered(page, info.value)
    assert sent["action"] == "gpc" and sent["gpc"] is True
    assert sent["decisions"] == {"audience": False, "brevo_tracking": False}
    expect(dialog(page)).to_be_hidden()
    open_settings(page)
    expect(dialog(page).get_by_text(cfg["text"]["gpc"])).to_be_visible()
    sent, _ = choose(page, button(page, cfg, "accept_all").click)
    assert sent["gpc"] is True


def test_a_choice_keeps_its_request_id_when_retried_after_429(site, page):
    bodies = sent_bodies(page)
    refused = []

    def busy_once(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.post_data_json)
            return route.fulfill(status=429, headers={"Retry-After": "1"}, body="")
        return route.continue_()

    page.route(f"**{API}", busy_once)
    cfg = config(page, site)
    visit(page, site)
    with page.expect_response(lambda r: is_consent_post(r) and r.status == 201) as info:
        button(page, cfg, "accept_all").click()
    answered(page, info.value)
    assert len(bodies) == 2, bodies
    assert REQUEST_ID.fullmatch(bodies[0]["request_id"])
    assert bodies[0] == bodies[1], "a retry must send the same choice with the same request_id"


def test_an_id_gardien_cannot_vouch_for_is_replaced_by_a_new_one(site, page):
    cfg = config(page, site)
    unknown = "an id from elsewhere"  # opaque: any length
    old = {"id": unknown, "d": int(time.time()), "v": 1, "h": "0" * 12, "p": {}}
    page.context.add_cookies([{"name": CHOICE_COOKIE, "value": choice_value(old), "url": site}])
    bodies = sent_bodies(page)
    visit(page, site)
    with page.expect_response(lambda r: is_consent_post(r) and r.status == 201) as info:
        button(page, cfg, "refuse_all").click()
    _, answer = answered(page, info.value)
    assert [b["consent_id"] for b in bodies] == [unknown, None]
    assert bodies[0]["request_id"] != bodies[1]["request_id"]
    assert all(REQUEST_ID.fullmatch(b["request_id"]) for b in bodies)
    assert answer["consent_id"] != unknown
