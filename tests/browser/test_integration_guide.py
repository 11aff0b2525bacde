"""docs/integration.md, followed in Chromium on a page served from another origin: the tag, the
footer's links and the origin step, taken from the guide itself. Skipping the origin step
leaves no banner and a console message naming the origin and the command to run."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from gardien.site.models import RefusedOrigin
from tests.browser.helpers import button, choose, config, dialog, expect, settle

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
GARDIEN = "https://privacy.example.org"
EXAMPLE_SITE = "https://www.example.org"


def _section(number: int) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(rf"(?ms)^## {number}\. .*?(?=^## |\Z)", text)
    assert found, f"docs/integration.md has no section {number}"
    return found.group(0)


def _code(number: int, language: str) -> str:
    """The first ``language`` code block of section ``number`` of the guide."""
    found = re.search(rf"(?s)```{language}\n(.*?)```", _section(number))
    assert found, f"section {number} of docs/integration.md has no {language} block"
    return found.group(1)


def _page(gardien: str) -> str:
    """A page of the organisation's static site, with the guide's tag and footer pasted."""
    tag = _code(2, "html").replace(GARDIEN, gardien)
    footer = _code(3, "html").replace(GARDIEN, gardien)
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Coopo</title>'
        f"{tag}</head><body><main><h1>Coopo</h1></main><footer>{footer}</footer></body></html>"
    )


def _origin_step(origin: str) -> None:
    """Run the guide's first command, with this site's origin for the example's."""
    command = next(
        line.split("#")[0].split()
        for line in _code(1, "sh").splitlines()
        if line.startswith("gardien site add-origin")
    )
    assert command[1:] == ["site", "add-origin", EXAMPLE_SITE]
    call_command(*command[1:-1], origin, stdout=io.StringIO())


@pytest.fixture
def organisation(site: str, other_site: Any) -> Any:
    started = other_site()
    started.page = _page(site)
    return started


def test_following_the_guide_the_banner_appears_and_the_footer_works(
    site: str, organisation: Any, new_page: Any
) -> None:
    _origin_step(organisation.origin)
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(organisation.origin + "/")
    cfg = config(page, site)
    expect(dialog(page)).to_be_visible()
    choose(page, lambda: button(page, cfg, "refuse_all").click())
    expect(dialog(page)).to_be_hidden()

    # The footer: "cookie settings" reopens the panel; the policy link opens the policy.
    footer = page.locator("footer")
    footer.get_by_role("link", name="Paramètres des cookies").click()
    expect(dialog(page)).to_be_visible()
    policy = footer.get_by_role("link", name="Politique de confidentialité")
    assert page.request.get(policy.get_attribute("href") or "").status == 200
    assert not [e for e in errors if "Gardien" in e], errors


def test_without_the_origin_step_the_console_names_the_origin(
    site: str, organisation: Any, new_page: Any
) -> None:
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(organisation.origin + "/")
    settle(page)
    page.wait_for_timeout(300)  # the console message follows a second, opaque request
    expected = (
        f"Gardien: {organisation.origin} is not allowed: "
        f"gardien site add-origin {organisation.origin}"
    )
    assert expected in errors, errors
    assert dialog(page).count() == 0
    assert RefusedOrigin.objects.filter(origin=organisation.origin).exists()

    # The command the console gives is enough: the next page shows the banner.
    _origin_step(organisation.origin)
    page.reload()
    expect(dialog(page)).to_be_visible()
