"""The banner on the demo page, in Chromium: before a choice, each button, each purpose,
withdrawal, and what the ledger keeps of each choice (docs/consent.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from gardien.lib.months import add_months
from tests.browser.helpers import (
    AUDIENCE_API,
    AUDIENCE_KEY,
    TRACKER_COOKIES,
    button,
    check_cookie,
    choose,
    config,
    cookie_names,
    dialog,
    expect,
    ledger,
    open_settings,
    purpose,
    recorded,
    settle,
    state,
    switch,
    switched,
    visit,
    wait_tracker,
    wait_until,
)

ALL_ON = {"audience": True, "brevo_tracking": True}
ALL_OFF = {"audience": False, "brevo_tracking": False}


def test_nothing_optional_runs_before_a_choice_but_the_exempt_audience_does(site, page):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    cfg = config(page, site)
    visit(page, site)
    settle(page)

    expect(dialog(page)).to_be_visible()
    # The first layer names the third parties and links to the inventory and the policy.
    for vendor in cfg["vendors"]:
        expect(dialog(page)).to_contain_text(vendor)
    for key, url in (("inventory", "inventory_url"), ("policy", "policy_url")):
        link = dialog(page).get_by_role("link", name=cfg["text"][key], exact=True)
        expect(link).to_have_attribute("href", cfg[url])
    assert not TRACKER_COOKIES & cookie_names(page)
    assert page.evaluate("typeof window.demoTrackerLoaded") == "undefined"
    assert not any("/demo/tracker.js" in u or "/demo/embed.html" in u for u in requested)
    shown = state(page)
    assert shown["iframe"] is None, "the brevo_tracking iframe got a src before any choice"
    # docs/consent.md: exempt_with_opt_out purposes are "shown on, with an objection switch";
    # the banner runs them until the visitor objects. So the audience script runs at once.
    assert purpose(cfg, "audience")["consent"] == "exempt_with_opt_out"
    assert shown["audience"] and shown["audience_key"]
    assert any(u.endswith(AUDIENCE_API) for u in requested), "no page view sent"
    # Nothing but Gardien's own files: the page, the banner, its style, its configuration.
    assert all(u.startswith(site) for u in requested), [u for u in requested if site not in u]
    # No choice, nothing recorded.
    assert not [u for u in requested if "/api/consent" in u]


def test_accept_all_loads_everything_and_is_recorded(site, page):
    cfg = config(page, site)
    visit(page, site)
    sent, answer = choose(page, button(page, cfg, "accept_all").click)

    assert sent["action"] == "accept_all"
    assert sent["version"] == cfg["version"] and sent["config_hash"] == cfg["hash"]
    assert sent["decisions"] == ALL_ON and sent["gpc"] is False
    assert sent["consent_id"] is None
    wait_tracker(page)
    expect(dialog(page)).to_be_hidden()
    assert state(page)["iframe"] == "/demo/embed.html"
    assert cookie_names(page) >= TRACKER_COOKIES
    recorded(answer, cfg, "accept_all", ALL_ON)
    check_cookie(page, cfg, answer, {"audience": 1, "brevo_tracking": 1})

    # The next page view remembers it: no banner, the tracker runs again.
    visit(page, site)
    wait_until(page, "() => window.demoTrackerLoaded === true")
    expect(dialog(page)).to_be_hidden()


def test_refuse_all_loads_nothing_optional_and_is_recorded(site, page):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    cfg = config(page, site)
    visit(page, site)
    sent, answer = choose(page, button(page, cfg, "refuse_all").click)

    assert sent["action"] == "refuse_all" and sent["decisions"] == ALL_OFF
    expect(dialog(page)).to_be_hidden()
    recorded(answer, cfg, "refuse_all", ALL_OFF)
    check_cookie(page, cfg, answer, {"audience": 0, "brevo_tracking": 0})

    # Refusing everything is also an objection to the audience measurement: next view, none.
    requested.clear()
    visit(page, site)
    settle(page)
    expect(dialog(page)).to_be_hidden()
    shown = state(page)
    assert not shown["tracker"] and not shown["audience"] and not shown["audience_key"]
    assert shown["iframe"] is None
    assert not TRACKER_COOKIES & cookie_names(page)
    optional = ("/demo/tracker.js", AUDIENCE_API, "/demo/embed.html")
    assert not [u for u in requested if u.endswith(optional)]


def test_customise_shows_one_switch_per_purpose_with_their_defaults(site, page):
    cfg = config(page, site)
    visit(page, site)
    button(page, cfg, "customise").click()

    switches = dialog(page).get_by_role("switch")
    expect(switches).to_have_count(len(switched(cfg)))
    expect(switch(page, cfg, "brevo_tracking")).to_have_attribute("aria-checked", "false")
    expect(switch(page, cfg, "brevo_tracking")).not_to_be_checked()
    expect(switch(page, cfg, "audience")).to_have_attribute("aria-checked", "true")
    expect(switch(page, cfg, "audience")).to_be_checked()
    # The necessary purpose is listed, always on, without a switch.
    expect(dialog(page).get_by_text(cfg["text"]["always_on"], exact=True)).to_be_visible()
    # The same three choices as the first layer, with "save" for the third.
    for key in ("accept_all", "refuse_all", "save"):
        expect(button(page, cfg, key)).to_be_visible()
    # Saving the defaults is a custom choice: audience on, tracking off.
    sent, answer = choose(page, button(page, cfg, "save").click)
    assert sent["action"] == "custom"
    recorded(answer, cfg, "custom", {"audience": True, "brevo_tracking": False})
    settle(page)
    assert not state(page)["tracker"]


@pytest.mark.parametrize(
    ("key", "actions"),
    [
        ("close", {"close"}),  # the × button
        ("continue_without", {"close", "refuse_all"}),  # "Continuer sans accepter"
    ],
)
def test_closing_the_banner_is_a_refusal(site, page, key, actions):
    cfg = config(page, site)
    visit(page, site)
    sent, answer = choose(page, button(page, cfg, key).click)

    assert sent["decisions"] == ALL_OFF
    expect(dialog(page)).to_be_hidden()
    recorded(answer, cfg, actions, ALL_OFF)
    check_cookie(page, cfg, answer, {"audience": 0, "brevo_tracking": 0})
    settle(page)
    assert not state(page)["tracker"] and not TRACKER_COOKIES & cookie_names(page)
    # It is remembered: the banner does not come back on the next page.
    visit(page, site)
    expect(dialog(page)).to_be_hidden()


@pytest.mark.parametrize("only", ["brevo_tracking", "audience"])
def test_granting_one_purpose_loads_only_that_purpose(site, page, only):
    cfg = config(page, site)
    visit(page, site)
    button(page, cfg, "customise").click()
    for purpose_id in switched(cfg):
        control = switch(page, cfg, purpose_id)
        if control.is_checked() != (purpose_id == only):
            control.click()
    decisions = {p: p == only for p in switched(cfg)}
    sent, answer = choose(page, button(page, cfg, "save").click)

    assert sent["action"] == "custom" and sent["decisions"] == decisions
    recorded(answer, cfg, "custom", decisions)
    check_cookie(page, cfg, answer, {p: int(on) for p, on in decisions.items()})

    # On the next page view only the granted purpose runs.
    visit(page, site)
    if only == "brevo_tracking":
        wait_tracker(page)
    settle(page)
    shown = state(page)
    assert shown["tracker"] is (only == "brevo_tracking")
    assert (shown["iframe"] == "/demo/embed.html") is (only == "brevo_tracking")
    assert (cookie_names(page) >= TRACKER_COOKIES) is (only == "brevo_tracking")
    assert shown["audience"] is (only == "audience")
    assert shown["audience_key"] is (only == "audience"), f"{AUDIENCE_KEY} after the choice"


def test_withdrawal_from_the_footer_link_deletes_the_trackers_in_two_clicks(site, page):
    cfg = config(page, site)
    visit(page, site)
    _, first = choose(page, button(page, cfg, "accept_all").click)
    visit(page, site)  # a later page view, where the tracker runs from the start
    wait_tracker(page)
    expect(dialog(page)).to_be_hidden()

    open_settings(page)  # click 1
    sent, answer = choose(page, button(page, cfg, "refuse_all").click)  # click 2

    assert sent["consent_id"] == first["consent_id"]
    assert answer["consent_id"] == first["consent_id"]
    expect(dialog(page)).to_be_hidden()
    assert not TRACKER_COOKIES & cookie_names(page), "withdrawal left the tracker's cookies"
    assert state(page)["iframe"] is None
    recorded(answer, cfg, "withdraw", ALL_OFF)
    assert [a for a, _ in ledger(first["consent_id"])] == ["accept_all", "withdraw"]
    check_cookie(page, cfg, answer, {"audience": 0, "brevo_tracking": 0})
    visit(page, site)
    settle(page)
    assert not state(page)["tracker"] and not TRACKER_COOKIES & cookie_names(page)


def test_no_cookie_outlives_13_months_after_accept_all(site, page):
    cfg = config(page, site)
    visit(page, site)
    _, answer = choose(page, button(page, cfg, "accept_all").click)
    wait_tracker(page)
    recorded(answer, cfg, "accept_all", ALL_ON)

    limit = (add_months(dt.datetime.now(dt.UTC), 13) + dt.timedelta(days=1)).timestamp()
    cookies = page.context.cookies()
    assert {"eu-consent", *TRACKER_COOKIES} <= {c["name"] for c in cookies}
    too_long = {
        c["name"]: dt.datetime.fromtimestamp(c["expires"], dt.UTC).isoformat()
        for c in cookies
        if c["expires"] > limit
    }
    assert not too_long, f"cookies living longer than 13 months: {too_long}"
    # The choice itself lives choice_days days (≤ 13 months), counted from the choice.
    consent = next(c for c in cookies if c["name"] == "eu-consent")
    expected = dt.datetime.now(dt.UTC).timestamp() + cfg["choice_days"] * 86400
    assert abs(consent["expires"] - expected) < 120
