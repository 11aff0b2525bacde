"""The newsletter in Chromium: the hosted sign-up page with and without JavaScript, the
link of the confirmation email and its one button, the welcome email's unsubscribe link,
and the accessibility of every page on the way.

The emails travel through a real SMTP server started here, sent by the worker as in
production; their links point at the live server (SITE_URL), so the browser follows them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from gardien.antispam.services import MIN_FILL_SECONDS
from gardien.newsletter import services
from gardien.newsletter.models import PendingSignup, Subscription
from gardien.vault import services as vault
from tests.browser.helpers import accessibility_violations, expect
from tests.mailserver import MailServer, serving

ADDRESS = "maelle.lefevre@example.org"


# --- the SMTP server and the worker ---------------------------------------------------------


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    """A real SMTP server on 127.0.0.1, where Gardien's emails leave to."""
    with serving(settings) as server:
        yield server


def run_worker() -> None:
    """`gardien worker --batch --now` a day ahead, so every task enqueued so far is due."""
    at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    call_command("worker", "--batch", "--now", at.isoformat(), stdout=io.StringIO())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "an email without a plain-text part"
    return part.get_content().replace("\r\n", "\n")


def the_email(smtp: MailServer, count: int) -> EmailMessage:
    """The newest email, once exactly ``count`` have arrived, sent to ADDRESS."""
    emails = smtp.emails()
    assert len(emails) == count, [m["Subject"] for m in emails]
    assert emails[-1]["To"] == ADDRESS
    return emails[-1]


def link(message: EmailMessage, kind: str, site: str) -> str:
    """The full URL of the first link of ``kind`` ("confirm", "unsubscribe") in the text."""
    found = re.search(rf"{re.escape(site)}/\S*newsletter/{kind}/\S+", text_of(message))
    assert found, f"no {kind} link to {site} in:\n{text_of(message)}"
    return found[0]


# --- the pages --------------------------------------------------------------------------------


def said(text: str, lang: str = "fr") -> str:
    """Gardien's wording of ``text`` in ``lang`` (its catalogue, not a copy of it here)."""
    with translation.override(lang):
        return gettext(text)


def statement(lang: str = "fr") -> str:
    found = services.setup()
    assert found is not None, "the published policy has no newsletter"
    return found.statement(lang)


def email_field(page: Any) -> Any:
    found = services.setup()
    assert found is not None, "the published policy has no newsletter"
    label = found.activity.field(found.email_field).label.get("fr")
    return page.get_by_role("textbox", name=label, exact=True)


def consent_box(page: Any) -> Any:
    return page.get_by_role("checkbox", name=statement(), exact=True)


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def submit(page: Any) -> Any:
    """Click "Subscribe"; the answer to the form's POST (after any challenge), once the page
    it answered with has loaded."""
    with page.expect_navigation(), page.expect_response(is_signup_post) as answer:
        page.get_by_role("button", name=said("Subscribe"), exact=True).click()
    return answer.value


def press(page: Any, name: str) -> Any:
    """Click the page's one button, called ``name``; the answer to its POST."""
    buttons = page.get_by_role("button")
    expect(buttons).to_have_count(1)
    expect(buttons).to_have_accessible_name(name)
    with page.expect_navigation(), page.expect_response(is_post) as answer:
        buttons.click()
    return answer.value


def is_post(response: Any) -> bool:
    return response.request.method == "POST"


def is_signup_post(response: Any) -> bool:
    return response.request.method == "POST" and "/newsletter/" in response.url


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


def subscription() -> Subscription | None:
    person = vault.find_person(ADDRESS)
    return None if person is None else Subscription.objects.filter(person=person).first()


def expect_accessible(page: Any, what: str) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )


