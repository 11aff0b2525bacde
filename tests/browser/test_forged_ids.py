"""A choice whose answer is lost is retried by the banner and recorded once (docs/consent.md,
"Retries: request_id"); an id Gardien did not issue is not continued."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from tests.browser.helpers import API, CHOICE_COOKIE, button, config, visit, wait_until

# The banner waits before retrying after a network error; the test waits a little longer.
RETRY_WAIT = 20.0


def _wait(page: Any, done: Any, timeout: float = RETRY_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s")
        page.wait_for_timeout(100)


def test_a_choice_whose_answer_was_lost_is_retried_and_recorded_once(site, page):
    from gardien.consent.models import ConsentRecord

    cfg = config(page, site)
    seen: list[tuple[dict[str, Any], int, dict[str, Any]]] = []

    def lose_the_first_answer(route: Any) -> None:
        sent = json.loads(route.request.post_data or "{}")
        response = route.fetch()  # the server records the choice…
        seen.append((sent, response.status, response.json()))
        if len(seen) == 1:
            route.abort("connectionreset")  # …and the banner never hears of it
        else:
            route.fulfill(response=response)

    page.route(f"**{API}", lose_the_first_answer)
    visit(page, site)
    button(page, cfg, "accept_all").click()
    _wait(page, lambda: len(seen) >= 2)

    (first, first_status, first_answer), (retry, retry_status, retry_answer) = seen[:2]
    assert first_status == 201
    assert retry["request_id"] == first["request_id"]
    assert retry_status == 200
    assert retry_answer == first_answer
    assert ConsentRecord.objects.count() == 1
    proof = ConsentRecord.objects.get()
    assert proof.consent_id == first_answer["consent_id"]
    # The banner keeps the one id the server issued.
    wait_until(
        page,
        "([name, id]) => document.cookie.split('; ').some("
        "c => c.startsWith(name + '=') && decodeURIComponent(c).includes(id))",
        [CHOICE_COOKIE, proof.consent_id],
    )


def test_a_cookie_with_a_made_up_id_starts_a_new_one(site, page):
    from gardien.consent.models import ConsentRecord

    cfg = config(page, site)
    made_up = "A" + "-" * 31
    stale = {
        "id": made_up,
        "d": int(time.time()) - 60,
        "v": cfg["version"],
        "h": "0" * 12,  # another purposes_hash: the banner asks again
        "p": {"audience": 1, "brevo_tracking": 1},
    }
    value = urllib.parse.quote(json.dumps(stale, separators=(",", ":")), safe="-_.!~*'()")
    host = urllib.parse.urlsplit(site).hostname
    page.context.add_cookies([{"name": CHOICE_COOKIE, "value": value, "domain": host, "path": "/"}])
    answers: list[tuple[int, dict[str, Any]]] = []
    page.on(
        "response",
        lambda r: API in r.url and r.request.method == "POST" and answers.append((r.status, {})),
    )
    visit(page, site)
    button(page, cfg, "refuse_all").click()
    _wait(page, lambda: ConsentRecord.objects.exists())
    proof = ConsentRecord.objects.get()
    assert proof.consent_id != made_up
    assert 400 in [status for status, _ in answers]  # the made-up id, refused once
