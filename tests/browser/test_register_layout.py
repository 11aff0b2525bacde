"""The record of processing on a laptop's screen (1280 px wide): nothing runs off the right
edge, axe-core finds nothing, and the PDF button gives a dated, versioned PDF. A screenshot
of each language is saved under var/screenshots/backoffice/ for review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.lib import clock, when
from tests.backoffice.helpers import current_code
from tests.browser.helpers import accessibility_violations, expect
from tests.policy.pdftext import pdf_text

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "backoffice"
LAPTOP = {"width": 1280, "height": 800}

# Everything wider than the window, with its right edge: empty when the page fits.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('#content *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}px`);
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


@pytest.fixture
def viewer_page(site: str, new_page: Any, settings: Any) -> Any:
    """A viewer (the role that reads registers) logged in with both factors, on a laptop."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _user, password, two_factor = accounts.create_account("viewer-h4", BY_SLUG["viewer"])
    page = new_page(viewport=LAPTOP, accept_downloads=True)
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.locator("#id_username").fill("viewer-h4")
    page.locator("#id_password").fill(password)
    page.locator("#id_otp_token").fill(current_code(two_factor.secret))
    with page.expect_navigation():
        page.locator("#id_otp_token").press("Enter")
    expect(page).to_have_url(f"{site}/admin/")
    return page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_register_fits_a_laptop_screen(site, viewer_page, language):
    page = viewer_page
    page.goto(f"{site}/admin/register/?language={language}")
    expect(page.locator("#processors-title")).to_be_visible()

    layout = page.evaluate(OVERFLOW)
    assert layout["scroll"] <= layout["width"], layout
    assert layout["wide"] == [], layout
    text = page.locator("#content").inner_text()
    assert ("Adresse e-mail" if language == "fr" else "Email address") in text
    assert "user.contact.email" not in text
    assert (
        "Sous-traitant (article 28 du RGPD)" if language == "fr" else "Processor (GDPR Art. 28)"
    ) in text
    violations = accessibility_violations(page)
    assert not violations, "\n".join(
        f"- {v['rule']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in violations
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"register-{language}.png"), full_page=True)


def test_the_pdf_button_downloads_the_dated_register(site, viewer_page, published):
    page = viewer_page
    page.goto(f"{site}/admin/register/?language=fr")
    with page.expect_download() as caught:
        page.get_by_role("link", name="Registre et sous-traitants (PDF)").click()
    download = caught.value
    today = when.day(clock.now())
    assert download.suggested_filename == f"registre-des-traitements-v1-{today}.pdf"
    text = pdf_text(Path(download.path()).read_bytes())
    assert "Version 1 de la politique, publiée le" in text
    assert "Scaleway Transactional Email" in text
