"""Elements added to the page after the banner started, in Chromium: gated exactly as those
present at load, before and after a grant (docs/consent.md, "On the organisation's site")."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.browser.helpers import (
    button,
    choose,
    config,
    dialog,
    expect,
    open_settings,
    purpose,
    recorded,
    settle,
    visit,
    wait_until,
)

# Counts the runs of the tracker stand-in (/demo/tracker.js): the page's own copy and the
# late scripts, all under brevo_tracking.
RUNS = """
window.__runs = 0;
Object.defineProperty(window, "demoTrackerLoaded", {
  configurable: true,
  get: () => window.__runs > 0,
  set: () => { window.__runs += 1; },
});
"""

# A late iframe alone, and a late script inside a late block (a descendant of the node added).
ADD = """(n) => {
  const frame = document.createElement("iframe");
  frame.title = "Late " + n;
  frame.className = "late";
  frame.dataset.gardienPurpose = "brevo_tracking";
  frame.dataset.src = "/demo/embed.html";
  document.querySelector("main").append(frame);
  const block = document.createElement("div");
  block.innerHTML = '<script type="text/plain" data-gardien-purpose="brevo_tracking" '
    + 'src="/demo/tracker.js"></' + 'script>';
  document.querySelector("main").append(block);
}"""

LATE = """() => [...document.querySelectorAll("iframe.late")].map((f) => ({
  src: f.getAttribute("src"),
  covered: f.previousElementSibling !== null
    && f.previousElementSibling.classList.contains("gardien-placeholder")
    && !f.previousElementSibling.hidden,
}))"""
GATED_SCRIPTS = "() => document.querySelectorAll('script[data-gardien-purpose]').length"


def offer() -> str:
    return reverse("demo-offer-lang", kwargs={"lang": "fr"})


def runs(page: Any) -> int:
    result: int = page.evaluate("window.__runs")
    return result


def test_late_elements_are_gated_before_and_after_a_grant(site, new_page):
    page = new_page(init_script=RUNS)
    cfg = config(page, site)
    visit(page, site, offer())
    choose(page, button(page, cfg, "refuse_all").click)
    scripts = page.evaluate(GATED_SCRIPTS)
    base = runs(page)

    # Added while refused: the frame gets a placeholder and no src, the script stays inert.
    page.evaluate(ADD, 1)
    wait_until(page, "() => document.querySelectorAll('.gardien-placeholder').length === 2")
    settle(page)
    assert page.evaluate(LATE) == [{"src": None, "covered": True}]
    assert runs(page) == base

    # Granted from the late frame's own placeholder: both late elements run, once, and the
    # page's own tracker.
    name = purpose(cfg, "brevo_tracking")["name"]
    allow = cfg["text"]["allow"].replace("{purpose}", name)
    late = page.locator(".gardien-placeholder + iframe.late")
    expect(late).to_have_count(1)
    grant = page.locator(".gardien-placeholder").last.get_by_role("button", name=allow)
    _, answer = choose(page, grant.click)
    recorded(answer, cfg, "custom", {"audience": False, "brevo_tracking": True})
    wait_until(page, "n => window.__runs === n", base + 2)
    assert page.evaluate(LATE) == [{"src": "/demo/embed.html", "covered": False}]

    # Added once granted: loaded at once, no placeholder.
    page.evaluate(ADD, 2)
    wait_until(page, "n => window.__runs === n", base + 3)
    wait_until(page, "() => document.querySelectorAll('iframe.late[src]').length === 2")
    assert page.evaluate(LATE) == [{"src": "/demo/embed.html", "covered": False}] * 2
    assert page.locator(".gardien-placeholder").count() == 0
    # Each inert script once, plus one activated copy of each of the three (the page's
    # tracker and the two late ones): the copies are not copied again.
    assert page.evaluate(GATED_SCRIPTS) == scripts + 2 + 3
    assert runs(page) == base + 3

    # Refused again: every frame, late ones included, is emptied and covered again.
    open_settings(page)
    choose(page, button(page, cfg, "refuse_all").click)
    expect(dialog(page)).to_be_hidden()
    assert page.evaluate(LATE) == [{"src": None, "covered": True}] * 2
    assert page.locator(".gardien-placeholder").count() == 3

    # Removed from the page: their placeholders go with them.
    page.evaluate("() => document.querySelectorAll('iframe.late').forEach((f) => f.remove())")
    wait_until(page, "() => document.querySelectorAll('.gardien-placeholder').length === 1")


def test_a_late_embed_may_opt_out_of_the_placeholder(site, page):
    cfg = config(page, site)
    visit(page, site, offer())
    choose(page, button(page, cfg, "refuse_all").click)
    page.evaluate(
        """() => {
          for (const own of [true, false]) {
            const frame = document.createElement("iframe");
            frame.title = own ? "Own placeholder" : "Gardien's placeholder";
            frame.className = "late";
            frame.dataset.gardienPurpose = "brevo_tracking";
            if (own) frame.dataset.gardienPlaceholder = "off";
            frame.dataset.src = "/demo/embed.html";
            document.querySelector("main").append(frame);
          }
        }"""
    )
    wait_until(page, "() => document.querySelectorAll('.gardien-placeholder').length === 2")
    assert page.evaluate(LATE) == [{"src": None, "covered": False}, {"src": None, "covered": True}]
