"""The contact form in Chromium: the hosted page with and without JavaScript, its mistakes,
its accessibility, and the snippet pasted into a page of another origin (docs/contact.md)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import urllib.parse
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from gardien.antispam.services import MIN_FILL_SECONDS
from gardien.contact.management.commands.contact import snippet
from gardien.contact.models import ContactMessage
from gardien.contact.services import answers_of, contact_activity, file_received
from gardien.policy.forms import collected
from gardien.site.models import AddedFrom
from gardien.site.services import add as allow
from gardien.vault.models import Person
from tests.browser.helpers import (
    accessibility_violations,
    button,
    choice_cookie,
    choose,
    config,
    expect,
    visit,
)

VISITOR = {
    "last_name": "Lefèvre",
    "first_name": "Maëlle",
    "status": "cooperative_member",
    "email": "maelle.lefevre@example.org",
    "organization": "Scop du Plateau",
    "message": "Bonjour,\nnous aimerions rejoindre Coopo. Qui peut nous rappeler ?",
}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def said(lang: str, text: str) -> str:
    """Gardien's wording of ``text`` in ``lang`` (its catalogue, not a copy of it here)."""
    with translation.override(lang):
        return gettext(text)


def field(scope: Any, lang: str, name: str) -> Any:
    """The control of the declared field ``name``, found by its role and accessible name
    (its label, without the "*" hidden from assistive technologies) as a person finds it."""
    found = contact_activity()
    assert found is not None, "the published policy has no contact activity"
    declared = found[1].field(name)
    role = "combobox" if declared.input == "choice" else "textbox"
    return scope.get_by_role(role, name=declared.label.get(lang), exact=True)


def fill_in(scope: Any, lang: str, values: dict[str, str]) -> None:
    found = contact_activity()
    assert found is not None, "the published policy has no contact activity"
    for declared in collected(found[1]):
        control = field(scope, lang, declared.name)
        if declared.input == "choice":
            control.select_option(values[declared.name])
        else:
            control.fill(values[declared.name])


def send(page: Any, lang: str) -> Any:
    """Click the form's button; the answer to the form's POST (after any challenge)."""
    with page.expect_response(is_form_post) as answer:
        page.get_by_role("button", name=said(lang, "Send"), exact=True).click()
    return answer.value


def is_form_post(response: Any) -> bool:
    return response.request.method == "POST" and "/contact/" in response.url


def is_challenge(response: Any) -> bool:
    return response.url.endswith("/api/challenge")


def solution_sent(request: Any) -> dict[str, Any]:
    """The decoded ``altcha`` field of a form POST, checked as Gardien checks it."""
    sent = urllib.parse.parse_qs(request.post_data or "")
    assert sent.get("altcha", [""])[0], f"the form was sent without a solution: {sent}"
    solution = json.loads(base64.b64decode(sent["altcha"][0]))
    digest = hashlib.sha256(f"{solution['salt']}{solution['number']}".encode()).hexdigest()
    assert digest == solution["challenge"], "the number sent does not solve the challenge"
    return solution


def the_message(values: dict[str, str], lang: str = "fr") -> ContactMessage:
    """The one message stored, holding what the visitor typed (and nothing else)."""
    assert file_received() == 1  # what the worker does within seconds
    message = ContactMessage.objects.select_related("person").get()
    assert message.person.email == values["email"]
    # Browsers send a textarea's line breaks as CRLF (HTML's form encoding).
    kept = {k: v.replace("\r\n", "\n") for k, v in answers_of(message).items()}
    assert kept == {k: v for k, v in values.items() if k != "email"}
    assert message.lang == lang
    return message


def expect_thanks(page: Any, lang: str, message: ContactMessage) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(said(lang, "Message received"))
    expect(page.get_by_role("status")).to_contain_text(message.reference)


def expect_accessible(page: Any, what: str) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )


def organisation_page(html: str, lang: str = "fr") -> str:
    """A plain page of the organisation's site with the snippet pasted into it."""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        "<title>Coopo — Contact</title></head>"
        f"<body><main><h1>Contact</h1>\n{html}\n</main></body></html>"
    )


# --- the hosted page ------------------------------------------------------------------------


