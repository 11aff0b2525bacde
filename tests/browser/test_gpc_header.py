"""Global Privacy Control sent as the request header alone (`Sec-GPC: 1`, the way Firefox
and Brave send it; no `navigator.globalPrivacyControl` here): the configuration answers
`Gardien-GPC: 1`, and the banner acts exactly as with the JavaScript property."""

from __future__ import annotations

from tests.browser.helpers import (
    answered,
    check_cookie,
    config,
    dialog,
    expect,
    is_consent_post,
    recorded,
    settle,
)


def test_the_header_alone_refuses_everything_optional_and_is_recorded(site, new_page):
    page = new_page(extra_http_headers={"Sec-GPC": "1"})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    configurations = []
    page.on(
        "response",
        lambda r: configurations.append(r) if "/consent/config/" in r.url else None,
    )
    cfg = config(page, site)

    with page.expect_response(is_consent_post) as info:
        page.goto(site + "/")
    sent, answer = answered(page, info.value)
    settle(page)

    assert page.evaluate("navigator.globalPrivacyControl") is not True
    assert configurations and configurations[-1].header_value("gardien-gpc") == "1"
    decisions = {"audience": False, "brevo_tracking": False}
    assert sent["action"] == "gpc" and sent["gpc"] is True and sent["decisions"] == decisions
    recorded(answer, cfg, "gpc", decisions, gpc=True)
    check_cookie(page, cfg, answer, {"audience": 0, "brevo_tracking": 0})
    expect(dialog(page)).to_be_hidden()
    optional = ("/demo/tracker.js", "/demo/embed.html", "/api/audience")
    assert not [u for u in requested if u.endswith(optional)]
