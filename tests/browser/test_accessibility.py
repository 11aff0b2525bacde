"""The banner with the keyboard only, its three buttons of equal weight, and at 200% zoom."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    button,
    choose,
    config,
    dialog,
    expect,
    recorded,
    switch,
    visit,
)

IN_DIALOG = "() => !!document.activeElement && !!document.activeElement.closest('[role=dialog]')"
FOCUSED_LABEL = "() => (document.activeElement.textContent || '').trim()"


def is_focused(locator) -> bool:
    return locator.evaluate("e => e === document.activeElement")


def test_keyboard_only(site, page):
    cfg = config(page, site)
    visit(page, site)
    expect(dialog(page)).to_be_visible()
    expect(dialog(page)).to_have_accessible_name(cfg["text"]["title"])

    # Tab reaches the three first-layer buttons.
    seen: list[str] = []
    first_layer = [cfg["text"][k] for k in ("accept_all", "refuse_all", "customise")]
    for _ in range(20):
        page.keyboard.press("Tab")
        label = page.evaluate(FOCUSED_LABEL)
        if label in first_layer and label not in seen:
            seen.append(label)
        if label == cfg["text"]["customise"]:
            break
    assert set(seen) == set(first_layer), f"Tab reached only {seen}"
    assert is_focused(button(page, cfg, "customise"))

    # Enter opens the second layer, with the focus inside it.
    page.keyboard.press("Enter")
    expect(switch(page, cfg, "brevo_tracking")).to_be_visible()
    assert page.evaluate(IN_DIALOG), "the focus left the dialog when the second layer opened"
    expect(dialog(page)).to_have_attribute("aria-modal", "true")

    # Tab and Shift+Tab stay inside (a focus trap), and reach the switch.
    count = dialog(page).locator("a[href], button, input, [tabindex='0']").count()
    reached_switch = False
    for _ in range(count + 3):
        page.keyboard.press("Tab")
        assert page.evaluate(IN_DIALOG), "Tab moved the focus out of the modal second layer"
        reached_switch = reached_switch or is_focused(switch(page, cfg, "brevo_tracking"))
    for _ in range(count + 3):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(IN_DIALOG), "Shift+Tab moved the focus out of the second layer"
    assert reached_switch, "Tab never reached the brevo_tracking switch"

    # Space toggles a switch.
    brevo = switch(page, cfg, "brevo_tracking")
    for _ in range(count + 1):
        if is_focused(brevo):
            break
        page.keyboard.press("Tab")
    assert is_focused(brevo)
    expect(brevo).to_have_attribute("aria-checked", "false")
    page.keyboard.press("Space")
    expect(brevo).to_have_attribute("aria-checked", "true")
    page.keyboard.press("Space")
    expect(brevo).to_have_attribute("aria-checked", "false")

    # Esc closes without a choice: a refusal, recorded as "close".
    _, answer = choose(page, lambda: page.keyboard.press("Escape"))
    expect(dialog(page)).to_be_hidden()
    recorded(answer, cfg, "close", {"audience": False, "brevo_tracking": False})

    # Reopened from the footer link with Enter, Esc gives the focus back to that link.
    link = page.locator("footer [data-gardien-open-settings]")
    link.focus()
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    assert page.evaluate(IN_DIALOG)
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    assert is_focused(link), "the focus did not return to the link that opened the panel"


STYLE = """e => {
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {font: [s.fontSize, s.fontWeight, s.fontFamily],
          padding: [s.paddingTop, s.paddingRight, s.paddingBottom, s.paddingLeft],
          colours: [s.color, s.backgroundColor],
          width: r.width, height: r.height};
}"""


def test_the_three_first_layer_buttons_weigh_the_same(site, page):
    cfg = config(page, site)
    visit(page, site)
    styles = [
        button(page, cfg, key).evaluate(STYLE) for key in ("accept_all", "refuse_all", "customise")
    ]
    for style in styles[1:]:
        assert style["font"] == styles[0]["font"]
        assert style["padding"] == styles[0]["padding"]
        assert style["colours"] == styles[0]["colours"], "accept and refuse differ in colour"
    heights = [s["height"] for s in styles]
    widths = [s["width"] for s in styles]
    assert max(heights) - min(heights) <= 1, heights
    assert max(widths) <= 1.15 * min(widths), widths


NO_HORIZONTAL_SCROLL = """() => {
  const root = document.scrollingElement;
  const box = document.querySelector('[role=dialog]');
  return root.scrollWidth <= root.clientWidth && box.scrollWidth <= box.clientWidth;
}"""


@pytest.mark.parametrize("width", [640])  # a 1280 px wide window at 200% zoom
def test_at_200_percent_zoom_every_button_is_visible_without_horizontal_scrolling(
    site, new_page, width
):
    page = new_page(viewport={"width": width, "height": 400}, device_scale_factor=2)
    cfg = config(page, site)
    visit(page, site)
    expect(dialog(page)).to_be_visible()

    def check_buttons(keys):
        assert page.evaluate(NO_HORIZONTAL_SCROLL), "the page or the banner scrolls sideways"
        for key in keys:
            control = button(page, cfg, key)
            control.scroll_into_view_if_needed()
            expect(control).to_be_in_viewport(ratio=1)
            box = control.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (key, box)

    check_buttons(["accept_all", "refuse_all", "customise", "continue_without", "close"])
    button(page, cfg, "customise").click()
    expect(switch(page, cfg, "brevo_tracking")).to_be_visible()
    check_buttons(["accept_all", "refuse_all", "save", "close"])
