"""The placeholder of a blocked embed, in Chromium (docs/consent.md, "Placeholders"): it
takes the embed's place at the same size, names the service and the purpose, grants that
purpose alone as a proof of consent, opens the settings, and comes back on a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.helpers import (
    accessibility_violations,
    button,
    choose,
    config,
    dialog,
    expect,
    ledger,
    open_settings,
    purpose,
    recorded,
    switch,
    visit,
    wait_until,
)

ALL_OFF = {"audience": False, "brevo_tracking": False}
FRAME = 'iframe[data-gardien-purpose="brevo_tracking"]'

# Every layout shift of the page, those right after an input included (a click on the
# placeholder's button is one): the embed must not move at all.
SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__shifts.push(e.value);
}).observe({ type: "layout-shift", buffered: true });
"""

# An element's box in the page (not the viewport: opening the settings may scroll).
BOX = """(el) => {
  const r = el.getBoundingClientRect();
  return [r.x + scrollX, r.y + scrollY, r.width, r.height];
}"""


def offer(lang: str) -> str:
    return reverse("demo-offer-lang", kwargs={"lang": lang})


def fill(text: str, cfg: dict[str, Any], purpose_id: str, service: str) -> str:
    return text.replace("{service}", service).replace("{purpose}", purpose(cfg, purpose_id)["name"])


def placeholder(page: Any, name: str = "Brevo Tracker") -> Any:
    return page.get_by_role("group", name=name, exact=True)


def box(locator: Any) -> list[float]:
    return [round(v, 1) for v in locator.evaluate(BOX)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_placeholder_names_service_and_purpose_and_grants_that_purpose_alone(
    site, new_page, lang
):
    page = new_page(init_script=SHIFTS)
    cfg = config(page, site, lang)
    visit(page, site, offer(lang))
    # The visitor first refuses everything, the exempt audience measurement included.
    _, first = choose(page, button(page, cfg, "refuse_all").click)

    frame = page.locator(FRAME)
    shown = placeholder(page)
    expect(shown).to_be_visible()
    expect(shown).to_have_attribute("lang", lang)
    blocked = fill(cfg["text"]["blocked"], cfg, "brevo_tracking", "Brevo Tracker")
    expect(shown).to_contain_text(blocked)
    assert "Brevo Tracker" in blocked and purpose(cfg, "brevo_tracking")["name"] in blocked
    assert frame.get_attribute("src") is None
    expect(frame).to_be_hidden()  # kept in the layout, only hidden: the placeholder covers it
    before = box(frame)
    assert before[2] > 100 and before[3] > 50, before
    assert box(shown) == before

    allow = fill(cfg["text"]["allow"], cfg, "brevo_tracking", "Brevo Tracker")
    _, answer = choose(page, shown.get_by_role("button", name=allow, exact=True).click)
    assert answer["consent_id"] == first["consent_id"]
    # A custom choice granting that purpose and keeping the audience refused.
    recorded(answer, cfg, "custom", {"audience": False, "brevo_tracking": True})
    assert ledger(answer["consent_id"]) == [
        ("refuse_all", ALL_OFF),
        ("custom", {"audience": False, "brevo_tracking": True}),
    ]
    expect(shown).to_have_count(0)
    expect(frame).to_have_attribute("src", "/demo/embed.html")
    expect(frame.content_frame.locator("body")).not_to_be_empty()
    expect(frame).to_be_visible()
    assert box(frame) == before
    assert page.evaluate("window.__shifts") == []

    # Refused again from the panel: the frame is emptied and the placeholder is back.
    open_settings(page)
    choose(page, button(page, cfg, "refuse_all").click)
    expect(placeholder(page)).to_be_visible()
    assert frame.get_attribute("src") is None
    # The embedded page is gone too, not just hidden (it could go on running).
    wait_until(
        page, "(sel) => document.querySelector(sel).contentDocument.URL === 'about:blank'", FRAME
    )
    assert box(placeholder(page)) == box(frame) == before
    assert page.evaluate("window.__shifts") == []


def test_the_placeholder_link_opens_the_settings(site, page):
    cfg = config(page, site)
    visit(page, site, offer("fr"))
    choose(page, button(page, cfg, "refuse_all").click)
    expect(dialog(page)).to_be_hidden()

    link = placeholder(page).get_by_role("link", name=cfg["text"]["settings"], exact=True)
    expect(link).to_have_attribute("href", cfg["nojs_url"])
    link.focus()
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    expect(switch(page, cfg, "brevo_tracking")).not_to_be_checked()


def test_the_placeholder_is_keyboard_usable(site, page):
    cfg = config(page, site)
    visit(page, site, offer("fr"))
    choose(page, button(page, cfg, "refuse_all").click)

    allow = fill(cfg["text"]["allow"], cfg, "brevo_tracking", "Brevo Tracker")
    grant = placeholder(page).get_by_role("button", name=allow, exact=True)
    grant.focus()
    _, answer = choose(page, lambda: page.keyboard.press("Enter"))
    recorded(answer, cfg, "custom", {"audience": False, "brevo_tracking": True})
    wait_until(page, "() => !document.querySelector('.gardien-placeholder')")


def test_axe_finds_nothing_on_a_page_with_placeholders(site, page):
    cfg = config(page, site)
    for name in ("demo-home", "demo-offer"):
        visit(page, site, reverse(f"{name}-lang", kwargs={"lang": "fr"}))
        if dialog(page).is_visible():
            choose(page, button(page, cfg, "refuse_all").click)
        expect(placeholder(page)).to_be_visible()
        violations = accessibility_violations(page)
        assert not violations, "\n".join(
            f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
            for v in violations
        )


# Added after load: a flex row whose embed follows a sibling (its placeholder's static place
# is then the row's start), a tracking pixel without a size, an inline embed after text.
FLEX_AND_PIXEL = """() => {
  const row = document.createElement("div");
  row.style.display = "flex";
  row.style.gap = "2rem";
  const side = document.createElement("p");
  side.textContent = "Beside the video";
  const frame = document.createElement("iframe");
  frame.title = "Video";
  frame.id = "in-row";
  frame.dataset.gardienPurpose = "brevo_tracking";
  frame.dataset.src = "/demo/embed.html";
  const pixel = document.createElement("img");
  pixel.alt = "";
  pixel.dataset.gardienPurpose = "brevo_tracking";
  pixel.dataset.src = "/demo/embed.html";
  row.append(side, frame, pixel);
  const line = document.createElement("p");
  line.append("In the text: ", frame.cloneNode());
  line.lastChild.id = "inline";
  document.querySelector("main").prepend(row, line);
}"""


def test_the_placeholder_covers_an_embed_in_a_row_or_a_line_and_never_an_empty_box(site, page):
    cfg = config(page, site)
    visit(page, site, offer("fr"))
    choose(page, button(page, cfg, "refuse_all").click)
    page.evaluate(FLEX_AND_PIXEL)
    frame = page.locator("#in-row")
    cover = page.locator("#in-row").locator("xpath=preceding-sibling::div[1]")
    expect(cover).to_be_visible()
    assert box(cover) == box(frame)
    # The pixel has no box: its placeholder stays invisible, so is its button.
    pixel_cover = page.locator("main img").locator("xpath=preceding-sibling::div[1]")
    expect(pixel_cover).to_have_class("gardien-placeholder")
    expect(pixel_cover).to_be_hidden()
    inline = page.locator("#inline")
    assert box(inline.locator("xpath=preceding-sibling::div[1]")) == box(inline)
    expect(placeholder(page)).to_have_count(3)  # the page's embed's, the row's, the line's