def test_after_refusing_cookies_the_hosted_form_is_sent_with_its_challenge_solved(site, page):
    cfg = config(page, site)
    visit(page, site)
    choose(page, button(page, cfg, "refuse_all").click)
    refused = choice_cookie(page)
    assert refused is not None and set(refused["p"].values()) == {0}

    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site + "/contact/")
    with page.expect_response(is_challenge) as challenge:
        fill_in(page, "fr", VISITOR)  # the work starts when the form gets the focus
    assert challenge.value.status == 200
    issued = challenge.value.json()
    answer = send(page, "fr")

    assert answer.status == 200, answer.text()
    assert solution_sent(answer.request)["challenge"] == issued["challenge"]
    message = the_message(VISITOR)
    expect_thanks(page, "fr", message)
    # Nothing but Gardien's own addresses, and the refusal still stands.
    assert all(u.startswith(site) for u in requested), requested
    assert choice_cookie(page) == refused


def test_without_javascript_the_hosted_form_lands_once_filled_at_human_speed(
    site, new_page, settings
):
    # Gardien's clock (gardien.lib.clock) is moved rather than the test made to wait.
    shown_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    settings.GARDIEN_NOW = shown_at
    page = new_page(java_script_enabled=False)
    page.goto(site + "/fr/contact/")
    fill_in(page, "fr", VISITOR)

    # Sent at once, as only a robot can: refused with a sentence, what was typed kept.
    answer = send(page, "fr")
    assert answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("très vite")
    expect(field(page, "fr", "message")).to_have_value(VISITOR["message"])
    assert ContactMessage.objects.count() == 0

    settings.GARDIEN_NOW = shown_at + dt.timedelta(seconds=MIN_FILL_SECONDS + 1)
    answer = send(page, "fr")
    assert answer.status == 200, answer.text()
    assert not urllib.parse.parse_qs(answer.request.post_data or "").get("altcha")
    message = the_message(VISITOR)
    expect_thanks(page, "fr", message)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_mistake_keeps_what_was_typed_and_every_page_passes_axe(site, new_page, lang):
    page = new_page(locale=LOCALES[lang])
    page.goto(f"{site}/{lang}/contact/")
    expect_accessible(page, "the form")

    typed = {**VISITOR, "email": "maelle.lefevre@"}
    fill_in(page, lang, typed)
    answer = send(page, lang)
    assert answer.status == 400
    assert ContactMessage.objects.count() == 0
    expect(page.get_by_role("alert")).to_be_visible()
    for name, value in typed.items():
        expect(field(page, lang, name)).to_have_value(value)
    # The error is in the field's own block, just above it, and announced with it.
    email = field(page, lang, "email")
    error = page.locator(".field").filter(has=email).locator(".error")
    expect(error).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(error.inner_text())
    assert 0 <= email.bounding_box()["y"] - error.bounding_box()["y"] < 80
    # The keyboard reaches it.
    for _ in range(40):
        page.keyboard.press("Tab")
        if email.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the email field with the error")
    expect_accessible(page, "the form with an error")

    email.fill(VISITOR["email"])
    answer = send(page, lang)
    assert answer.status == 200, answer.text()
    message = the_message(VISITOR, lang)
    expect_thanks(page, lang, message)
    expect_accessible(page, "the thanks page")


# --- the snippet on the organisation's site ---------------------------------------------------


def test_the_snippet_on_a_site_of_the_manifest_sends_the_message_to_gardien(
    site, new_page, other_site
):
    organisation = other_site()
    allow(organisation.origin, source=AddedFrom.COMMAND)
    organisation.page = organisation_page(snippet("fr"))
    page = new_page()
    page.goto(organisation.origin + "/")

    with page.expect_response(is_challenge) as challenge:
        fill_in(page, "fr", VISITOR)
    assert challenge.value.url == site + "/api/challenge"
    assert challenge.value.request.all_headers()["origin"] == organisation.origin
    assert challenge.value.headers["access-control-allow-origin"] == organisation.origin
    answer = send(page, "fr")

    assert answer.url == site + "/fr/contact/"
    assert answer.request.all_headers()["origin"] == organisation.origin
    assert answer.status == 200, answer.text()
    solution_sent(answer.request)
    message = the_message(VISITOR)
    expect_thanks(page, "fr", message)


def test_the_snippet_on_a_site_not_in_the_manifest_is_refused_and_nothing_is_kept(
    site, new_page, other_site
):
    stranger = other_site()
    stranger.page = organisation_page(snippet("fr"))
    page = new_page()
    page.goto(stranger.origin + "/")

    # Gardien answers the challenge to no page of that origin: the browser keeps it from
    # the script, which then sends the form without a solution.
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/api/challenge")):
        fill_in(page, "fr", VISITOR)
    answer = send(page, "fr")

    assert answer.status == 403
    expect(page.locator("body")).to_contain_text(f"gardien site add-origin {stranger.origin}")
    assert ContactMessage.objects.count() == 0
    assert Person.objects.count() == 0
