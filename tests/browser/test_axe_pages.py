"""axe-core finds nothing on Gardien's own consent pages: the no-JavaScript settings page
(before and after a choice) and the cookie inventory, in French and in English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import accessibility_violations, config, expect


def expect_accessible(page: Any, what: str) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_consent_page_before_and_after_a_choice(site, page, lang):
    cfg = config(page, site, lang)

    page.goto(f"{site}/{lang}/consent/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect_accessible(page, "the consent page before a choice")

    page.locator("input[name=purpose][value=brevo_tracking]").check()
    page.get_by_role("button", name=cfg["text"]["save"], exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    expect_accessible(page, "the consent page with its confirmation")

    # Coming back later: the page recalls the choice and its date.
    page.goto(f"{site}/{lang}/consent/")
    expect(page.locator(".consent-id")).to_be_visible()
    expect_accessible(page, "the consent page recalling a choice")


def test_the_consent_page_with_global_privacy_control(site, new_page):
    page = new_page(extra_http_headers={"Sec-GPC": "1"})

    page.goto(f"{site}/fr/consent/")
    expect(page.locator(".gpc")).to_be_visible()
    expect_accessible(page, "the consent page under GPC")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_cookie_inventory(site, page, lang):
    page.goto(f"{site}/{lang}/privacy/cookies/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("table.inventory tbody tr").first).to_be_visible()
    expect_accessible(page, "the cookie inventory")


def test_the_pages_at_their_address_without_a_language(site, new_page):
    page = new_page(locale="en-GB")

    for path in ("/consent/", "/privacy/cookies/"):
        page.goto(site + path)
        expect_accessible(page, path)
