"""Google Consent Mode v2, basic mode: everything denied before anything else, then one
update per choice (docs/consent.md, "Google Consent Mode v2")."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    GOOGLE_TAG,
    button,
    choose,
    config,
    publish_copy,
    recorded,
    switch,
    switched,
    visit,
    wait_until,
)

# Logs, in order, when the tracker stand-in runs or the audience beacon sends a page view,
# and how long window.dataLayer was then.
ORDER = """(() => {
  window.__order = [];
  const log = (what) => window.__order.push([what, window.dataLayer ? window.dataLayer.length : 0]);
  let value;
  Object.defineProperty(window, 'demoTrackerLoaded', {
    configurable: true,
    get: () => value,
    set: (v) => {
      value = v;
      log('demoTrackerLoaded');
    },
  });
  const send = window.fetch;
  window.fetch = function (url, ...rest) {
    if (String(url).endsWith('/api/audience')) log('audience');
    return send.call(this, url, ...rest);
  };
})();
"""
DATA_LAYER = "() => (window.dataLayer || []).map((entry) => Array.from(entry))"
DENIED = {
    "ad_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "analytics_storage": "denied",
}
ADS = ("ad_storage", "ad_user_data", "ad_personalization")


@pytest.mark.parametrize("granted", ["statistics", "brevo_tracking"])
def test_consent_mode_defaults_to_denied_first_then_updates_per_purpose(
    site, new_page, tmp_path, granted
):
    publish_copy(tmp_path, *GOOGLE_TAG, note="Google tag")
    page = new_page(init_script=ORDER)
    cfg = config(page, site)
    assert cfg["google_consent_mode"] is True
    visit(page, site)
    wait_until(page, "() => window.__order.some((e) => e[0] === 'audience')")

    layer = page.evaluate(DATA_LAYER)
    assert layer, "window.dataLayer received nothing"
    assert layer[0] == ["consent", "default", DENIED], f"first dataLayer entry: {layer[0]}"
    # The exempt audience measurement ran after the default was in place.
    order = page.evaluate("window.__order")
    assert order and order[0][0] == "audience" and order[0][1] >= 1, order
    for entry in layer[1:]:
        assert entry[:2] == ["consent", "update"] and entry[2] == DENIED, (
            f"a signal granted before any choice: {entry}"
        )

    button(page, cfg, "customise").click()
    for purpose_id in switched(cfg):
        control = switch(page, cfg, purpose_id)
        if control.is_checked() != (purpose_id in (granted, "audience")):
            control.click()
    decisions = {p: p in (granted, "audience") for p in switched(cfg)}
    _, answer = choose(page, button(page, cfg, "save").click)
    recorded(answer, cfg, "custom", decisions)

    updates = [e for e in page.evaluate(DATA_LAYER) if e[:2] == ["consent", "update"]]
    assert updates, "no gtag('consent', 'update', …) after the choice"
    signals = updates[-1][2]
    if granted == "statistics":  # consent_mode = "analytics"
        assert signals == {**DENIED, "analytics_storage": "granted"}
    else:  # consent_mode = "advertising"
        assert signals == {**DENIED, **dict.fromkeys(ADS, "granted")}
