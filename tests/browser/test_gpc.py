"""Global Privacy Control: a refusal and an objection, recorded, shown in the panel; a later
explicit opt-in is recorded with gpc true (docs/consent.md, "Global Privacy Control")."""

from __future__ import annotations

from tests.browser.helpers import (
    AUDIENCE_API,
    TRACKER_COOKIES,
    answered,
    button,
    check_cookie,
    choose,
    config,
    cookie_names,
    dialog,
    expect,
    is_consent_post,
    ledger,
    open_settings,
    recorded,
    settle,
    state,
    switch,
    wait_tracker,
)

GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


def test_gpc_refuses_everything_optional_and_a_later_opt_in_keeps_the_flag(site, new_page):
    page = new_page(init_script=GPC)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    cfg = config(page, site)

    with page.expect_response(is_consent_post) as info:
        page.goto(site + "/")
    sent, answer = answered(page, info.value)
    settle(page)

    assert page.evaluate("navigator.globalPrivacyControl") is True
    assert sent["action"] == "gpc" and sent["gpc"] is True
    decisions = {"audience": False, "brevo_tracking": False}
    assert sent["decisions"] == decisions
    recorded(answer, cfg, "gpc", decisions, gpc=True)
    check_cookie(page, cfg, answer, {"audience": 0, "brevo_tracking": 0})
    shown = state(page)
    assert not shown["tracker"] and not shown["audience"] and not shown["audience_key"]
    assert shown["iframe"] is None
    assert not TRACKER_COOKIES & cookie_names(page)
    optional = ("/demo/tracker.js", AUDIENCE_API, "/demo/embed.html")
    assert not [u for u in requested if u.endswith(optional)]

    # The panel says why everything is off, and lets the visitor opt in all the same.
    open_settings(page)
    expect(dialog(page).get_by_text(cfg["text"]["gpc"])).to_be_visible()
    expect(switch(page, cfg, "brevo_tracking")).not_to_be_checked()
    expect(switch(page, cfg, "audience")).not_to_be_checked()
    switch(page, cfg, "brevo_tracking").click()
    sent, again = choose(page, button(page, cfg, "save").click)

    assert sent["action"] == "custom" and sent["gpc"] is True
    assert again["consent_id"] == answer["consent_id"]
    opted_in = {"audience": False, "brevo_tracking": True}
    recorded(again, cfg, "custom", opted_in, gpc=True)
    wait_tracker(page)
    assert [a for a, _ in ledger(answer["consent_id"])] == ["gpc", "custom"]

    # Then "accept all" from the panel, still with the signal on.
    open_settings(page)
    sent, third = choose(page, button(page, cfg, "accept_all").click)
    recorded(third, cfg, "accept_all", {"audience": True, "brevo_tracking": True}, gpc=True)
