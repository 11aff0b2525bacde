"""The French back office, as the DPO reads it in Chromium: logged in with both factors, the
index, the audit log, consent proofs, a person, the rights requests, the policy versions, the
contact messages, the retention forecast and the statistics are in French words (no raw
code), axe-core finds nothing, and a full-page screenshot of each is saved under
var/screenshots/backoffice/ for review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from tests.backoffice.helpers import current_code
from tests.backoffice.seed import seed
from tests.browser.helpers import accessibility_violations, expect

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "backoffice"
# Codes that must never reach the DPO's pages, and English left in the French ones.
RAW = (
    "system:system",
    "staff:",
    "OTP_STATIC",
    "Otp_Static",
    "Static devices",
    "Task Results",
    "audience ✗",
    "brevo_tracking ✓",
)
NOT_FRENCH = ("created at", "Created at", "Search by")


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    # Argon2 costs half a second a hash; this test is about what the pages say.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def look(page: Any, name: str, must_say: tuple[str, ...], lang: str = "fr") -> None:
    """The page says ``must_say``, no raw code, has no axe violation; its screenshot kept."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    text = page.locator("#content").inner_text()
    for words in must_say:
        assert words in text, f"{name}: «{words}» is missing from:\n{text[:1500]}"
    for raw in RAW + (NOT_FRENCH if lang == "fr" else ()):
        assert raw not in text, f"{name}: the raw «{raw}» is shown:\n{text[:1500]}"
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {name} ({page.url}):\n" + "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, site: str, username: str) -> None:
    """Log in through the form with the password and the authenticator's current code."""
    _user, password, two_factor = accounts.create_account(username, BY_SLUG["dpo"])
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_otp_token").fill(current_code(two_factor.secret))
    with page.expect_navigation():
        page.locator("#id_otp_token").press("Enter")
    expect(page).to_have_url(f"{site}/admin/")


def test_the_dpo_reads_the_back_office_in_french(site, page, fast_hasher, capsys):
    seeded = seed()
    log_in(page, site, "dpo-fr")

    look(page, "index", ("Espace d'administration", "Preuves de consentement", "Personnes"))

    page.goto(f"{site}/admin/audit/auditentry/")
    look(page, "audit-log", ("Gardien (automatique)", "Création", "Connexion", "dpo-fr"))

    page.goto(f"{site}/admin/consent/consentrecord/")
    look(page, "consent-proofs", ("Mesure d'audience : ✗ refusée", "signal envoyé"))

    page.goto(f"{site}/admin/consent/consentrecord/{seeded.proof.pk}/change/")
    look(page, "consent-proof", ("a choisi finalité par finalité", "version 1"))

    page.goto(f"{site}/admin/vault/person/")
    look(page, "people", ("non limité", "limité", "(Europe/Paris)"))

    page.goto(f"{site}/admin/vault/person/{seeded.person.pk}/change/")
    look(
        page,
        "person",
        (
            "Ce que Gardien conserve sur cette personne, par activité",
            "Formulaire de contact",
            "Lettre d'information",
            "Exporter les données de cette personne",
        ),
    )

    page.goto(f"{site}/admin/rights/rightsrequest/")
    look(page, "rights-requests", ("Demandes d'exercice de droits", "accès à mes données"))

    page.goto(f"{site}/admin/rights/rightsrequest/{seeded.request.pk}/change/")
    look(page, "rights-request", ("Chronologie", "Gardien, automatiquement", "(Europe/Paris)"))

    page.goto(f"{site}/admin/policy/policyversion/")
    look(page, "policy-versions", ("version de la politique", "(Europe/Paris)"))

    page.goto(f"{site}/admin/contact/contactmessage/")
    look(page, "contact-messages", ("message de contact", "pas encore", "(Europe/Paris)"))

    page.goto(f"{site}/admin/retention/purgerun/forecast/")
    look(page, "retention-forecast", ("Ce que les durées de conservation vont supprimer",))

    page.goto(f"{site}/admin/consent/consentrecord/statistics/")
    look(page, "consent-statistics", ("Statistiques du consentement",))
    # The chart's last label lies inside the drawing, not cut at its right edge.
    chart = page.locator("figure svg").first
    box = chart.bounding_box()
    last = chart.locator("text").last.bounding_box()
    assert box and last and last["x"] + last["width"] <= box["x"] + box["width"] + 0.5

    page.goto(f"{site}/admin/audience/")
    look(page, "audience-statistics", ("Statistiques d'audience",))

    with capsys.disabled():
        print(f"\nBack-office screenshots: {SHOTS}")


def test_the_same_pages_read_in_english(site, new_page, fast_hasher):
    page = new_page(locale="en-GB")
    seeded = seed()
    log_in(page, site, "dpo-en")

    page.goto(f"{site}/admin/audit/auditentry/")
    look(page, "en-audit-log", ("Gardien (automatic)", "Created", "Logged in"), "en")

    page.goto(f"{site}/admin/consent/consentrecord/")
    look(page, "en-consent-proofs", ("Audience measurement: ✗ refused", "signal sent"), "en")

    page.goto(f"{site}/admin/vault/person/{seeded.person.pk}/change/")
    look(page, "en-person", ("What Gardien holds about this person", "Newsletter"), "en")
