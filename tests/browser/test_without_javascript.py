"""Without JavaScript nothing optional runs, and the server's own page records a choice."""

from __future__ import annotations

from tests.browser.helpers import (
    AUDIENCE_API,
    TRACKER_COOKIES,
    choice_cookie,
    config,
    cookie_names,
    dialog,
    expect,
    recorded,
    settle,
    wait_tracker,
)


def test_without_javascript_nothing_runs_and_the_consent_page_records_a_choice(site, new_page):
    page = new_page(java_script_enabled=False)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    cfg = config(page, site)

    page.goto(site + "/")
    settle(page)
    optional = ("/demo/tracker.js", AUDIENCE_API, "/demo/embed.html")
    assert not [u for u in requested if u.endswith(optional)]
    assert page.locator("iframe[data-gardien-purpose]").get_attribute("src") is None
    assert not TRACKER_COOKIES & cookie_names(page)
    stored = page.context.storage_state()
    assert not any(o["localStorage"] for o in stored["origins"]), stored["origins"]

    page.goto(cfg["nojs_url"])
    brevo = page.locator("input[name=purpose][value=brevo_tracking]")
    audience = page.locator("input[name=purpose][value=audience]")
    expect(brevo).not_to_be_checked()  # consent is never pre-ticked
    expect(audience).to_be_checked()  # exempt: on until the visitor objects
    brevo.check()
    page.get_by_role("button", name=cfg["text"]["save"], exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()

    choice = choice_cookie(page)
    assert choice is not None, "the consent page set no eu-consent cookie"
    decisions = {"audience": True, "brevo_tracking": True}
    row = recorded(
        {"consent_id": choice["id"], "version": cfg["version"]}, cfg, "custom", decisions
    )
    expect(page.get_by_text(row.consent_id)).to_be_visible()
    assert choice["p"] == {"audience": 1, "brevo_tracking": 1}
    assert choice["h"] == cfg["purposes_hash"][:12] and choice["v"] == cfg["version"]

    # The same visitor with JavaScript back on: the banner honours the choice made there.
    later = new_page(storage_state=page.context.storage_state())
    later.goto(site + "/")
    wait_tracker(later)
    later.wait_for_selector("[role=dialog]", state="attached")
    expect(dialog(later)).to_be_hidden()


def test_the_consent_page_honours_the_sec_gpc_header(site, new_page):
    page = new_page(java_script_enabled=False, extra_http_headers={"Sec-GPC": "1"})
    cfg = config(page, site)
    page.goto(cfg["nojs_url"])

    expect(page.get_by_text(cfg["text"]["gpc"])).to_be_visible()
    # A refusal and an objection: nothing ticked, the exempt audience included.
    expect(page.locator("input[name=purpose][value=brevo_tracking]")).not_to_be_checked()
    expect(page.locator("input[name=purpose][value=audience]")).not_to_be_checked()
    page.locator("input[name=purpose][value=brevo_tracking]").check()
    page.get_by_role("button", name=cfg["text"]["save"], exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()

    choice = choice_cookie(page)
    assert choice is not None, "the consent page set no eu-consent cookie"
    decisions = {"audience": False, "brevo_tracking": True}
    answer = {"consent_id": choice["id"], "version": cfg["version"]}
    recorded(answer, cfg, "custom", decisions, gpc=True)
