"""The banner on every screen: the first layer shows its title, its text and its three
buttons without scrolling, the buttons of one size, and the panel keeps its buttons in view."""

from __future__ import annotations

import json

import pytest

from tests.browser.helpers import (
    accessibility_violations,
    button,
    config,
    dialog,
    expect,
    switch,
    visit,
)

PHONES = [(320, 568), (360, 640), (375, 667), (390, 844), (568, 320)]
SCREENS = [*PHONES, (1280, 800)]

# Boxes in CSS pixels. "seen" is what of the banner is on screen and not scrolled away:
# its padding box, cut by the viewport.
MEASURE = """() => {
  const root = document.querySelector('.gardien');
  const r = root.getBoundingClientRect();
  const seen = {
    top: Math.max(r.top + root.clientTop, 0),
    left: Math.max(r.left + root.clientLeft, 0),
    bottom: Math.min(r.top + root.clientTop + root.clientHeight, innerHeight),
    right: Math.min(r.left + root.clientLeft + root.clientWidth, innerWidth),
  };
  const box = (e) => {
    const b = e.getBoundingClientRect();
    return {top: b.top, left: b.left, bottom: b.bottom, right: b.right,
            width: b.width, height: b.height};
  };
  const actions = root.querySelector('.gardien-actions');
  return {
    seen,
    share: (r.width * r.height) / (innerWidth * innerHeight),
    scrolls: root.scrollHeight > root.clientHeight,
    title: box(root.querySelector('h2')),
    intro: box(root.querySelector('#gardien-intro')),
    actions: box(actions),
    buttons: [...actions.querySelectorAll('.gardien-btn')].map(box),
    weights: [...actions.querySelectorAll('.gardien-btn')].map(
      (b) => getComputedStyle(b).fontWeight + ' ' + getComputedStyle(b).fontSize),
  };
}"""


def inside(box: dict[str, float], seen: dict[str, float]) -> bool:
    return (
        box["top"] >= seen["top"] - 0.5
        and box["left"] >= seen["left"] - 0.5
        and box["bottom"] <= seen["bottom"] + 0.5
        and box["right"] <= seen["right"] + 0.5
    )


def same_size(boxes: list[dict[str, float]]) -> bool:
    return all(
        abs(b["width"] - boxes[0]["width"]) < 1 and abs(b["height"] - boxes[0]["height"]) < 1
        for b in boxes
    )


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=lambda v: str(v))
def test_the_first_layer_fits_the_screen(site, new_page, width, height):
    page = new_page(viewport={"width": width, "height": height})
    cfg = config(page, site)
    visit(page, site)
    expect(button(page, cfg, "accept_all")).to_be_visible()
    m = page.evaluate(MEASURE)
    print(f"\n{width}x{height}: the first layer covers {m['share']:.0%} of the screen")

    for name in ("title", "intro"):
        assert inside(m[name], m["seen"]), f"{name} not fully seen: {m[name]} in {m['seen']}"
    assert m["intro"]["bottom"] <= m["actions"]["top"] + 0.5, "the buttons hide the text"
    for key, box in zip(("accept_all", "refuse_all", "customise"), m["buttons"], strict=True):
        assert inside(box, m["seen"]), f"{key} not fully seen: {box} in {m['seen']}"
    assert same_size(m["buttons"]), m["buttons"]
    assert len(set(m["weights"])) == 1, m["weights"]
    # No more than it needs: it scrolls only when it covers the whole height it may.
    if m["scrolls"]:
        assert m["seen"]["bottom"] - m["seen"]["top"] >= height * 0.85, m


@pytest.mark.parametrize(("width", "height"), [(320, 568), (568, 320)], ids=lambda v: str(v))
def test_the_panel_keeps_its_buttons_in_view(site, new_page, width, height):
    page = new_page(viewport={"width": width, "height": height})
    cfg = config(page, site)
    visit(page, site)
    button(page, cfg, "customise").click()
    expect(switch(page, cfg, "brevo_tracking")).to_be_visible()
    for scroll in ("0", "root.scrollHeight / 2", "root.scrollHeight"):
        dialog(page).evaluate(f"root => {{ root.scrollTop = {scroll}; }}")
        m = page.evaluate(MEASURE)
        assert m["scrolls"], "the panel was expected to scroll on this screen"
        for key, box in zip(("accept_all", "refuse_all", "save"), m["buttons"], strict=True):
            assert inside(box, m["seen"]), f"{key} scrolled out of the panel at {scroll}: {box}"
        assert same_size(m["buttons"]), m["buttons"]


@pytest.mark.parametrize(("width", "height"), [(320, 568), (1280, 800)], ids=lambda v: str(v))
def test_both_layers_pass_axe(site, new_page, width, height):
    page = new_page(viewport={"width": width, "height": height})
    cfg = config(page, site)
    visit(page, site)
    expect(button(page, cfg, "accept_all")).to_be_visible()
    assert accessibility_violations(page) == []
    button(page, cfg, "customise").click()
    expect(switch(page, cfg, "brevo_tracking")).to_be_visible()
    assert accessibility_violations(page) == []


# --- theming ---------------------------------------------------------------------------------

SITE_BRAND = "rgb(0, 77, 64)"  # #004d40, the site's own stylesheet
THEME = {"brand": "#8a1538", "on_brand": "#ffffff"}  # the manifest's colours
THEME_RGB = ("rgb(138, 21, 56)", "rgb(255, 255, 255)")

COLOURS = """e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"""


def site_sets_the_brand(route):
    """The site's stylesheet sets --gardien-brand on :root, as the docs tell it to."""
    response = route.fetch()
    css = response.text() + "\n:root { --gardien-brand: #004d40; }\n"
    route.fulfill(response=response, body=css)


def with_theme(theme):
    def handler(route):
        response = route.fetch()
        document = response.json()
        document["theme"] = theme
        route.fulfill(response=response, body=json.dumps(document))

    return handler


def test_the_site_stylesheet_themes_the_banner(site, page):
    page.route("**/site.css", site_sets_the_brand)
    page.route("**/consent/config/*.json", with_theme(None))
    cfg = config(page, site)
    visit(page, site)
    colours = button(page, cfg, "accept_all").evaluate(COLOURS)
    assert colours == [SITE_BRAND, "rgb(255, 255, 255)"]


def test_the_configuration_theme_wins_over_the_site_stylesheet(site, page):
    page.route("**/site.css", site_sets_the_brand)
    page.route("**/consent/config/*.json", with_theme(THEME))
    cfg = config(page, site)
    visit(page, site)
    for key in ("accept_all", "refuse_all", "customise"):
        assert tuple(button(page, cfg, key).evaluate(COLOURS)) == THEME_RGB, key
    border = dialog(page).evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == THEME_RGB[0]
    button(page, cfg, "customise").click()
    brevo = switch(page, cfg, "brevo_tracking")
    brevo.click()
    assert brevo.evaluate("e => getComputedStyle(e).backgroundColor") == THEME_RGB[0]
