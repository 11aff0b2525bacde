"""Everything the demo page stores once every purpose is accepted is declared in the
inventory (/privacy/cookies.json), and lives no longer than it says."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.helpers import (
    button,
    choose,
    config,
    recorded,
    visit,
    wait_tracker,
    wait_until,
)

STORAGE_KEYS = """() => ({
  local_storage: Object.keys(localStorage),
  session_storage: Object.keys(sessionStorage),
})"""
DAY = 86400


def declared(inventory: list[dict[str, Any]], name: str, storage: str) -> dict[str, Any] | None:
    for item in inventory:
        if item["storage"] != storage:
            continue
        pattern = item["name"]
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return item
    return None


def test_everything_stored_after_accept_all_is_in_the_inventory(site, page):
    response = page.request.get(site + "/privacy/cookies.json")
    assert response.status == 200
    inventory = response.json()["cookies"]
    cfg = config(page, site)
    visit(page, site)
    _, answer = choose(page, button(page, cfg, "accept_all").click)
    recorded(answer, cfg, "accept_all", {"audience": True, "brevo_tracking": True})
    wait_tracker(page)
    wait_until(page, "() => localStorage.getItem('gardien_vid') !== null")  # the beacon's
    page.locator("iframe[data-gardien-purpose]").content_frame.locator("body").wait_for()
    # The visitor also browses Gardien's own pages: the policy and the cookie settings.
    for url in (cfg["policy_url"], cfg["nojs_url"]):
        other = page.context.new_page()
        other.goto(url)
        other.close()
    now = dt.datetime.now(dt.UTC).timestamp()

    observed: list[tuple[str, str, float | None]] = []
    for cookie in page.context.cookies():
        expires = None if cookie["expires"] == -1 else cookie["expires"]
        observed.append((cookie["name"], "cookie", expires))
    for frame in page.frames:  # the page and its (same-origin) embed
        for storage, keys in frame.evaluate(STORAGE_KEYS).items():
            observed += [(key, storage, None) for key in keys]
    assert {"eu-consent", "sib_cuid", "uuid", "gardien_vid"} <= {n for n, _, _ in observed}

    undeclared = [(n, s) for n, s, _ in observed if declared(inventory, n, s) is None]
    assert not undeclared, f"stored but missing from /privacy/cookies.json: {undeclared}"
    too_long = []
    for name, storage, expires in observed:
        if storage != "cookie":
            continue
        days = declared(inventory, name, storage)["days"]
        if days is None and expires is not None:
            too_long.append(
                f"{name}: a session cookie that expires in {(expires - now) / DAY:.0f} days"
            )
        elif days is not None and expires is not None and expires - now > (days + 1) * DAY:
            too_long.append(f"{name}: {(expires - now) / DAY:.0f} days, declared {days}")
    assert not too_long, f"cookies outliving their declared lifetime: {too_long}"
