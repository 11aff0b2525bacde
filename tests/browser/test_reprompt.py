"""A choice is asked again after choice_days, or when the purposes or services change
(docs/consent.md, "The choice cookie")."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import (
    CHOICE_COOKIE,
    NEW_PURPOSE,
    TRACKER_COOKIES,
    WORDING_ONLY,
    button,
    choice_cookie,
    choice_value,
    choose,
    config,
    cookie_names,
    dialog,
    expect,
    ledger,
    publish_copy,
    recorded,
    settle,
    state,
    visit,
    wait_tracker,
)

ALL_ON = {"audience": True, "brevo_tracking": True}
DAY = 86400


def accept_all(page, site):
    cfg = config(page, site)
    visit(page, site)
    _, answer = choose(page, button(page, cfg, "accept_all").click)
    recorded(answer, cfg, "accept_all", ALL_ON)
    return cfg, answer


@pytest.mark.parametrize(("days_over", "asked_again"), [(-2, False), (2, True)])
def test_a_choice_older_than_choice_days_is_asked_again(site, page, days_over, asked_again):
    cfg, answer = accept_all(page, site)
    # The same cookie, as if written choice_days ± 2 days ago (and kept by the browser).
    choice = choice_cookie(page)
    choice["d"] -= (cfg["choice_days"] + days_over) * DAY
    page.context.add_cookies(
        [
            {
                "name": CHOICE_COOKIE,
                "value": choice_value(choice),
                "url": site + "/",
                "expires": dt.datetime.now(dt.UTC).timestamp() + 30 * DAY,
                "sameSite": "Lax",
            }
        ]
    )
    page.context.clear_cookies(name="sib_cuid")
    page.context.clear_cookies(name="uuid")

    visit(page, site)
    if asked_again:
        expect(dialog(page)).to_be_visible()
        settle(page)
        assert not state(page)["tracker"], "an expired consent still loads the tracker"
        assert not TRACKER_COOKIES & cookie_names(page)
        # Answering again keeps the same consent id and records a new row.
        _, again = choose(page, button(page, cfg, "accept_all").click)
        assert again["consent_id"] == answer["consent_id"]
        recorded(again, cfg, "accept_all", ALL_ON)
        assert [a for a, _ in ledger(answer["consent_id"])] == ["accept_all", "accept_all"]
    else:
        wait_tracker(page)
        expect(dialog(page)).to_be_hidden()


def test_moving_the_browser_clock_past_choice_days_asks_again(site, page):
    start = dt.datetime.now(dt.UTC)
    page.clock.install(time=start)
    cfg, _ = accept_all(page, site)
    visit(page, site)
    wait_tracker(page)
    expect(dialog(page)).to_be_hidden()

    page.clock.set_system_time(start + dt.timedelta(days=cfg["choice_days"] + 1))
    page.context.clear_cookies(name="sib_cuid")
    page.context.clear_cookies(name="uuid")
    visit(page, site)
    expect(dialog(page)).to_be_visible()
    settle(page)
    assert not state(page)["tracker"], "a consent older than choice_days still loads the tracker"


def test_a_change_of_purposes_asks_again_and_says_what_changed(site, page, new_page, tmp_path):
    cfg1, answer = accept_all(page, site)
    publish_copy(tmp_path, NEW_PURPOSE, note="a new purpose: embedded videos")

    # The visitor comes back later (a new context: the configuration is not in its cache).
    later = new_page(storage_state=page.context.storage_state())
    later.context.clear_cookies(name="sib_cuid")
    later.context.clear_cookies(name="uuid")
    cfg2 = config(later, site)
    assert cfg2["version"] == cfg1["version"] + 1
    assert cfg2["purposes_hash"] != cfg1["purposes_hash"]
    assert cfg2["changes"], "the changed version's configuration has no `changes` line"
    visit(later, site)

    expect(dialog(later)).to_be_visible()
    expect(dialog(later)).to_contain_text(cfg2["text"]["what_changed"])
    expect(dialog(later)).to_contain_text(cfg2["changes"])
    settle(later)
    assert not state(later)["tracker"], "a choice made on other purposes still loads the tracker"
    assert not TRACKER_COOKIES & cookie_names(later)

    sent, again = choose(later, button(later, cfg2, "accept_all").click)
    decisions = {**ALL_ON, "video": True}
    assert sent["decisions"] == decisions
    assert again["consent_id"] == answer["consent_id"]
    recorded(again, cfg2, "accept_all", decisions)


def test_a_change_of_wording_only_does_not_ask_again(site, page, new_page, tmp_path):
    cfg1, _ = accept_all(page, site)
    publish_copy(tmp_path, WORDING_ONLY, note="wording")

    later = new_page(storage_state=page.context.storage_state())
    cfg2 = config(later, site)
    assert cfg2["version"] == cfg1["version"] + 1
    assert cfg2["purposes_hash"] == cfg1["purposes_hash"]
    visit(later, site)
    wait_tracker(later)
    expect(dialog(later)).to_be_hidden()
