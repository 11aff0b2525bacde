"""A rights request in Chromium: the hosted form filled as a person does (the anti-spam
challenge solved by the page), the verification link of the email and its one button, then
the download link of the answer and the package it delivers; every page checked by axe-core
and nothing loaded from another origin.

The emails travel through a real SMTP server started here, sent by the worker as in
production; their links point at the live server (SITE_URL), so the browser follows them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from gardien.audit.services import Actor
from gardien.contact.models import ContactMessage
from gardien.rights import fulfil
from gardien.rights.models import RightsRequest
from gardien.vault import services as vault
from tests.browser.helpers import accessibility_violations, expect
from tests.mailserver import MailServer, serving

ADDRESS = "ines.moreau@example.org"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


def run_worker() -> None:
    at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    call_command("worker", "--batch", "--now", at.isoformat(), stdout=io.StringIO())


def said(text: str, lang: str = "fr") -> str:
    with translation.override(lang):
        return gettext(text)


def emails_to(smtp: MailServer) -> list[EmailMessage]:
    return [m for m in smtp.emails() if m["To"] == ADDRESS]


def link(message: EmailMessage, kind: str, site: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"{re.escape(site)}/\S*rights/{kind}/\S+", text)
    assert found, f"no {kind} link in:\n{text}"
    return found[0]


def expect_accessible(page: Any, what: str) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )


def press(page: Any, name: str) -> Any:
    buttons = page.get_by_role("button")
    expect(buttons).to_have_count(1)
    expect(buttons).to_have_accessible_name(name)
    with page.expect_navigation(), page.expect_response(lambda r: r.request.method == "POST") as a:
        buttons.click()
    return a.value


def test_a_request_filed_on_the_form_is_verified_and_answered_with_a_download(
    site: str, page: Any, smtp: MailServer
) -> None:
    person, _ = vault.get_or_create_person(ADDRESS, actor=Actor.system())
    ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Bonjour", "last_name": "Moreau"}),
        lang="fr",
        policy_version=1,
        received_at=timezone.now(),
        filed_at=timezone.now(),
    )
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))

    page.goto(site + "/fr/rights/")
    expect(page.get_by_role("heading", level=1)).to_have_text(said("Exercise your rights"))
    expect_accessible(page, "the rights form")
    with page.expect_response(lambda r: r.url.endswith("/api/challenge")):
        page.get_by_role("textbox", name="Nom", exact=True).fill("Moreau")
    page.get_by_role("textbox", name="Prénom", exact=True).fill("Inès")
    page.get_by_role("textbox", name="Adresse électronique", exact=True).fill(ADDRESS)
    page.get_by_role("textbox", name="Droit exercé et précisions", exact=True).fill(
        "Je voudrais une copie de mes données."
    )
    page.get_by_role("checkbox", name=said("access to my data"), exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name=said("Send my request"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(said("Request received"))
    request = RightsRequest.objects.get()
    expect(page.get_by_role("status")).to_contain_text(request.reference)
    expect_accessible(page, "the receipt page")

    run_worker()
    [verification] = emails_to(smtp)
    page.goto(link(verification, "verify", site))
    expect_accessible(page, "the verification page")
    assert press(page, said("Yes, I made this request")).status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(said("Request confirmed"))
    request.refresh_from_db()
    assert request.state == RightsRequest.State.VERIFIED

    fulfil.send_package(request, kind="access", actor=Actor.system())
    run_worker()
    answer = emails_to(smtp)[-1]
    page.goto(link(answer, "download", site))
    expect_accessible(page, "the download page")
    with page.expect_download() as download:
        page.get_by_role("button", name=said("Download"), exact=True).click()
    archive = zipfile.ZipFile(download.value.path())
    data = json.loads(archive.read("data.json"))
    assert data["activities"]["contact"]
    assert "Formulaire de contact" in archive.read("letter.html").decode()

    page.goto(link(answer, "download", site))  # single use
    expect(page.get_by_role("heading", level=1)).to_have_text(said("This link no longer works"))
    strangers = [u for u in requested if not u.startswith(site + "/")]
    assert not strangers, f"loaded from another origin: {strangers}"