def watch(page: Any) -> list[str]:
    """Every URL the page requests from now on."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    return requested


def only_from(site: str, requested: list[str]) -> None:
    strangers = [u for u in requested if not u.startswith(site + "/")]
    assert requested and not strangers, f"loaded from another origin: {strangers}"


def sign_up(page: Any, site: str) -> None:
    """The hosted page with JavaScript: the address, the box, the challenge, the button."""
    page.goto(site + "/fr/newsletter/")
    with page.expect_response(is_challenge):
        email_field(page).fill(ADDRESS)  # the work starts when the form gets the focus
    consent_box(page).check()
    answer = submit(page)
    assert answer.status == 200, answer.text()
    expect(heading(page)).to_have_text(said("Check your inbox"))


def confirm(page: Any, site: str, smtp: MailServer) -> EmailMessage:
    """The worker sends the link, the browser opens it and presses the button: the welcome
    email."""
    run_worker()
    page.goto(link(the_email(smtp, 1), "confirm", site))
    assert press(page, said("Confirm my subscription")).status == 200
    expect(heading(page)).to_have_text(said("You are subscribed"))
    run_worker()
    return the_email(smtp, 2)


# --- the tests --------------------------------------------------------------------------------


def test_a_visitor_signs_up_confirms_with_one_button_and_is_welcomed(site, page, smtp):
    page.goto(site + "/fr/newsletter/")
    expect(consent_box(page)).not_to_be_checked()  # consent is never pre-ticked
    with page.expect_response(is_challenge) as challenge:
        email_field(page).fill(ADDRESS)
    assert challenge.value.status == 200
    issued = challenge.value.json()
    consent_box(page).check()
    answer = submit(page)

    assert answer.status == 200, answer.text()
    assert solution_sent(answer.request)["challenge"] == issued["challenge"]
    expect(heading(page)).to_have_text(said("Check your inbox"))
    expect(page.get_by_role("status")).to_be_visible()
    assert PendingSignup.objects.count() == 1
    assert smtp.received == []  # the request only keeps the sign-up; the worker sends

    run_worker()
    confirmation = the_email(smtp, 1)
    assert "/newsletter/confirm/" in text_of(confirmation)
    page.goto(link(confirmation, "confirm", site))
    expect(heading(page)).to_have_text(said("Confirm your subscription"))
    assert subscription() is None  # opening the link changed nothing

    response = press(page, said("Confirm my subscription"))
    assert response.status == 200 and response.url == page.url  # at once, no redirect
    expect(heading(page)).to_have_text(said("You are subscribed"))
    found = subscription()
    assert found is not None and found.lang == "fr"
    assert found.proof.source == "page"

    run_worker()
    welcome = the_email(smtp, 2)
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        rf"<{re.escape(site)}/newsletter/unsubscribe/\S+>", welcome["List-Unsubscribe"]
    )
    assert "/newsletter/unsubscribe/" in text_of(welcome)


def test_without_the_box_ticked_the_error_is_beside_it_and_nothing_is_kept(site, page):
    page.goto(site + "/fr/newsletter/")
    with page.expect_response(is_challenge):
        email_field(page).fill(ADDRESS)
    answer = submit(page)

    assert answer.status == 400, answer.text()
    solution_sent(answer.request)  # refused for the box, not for the challenge
    assert PendingSignup.objects.count() == 0
    expect(page.get_by_role("alert")).to_have_text(
        said("Some fields need your attention; nothing was kept yet.")
    )
    expect(email_field(page)).to_have_value(ADDRESS)
    box = consent_box(page)
    expect(box).not_to_be_checked()
    expect(box).to_have_attribute("aria-invalid", "true")
    error = page.locator(".field").filter(has=box).locator(".error")
    expect(error).to_have_text(
        said("Tick the box to say that you agree to receive the newsletter; nothing was kept.")
    )
    expect(box).to_have_accessible_description(error.inner_text())
    # In the box's own block, beside or just below its statement: seen with the box, not
    # somewhere else on the page.
    said_box = page.locator(".field").filter(has=box).locator("label").bounding_box()
    top, below = box.bounding_box()["y"], said_box["y"] + said_box["height"]
    assert top - 8 <= error.bounding_box()["y"] <= below + 40


def test_the_unsubscribe_link_of_the_welcome_email_takes_one_click(site, page, smtp):
    sign_up(page, site)
    welcome = confirm(page, site, smtp)
    assert subscription() is not None

    page.goto(link(welcome, "unsubscribe", site))
    expect(heading(page)).to_have_text(said("Unsubscribe from the newsletter"))
    assert subscription() is not None  # opening the link changed nothing
    response = press(page, said("Unsubscribe"))

    assert response.status == 200 and response.url == page.url
    expect(heading(page)).to_have_text(said("You are unsubscribed"))
    expect(page.get_by_role("status")).to_be_visible()
    assert subscription() is None
    assert vault.find_person(ADDRESS) is None  # nothing else was kept about them


def test_every_page_passes_axe_and_loads_nothing_from_another_origin(site, page, smtp):
    requested = watch(page)
    page.goto(site + "/fr/newsletter/")
    expect_accessible(page, "the sign-up form")

    with page.expect_response(is_challenge):
        email_field(page).fill(ADDRESS)
    assert submit(page).status == 400
    expect_accessible(page, "the sign-up form with an error")

    consent_box(page).check()
    assert submit(page).status == 200
    expect_accessible(page, "the check-your-inbox page")

    run_worker()
    page.goto(link(the_email(smtp, 1), "confirm", site))
    expect_accessible(page, "the confirm page")
    press(page, said("Confirm my subscription"))
    expect(heading(page)).to_have_text(said("You are subscribed"))
    expect_accessible(page, "the welcome page")

    run_worker()
    page.goto(link(the_email(smtp, 2), "unsubscribe", site))
    expect_accessible(page, "the unsubscribe page")
    press(page, said("Unsubscribe"))
    expect(heading(page)).to_have_text(said("You are unsubscribed"))
    expect_accessible(page, "the unsubscribed page")

    page.wait_for_load_state("networkidle")
    only_from(site, requested)


def test_without_javascript_the_sign_up_lands_once_filled_at_human_speed(
    site, new_page, smtp, settings
):
    # Gardien's clock (gardien.lib.clock) is moved rather than the test made to wait.
    shown_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    settings.GARDIEN_NOW = shown_at
    page = new_page(java_script_enabled=False)
    page.goto(site + "/fr/newsletter/")
    email_field(page).fill(ADDRESS)
    consent_box(page).check()

    # Sent at once, as only a robot can: refused with a sentence, the address kept.
    answer = submit(page)
    assert answer.status == 400
    expect(page.get_by_role("alert")).to_be_visible()
    expect(email_field(page)).to_have_value(ADDRESS)
    assert PendingSignup.objects.count() == 0

    settings.GARDIEN_NOW = shown_at + dt.timedelta(seconds=MIN_FILL_SECONDS + 1)
    consent_box(page).check()
    answer = submit(page)
    assert answer.status == 200, answer.text()
    assert not urllib.parse.parse_qs(answer.request.post_data or "").get("altcha")
    expect(heading(page)).to_have_text(said("Check your inbox"))
    assert PendingSignup.objects.count() == 1

    # The link and its button need no JavaScript either.
    confirm(page, site, smtp)
    assert subscription() is not None
