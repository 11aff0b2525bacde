"""The back office's publish page in Chromium, in French, for the DPO: the changes word by
word, the date, a note in each language, one button; axe-core finds nothing; screenshots kept."""

from __future__ import annotations

from typing import Any

from gardien.policy.models import PolicyVersion
from tests.browser.helpers import expect
from tests.browser.test_backoffice_fr import fast_hasher, log_in, look  # noqa: F401

CHANGED = ('retention = "3 years after last_contact"', 'retention = "2 years after last_contact"')


def test_the_dpo_reviews_and_publishes_a_change(
    site: str,
    page: Any,
    fast_hasher,  # noqa: F811
    settings: Any,
    edited_manifest: Any,
) -> None:
    settings.GARDIEN_MANIFEST = edited_manifest(CHANGED)
    log_in(page, site, "dpo-publish")
    expect(page.locator("#policy-publish")).to_contain_text(
        "Le fichier manifeste a des modifications non publiées"
    )
    page.get_by_role("link", name="Relire les modifications et publier").first.click()
    look(
        page,
        "policy-publish",
        (
            "Le fichier manifeste diffère de la version 1",
            "2 ans après le dernier contact",
            "Elle portera la date du",
            "Note en français",
            "Note en anglais",
        ),
    )
    page.get_by_label("Note en français").fill("Durée de conservation réduite.")
    page.get_by_label("Note en anglais").fill("Shorter retention period.")
    page.get_by_role("button", name="Publier la version 2").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "La version 2 de la politique de confidentialité est publiée."
    )
    version = PolicyVersion.objects.get(number=2)
    assert (version.note, version.note_en) == (
        "Durée de conservation réduite.",
        "Shorter retention period.",
    )
    look(page, "policy-versions-after-publish", ("Durée de conservation réduite.",))
